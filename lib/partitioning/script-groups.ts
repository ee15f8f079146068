import type { TagValue } from '../model/tag-value';

/**
 * Scale-out (scale-out.md, WORKER_MODE=partitioned): the registered scripts split into script
 * groups — connected sets of the dependency graph (a script and every script reading its outputs,
 * transitively, and so on both ways) — each with a stable key and the routed-topic partition it
 * maps to. Pure functions: every router and every engine of the consumer group computes the same
 * plan from the same registered scripts.
 *
 * The key of a group is the smallest script id among its members. It stays the same while the
 * membership is the same (it depends on nothing else: not on names, versions, order or time), and
 * beyond that it also survives most changes: when two groups merge, the merged group keeps the key
 * (and so the partition) of one of them; when a group splits, the part holding the smallest id keeps
 * it. So a regrouping moves as little state as possible. The partition of a group is its key's hash
 * partition unless that one is already full (`placeGroups`: every partition gets about the same
 * number of scripts).
 */

export interface GroupableScript {
  id: string;
  inputTags: readonly string[];
  outputTags: readonly string[];
}

export interface ScriptGroup {
  key: string;
  /** Partition of the routed topic (and of the state topic) this group belongs to. */
  partition: number;
  /** Member script ids, sorted. */
  scriptIds: string[];
}

export interface PartitionPlan {
  partitions: number;
  groups: ScriptGroup[];
  /** Script id → its group. */
  groupOf: ReadonlyMap<string, ScriptGroup>;
  /** Raw or output tag → the keys of the groups with a script reading it (sorted, no repeats). */
  readers: ReadonlyMap<string, readonly string[]>;
}

/** The connected groups of `scripts` with their keys and partitions. */
export function planPartitions(scripts: readonly GroupableScript[], partitions: number): PartitionPlan {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`the routed topic needs at least 1 partition (got ${partitions})`);
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path halving keeps later look-ups short.
    let node = id;
    while (parent.get(node) !== root) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller id becomes the root: the root of a set is its key.
    if (ra < rb) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  for (const script of scripts) parent.set(script.id, script.id);
  const producers = new Map<string, string>();
  for (const script of scripts) for (const tag of script.outputTags) producers.set(tag, script.id);
  for (const script of scripts) {
    for (const tag of script.inputTags) {
      const producer = producers.get(tag);
      if (producer !== undefined && producer !== script.id) union(producer, script.id);
    }
  }
  const members = new Map<string, string[]>();
  for (const script of scripts) {
    const root = find(script.id);
    const list = members.get(root);
    if (list) list.push(script.id);
    else members.set(root, [script.id]);
  }
  const groups: ScriptGroup[] = [...members.entries()]
    .map(([key, ids]) => ({ key, partition: 0, scriptIds: [...new Set(ids)].sort() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  placeGroups(groups, partitions);
  const groupOf = new Map<string, ScriptGroup>();
  for (const group of groups) for (const id of group.scriptIds) groupOf.set(id, group);
  const readerSets = new Map<string, Set<string>>();
  for (const script of scripts) {
    const key = groupOf.get(script.id)!.key;
    for (const tag of script.inputTags) {
      let set = readerSets.get(tag);
      if (!set) readerSets.set(tag, (set = new Set()));
      set.add(key);
    }
  }
  const readers = new Map<string, string[]>();
  for (const [tag, keys] of readerSets) readers.set(tag, [...keys].sort());
  return { partitions, groups, groupOf, readers };
}

/**
 * Places the groups (sorted by key) on the partitions so that each partition holds about the same
 * number of scripts (the work of a group grows with its scripts), as a hash alone does not: 200
 * groups hashed onto 32 partitions left one of three workers with up to 40 % of the work.
 *   1. Each group, in key order, stays at its key's hash partition (`partitionOf`) while that keeps
 *      the partition within the mean (scripts ÷ partitions).
 *   2. The rest, in key order, go to the first partition from their hash partition on (wrapping)
 *      that half the group still leaves within the mean; if none, to the least loaded (the first
 *      of them from the hash partition on).
 * Every router and engine computes the same placement from the same scripts. It is stable under
 * small changes: most groups stay at their hash partition, whatever the others do; a registration
 * that adds, removes, splits or merges a group moves a few others (0–2 of 200 for a new one-script
 * group, ≈ 5 for groups of 5 in simulations), and
 * a moved group takes its state with it like any regrouping (scale-out.md, "Changes").
 */
function placeGroups(groups: ScriptGroup[], partitions: number): void {
  let total = 0;
  for (const group of groups) total += group.scriptIds.length;
  const mean = total / partitions;
  const load = new Array<number>(partitions).fill(0);
  const rest: ScriptGroup[] = [];
  for (const group of groups) {
    const home = partitionOf(group.key, partitions);
    if (load[home] + group.scriptIds.length <= mean) {
      group.partition = home;
      load[home] += group.scriptIds.length;
    } else rest.push(group);
  }
  for (const group of rest) {
    const weight = group.scriptIds.length;
    const home = partitionOf(group.key, partitions);
    let chosen = -1;
    let least = home;
    for (let step = 0; step < partitions && chosen < 0; step++) {
      const candidate = (home + step) % partitions;
      if (load[candidate] + weight / 2 <= mean) chosen = candidate;
      else if (load[candidate] < load[least]) least = candidate;
    }
    group.partition = chosen < 0 ? least : chosen;
    load[group.partition] += weight;
  }
}

/**
 * The hash partition of a group key (where `planPartitions` places the group unless that partition
 * is already full): FNV-1a (32 bits) of its UTF-8 bytes modulo the partition count.
 * Our own function, not the Kafka client's partitioner: records are produced to an explicit
 * partition, so the routers, the engines and the state topic agree whatever the client.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** Values for one group, in the order they arrived (so the order of one tag's values is kept). */
export interface RoutedBatch {
  key: string;
  partition: number;
  values: TagValue[];
}

/**
 * Splits a batch of raw values into one batch per script group reading any of them. A value read by
 * scripts of several groups goes to each; a value no script reads is dropped (counted by the caller).
 */
export function routeValues(values: readonly TagValue[], plan: PartitionPlan): { batches: RoutedBatch[]; unread: number } {
  const byKey = new Map<string, RoutedBatch>();
  let unread = 0;
  for (const value of values) {
    const keys = plan.readers.get(value.tag);
    if (!keys) {
      unread++;
      continue;
    }
    for (const key of keys) {
      let batch = byKey.get(key);
      if (!batch) {
        // A group's key is the id of one of its scripts.
        const partition = plan.groupOf.get(key)!.partition;
        byKey.set(key, (batch = { key, partition, values: [] }));
      }
      batch.values.push(value);
    }
  }
  return { batches: [...byKey.values()], unread };
}

/**
 * What a regrouping moves: scripts whose partition changed from `before` to `after` (a script new
 * in `after` has no previous partition and moves nothing).
 */
export function movedScripts(before: PartitionPlan, after: PartitionPlan): Array<{ id: string; from: number; to: number }> {
  const moved: Array<{ id: string; from: number; to: number }> = [];
  for (const [id, group] of after.groupOf) {
    const previous = before.groupOf.get(id);
    if (previous && previous.partition !== group.partition) moved.push({ id, from: previous.partition, to: group.partition });
  }
  return moved;
}
