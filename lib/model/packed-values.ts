import { isoTime, QUALITIES, VALUE_REASONS, type OutputValue, type Quality, type TagScalar, type TagValue, type ValueReason } from './tag-value';

/**
 * Tag values as lanes of one transferable ArrayBuffer, for handing batches between threads without
 * structured-cloning an object per value (docs/decisions/0021-bus-thread.md).
 *
 * Layout for n values: ts f64[n] · number f64[n] · tag u32[n] · lineage u32[n] · kind u8[n] ·
 * quality u8[n] · reason u8[n]. A tag is an index into a table both sides keep: the encoder sends
 * only the names the decoder has not seen yet (`newTags`), in order, so the two tables stay equal as
 * long as every packed batch is decoded once, in the order it was encoded — one channel, one encoder,
 * one decoder. Output lineage ({id, name, version}) is interned the same way. Strings (string values)
 * travel in `strings`, indexed by the number lane.
 */

export interface PackedValues {
  count: number;
  buffer: ArrayBuffer;
  /** Tag names first seen in this batch, appended to the decoder's table in this order. */
  newTags: string[];
  /** Lineages first seen in this batch (outputs only). */
  newLineages: Array<OutputValue['script']>;
  /** String values of this batch, indexed by the number lane. */
  strings: string[];
}

export const LANE_NUMBER = 0;
export const LANE_FALSE = 1;
export const LANE_TRUE = 2;
export const LANE_NULL = 3;
export const LANE_STRING = 4;
const NO_LINEAGE = 0xffffffff;
/** Bytes per value: two f64 lanes, two u32 lanes, three u8 lanes. */
const BYTES_PER_VALUE = 8 + 8 + 4 + 4 + 3;

export const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export interface Lanes {
  ts: Float64Array;
  num: Float64Array;
  tag: Uint32Array;
  lineage: Uint32Array;
  kind: Uint8Array;
  quality: Uint8Array;
  reason: Uint8Array;
}

/** The lanes of a packed buffer of `n` values, as views (kind, quality and reason codes as in lib/engine/value-lanes.ts). */
export function lanes(buffer: ArrayBuffer, n: number): Lanes {
  return {
    ts: new Float64Array(buffer, 0, n),
    num: new Float64Array(buffer, 8 * n, n),
    tag: new Uint32Array(buffer, 16 * n, n),
    lineage: new Uint32Array(buffer, 20 * n, n),
    kind: new Uint8Array(buffer, 24 * n, n),
    quality: new Uint8Array(buffer, 25 * n, n),
    reason: new Uint8Array(buffer, 26 * n, n),
  };
}

/**
 * The packed batch an array of values was unpacked from, with the receiver's tables its indices refer
 * to: a thread that only passes the values on (the main thread, between the bus thread and the engine
 * thread) forwards the lanes re-indexed instead of packing every value again — values cross packed.
 * Arrays unpacked here are never written to afterwards; the count guards against one that was.
 */
interface PackedForm {
  packed: PackedValues;
  tags: readonly string[];
  lineages: ReadonlyArray<OutputValue['script']>;
  /** The receiver's JSON caches (its `outputMessages`'), kept with a receiver that lives across batches. */
  tagJson?: string[];
  lineageJson?: string[];
}
const packedForms = new WeakMap<readonly object[], PackedForm>();

/** The sending side of one channel. */
export class ValuePacker {
  private readonly tags = new Map<string, number>();
  private readonly lineages = new Map<string, number>();
  /** The same lineage object comes with every output of a script: found without building its key. */
  private readonly lineageOf = new WeakMap<object, number>();

  /** Tag names and lineages this side has sent so far: the receiver's tables must be as long before it takes the next batch. */
  get known(): [tags: number, lineages: number] {
    return [this.tags.size, this.lineages.size];
  }

  pack(values: readonly (TagValue | OutputValue)[]): PackedValues {
    const form = packedForms.get(values);
    if (form && form.packed.count === values.length && form.packed.buffer.byteLength > 0) return this.repack(form);
    const n = values.length;
    const buffer = new ArrayBuffer(n * BYTES_PER_VALUE);
    const lane = lanes(buffer, n);
    const newTags: string[] = [];
    const newLineages: Array<OutputValue['script']> = [];
    const strings: string[] = [];
    for (let i = 0; i < n; i++) {
      const value = values[i];
      let tag = this.tags.get(value.tag);
      if (tag === undefined) {
        tag = this.tags.size;
        this.tags.set(value.tag, tag);
        newTags.push(value.tag);
      }
      lane.tag[i] = tag;
      lane.ts[i] = value.ts;
      const scalar = value.value;
      if (typeof scalar === 'number') {
        lane.kind[i] = LANE_NUMBER;
        lane.num[i] = scalar;
      } else if (typeof scalar === 'string') {
        lane.kind[i] = LANE_STRING;
        lane.num[i] = strings.length;
        strings.push(scalar);
      } else if (scalar === null) lane.kind[i] = LANE_NULL;
      else lane.kind[i] = scalar ? LANE_TRUE : LANE_FALSE;
      lane.quality[i] = QUALITY_CODE[value.quality];
      lane.reason[i] = value.reason === undefined ? 0 : VALUE_REASONS.indexOf(value.reason) + 1;
      const script = (value as Partial<OutputValue>).script;
      if (script === undefined) lane.lineage[i] = NO_LINEAGE;
      else lane.lineage[i] = this.lineageOf.get(script) ?? this.intern(script, newLineages);
    }
    return { count: n, buffer, newTags, newLineages, strings };
  }

  /** The lanes of a batch unpacked on this thread, copied with their tag and lineage indices mapped to this channel's tables. */
  private repack({ packed, tags, lineages }: PackedForm): PackedValues {
    const n = packed.count;
    const buffer = packed.buffer.slice(0, n * BYTES_PER_VALUE);
    const lane = lanes(buffer, n);
    const newTags: string[] = [];
    const newLineages: Array<OutputValue['script']> = [];
    // Index in the received table + 1 → index in this channel's table + 1 (0: not looked up yet).
    const tagMap = new Uint32Array(tags.length + 1);
    const lineageMap = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const from = lane.tag[i];
      let tag = tagMap[from + 1] - 1;
      if (tag < 0) {
        const name = tags[from];
        tag = this.tags.get(name) ?? -1;
        if (tag < 0) {
          tag = this.tags.size;
          this.tags.set(name, tag);
          newTags.push(name);
        }
        tagMap[from + 1] = tag + 1;
      }
      lane.tag[i] = tag;
      const fromLineage = lane.lineage[i];
      if (fromLineage === NO_LINEAGE) continue;
      let lineage = lineageMap.get(fromLineage);
      if (lineage === undefined) {
        const script = lineages[fromLineage];
        lineage = this.lineageOf.get(script) ?? this.intern(script, newLineages);
        lineageMap.set(fromLineage, lineage);
      }
      lane.lineage[i] = lineage;
    }
    return { count: n, buffer, newTags, newLineages, strings: packed.strings };
  }

  private intern(script: OutputValue['script'], newLineages: Array<OutputValue['script']>): number {
    const key = `${script.id}\u0000${script.version}\u0000${script.name}`;
    let lineage = this.lineages.get(key);
    if (lineage === undefined) {
      lineage = this.lineages.size;
      this.lineages.set(key, lineage);
      newLineages.push({ id: script.id, name: script.name, version: script.version });
    }
    this.lineageOf.set(script, lineage);
    return lineage;
  }
}

/** The receiving side of one channel: rebuilds the values, sharing one string per tag name. */
export class ValueUnpacker {
  private readonly tags: string[] = [];
  private readonly lineages: Array<OutputValue['script']> = [];
  /** For outputMessages: each tag's and each lineage's part of an output's JSON, made once per channel. */
  private readonly tagJson: string[] = [];
  private readonly lineageJson: string[] = [];

  /** Tag names and lineages received so far (see `ValuePacker.known`). */
  get known(): [tags: number, lineages: number] {
    return [this.tags.length, this.lineages.length];
  }

  private learn(packed: PackedValues): void {
    for (const tag of packed.newTags) this.tags.push(tag);
    for (const lineage of packed.newLineages) this.lineages.push(lineage);
  }

  unpack(packed: PackedValues): Array<TagValue | OutputValue> {
    this.learn(packed);
    const n = packed.count;
    const lane = lanes(packed.buffer, n);
    const values: Array<TagValue | OutputValue> = new Array(n);
    for (let i = 0; i < n; i++) {
      const tag = this.tags[lane.tag[i]];
      if (tag === undefined) throw new Error(`packed values name tag #${lane.tag[i]}, which this side never received`);
      const kind = lane.kind[i];
      const scalar: TagScalar =
        kind === LANE_NUMBER ? lane.num[i] : kind === LANE_STRING ? packed.strings[lane.num[i]] : kind === LANE_NULL ? null : kind === LANE_TRUE;
      const value: TagValue = { tag, value: scalar, ts: lane.ts[i], quality: QUALITIES[lane.quality[i]] };
      const reason = lane.reason[i];
      if (reason !== 0) value.reason = VALUE_REASONS[reason - 1] as ValueReason;
      const lineage = lane.lineage[i];
      if (lineage !== NO_LINEAGE) (value as OutputValue).script = this.lineages[lineage];
      values[i] = value;
    }
    packedForms.set(values, { packed, tags: this.tags, lineages: this.lineages, tagJson: this.tagJson, lineageJson: this.lineageJson });
    return values;
  }

  /**
   * Packed outputs as the output topic's messages (messages.md: keyed by the tag, the output's JSON
   * as its value), written straight from the lanes: no object per output and no generic
   * JSON.stringify walk, each tag's and lineage's JSON made once per channel. The bus thread encodes
   * what it publishes this way (docs/decisions/0021); byte for byte what `outputMessage` writes.
   */
  outputMessages(packed: PackedValues): Array<{ key: string; value: string }> {
    this.learn(packed);
    return writeOutputMessages(packed, this.tags, this.lineages, this.tagJson, this.lineageJson);
  }
}

/**
 * The output topic's messages of outputs unpacked on this thread (a pass's result), written from
 * the lanes they were unpacked from as `ValueUnpacker.outputMessages` writes them; undefined for
 * outputs that came as objects (then `outputMessage` writes each).
 */
export function outputMessagesOf(values: readonly OutputValue[]): Array<{ key: string; value: string }> | undefined {
  const form = packedForms.get(values);
  if (!form || form.packed.count !== values.length || (values.length > 0 && form.packed.buffer.byteLength === 0)) return undefined;
  return writeOutputMessages(form.packed, form.tags, form.lineages, form.tagJson ?? [], form.lineageJson ?? []);
}

/** `outputMessages` with the receiver's tables and its JSON caches (filled as it goes) given. */
function writeOutputMessages(
  packed: PackedValues,
  tags: readonly string[],
  lineages: ReadonlyArray<OutputValue['script']>,
  tagJson: string[],
  lineageJson: string[],
): Array<{ key: string; value: string }> {
  const n = packed.count;
  const lane = lanes(packed.buffer, n);
  const messages: Array<{ key: string; value: string }> = new Array(n);
  for (let i = 0; i < n; i++) {
    const index = lane.tag[i];
    const tag = tags[index];
    const lineage = lane.lineage[i];
    if (tag === undefined) throw new Error(`packed values name tag #${index}, which this side never received`);
    if (lineage === NO_LINEAGE) throw new Error(`packed value #${i} (${tag}) is not an output: it names no script`);
    const head = (tagJson[index] ??= `{"tag":${JSON.stringify(tag)},"value":`);
    const script = (lineageJson[lineage] ??= scriptJson(lineages[lineage]));
    const kind = lane.kind[i];
    const scalar =
      kind === LANE_NUMBER ? JSON.stringify(lane.num[i]) : kind === LANE_STRING ? JSON.stringify(packed.strings[lane.num[i]]) : kind === LANE_NULL ? 'null' : kind === LANE_TRUE ? 'true' : 'false';
    const reason = lane.reason[i];
    const tail = reason === 0 ? '}' : `,"reason":${JSON.stringify(VALUE_REASONS[reason - 1])}}`;
    messages[i] = { key: tag, value: `${head}${scalar},"ts":"${isoTime(lane.ts[i])}","quality":"${QUALITIES[lane.quality[i]]}"${script}${tail}` };
  }
  return messages;
}

function scriptJson({ id, name, version }: OutputValue['script']): string {
  return `,"script":${JSON.stringify({ id, name, version })}`;
}

/**
 * Several batches as one array (the pipeline's pass over the batches that waited for the engine),
 * keeping their packed form when they were all unpacked by one receiver: the lanes are joined, so the
 * next hop still forwards them instead of packing every value again.
 */
export function joinValues<V extends TagValue>(parts: ReadonlyArray<readonly V[]>): V[] {
  const values = parts.flat() as V[];
  const forms: PackedForm[] = [];
  for (const part of parts) {
    const form = packedForms.get(part);
    const usable = form !== undefined && form.packed.count === part.length && (form.packed.buffer.byteLength > 0 || part.length === 0);
    if (!usable || (forms.length > 0 && form.tags !== forms[0].tags)) return values;
    forms.push(form);
  }
  if (forms.length === 0) return values;
  const n = values.length;
  const buffer = new ArrayBuffer(n * BYTES_PER_VALUE);
  const lane = lanes(buffer, n);
  const strings: string[] = [];
  let at = 0;
  for (const { packed } of forms) {
    const from = lanes(packed.buffer, packed.count);
    for (const key of Object.keys(lane) as Array<keyof Lanes>) lane[key].set(from[key], at);
    if (packed.strings.length > 0) {
      for (let i = at; i < at + packed.count; i++) if (lane.kind[i] === LANE_STRING) lane.num[i] += strings.length;
      strings.push(...packed.strings);
    }
    at += packed.count;
  }
  packedForms.set(values, { packed: { count: n, buffer, newTags: [], newLineages: [], strings }, tags: forms[0].tags, lineages: forms[0].lineages });
  return values;
}
