import type { MergedColumns } from '../history/merge-series';
import { KIND_ABSENT, KIND_FALSE, KIND_NULL, KIND_NUMBER, KIND_STRING, KIND_TRUE, qualityCode } from '../history/history-columns';
import type { HistoryPoint } from '../ports/history-store';
import type { ReplayChunk } from '../lab/plot-replay';

/**
 * Turns the merged history of a script's inputs into the evaluation steps the engine would have
 * made, in time order, packed in chunks for the lab (see ReplayChunk):
 *  - as-of alignment: every input holds its latest value at each step, including a value from
 *    before the range (`seeds`), so the first steps are not null;
 *  - the values of one timestamp are applied together, then the script is evaluated once;
 *  - onChange: a step when a trigger input has a point at that instant; periodic: a step at every
 *    multiple of the interval in the range, after the values up to that instant;
 *  - like the engine, no step until every input has a value.
 * Everything stays in typed arrays from the merged columns to the chunk: no object per point or step.
 */

export interface ReplayStepsOptions {
  /** Input tags by input index (one tag may serve several aliases). */
  tags: string[];
  /** The tag of each merged series, in the order of `MergedColumns.series`. */
  seriesTags: string[];
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
  /** Called with every merged batch and how many of its instants the replay used (all but when capped). */
  onBatch?: (batch: MergedColumns, used: number) => void;
}

// Module-local copies of the kind codes: under tsx (tests, tools, `npm run dev`) an imported
// binding is read through a getter on every use, which shows in loops over millions of points.
const ABSENT = KIND_ABSENT;
const NUMBER = KIND_NUMBER;
const STRING = KIND_STRING;

export interface ReplayStepsState {
  steps: number;
  /** True when `maxSteps` cut the replay short. */
  capped: boolean;
}

export async function* replaySteps(batches: AsyncIterable<MergedColumns>, options: ReplayStepsOptions, state: ReplayStepsState): AsyncIterable<ReplayChunk> {
  const width = options.tags.length;
  // The inputs each merged series feeds.
  const inputsOf = options.seriesTags.map((tag) => options.tags.flatMap((inputTag, index) => (inputTag === tag && !options.fixed?.[index] ? [index] : [])));

  // What each input holds: kind (KIND_ABSENT until it has a value), number, ts, quality, string.
  const heldKind = new Uint8Array(width).fill(ABSENT);
  const heldNum = new Float64Array(width);
  const heldTs = new Float64Array(width);
  const heldQuality = new Uint8Array(width);
  const heldText: Array<string | null> = new Array(width).fill(null);
  /** Index of the held string in the current chunk's `strings`, -1 when not there yet. */
  const heldTextIndex = new Int32Array(width).fill(-1);
  let missing = width;
  options.seeds.forEach((seed, index) => {
    if (!seed) return;
    missing--;
    heldTs[index] = seed.ts;
    heldQuality[index] = qualityCode(seed.quality);
    const value = seed.value;
    if (typeof value === 'number') {
      heldKind[index] = KIND_NUMBER;
      heldNum[index] = value;
    } else if (typeof value === 'boolean') {
      heldKind[index] = value ? KIND_TRUE : KIND_FALSE;
    } else if (typeof value === 'string') {
      heldKind[index] = KIND_STRING;
      heldText[index] = value;
    } else {
      heldKind[index] = KIND_NULL;
    }
  });

  let chunk = newChunk(options.chunkSize, width);
  let count = 0;

  /** Adds a step at `ts`; returns the chunk to hand out when it is full. */
  const step = (ts: number): ReplayChunk | null => {
    chunk.times[count] = ts;
    const inputs = chunk.inputs;
    for (let index = 0, p = count * width * 4; index < width; index++, p += 4) {
      const kind = heldKind[index];
      inputs[p] = kind;
      if (kind === NUMBER) {
        inputs[p + 1] = heldNum[index];
      } else if (kind === STRING) {
        // A string held over many steps travels once per chunk.
        if (heldTextIndex[index] < 0) heldTextIndex[index] = chunk.strings.push(heldText[index]!) - 1;
        inputs[p + 1] = heldTextIndex[index];
      }
      inputs[p + 2] = heldTs[index];
      inputs[p + 3] = heldQuality[index];
    }
    count++;
    state.steps++;
    if (count < options.chunkSize) return null;
    const full = chunk;
    chunk = newChunk(options.chunkSize, width);
    heldTextIndex.fill(-1);
    count = 0;
    return full;
  };

  const periodic = options.trigger.type === 'periodic' ? options.trigger.intervalMs : 0;
  let nextTick = periodic > 0 ? Math.ceil(options.from / periodic) * periodic : Infinity;
  const triggers = options.trigger.type === 'onChange' ? options.trigger.inputs : [];
  const seriesCount = inputsOf.length;

  replay: for await (const batch of batches) {
    let used = 0;
    try {
      for (; used < batch.length; used++) {
        const ts = batch.ts[used];
        for (; nextTick < ts && nextTick <= options.to; nextTick += periodic) {
          if (missing > 0) continue;
          if (state.steps >= options.maxSteps) {
            state.capped = true;
            break replay;
          }
          const full = step(nextTick);
          if (full) yield full;
        }
        let triggered = false;
        for (let s = 0; s < seriesCount; s++) {
          const column = batch.series[s];
          const kind = column.kind[used];
          if (kind === ABSENT) continue;
          const targets = inputsOf[s];
          for (let t = 0; t < targets.length; t++) {
            const index = targets[t];
            if (heldKind[index] === ABSENT) missing--;
            heldKind[index] = kind;
            heldTs[index] = ts;
            heldQuality[index] = column.quality[used];
            if (kind === STRING) {
              heldText[index] = column.texts[column.num[used]];
              heldTextIndex[index] = -1;
            } else {
              heldNum[index] = column.num[used];
            }
            if (triggers[index]) triggered = true;
          }
        }
        if (!triggered || missing > 0) continue;
        if (state.steps >= options.maxSteps) {
          state.capped = true;
          used++;
          break replay;
        }
        const full = step(ts);
        if (full) yield full;
      }
    } finally {
      // Also when capped (the instants applied until then) or stopped by the consumer.
      options.onBatch?.(batch, used);
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
