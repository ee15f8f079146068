import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import { OperationalError } from '../model/errors';
import type { HistoryPoint, HistoryRecord, HistoryRow, HistoryStore } from '../ports/history-store';
import type { EditorRunPorts } from './editor-run-ports';
import type { RunnableDraft } from '../model/script-schema';
import type { Quality, TagScalar } from '../model/tag-value';
import { columnsFromPoints, type HistoryColumns } from '../history/history-columns';
import { inProcessLab } from '../lab-host/in-process-lab';
import { plotScript, STEPS_PER_CHUNK, type PlotResult } from './plot-script';

/** Plot: history replayed through the script in time order, against values computed by hand and by the engine. */

const limits = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const lab = inProcessLab(limits);
afterAll(() => lab.close());

/** The HistoryStore port over arrays, read in small chunks so that chunk boundaries are exercised. */
class ArrayHistory implements HistoryStore {
  readonly kind = 'embedded' as const;
  down = false;
  constructor(private readonly points: Record<string, Array<[number, TagScalar, Quality?]>>) {}
  async write(_records: readonly HistoryRecord[]): Promise<void> {}
  async *read(tag: string, from: number, to: number): AsyncIterable<HistoryPoint[]> {
    if (this.down) throw new OperationalError('InfluxDB', 'InfluxDB at http://127.0.0.1:8086 is unavailable: connection refused');
    const inRange = this.series(tag).filter((point) => point.ts >= from && point.ts <= to);
    for (let start = 0; start < inRange.length; start += 3) yield inRange.slice(start, start + 3);
  }
  async readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null> {
    if (this.down) throw new OperationalError('InfluxDB', 'InfluxDB at http://127.0.0.1:8086 is unavailable: connection refused');
    return this.series(tag).filter((point) => point.ts <= ts).pop() ?? null;
  }
  async prune(): Promise<number> {
    return 0;
  }
  // Backfill's and export's operations: the plot never calls them.
  readRows(): AsyncIterable<HistoryRow[]> {
    throw new Error('not used by the plot');
  }
  readTimestamps(): AsyncIterable<number[]> {
    throw new Error('not used by the plot');
  }
  async deleteRange(): Promise<number> {
    throw new Error('not used by the plot');
  }
  async writeBulk(): Promise<number> {
    throw new Error('not used by the plot');
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
  private series(tag: string): HistoryPoint[] {
    return (this.points[tag] ?? []).map(([ts, value, quality]) => ({ ts, value, quality: quality ?? 'good' }));
  }
}

/** The same over `readColumns` (as the real stores read), in pages of 1 000 points. */
class ColumnarHistory extends ArrayHistory {
  pagesRead = 0;
  async *readColumns(tag: string, from: number, to: number): AsyncIterable<HistoryColumns> {
    const points: HistoryPoint[] = [];
    for await (const chunk of super.read(tag, from, to)) points.push(...chunk);
    for (let start = 0; start < points.length; start += 1000) {
      this.pagesRead++;
      yield columnsFromPoints(points.slice(start, start + 1000));
    }
  }
}

function services(history: HistoryStore): Pick<EditorRunPorts, 'store' | 'history' | 'lab'> {
  return { history, lab, store: null as never };
}

const ms = (iso: string) => Date.parse(iso);
const T0 = ms('2026-11-01T00:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;

const sumScript: RunnableDraft = {
  inputs: [
    { tag: 'A', alias: 'a' },
    { tag: 'B', alias: 'b' },
  ],
  initCode: 'let n = 0;',
  calcCode: 'n++;\nconst sum = a + b;',
  outputs: [
    { tag: 'SUM', variable: 'sum' },
    { tag: 'COUNT', variable: 'n' },
  ],
};

const seriesOf = (result: PlotResult, tag: string) =>
  result.series.find((series) => series.tag === tag)!.points.map((point) => [(Date.parse(point.ts) - T0) / 1000, point.value]);

describe('plotScript', () => {
  it('aligns inputs as of each change, applies equal timestamps together and carries state from step to step', async () => {
    const history = new ArrayHistory({
      // a changed before the range: its value there is the one the first step sees
      A: [[at(-5), 1], [at(0), 2], [at(30), 4]],
      B: [[at(0), 10], [at(20), 20], [at(30), 30]],
    });
    const result = await plotScript(services(history), { script: sumScript, from: at(0), to: at(60) });
    // t=0: a=2 b=10 (both at 0, one evaluation); t=20: b changes, a still 2; t=30: both change, one evaluation
    expect(seriesOf(result, 'SUM')).toEqual([
      [0, 12],
      [20, 22],
      [30, 34],
    ]);
    expect(seriesOf(result, 'COUNT')).toEqual([
      [0, 1],
      [20, 2],
      [30, 3],
    ]);
    expect(result.evaluations).toBe(3);
    expect(result.errors).toBe(0);
    expect(result.error).toBeNull();
    expect(result.series.find((series) => series.tag === 'A')).toMatchObject({ alias: 'a', role: 'input' });
    expect(seriesOf(result, 'A')).toEqual([
      [0, 2],
      [30, 4],
    ]);
    expect(result.series.find((series) => series.tag === 'SUM')).toMatchObject({ role: 'output' });
  });

  it('uses the value an input held before the range, so the first steps are not null', async () => {
    const history = new ArrayHistory({ A: [[at(10), 1], [at(20), 2]], B: [[at(-3600), 100]] });
    const result = await plotScript(services(history), { script: sumScript, from: at(0), to: at(60) });
    expect(seriesOf(result, 'SUM')).toEqual([
      [10, 101],
      [20, 102],
    ]);
  });

  it('waits, like the engine, until every input has a value', async () => {
    const history = new ArrayHistory({ A: [[at(0), 1], [at(10), 2], [at(20), 3]], B: [[at(15), 10]] });
    const result = await plotScript(services(history), { script: sumScript, from: at(0), to: at(60) });
    expect(seriesOf(result, 'SUM')).toEqual([
      [15, 12],
      [20, 13],
    ]);
    expect(result.evaluations).toBe(2);
  });

  it('evaluates only on changes of the trigger inputs', async () => {
    const history = new ArrayHistory({ A: [[at(0), 1], [at(10), 2]], B: [[at(0), 10], [at(5), 20], [at(15), 30]] });
    const result = await plotScript(services(history), {
      script: { ...sumScript, trigger: { type: 'onChange', inputs: ['a'] } },
      from: at(0),
      to: at(60),
    });
    expect(seriesOf(result, 'SUM')).toEqual([
      [0, 11],
      [10, 22],
    ]);
  });

  it('evaluates a periodic script at every tick of the range with the values held then', async () => {
    const history = new ArrayHistory({ A: [[at(-1), 1], [at(2), 2]], B: [[at(-1), 10], [at(3), 20]] });
    const result = await plotScript(services(history), {
      script: { ...sumScript, trigger: { type: 'periodic', intervalMs: 1000 } },
      from: at(0),
      to: at(4),
    });
    // ticks 0..4; values at a tick's own instant are applied before it
    expect(seriesOf(result, 'COUNT')).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    expect(seriesOf(result, 'SUM')).toEqual([
      [0, 11],
      [2, 12],
      [3, 22],
    ]);
  });

  it('gives the outputs the engine computes from the same values', async () => {
    const script: RunnableDraft = {
      inputs: [
        { tag: 'FLOW', alias: 'flow' },
        { tag: 'TEMP', alias: 'temp' },
      ],
      initCode: 'let total = 0;\nlet previous = null;',
      calcCode: 'total += flow;\nconst delta = previous === null ? 0 : temp - previous;\nprevious = temp;\nconst alarm = delta > 2;',
      outputs: [
        { tag: 'TOTAL', variable: 'total' },
        { tag: 'DELTA', variable: 'delta', deadband: 0.5 },
        { tag: 'ALARM', variable: 'alarm' },
      ],
    };
    const points: Record<string, Array<[number, TagScalar, Quality?]>> = { FLOW: [], TEMP: [] };
    for (let second = 0; second < 40; second++) {
      if (second % 3 !== 1) points.FLOW.push([at(second), (second * 7) % 5]);
      if (second % 2 === 0) points.TEMP.push([at(second), 20 + ((second * 13) % 9), second === 10 ? 'uncertain' : 'good']);
    }
    const plotted = await plotScript(services(new ArrayHistory(points)), { script, from: at(0), to: at(60), maxPoints: 10_000 });

    const engine = new Engine({ limits, quarantineAfter: 1000, clock: () => at(0) });
    try {
      expect(await engine.register({ id: 's', name: 'same', version: 1, definition: { ...script, name: 'same' } })).toEqual({ ok: true });
      const values = Object.entries(points).flatMap(([tag, list]) => list.map(([ts, value, quality]) => ({ tag, ts, value, quality: quality ?? ('good' as const) })));
      const pass = await engine.ingest(values);
      expect(plotted.evaluations).toBe(pass.evaluations);
      for (const tag of ['TOTAL', 'DELTA', 'ALARM']) {
        const fromEngine = pass.outputs.filter((output) => output.tag === tag).map((output) => [(output.ts - T0) / 1000, output.value]);
        expect(seriesOf(plotted, tag), tag).toEqual(fromEngine);
      }
    } finally {
      engine.dispose();
    }
  });

  it('downsamples every series to at most maxPoints, keeping each bucket’s minimum and maximum', async () => {
    const a: Array<[number, TagScalar]> = [];
    for (let second = 0; second < 5000; second++) a.push([at(second), second === 2345 ? 1000 : second === 3456 ? -1000 : Math.sin(second / 50)]);
    const history = new ArrayHistory({ A: a, B: [[at(-1), 0]] });
    const result = await plotScript(services(history), { script: sumScript, from: at(0), to: at(4999), maxPoints: 100 });
    expect(result.evaluations).toBe(5000);
    for (const series of result.series) expect(series.points.length).toBeLessThanOrEqual(100);
    for (const tag of ['A', 'SUM']) {
      const values = seriesOf(result, tag).map(([, value]) => value);
      expect(values, tag).toContain(1000);
      expect(values, tag).toContain(-1000);
      expect(seriesOf(result, tag).find(([, value]) => value === 1000)?.[0]).toBe(2345);
    }
  });

  it('holds an input given in the request at that value for the whole range', async () => {
    const history = new ArrayHistory({ A: [[at(0), 1], [at(10), 2]], B: [[at(0), 999]] });
    const result = await plotScript(services(history), { script: sumScript, from: at(0), to: at(60), inputs: { b: 100 } });
    expect(seriesOf(result, 'SUM')).toEqual([
      [0, 101],
      [10, 102],
    ]);
    expect(seriesOf(result, 'B')).toEqual([
      [0, 100],
      [60, 100],
    ]);
  });

  it('counts failed evaluations and reports the first', async () => {
    const history = new ArrayHistory({ A: [[at(0), 1], [at(1), 0], [at(2), 2]], B: [[at(0), 1]] });
    const script = { ...sumScript, calcCode: 'n++;\nif (a === 0) throw new Error("a is zero");\nconst sum = a + b;' };
    const result = await plotScript(services(history), { script, from: at(0), to: at(60) });
    expect(result.evaluations).toBe(3);
    expect(result.errors).toBe(1);
    expect(result.error).toMatchObject({ kind: 'runtime', line: 2 });
    // The failed evaluation is a gap, as the engine publishes it (null, bad: scripts.md).
    expect(seriesOf(result, 'SUM')).toEqual([
      [0, 2],
      [1, null],
      [2, 3],
    ]);
  });

  it('stops a replay whose evaluations keep timing out', async () => {
    const history = new ArrayHistory({ A: Array.from({ length: 50 }, (_, second) => [at(second), second] as [number, TagScalar]), B: [[at(0), 1]] });
    const script = { ...sumScript, calcCode: 'n++;\nwhile (a > 10) {}\nconst sum = a + b;' };
    const result = await plotScript(services(history), { script, from: at(0), to: at(60) });
    expect(result.errors).toBe(3);
    expect(result.evaluations).toBe(14);
    expect(result.error?.message).toMatch(/timed out/);
  });

  it('refuses a script that does not compile (422), even when the history store is down', async () => {
    const history = new ArrayHistory({});
    history.down = true;
    await expect(plotScript(services(history), { script: { ...sumScript, calcCode: 'const sum = a + bb;' }, from: at(0), to: at(60) })).rejects.toMatchObject({
      code: 'SCRIPT_INVALID',
    });
  });

  it('answers 503 naming the history store when it is down', async () => {
    const history = new ArrayHistory({ A: [[at(0), 1]], B: [[at(0), 1]] });
    history.down = true;
    await expect(plotScript(services(history), { script: sumScript, from: at(0), to: at(60) })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      details: { service: 'InfluxDB' },
    });
  });

  it('refuses a range that ends before it starts', async () => {
    await expect(plotScript(services(new ArrayHistory({})), { script: sumScript, from: at(10), to: at(0) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('replays strings, booleans and nulls held across chunks the same from a columnar store as from points', async () => {
    const seconds = STEPS_PER_CHUNK + 3_000;
    const points: Record<string, Array<[number, TagScalar, Quality?]>> = { X: [], STATE: [], ON: [] };
    for (let second = 0; second < seconds; second++) {
      points.X.push([at(second), second % 7 === 0 ? null : second % 100, second === 40 ? 'bad' : 'good']);
      if (second % 5_000 === 0) points.STATE.push([at(second), `state ${second / 5_000}`]);
      if (second % 4_321 === 0) points.ON.push([at(second), (second / 4_321) % 2 === 0]);
    }
    const script: RunnableDraft = {
      inputs: [
        { tag: 'X', alias: 'x' },
        { tag: 'STATE', alias: 'state' },
        { tag: 'ON', alias: 'on' },
      ],
      initCode: '',
      calcCode: 'const label = state + (on ? " on" : " off");\nconst total = (x ?? -1) + label.length;',
      outputs: [
        { tag: 'LABEL', variable: 'label' },
        { tag: 'TOTAL', variable: 'total' },
      ],
    };
    const request = { script, from: at(0), to: at(seconds), maxPoints: 100_000 };
    const columnar = new ColumnarHistory(points);
    const [fromPoints, fromColumns] = [await plotScript(services(new ArrayHistory(points)), request), await plotScript(services(columnar), request)];
    expect(columnar.pagesRead).toBeGreaterThan(3);
    expect(fromColumns.evaluations).toBe(seconds);
    expect(fromColumns).toEqual(fromPoints);
    const labels = seriesOf(fromColumns, 'LABEL');
    // Published on a change, and when the quality changes (a bad input at 40 s).
    expect(labels.slice(0, 5)).toEqual([
      [0, 'state 0 on'],
      [40, 'state 0 on'],
      [41, 'state 0 on'],
      [4_321, 'state 0 off'],
      [5_000, 'state 1 off'],
    ]);
    expect(labels.length).toBe(3 + Math.floor((seconds - 1) / 5_000) + Math.floor((seconds - 1) / 4_321));
    expect(seriesOf(fromColumns, 'TOTAL')[7]).toEqual([7, -1 + 'state 0 on'.length]);
  });

  it('releases the history readers it started early when the script does not compile', async () => {
    const open = new Set<string>();
    class TrackedHistory extends ColumnarHistory {
      override async *readColumns(tag: string, from: number, to: number): AsyncIterable<HistoryColumns> {
        open.add(tag);
        try {
          yield* super.readColumns(tag, from, to);
        } finally {
          open.delete(tag);
        }
      }
    }
    const seconds = 5_000;
    const history = new TrackedHistory({
      A: Array.from({ length: seconds }, (_, second) => [at(second), second] as [number, TagScalar]),
      B: Array.from({ length: seconds }, (_, second) => [at(second), -second] as [number, TagScalar]),
    });
    await expect(plotScript(services(history), { script: { ...sumScript, calcCode: 'const sum = a + bb;' }, from: at(0), to: at(seconds) })).rejects.toMatchObject({
      code: 'SCRIPT_INVALID',
    });
    await expect.poll(() => open.size).toBe(0);
  });
});
