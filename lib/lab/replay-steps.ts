import type { SeriesGroup } from '../adapters/history/merge-series';
import type { HistoryPoint } from '../ports/history-store';
import { QUALITIES, type TagScalar } from '../tags/tag-value';
import type { ReplayChunk } from './plot-replay';

/**
 * Turns the merged history of a script's inputs into the evaluation steps the engine would have
 * made, in time order, packed in chunks for the lab (see ReplayChunk):
 *  - as-of alignment: every input holds its latest value at each step, including a value from
 *    before the range (`seeds`), so the first steps are not null;
 *  - the values of one timestamp are applied together, then the script is evaluated once;
 *  - onChange: a step when a trigger input has a point at that instant; periodic: a step at every
 *    multiple of the interval in the range, after the values up to that instant;
 *  - like the engine, no step until every input has a value.
 */

export interface ReplayStepsOptions {
  /** Input tags by input index (one tag may serve several aliases). */
  tags: string[];
  /** The value each input holds before the first point of the range (readLatestBefore), or null. */
  seeds: Array<HistoryPoint | null>;
  /** Inputs held at their seed throughout (values given in the request instead of history). */
  fixed?: boolean[];
  trigger: { type: 'onChange'; inputs: boolean[] } | { type: 'periodic'; intervalMs: number };
  from: number;
  to: number;
  chunkSize: number;
  /** Stop after this many steps (the caller says why). */
  maxSteps: number;
  /** Called for every history point read, for the input series of the plot. */
  onPoint?: (tag: string, point: HistoryPoint) => void;
}

export interface ReplayStepsState {
  steps: number;
  /** True when `maxSteps` cut the replay short. */
  capped: boolean;
}

const QUALITY_CODE = new Map(QUALITIES.map((quality, index) => [quality, index]));

export async function* replaySteps(groups: AsyncIterable<readonly SeriesGroup[]>, options: ReplayStepsOptions, state: ReplayStepsState): AsyncIterable<ReplayChunk> {
  const width = options.tags.length;
  const indexesOfTag = new Map<string, number[]>();
  options.tags.forEach((tag, index) => {
    if (!options.fixed?.[index]) indexesOfTag.set(tag, [...(indexesOfTag.get(tag) ?? []), index]);
  });

  const held: Array<HistoryPoint | null> = [...options.seeds];
  let missing = held.filter((point) => point === null).length;
  let chunk = newChunk(options.chunkSize, width);
  let count = 0;

  /** Adds a step at `ts`; returns the chunk to hand out when it is full. */
  const step = (ts: number): ReplayChunk | null => {
    chunk.times[count] = ts;
    let p = count * width * 4;
    for (let index = 0; index < width; index++, p += 4) {
      const point = held[index]!;
      encodeValue(point.value, chunk, p);
      chunk.inputs[p + 2] = point.ts;
      chunk.inputs[p + 3] = QUALITY_CODE.get(point.quality) ?? 2;
    }
    count++;
    state.steps++;
    if (count < options.chunkSize) return null;
    const full = chunk;
    chunk = newChunk(options.chunkSize, width);
    count = 0;
    return full;
  };

  const periodic = options.trigger.type === 'periodic' ? options.trigger.intervalMs : 0;
  let nextTick = periodic > 0 ? Math.ceil(options.from / periodic) * periodic : Infinity;
  const triggers = options.trigger.type === 'onChange' ? options.trigger.inputs : [];

  replay: for await (const batch of groups) {
    for (const group of batch) {
      for (; nextTick < group.ts && nextTick <= options.to; nextTick += periodic) {
        if (missing > 0) continue;
        if (state.steps >= options.maxSteps) {
          state.capped = true;
          break replay;
        }
        const full = step(nextTick);
        if (full) yield full;
      }
      let triggered = false;
      for (const [tag, point] of group.values) {
        options.onPoint?.(tag, point);
        for (const index of indexesOfTag.get(tag) ?? []) {
          if (held[index] === null) missing--;
          held[index] = point;
          if (triggers[index]) triggered = true;
        }
      }
      if (!triggered || missing > 0) continue;
      if (state.steps >= options.maxSteps) {
        state.capped = true;
        break replay;
      }
      const full = step(group.ts);
      if (full) yield full;
    }
  }
  for (; !state.capped && nextTick <= options.to; nextTick += periodic) {
    if (missing > 0) continue;
    if (state.steps >= options.maxSteps) {
      state.capped = true;
      break;
    }
    const full = step(nextTick);
    if (full) yield full;
  }
  // Copies, not views: a view would carry its whole buffer across the thread boundary.
  if (count > 0) yield { times: chunk.times.slice(0, count), inputs: chunk.inputs.slice(0, count * width * 4), strings: chunk.strings };
}

function newChunk(size: number, width: number): ReplayChunk {
  return { times: new Float64Array(size), inputs: new Float64Array(size * width * 4), strings: [] };
}

function encodeValue(value: TagScalar, chunk: ReplayChunk, p: number): void {
  if (typeof value === 'number') {
    chunk.inputs[p] = 1;
    chunk.inputs[p + 1] = value;
  } else if (value === null) {
    chunk.inputs[p] = 0;
  } else if (typeof value === 'boolean') {
    chunk.inputs[p] = value ? 3 : 2;
  } else {
    chunk.inputs[p] = 4;
    chunk.inputs[p + 1] = chunk.strings.length;
    chunk.strings.push(value);
  }
}
