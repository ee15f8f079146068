import { describe, expect, it } from 'vitest';
import { createServedTopics, waitForTopicLeaders, type TopicMetadataSource } from './topic-leaders';

type Answer = Awaited<ReturnType<TopicMetadataSource['fetchTopicMetadata']>>;

/** A metadata source that answers each call with the next of `answers` (an Error is thrown). */
function source(answers: Array<Answer | Error>): TopicMetadataSource & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    async fetchTopicMetadata({ topics }) {
      asked.push(topics);
      const answer = answers[Math.min(asked.length - 1, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const served = (name: string, leaders: number[]) => ({ name, partitions: leaders.map((leader, partitionId) => ({ partitionId, leader })) });

describe('waiting for new topics to be served', () => {
  it('retries an unknown topic and a leader not elected yet, and asks again only for the topics still missing', async () => {
    const admin = source([
      new Error('This server does not host this topic-partition'),
      { topics: [served('in', [1, -1]), served('out', [1])] },
      { topics: [served('in', [1, 1])] },
    ]);
    await waitForTopicLeaders(admin, ['in', 'out'], 5_000);
    expect(admin.asked).toEqual([['in', 'out'], ['in', 'out'], ['in']]);
  });

  it('reads the confluent client\'s answer (the array itself) as kafkajs\'s', async () => {
    const admin = source([[served('in', [])], [served('in', [0])]]);
    await waitForTopicLeaders(admin, ['in'], 5_000);
    expect(admin.asked).toHaveLength(2);
  });

  it('gives up after the timeout naming the topics still missing and the last error', async () => {
    const admin = source([new Error('This server does not host this topic-partition')]);
    await expect(waitForTopicLeaders(admin, ['in'], 300)).rejects.toThrow(
      'the broker did not serve the new topics in within 300 ms: This server does not host this topic-partition',
    );
    expect(admin.asked.length).toBeGreaterThan(1);
  });

  it('creates without kafkajs\'s own wait for leaders, then waits', async () => {
    const created: unknown[] = [];
    const admin = {
      ...source([{ topics: [] }, { topics: [served('in', [0])] }]),
      async createTopics(options: { topics: Array<{ topic: string }>; waitForLeaders?: boolean }) {
        created.push(options);
        return true;
      },
    };
    await createServedTopics(admin, [{ topic: 'in' }], 5_000);
    expect(created).toEqual([{ topics: [{ topic: 'in' }], waitForLeaders: false }]);
    expect(admin.asked).toHaveLength(2);
  });
});
