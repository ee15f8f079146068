import { QUALITIES, VALUE_REASONS, type TagScalar, type TagValue } from '../model/tag-value';
import { LANE_FALSE, LANE_NULL, LANE_NUMBER, LANE_STRING, LANE_TRUE, QUALITY_CODE as QUALITY_INDEX, lanes as packedLanes, type PackedValues } from '../model/packed-values';
import type { TagCatalog } from '../tags/tag-catalog';

/**
 * A pass's raw values as lanes by tag id (Engine.ingestLanes): the tag as its catalog id
 * (TagCatalog.idOf), numbers inline, nothing allocated per value. The layout follows the packed
 * lanes of lib/model/packed-values.ts (the same codes for kinds, qualities and reasons), with the
 * catalog's ids instead of a per-channel table.
 */
export interface ValueLanes {
  count: number;
  ts: Float64Array;
  /** The number, or for a string the index into `strings`. */
  num: Float64Array;
  /** Catalog ids (TagCatalog.idOf). */
  tag: Uint32Array;
  kind: Uint8Array;
  /** Index into QUALITIES. */
  quality: Uint8Array;
  /** 0: none, else 1 + index into VALUE_REASONS. */
  reason: Uint8Array;
  strings: string[];
  /** The values these lanes were made from, when they came as objects (handed to a follower as they are). */
  objects?: readonly TagValue[];
}

// The kind codes and quality indexes of the packed lanes, so that packed lanes are read as they are.
export { LANE_FALSE, LANE_NULL, LANE_NUMBER, LANE_STRING, LANE_TRUE } from '../model/packed-values';

export function emptyLanes(count: number): ValueLanes {
  return {
    count,
    ts: new Float64Array(count),
    num: new Float64Array(count),
    tag: new Uint32Array(count),
    kind: new Uint8Array(count),
    quality: new Uint8Array(count),
    reason: new Uint8Array(count),
    strings: [],
  };
}

/** Writes one value at `i` (the tag already resolved to its id). */
export function setLane(lanes: ValueLanes, i: number, id: number, value: TagScalar, ts: number, quality: TagValue['quality'], reason: TagValue['reason']): void {
  lanes.tag[i] = id;
  lanes.ts[i] = ts;
  if (typeof value === 'number') {
    lanes.kind[i] = LANE_NUMBER;
    lanes.num[i] = value;
  } else if (typeof value === 'string') {
    lanes.kind[i] = LANE_STRING;
    lanes.num[i] = lanes.strings.length;
    lanes.strings.push(value);
  } else if (value === null) lanes.kind[i] = LANE_NULL;
  else lanes.kind[i] = value ? LANE_TRUE : LANE_FALSE;
  lanes.quality[i] = QUALITY_INDEX[quality];
  lanes.reason[i] = reason === undefined ? 0 : VALUE_REASONS.indexOf(reason) + 1;
}

/** Values as objects to lanes (in-process callers), in timestamp order as a pass applies them. */
export function lanesOf(catalog: TagCatalog, values: readonly TagValue[]): ValueLanes {
  const lanes = emptyLanes(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    setLane(lanes, i, catalog.idOf(value.tag), value.value, value.ts, value.quality, value.reason);
  }
  lanes.objects = values;
  return sortedLanes(lanes);
}

/** The scalar at `i`. */
export function scalarAt(lanes: ValueLanes, i: number): TagScalar {
  const kind = lanes.kind[i];
  return kind === LANE_NUMBER ? lanes.num[i] : kind === LANE_STRING ? lanes.strings[lanes.num[i]] : kind === LANE_NULL ? null : kind === LANE_TRUE;
}

/** The value at `i` as an object (only where one is handed on: a followed tag). */
export function valueAt(lanes: ValueLanes, catalog: TagCatalog, i: number): TagValue {
  if (lanes.objects) return lanes.objects[i];
  const value: TagValue = { tag: catalog.nameOf(lanes.tag[i]), value: scalarAt(lanes, i), ts: lanes.ts[i], quality: QUALITIES[lanes.quality[i]] };
  const reason = lanes.reason[i];
  if (reason !== 0) value.reason = VALUE_REASONS[reason - 1];
  return value;
}

/** The lanes in timestamp order (a stable sort; the same lanes when already in order). */
export function sortedLanes(lanes: ValueLanes): ValueLanes {
  const n = lanes.count;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (lanes.ts[i] < lanes.ts[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return lanes;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lanes.ts[a] - lanes.ts[b] || a - b);
  const out = emptyLanes(n);
  out.strings = lanes.strings;
  order.forEach((from, to) => {
    out.ts[to] = lanes.ts[from];
    out.num[to] = lanes.num[from];
    out.tag[to] = lanes.tag[from];
    out.kind[to] = lanes.kind[from];
    out.quality[to] = lanes.quality[from];
    out.reason[to] = lanes.reason[from];
  });
  if (lanes.objects) out.objects = order.map((from) => lanes.objects![from]);
  return out;
}

/** A map by tag name as an array by catalog id (ids assigned now for tags never seen). */
export function byTagId<T>(byName: ReadonlyMap<string, T>, catalog: TagCatalog): Array<T | undefined> {
  const byId: Array<T | undefined> = [];
  for (const [tag, entry] of byName) byId[catalog.idOf(tag)] = entry;
  return byId;
}

/**
 * Packed values (lib/model/packed-values.ts) as lanes by catalog id: the number, kind, quality and
 * reason lanes are used as they are; each tag name of the batch is resolved once. Without `table` the
 * batch must carry its own tag table (a packer per batch); with it, the batch's new names are appended
 * to `table` (the channel's, kept from batch to batch: names cross once, ids after that).
 */
export function lanesOfPacked(catalog: TagCatalog, packed: PackedValues, table?: number[]): ValueLanes {
  const n = packed.count;
  const lane = packedLanes(packed.buffer, n);
  // A channel's table (catalog ids by the sender's tag index) learns the batch's new names; without one the batch carries all of its own.
  const ids = table ?? [];
  for (const tag of packed.newTags) ids.push(catalog.idOf(tag));
  const tag = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[lane.tag[i]];
    if (id === undefined) throw new Error(`packed values name tag #${lane.tag[i]}, which their batch${table ? "'s channel" : ''} does not list`);
    tag[i] = id;
  }
  return sortedLanes({ count: n, ts: lane.ts, num: lane.num, tag, kind: lane.kind, quality: lane.quality, reason: lane.reason, strings: packed.strings });
}
