import type { OutputValue, TagValue } from '../model/tag-value';

/**
 * The message bus: raw values in, computed values out. The embedded bus lives in the process; the
 * Kafka bus uses the topics of messages.md.
 *
 * Delivery: `consume` hands batches to the handler one at a time; the handler resolves once the
 * outputs computed from the batch have been published and acknowledged, and only then does the
 * bus commit the batch's offsets (at-least-once).
 */

export interface InputBatch {
  values: TagValue[];
  /** Messages, or elements of array messages, that could not be decoded (already counted, logged and sent to the DLQ). */
  rejected: number;
  /** Keeps the consumer's session alive during long work (Kafka heartbeats); no-op elsewhere. */
  heartbeat(): Promise<void>;
  /**
   * Where the values came from (Kafka): the partition, the offset of each value's message (parallel
   * to `values`) and the offset to consume next once the batch is done. Scale-out uses it to skip
   * what restored state already reflects and to stamp its checkpoints.
   */
  origin?: { partition: number; offsets: number[]; nextOffset: number };
}

/**
 * Resolves once the batch's outputs are acknowledged; only then may its offsets be committed. A Kafka
 * bus with KAFKA_PIPELINE_DEPTH > 1 calls it for a partition's next batch before the previous one has
 * resolved: a handler must then evaluate and publish its batches in the order it was called (the value
 * pipeline does: one queue of passes, publications in order).
 */
export type InputHandler = (batch: InputBatch) => Promise<void>;

export interface BusCounters {
  messagesIn: number;
  valuesIn: number;
  rejectedIn: number;
  valuesOut: number;
  /**
   * Input not yet handled: for Kafka the consumer group's lag (end of each input partition minus its
   * committed offset, refreshed every few seconds); for the embedded bus the values waiting in its queue.
   */
  lag: number;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';

  /** Starts consuming raw values. Returns once the consumer runs. */
  consume(handler: InputHandler): Promise<void>;

  /** Publishes raw values to the input topic (POST /api/values, the simulator). */
  publishRaw(values: readonly TagValue[]): Promise<void>;

  /** Publishes computed values to the output topic; resolves when acknowledged (acks=all). */
  publishOutputs(values: readonly OutputValue[]): Promise<void>;

  /** Calls `listener` for every value published on the output topic (the web's live mirror). */
  watchOutputs?(listener: (values: OutputValue[]) => void): Promise<void>;

  /** Calls `listener` for every raw value arriving on the input topic, without joining the workers' group. */
  watchInputs?(listener: (values: TagValue[]) => void): Promise<void>;

  counters(): BusCounters;

  /**
   * Whether this process is the one consuming the input (the active worker of its group). Standby
   * workers do not run periodic scripts. Always true for the embedded bus.
   */
  isActive?(): boolean;

  /**
   * The members of the workers' consumer group and their partitions of `topic` (default: the input
   * topic), as the broker reports them (GET /api/workers). Kafka only.
   */
  describeMembers?(topic?: string): Promise<Array<{ memberId: string; clientId: string; host: string; partitions: number[] }>>;

  /** Resolves when the bus is reachable; throws OperationalError naming it otherwise. */
  ping(): Promise<void>;

  /** Stops fetching, lets the batch in hand finish and commit, disconnects. */
  stop(): Promise<void>;
}
