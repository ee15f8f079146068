import { ConfluentBus, loadConfluentKafkaJS } from '../adapters/bus/confluent-bus';
import { ConfluentStateTopic } from '../adapters/bus/confluent-state-topic';
import { KafkaBus, type ScaleOutBus } from '../adapters/bus/kafka-bus';
import { KafkaStateTopic } from '../adapters/bus/kafka-state-topic';
import type { Config } from '../config/config';
import type { Logger } from '../support/logger';

/**
 * WORKER_MODE=partitioned on kafkajs (scale-out.md, docs/decisions/0015): in each worker process a
 * router bus (input topic, group `<KAFKA_GROUP_ID>-router`, partitions spread over the routers)
 * and an engine bus (routed topic, group KAFKA_GROUP_ID, partitions spread over the engines,
 * outputs to the output topic), and the state topic.
 */
export interface ScaleOutAdapters {
  routedTopic: string;
  stateTopic: string;
  router: ScaleOutBus;
  engineBus: ScaleOutBus;
  state: KafkaStateTopic;
  stop(): Promise<void>;
}

export function scaleOutTopics(config: Config): { routed: string; state: string } {
  return {
    routed: config.KAFKA_ROUTED_TOPIC ?? `${config.KAFKA_GROUP_ID}.routed`,
    state: config.KAFKA_STATE_TOPIC ?? `${config.KAFKA_GROUP_ID}.state`,
  };
}

export async function openScaleOut(config: Config, log: Logger, onAssignment: (partitions: number[]) => void): Promise<ScaleOutAdapters> {
  const brokers = (config.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim());
  const topics = scaleOutTopics(config);
  const partitions = config.KAFKA_ROUTED_PARTITIONS;
  const extraTopics = [
    { topic: topics.routed, numPartitions: partitions },
    { topic: topics.state, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ];
  // KAFKA_CLIENT (docs/decisions/0016): kafkajs, or librdkafka with cooperative-sticky rebalancing.
  const confluent = config.KAFKA_CLIENT === 'confluent';
  // Absent (an optional package built from source): the worker stops at start, saying how to install it.
  if (confluent) await loadConfluentKafkaJS();
  const Bus = confluent ? ConfluentBus : KafkaBus;
  const instance = (part: string) => (confluent && config.KAFKA_GROUP_INSTANCE_ID ? { groupInstanceId: `${config.KAFKA_GROUP_INSTANCE_ID}-${part}` } : {});
  const router = new Bus({
    brokers,
    inputTopic: config.KAFKA_INPUT_TOPIC,
    outputTopic: config.KAFKA_OUTPUT_TOPIC,
    groupId: `${config.KAFKA_GROUP_ID}-router`,
    dlqTopic: config.KAFKA_DLQ_TOPIC,
    createTopics: config.KAFKA_CREATE_TOPICS,
    extraTopics,
    assigner: 'spread',
    ...(confluent ? instance('router') : { clientId: 'script-server-router' }),
    logger: log.child({ part: 'router' }),
  });
  const engineBus = new Bus({
    brokers,
    inputTopic: topics.routed,
    inputFormat: 'routed',
    // A worker holds many routed partitions (32 / workers): their batches handled together share
    // one engine pass, one produce of outputs and one checkpoint (value-pipeline.ts, partitioned-worker.ts).
    partitionsConcurrently: Math.max(4, partitions),
    outputTopic: config.KAFKA_OUTPUT_TOPIC,
    groupId: config.KAFKA_GROUP_ID,
    createTopics: config.KAFKA_CREATE_TOPICS,
    extraTopics,
    assigner: 'spread',
    onAssignment,
    ...(confluent ? instance('engine') : { clientId: 'script-server-engine' }),
    logger: log.child({ part: 'engine-bus' }),
  });
  const state = new (confluent ? ConfluentStateTopic : KafkaStateTopic)({ brokers, topic: topics.state, groupId: config.KAFKA_GROUP_ID, logger: log, bus: engineBus });
  return {
    routedTopic: topics.routed,
    stateTopic: topics.state,
    router,
    engineBus,
    state,
    stop: async () => {
      await router.stop();
      await engineBus.stop();
      await state.stop();
    },
  };
}
