import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TagValue } from '../../model/tag-value';
import { backfill, mulberry32, PlantSimulator, SIMULATOR_TAGS } from './plant-simulator';

const T0 = Date.UTC(2024, 2, 4, 6, 0, 0); // a Monday morning, on a whole second
const HOUR = 3_600_000;

/** Six hours of 1 s ticks from a fixed seed, shared by the coherence checks. */
let cachedRun: TagValue[][] | null = null;
function sixHours(): TagValue[][] {
  cachedRun ??= [...backfill(T0, T0 + 6 * HOUR, 1000, { seed: 20240304, utcOffsetMinutes: 0 })];
  return cachedRun;
}

function series(ticks: TagValue[][], tag: string): TagValue[] {
  const index = SIMULATOR_TAGS.findIndex((entry) => entry.tag === tag);
  if (index < 0) throw new Error(`unknown tag ${tag}`);
  return ticks.map((tick) => tick[index]);
}

function mean(values: number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

function pearson(pairs: Array<[number, number]>): number {
  const ma = mean(pairs.map((pair) => pair[0]));
  const mb = mean(pairs.map((pair) => pair[1]));
  let num = 0;
  let da = 0;
  let db = 0;
  for (const [a, b] of pairs) {
    num += (a - ma) * (b - mb);
    da += (a - ma) ** 2;
    db += (b - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function goodNumbers(values: TagValue[]): number[] {
  return values.filter((value) => value.quality === 'good' && typeof value.value === 'number').map((value) => value.value as number);
}

describe('SIMULATOR_TAGS', () => {
  it('lists at least 30 ISA-style tags with unit, description and kind', () => {
    expect(SIMULATOR_TAGS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(SIMULATOR_TAGS.map((entry) => entry.tag)).size).toBe(SIMULATOR_TAGS.length);
    for (const entry of SIMULATOR_TAGS) {
      expect(entry.tag).toMatch(/^[A-Z]+-\d{3}[A-Z]?\.(PV|OP|RUN|MODE)$/);
      expect(entry.description.length).toBeGreaterThan(5);
      if (entry.kind !== 'run' && entry.kind !== 'mode') {
        expect(entry.unit).not.toBe('');
        expect(entry.min).toBeLessThan(entry.max!);
      }
    }
    const kinds = new Set(SIMULATOR_TAGS.map((entry) => entry.kind));
    for (const kind of ['flow', 'temperature', 'pressure', 'level', 'valve', 'run', 'mode'] as const) expect(kinds).toContain(kind);
    expect(SIMULATOR_TAGS.filter((entry) => entry.kind === 'flow').length).toBeGreaterThanOrEqual(8);
  });

  it('is frozen, so no caller can change what others see', () => {
    expect(Object.isFrozen(SIMULATOR_TAGS)).toBe(true);
    expect(Object.isFrozen(SIMULATOR_TAGS[0])).toBe(true);
  });
});

describe('PlantSimulator.step', () => {
  it('returns every tag once, all sharing one timestamp rounded down to the second', () => {
    const simulator = new PlantSimulator({ seed: 1 });
    const tick = simulator.step(T0 + 1234);
    expect(tick.map((value) => value.tag)).toEqual(SIMULATOR_TAGS.map((entry) => entry.tag));
    expect(new Set(tick.map((value) => value.ts))).toEqual(new Set([T0 + 1000]));
    expect(simulator.lastTickTs).toBe(T0 + 1000);
  });

  it('gives each kind of tag the right type of value', () => {
    const simulator = new PlantSimulator({ seed: 2 });
    const problems: string[] = [];
    for (let i = 0; i < 120; i++) {
      simulator.step(T0 + i * 1000).forEach((value, index) => {
        const kind = SIMULATOR_TAGS[index].kind;
        const ok =
          kind === 'run'
            ? typeof value.value === 'boolean'
            : kind === 'mode'
              ? value.value === 'AUTO' || value.value === 'MAN'
              : value.value === null
                ? value.quality === 'bad'
                : typeof value.value === 'number' && Number.isFinite(value.value);
        if (!ok) problems.push(`${value.tag} = ${String(value.value)} (${value.quality})`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('is deterministic for a seed, and different for another seed', () => {
    const run = (seed: number) => {
      const simulator = new PlantSimulator({ seed, utcOffsetMinutes: 60 });
      const ticks: TagValue[][] = [];
      for (let i = 0; i < 900; i++) ticks.push(simulator.step(T0 + i * 1000));
      return ticks;
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
  });

  it('does not move the process when asked for the same second again', () => {
    const simulator = new PlantSimulator({ seed: 3 });
    simulator.step(T0);
    const again = simulator.step(T0 + 400);
    expect(again[0].ts).toBe(T0);
    expect(simulator.lastTickTs).toBe(T0);
  });

  it('catches up a long gap between steps with bounded work', () => {
    const simulator = new PlantSimulator({ seed: 4 });
    simulator.step(T0);
    const later = simulator.step(T0 + 3 * 24 * HOUR);
    expect(later[0].ts).toBe(T0 + 3 * 24 * HOUR);
    for (const value of later) if (typeof value.value === 'number') expect(Number.isFinite(value.value)).toBe(true);
  });

  it('rejects a time that is not a finite number', () => {
    expect(() => new PlantSimulator({ seed: 1 }).step(Number.NaN)).toThrow(/finite/);
  });
});

describe('plant coherence over six hours', () => {
  it('keeps every reading within its instrument range: levels and valves 0–100 %, flows never negative', () => {
    const ticks = sixHours();
    const problems: string[] = [];
    SIMULATOR_TAGS.forEach((entry, index) => {
      if (entry.min === undefined || entry.max === undefined) return;
      let lo = entry.min;
      let hi = entry.max;
      if (entry.kind === 'level' || entry.kind === 'valve') [lo, hi] = [Math.max(lo, 0), Math.min(hi, 100)];
      if (entry.kind === 'flow') lo = Math.max(lo, 0);
      for (const tick of ticks) {
        const value = tick[index].value;
        if (value === null) continue;
        if (typeof value !== 'number' || value < lo || value > hi) problems.push(`${entry.tag} = ${value} at ${tick[index].ts}`);
      }
    });
    expect(problems).toEqual([]);
  });

  it('has timestamps one second apart, shared within each tick', () => {
    const ticks = sixHours();
    expect(ticks).toHaveLength(6 * 3600);
    const problems: string[] = [];
    ticks.forEach((tick, i) => {
      if (tick.some((value) => value.ts !== T0 + i * 1000)) problems.push(`tick ${i}`);
    });
    expect(problems).toEqual([]);
  });

  it('reports sensor faults rarely: bad about 0.5 % of samples (frozen or null), some uncertain', () => {
    const ticks = sixHours();
    let analogSamples = 0;
    let bad = 0;
    let uncertain = 0;
    const problems: string[] = [];
    SIMULATOR_TAGS.forEach((entry, index) => {
      const values = ticks.map((tick) => tick[index]);
      const badHere = values.filter((value) => value.quality === 'bad').length;
      if (entry.kind === 'run' || entry.kind === 'mode') {
        expect(badHere).toBe(0);
        return;
      }
      analogSamples += values.length;
      bad += badHere;
      uncertain += values.filter((value) => value.quality === 'uncertain').length;
      expect(badHere / values.length).toBeLessThan(0.03);
      // a bad value is null, or the last reading before the fault, frozen
      let lastReading: TagValue['value'] = null;
      for (const value of values) {
        if (value.quality === 'bad') {
          if (value.value !== null && value.value !== lastReading) problems.push(`${entry.tag} bad at ${value.ts} is not frozen`);
        } else if (value.value === null) {
          problems.push(`${entry.tag} null with quality ${value.quality} at ${value.ts}`);
        } else {
          lastReading = value.value;
        }
      }
    });
    expect(problems).toEqual([]);
    expect(bad / analogSamples).toBeGreaterThan(0.002);
    expect(bad / analogSamples).toBeLessThan(0.01);
    expect(uncertain / analogSamples).toBeGreaterThan(0.0005);
    expect(uncertain / analogSamples).toBeLessThan(0.01);
    // both kinds of failed transmitter show up: frozen and silent
    const badValues = ticks.flat().filter((value) => value.quality === 'bad');
    expect(badValues.some((value) => value.value === null)).toBe(true);
    expect(badValues.some((value) => value.value !== null)).toBe(true);
  });

  it('balances steam: boiler production matches the users and the exchanger, at header pressure', () => {
    const ticks = sixHours();
    const produced = mean(goodNumbers(series(ticks, 'FT-101.PV')));
    const used = mean(goodNumbers(series(ticks, 'FT-201.PV'))) + mean(goodNumbers(series(ticks, 'FT-502.PV')));
    expect(Math.abs(produced - used) / produced).toBeLessThan(0.03);
    expect(mean(goodNumbers(series(ticks, 'PT-201.PV')))).toBeCloseTo(38, 0);
    expect(Math.abs(mean(goodNumbers(series(ticks, 'LT-101.PV'))) - 50)).toBeLessThan(3);
    expect(Math.abs(mean(goodNumbers(series(ticks, 'TT-502.PV'))) - 80)).toBeLessThan(1);
    // steam per fuel is that of a gas-fired boiler
    const ratio = produced / mean(goodNumbers(series(ticks, 'FT-102.PV')));
    expect(ratio).toBeGreaterThan(12);
    expect(ratio).toBeLessThan(15.5);
    // feedwater follows steam (plus blowdown)
    const feedwater = mean(goodNumbers(series(ticks, 'FT-301.PV')));
    expect(feedwater / produced).toBeGreaterThan(1);
    expect(feedwater / produced).toBeLessThan(1.05);
  });

  it('makes steam follow fuel with a lag', () => {
    const ticks = sixHours();
    // one-minute means, so that noise and faults do not blur the picture
    const minuteMeans = (tag: string) => {
      const values = series(ticks, tag);
      const out: number[] = [];
      for (let start = 0; start + 60 <= values.length; start += 60) out.push(mean(goodNumbers(values.slice(start, start + 60))));
      return out;
    };
    const steam = minuteMeans('FT-101.PV');
    const fuel = minuteMeans('FT-102.PV');
    // steam[t] against fuel[t - lag] (a positive lag looks back at fuel, a negative one ahead)
    const correlation = (lag: number) => {
      const pairs: Array<[number, number]> = [];
      for (let i = Math.max(0, lag); i < steam.length && i - lag < fuel.length; i++) pairs.push([steam[i], fuel[i - lag]]);
      return pearson(pairs);
    };
    expect(correlation(0)).toBeGreaterThan(0.5);
    // steam now looks more like fuel a minute ago than like fuel a minute ahead
    expect(correlation(1)).toBeGreaterThan(correlation(-1));
  });

  it('integrates tank levels: T-402 fills while P-402 is stopped and empties while it runs', () => {
    const ticks = sixHours();
    const level = series(ticks, 'LT-402.PV');
    const running = series(ticks, 'P-402.RUN');
    let risingWhileStopped = 0;
    let fallingWhileRunning = 0;
    let stoppedSteps = 0;
    let runningSteps = 0;
    for (let i = 60; i < ticks.length; i += 60) {
      const before = level[i - 60];
      const after = level[i];
      if (before.quality !== 'good' || after.quality !== 'good') continue;
      if (running[i - 60].value !== running[i].value) continue;
      const change = (after.value as number) - (before.value as number);
      if (running[i].value) {
        runningSteps++;
        if (change < 0) fallingWhileRunning++;
      } else {
        stoppedSteps++;
        if (change > 0) risingWhileStopped++;
      }
    }
    expect(stoppedSteps).toBeGreaterThan(20);
    expect(runningSteps).toBeGreaterThan(20);
    expect(risingWhileStopped / stoppedSteps).toBeGreaterThan(0.9);
    expect(fallingWhileRunning / runningSteps).toBeGreaterThan(0.9);
    // the pump cycles between its level switches
    const transitions = running.filter((value, i) => i > 0 && value.value !== running[i - 1].value).length;
    expect(transitions).toBeGreaterThanOrEqual(4);
  });

  it('fills T-401 through XV-401 and its level integrates inflow minus make-up', () => {
    const ticks = sixHours();
    const level = series(ticks, 'LT-401.PV');
    const valve = series(ticks, 'XV-401.OP');
    const inflow = series(ticks, 'FT-401.PV');
    const problems: string[] = [];
    for (let i = 0; i < ticks.length; i++) {
      if (valve[i].quality !== 'good' || inflow[i].quality !== 'good') continue;
      if (valve[i].value === 0 && inflow[i].value !== 0) problems.push(`inflow ${inflow[i].value} with the valve shut`);
      if (valve[i].value === 100 && (inflow[i].value as number) < 35) problems.push(`inflow ${inflow[i].value} with the valve open`);
    }
    expect(problems).toEqual([]);
    // the level integrates inflow minus make-up: 150 m3 tank, so 1 m3/h for an hour is 0.67 %
    const outflow = series(ticks, 'FT-402.PV');
    const mismatches: string[] = [];
    let windows = 0;
    // levels averaged over a minute around each end of a 10-minute window, so noise does not count
    const levelAround = (i: number) => mean(goodNumbers(level.slice(i - 30, i + 30)));
    for (let i = 630; i + 30 <= ticks.length; i += 600) {
      const net = mean(goodNumbers(inflow.slice(i - 600, i))) - mean(goodNumbers(outflow.slice(i - 600, i)));
      const expected = (net * (600 / 3600)) / 1.5;
      const actual = levelAround(i) - levelAround(i - 600);
      windows++;
      if (Math.abs(actual - expected) > 0.4) mismatches.push(`level moved ${actual.toFixed(2)} %, flows say ${expected.toFixed(2)} %`);
    }
    expect(windows).toBeGreaterThan(20);
    expect(mismatches).toEqual([]);
  });

  it('runs exactly one feed pump except during a changeover, and its motor draws current', () => {
    const ticks = sixHours();
    const a = series(ticks, 'P-301A.RUN');
    const b = series(ticks, 'P-301B.RUN');
    const currentA = series(ticks, 'II-301A.PV');
    let both = 0;
    const problems: string[] = [];
    for (let i = 0; i < ticks.length; i++) {
      if (!a[i].value && !b[i].value) problems.push(`no feed pump at ${a[i].ts}`);
      if (a[i].value && b[i].value) both++;
      if (currentA[i].quality !== 'good') continue;
      const current = currentA[i].value as number;
      if (a[i].value ? current < 40 : current !== 0) problems.push(`P-301A ${a[i].value ? 'running' : 'stopped'} drawing ${current} A`);
    }
    expect(problems).toEqual([]);
    expect(both).toBeLessThan(ticks.length * 0.01);
  });
});

describe('backfill', () => {
  it('yields one tick per step in [from, to): an hour of 1 s ticks is 3600 ticks', () => {
    let count = 0;
    let values = 0;
    for (const tick of backfill(T0, T0 + HOUR, 1000, { seed: 5 })) {
      count++;
      values += tick.length;
    }
    expect(count).toBe(3600);
    expect(values).toBe(3600 * SIMULATOR_TAGS.length);
  });

  it('starts at the first step boundary and supports coarser steps', () => {
    const ticks = [...backfill(T0 + 500, T0 + 24 * HOUR, 60_000, { seed: 6 })];
    expect(ticks).toHaveLength(24 * 60 - 1);
    expect(ticks[0][0].ts).toBe(T0 + 60_000);
    expect(ticks.at(-1)![0].ts).toBe(T0 + 24 * HOUR - 60_000);
    const notFinite = ticks.flat().filter((value) => typeof value.value === 'number' && !Number.isFinite(value.value));
    expect(notFinite).toEqual([]);
  });

  it('is the same as stepping a simulator with the same seed, and continues its process', () => {
    const fromModule = [...backfill(T0, T0 + 120_000, 1000, { seed: 9, utcOffsetMinutes: 0 })];
    const simulator = new PlantSimulator({ seed: 9, utcOffsetMinutes: 0 });
    const fromMethod = [...simulator.backfill(T0, T0 + 120_000)];
    expect(fromMethod).toEqual(fromModule);
    expect(simulator.lastTickTs).toBe(T0 + 119_000);
    expect(simulator.step(T0 + 120_000)[0].ts).toBe(T0 + 120_000);
  });

  it('refuses a step that is not a whole number of seconds', () => {
    expect(() => [...backfill(T0, T0 + 10_000, 500)]).toThrow(/whole number of seconds/);
    expect(() => [...backfill(T0, T0 + 10_000, 1500)]).toThrow(/whole number of seconds/);
  });
});

describe('PlantSimulator.start', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes one tick per second, aligned to the second, until stopped', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0 + 300);
    const simulator = new PlantSimulator({ seed: 10 });
    const published: TagValue[][] = [];
    simulator.start((values) => {
      published.push(values);
    });
    expect(simulator.started).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(published.map((tick) => tick[0].ts)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    for (const tick of published) expect(tick).toHaveLength(SIMULATOR_TAGS.length);
    await simulator.stop();
    expect(simulator.started).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(published).toHaveLength(3);
  });

  it('waits for a slow publish, skips the missed seconds, and reports publish errors', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const errors: unknown[] = [];
    const simulator = new PlantSimulator({ seed: 11, onError: (error) => errors.push(error) });
    const stamps: number[] = [];
    let calls = 0;
    simulator.start(async (values) => {
      stamps.push(values[0].ts);
      calls++;
      if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 2500));
      if (calls === 2) throw new Error('bus down');
    });
    await vi.advanceTimersByTimeAsync(5000);
    // 1 s published; it took 2.5 s, so 2 s and 3 s were skipped; 4 s failed and did not stop it
    expect(stamps).toEqual([T0 + 1000, T0 + 4000, T0 + 5000]);
    expect(errors).toEqual([new Error('bus down')]);
    await simulator.stop();
  });

  it('can be stopped during a slow publish and started again without ticking twice', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const simulator = new PlantSimulator({ seed: 13 });
    simulator.start(() => new Promise((resolve) => setTimeout(resolve, 1500)));
    await vi.advanceTimersByTimeAsync(1200); // first publish in flight
    const stopped = simulator.stop();
    const stamps: number[] = [];
    simulator.start((values) => {
      stamps.push(values[0].ts);
    });
    await vi.advanceTimersByTimeAsync(4000);
    await stopped;
    expect(stamps).toEqual([T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000]);
    await simulator.stop();
  });

  it('refuses to start twice', async () => {
    vi.useFakeTimers();
    const simulator = new PlantSimulator({ seed: 12 });
    simulator.start(() => undefined);
    expect(() => simulator.start(() => undefined)).toThrow(/already running/);
    await simulator.stop();
  });

  it('refuses an interval that is not a whole number of seconds', () => {
    expect(() => new PlantSimulator({ intervalMs: 250 })).toThrow(/whole number of seconds/);
  });
});

describe('mulberry32', () => {
  it('is deterministic and spread over [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const draws = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(draws);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(mean(draws)).toBeCloseTo(0.5, 1);
  });
});
