import type { PackedValues } from '../../model/packed-values';
import type { BusCounters } from '../../ports/bus';
import type { KafkaBusOptions } from './kafka-bus';

/**
 * The messages between the main thread's Kafka bus (`threaded-kafka-bus.ts`) and the bus thread
 * that runs kafkajs (`bus-thread-server.ts`, BUS_THREAD, docs/decisions/0021-bus-thread.md). One
 * module, imported by both sides. Values cross as packed lanes (lib/model/packed-values.ts).
 */

/** What the thread is started with (workerData): the bus's options without the logger, and the log level. */
export interface BusThreadData {
  readonly options: Omit<KafkaBusOptions, 'logger' | 'onAssignment'>;
  readonly logLevel: string;
}

/** Main thread → bus thread. */
export type BusThreadRequest =
  /** Starts consuming; answered once the consumer runs (or why not). */
  | { op: 'consume'; id: number }
  /** Publishes outputs (acks=all); answered when acknowledged. */
  | { op: 'publish'; id: number; packed: PackedValues }
  /** Stops fetching, lets the batch in hand finish and commit, disconnects; answered when done. */
  | { op: 'stop'; id: number }
  /** The input batch `batch` was handled (its outputs acknowledged), or failed: `error`. */
  | { op: 'done'; batch: number; error?: string };

/** Bus thread → main thread. */
export type BusThreadMessage =
  /** `counters` after a publication, so the main thread's copy follows the outputs. */
  | { op: 'reply'; id: number; error?: string; counters?: BusCounters }
  /** A decoded input batch for the main thread's handler, with the counters that include it. */
  | { op: 'batch'; batch: number; packed: PackedValues; rejected: number; counters: BusCounters }
  /** The bus's counters and whether it holds input partitions: after each rebalance, and every second. */
  | { op: 'status'; counters: BusCounters; active: boolean };
