import type { OutputValue, Quality, TagState } from '../model/tag-value';
import type { OutputComparison, ShadowSample, ShadowSeries } from '../model/shadow';
import type { ShadowPass } from '../ports/engine';
import { MinMaxDownsampler } from '../history/downsample';

/**
 * What a shadow run is showing (changes.md): per output of the script, the latest live and shadow
 * values, how many times they were compared, how many differed and by how much at most, and the
 * two series for a diff plot.
 *
 * Values are compared at the same triggering timestamp. An engine publishes an output only when it
 * changes, so at each timestamp where either side published, the other side's value is its latest
 * (unchanged means the same): both sides are compared there once both have a value. The live
 * side starts from the output's latest value when the shadow starts.
 *
 * Numbers differ when they are further apart than 1e-9 of the larger (at least 1e-9): the same
 * formula written another way gives the same number within rounding, and a manager must not be told
 * it differs. A different quality is a difference too. The series keep the last `seriesLimit` points
 * of each output (in memory: a shadow is a short trial, not history).
 */

export interface ShadowRunInfo {
  shadowId: string;
  scriptId: string;
  /** The candidate's version (the next version of the script). */
  version: number;
  startedAt: number;
  outputTags: string[];
}

interface ComparedPoint {
  ts: number;
  live: ShadowSample;
  shadow: ShadowSample;
}

interface Run extends ShadowRunInfo {
  outputs: Map<string, OutputComparison>;
  points: Map<string, ComparedPoint[]>;
}

export const DEFAULT_SHADOW_SERIES_LIMIT = 20_000;

export class ShadowBoard {
  private readonly runs = new Map<string, Run>();

  constructor(private readonly seriesLimit = DEFAULT_SHADOW_SERIES_LIMIT) {}

  /** A new run for the script (replacing any); `latest`: the live outputs' latest values. */
  begin(info: ShadowRunInfo, latest: (tag: string) => TagState | undefined): void {
    const outputs = new Map<string, OutputComparison>();
    for (const tag of info.outputTags) {
      const state = latest(tag);
      outputs.set(tag, { live: state ? { value: state.value, ts: state.ts, quality: state.quality } : null, shadow: null, compared: 0, differing: 0, maxAbsDiff: null });
    }
    this.runs.set(info.scriptId, { ...info, outputs, points: new Map(info.outputTags.map((tag) => [tag, []])) });
  }

  end(scriptId: string): boolean {
    return this.runs.delete(scriptId);
  }

  info(scriptId: string): ShadowRunInfo | undefined {
    const run = this.runs.get(scriptId);
    return run && { shadowId: run.shadowId, scriptId: run.scriptId, version: run.version, startedAt: run.startedAt, outputTags: run.outputTags };
  }

  comparison(scriptId: string): Record<string, OutputComparison> | undefined {
    const run = this.runs.get(scriptId);
    return run && Object.fromEntries([...run.outputs].map(([tag, comparison]) => [tag, { ...comparison }]));
  }

  get size(): number {
    return this.runs.size;
  }

  /** One pass: the live outputs and the shadow runs' outputs of the same values. */
  record(live: readonly OutputValue[], shadow: ShadowPass | undefined): void {
    if (this.runs.size === 0) return;
    const events = new Map<Run, Map<string, Array<{ side: 'live' | 'shadow'; sample: ShadowSample }>>>();
    const add = (output: OutputValue, side: 'live' | 'shadow') => {
      const run = this.runs.get(output.script.id);
      if (!run || !run.outputs.has(output.tag)) return;
      // The live side is the registered version; a stop of the live version says so too.
      if (side === 'shadow' && output.script.version !== run.version) return;
      let byTag = events.get(run);
      if (!byTag) events.set(run, (byTag = new Map()));
      let list = byTag.get(output.tag);
      if (!list) byTag.set(output.tag, (list = []));
      list.push({ side, sample: { value: output.value, ts: output.ts, quality: output.quality } });
    };
    for (const output of live) add(output, 'live');
    for (const output of shadow?.outputs ?? []) add(output, 'shadow');

    for (const [run, byTag] of events) {
      for (const [tag, list] of byTag) {
        // In time order, the live side first at a timestamp: then compared once per timestamp.
        list.sort((a, b) => a.sample.ts - b.sample.ts || (a.side === b.side ? 0 : a.side === 'live' ? -1 : 1));
        const comparison = run.outputs.get(tag)!;
        for (let index = 0; index < list.length; index++) {
          const event = list[index];
          comparison[event.side] = event.sample;
          const nextTs = list[index + 1]?.sample.ts;
          if (nextTs === event.sample.ts) continue;
          if (comparison.live && comparison.shadow) this.compare(run, tag, comparison, event.sample.ts);
        }
      }
    }
  }

  /**
   * The live, shadow and difference series of each output in [from, to] (by the values' timestamps;
   * absent: all kept), at most `maxPoints` each.
   */
  series(scriptId: string, range: { from?: number; to?: number }, maxPoints: number): Record<string, ShadowSeries> | undefined {
    const run = this.runs.get(scriptId);
    if (!run) return undefined;
    const result: Record<string, ShadowSeries> = {};
    for (const [tag, points] of run.points) {
      const from = range.from ?? points[0]?.ts ?? 0;
      const to = range.to ?? points.at(-1)?.ts ?? 0;
      const live = new MinMaxDownsampler(from, to, maxPoints);
      const shadow = new MinMaxDownsampler(from, to, maxPoints);
      const difference = new MinMaxDownsampler(from, to, maxPoints);
      for (const point of points) {
        if (point.ts < from || point.ts > to) continue;
        live.addValue(point.ts, point.live.value, point.live.quality);
        shadow.addValue(point.ts, point.shadow.value, point.shadow.quality);
        if (typeof point.live.value === 'number' && typeof point.shadow.value === 'number') {
          difference.addValue(point.ts, point.shadow.value - point.live.value, worse(point.live.quality, point.shadow.quality));
        }
      }
      result[tag] = { live: live.points(), shadow: shadow.points(), difference: difference.points() };
    }
    return result;
  }

  private compare(run: Run, tag: string, comparison: OutputComparison, ts: number): void {
    const live = comparison.live!;
    const shadow = comparison.shadow!;
    comparison.compared++;
    if (typeof live.value === 'number' && typeof shadow.value === 'number') {
      const gap = Math.abs(live.value - shadow.value);
      comparison.maxAbsDiff = Math.max(comparison.maxAbsDiff ?? 0, gap);
      if (gap > 1e-9 * Math.max(1, Math.abs(live.value), Math.abs(shadow.value)) || live.quality !== shadow.quality) comparison.differing++;
    } else if (live.value !== shadow.value || live.quality !== shadow.quality) {
      comparison.differing++;
    }
    const points = run.points.get(tag)!;
    points.push({ ts, live, shadow });
    // Trimmed in steps of a quarter, not at every point (a splice moves the whole array).
    if (points.length > this.seriesLimit * 1.25) points.splice(0, points.length - this.seriesLimit);
  }
}

const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
function worse(a: Quality, b: Quality): Quality {
  return QUALITY_RANK[a] >= QUALITY_RANK[b] ? a : b;
}
