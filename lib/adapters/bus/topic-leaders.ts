/**
 * Waiting for newly created topics to be served. A broker answers CreateTopics before its metadata
 * lists the new partitions with their leaders (KRaft propagates them a moment later), and in that
 * moment a metadata request answers UNKNOWN_TOPIC_OR_PARTITION — which kafkajs's own
 * `waitForLeaders` does not retry (it retries LEADER_NOT_AVAILABLE only) and which makes librdkafka's
 * consumer subscribe to a topic it does not see until its next metadata refresh (5 min by default).
 * Both buses create their topics, then wait here before they subscribe or publish.
 */

interface PartitionMetadata {
  partitionId: number;
  leader: number;
}

interface TopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

/** kafkajs's admin answers `{ topics }`, the confluent client's KafkaJS layer the array itself. */
export interface TopicMetadataSource {
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: TopicMetadata[] } | TopicMetadata[]>;
}

export const TOPIC_LEADERS_TIMEOUT_MS = 30_000;
const RETRY_MS = 200;

function servedTopics(answer: { topics: TopicMetadata[] } | TopicMetadata[]): TopicMetadata[] {
  return Array.isArray(answer) ? answer : answer.topics;
}

/**
 * Resolves once every topic of `topics` has at least one partition and a leader for each; retries
 * errors (an unknown topic, a leader not elected yet) until `timeoutMs`, then throws naming the topics
 * still missing and the last error.
 */
export async function waitForTopicLeaders(admin: TopicMetadataSource, topics: string[], timeoutMs = TOPIC_LEADERS_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...topics];
  let lastError: unknown = null;
  while (waiting.length > 0) {
    try {
      const served = servedTopics(await admin.fetchTopicMetadata({ topics: waiting }));
      const ready = new Set(
        served
          .filter((topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0))
          .map((topic) => topic.name),
      );
      waiting = waiting.filter((topic) => !ready.has(topic));
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (waiting.length === 0) return;
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`the broker did not serve the new topics ${waiting.join(', ')} within ${timeoutMs} ms${reason}`, { cause: lastError ?? undefined });
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** The part of kafkajs's admin that creates topics (its `waitForLeaders` is true unless told). */
interface TopicCreator<T> extends TopicMetadataSource {
  createTopics(options: { topics: T[]; waitForLeaders?: boolean }): Promise<boolean>;
}

/** Creates `topics` with kafkajs's admin and waits until the broker serves every one of them. */
export async function createServedTopics<T extends { topic: string }>(admin: TopicCreator<T>, topics: T[], timeoutMs = TOPIC_LEADERS_TIMEOUT_MS): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  await waitForTopicLeaders(admin, topics.map((entry) => entry.topic), timeoutMs);
}
