import type { TagState } from '../model/tag-value';
import type { CapturedScriptState } from './engine';

/**
 * Scale-out (scale-out.md, WORKER_MODE=partitioned): the compacted state topic, one record per
 * script (keyed by its id) in the partition of the script's group in the routed topic.
 */

export interface ScriptStateRecord {
  scriptId: string;
  version: number;
  /** The routed offset this state reflects: every record of its partition before it is in it. */
  routedOffset: number;
  /** Static variables (or why they do not serialise). */
  state: CapturedScriptState['state'];
  /** Latest values of the script's inputs and last published values of its outputs. */
  tags: TagState[];
  writtenAt: number;
}

export interface StateWrite {
  partition: number;
  scriptId: string;
  /** null writes a tombstone (the script left the partition or was removed). */
  record: ScriptStateRecord | null;
}

export interface StateTopic {
  /** Resolves when every record is acknowledged by the broker (acks=all). */
  write(entries: readonly StateWrite[]): Promise<void>;
  /** The partition's records read to the partition's current end (tombstoned ones left out). */
  readPartition(partition: number): Promise<Map<string, ScriptStateRecord>>;
  counters(): { written: number; restored: number };
  stop(): Promise<void>;
}
