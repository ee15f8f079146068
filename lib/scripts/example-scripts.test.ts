import { afterEach, describe, expect, it } from 'vitest';
import { PlantSimulator, SIMULATOR_TAGS } from '../adapters/simulator/plant-simulator';
import { compileScript } from '../compiler/compile-script';
import { Engine } from '../engine/engine';
import type { OutputValue, Quality, TagValue } from '../model/tag-value';
import { EXAMPLE_SCRIPTS, exampleScripts } from './example-scripts';
import { ScriptDraftSchema, type ScriptDraft } from '../model/script-schema';

const T0 = Date.UTC(2024, 2, 4, 8, 0, 0);

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

async function engineWith(scripts: readonly ScriptDraft[]): Promise<Engine> {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 500, memoryMb: 32 }, quarantineAfter: 5, clock: () => T0 });
  engines.push(engine);
  for (const [index, definition] of scripts.entries()) {
    const outcome = await engine.register({ id: `example-${index}`, name: definition.name, version: 1, definition });
    expect(outcome, definition.name).toEqual({ ok: true });
  }
  return engine;
}

const byName = (name: string) => {
  const script = EXAMPLE_SCRIPTS.find((candidate) => candidate.name === name);
  if (!script) throw new Error(`no example script ${name}`);
  return script;
};

const v = (tag: string, value: TagValue['value'], ts: number, quality: Quality = 'good'): TagValue => ({ tag, value, ts, quality });

describe('example scripts', () => {
  it('are exactly three, valid definitions with descriptions and CALC.* outputs', () => {
    expect(EXAMPLE_SCRIPTS.map((script) => script.name)).toEqual(['boiler_efficiency', 'feedwater_flow_filtered', 'boiler_efficiency_alarm']);
    for (const script of EXAMPLE_SCRIPTS) {
      expect(ScriptDraftSchema.safeParse(script).success, script.name).toBe(true);
      expect(script.description?.length ?? 0).toBeGreaterThan(80);
      for (const output of script.outputs) expect(output.tag).toMatch(/^CALC\./);
    }
  });

  it('compile without any diagnostic, not even a warning', () => {
    for (const script of EXAMPLE_SCRIPTS) {
      const compiled = compileScript(script);
      expect(compiled.diagnostics, script.name).toEqual([]);
      expect(compiled.program, script.name).not.toBeNull();
    }
  });

  it('read simulator tags, and the alarm reads the efficiency script’s output', () => {
    const simulatorTags = new Set(SIMULATOR_TAGS.map((entry) => entry.tag));
    for (const name of ['boiler_efficiency', 'feedwater_flow_filtered']) {
      for (const input of byName(name).inputs) expect(simulatorTags.has(input.tag), input.tag).toBe(true);
    }
    const efficiencyOutputs = byName('boiler_efficiency').outputs.map((output) => output.tag);
    expect(byName('boiler_efficiency_alarm').inputs.map((input) => input.tag)).toEqual(efficiencyOutputs);
  });

  it('hands out copies that callers may change', () => {
    const copies = exampleScripts();
    copies[0].name = 'changed';
    expect(EXAMPLE_SCRIPTS[0].name).toBe('boiler_efficiency');
  });

  it('run together in the engine over simulator ticks, each producing finite outputs', async () => {
    const engine = await engineWith(EXAMPLE_SCRIPTS);
    const simulator = new PlantSimulator({ seed: 2024, utcOffsetMinutes: 0 });
    const outputs: OutputValue[] = [];
    let failures = 0;
    for (let i = 0; i < 30; i++) {
      const result = await engine.ingest(simulator.step(T0 + i * 1000));
      outputs.push(...result.outputs);
      failures += result.failures;
    }
    expect(failures).toBe(0);
    for (const status of engine.statuses()) {
      expect(status.state).toBe('running');
      expect(status.errors).toBe(0);
      expect(status.evaluations).toBeGreaterThan(0);
    }
    const valuesOf = (tag: string) => outputs.filter((output) => output.tag === tag).map((output) => output.value);

    const efficiency = valuesOf('CALC.BOILER_EFF');
    expect(efficiency.length).toBeGreaterThan(0);
    for (const value of efficiency) {
      expect(typeof value).toBe('number');
      expect(Number.isFinite(value)).toBe(true);
      expect(value as number).toBeGreaterThan(10);
      expect(value as number).toBeLessThan(18);
    }

    const filtered = valuesOf('CALC.FW_FLOW_FILTERED');
    expect(filtered.length).toBeGreaterThan(0);
    const feedwater = engine.catalog.get('FT-301.PV')?.value as number;
    for (const value of filtered) expect(Number.isFinite(value)).toBe(true);
    expect(Math.abs((filtered.at(-1) as number) - feedwater)).toBeLessThan(5);

    // the chained script ran in the same passes, on the efficiency just computed
    const alarm = outputs.filter((output) => output.tag === 'CALC.BOILER_EFF_ALARM');
    expect(alarm.length).toBeGreaterThan(0);
    expect(alarm[0]).toMatchObject({ value: false, quality: 'good', script: { name: 'boiler_efficiency_alarm' } });
    expect(alarm[0].ts).toBe(outputs.find((output) => output.tag === 'CALC.BOILER_EFF')!.ts);
  });
});

describe('boiler_efficiency', () => {
  it('divides steam by fuel, holds the last good value flagged uncertain on a meter fault, and is null when not firing', async () => {
    const engine = await engineWith([byName('boiler_efficiency')]);
    const run = async (steam: TagValue, fuel: TagValue) =>
      (await engine.ingest([steam, fuel])).outputs.map((output) => [output.value, output.quality]);
    expect(await run(v('FT-101.PV', 42, 1000), v('FT-102.PV', 3, 1000))).toEqual([[14, 'good']]);
    // a steam meter fault: the last good value is held, marked uncertain rather than bad
    expect(await run(v('FT-101.PV', null, 2000, 'bad'), v('FT-102.PV', 3.1, 2000))).toEqual([[14, 'uncertain']]);
    expect(await run(v('FT-101.PV', 42.1, 3000), v('FT-102.PV', 3, 3000))).toEqual([[14.03, 'good']]);
    // a change within the deadband of 0.05 t/t is not published
    expect(await run(v('FT-101.PV', 42.15, 4000), v('FT-102.PV', 3, 4000))).toEqual([]);
    expect(await run(v('FT-101.PV', 39, 5000), v('FT-102.PV', 3, 5000))).toEqual([[13, 'good']]);
    expect(await run(v('FT-101.PV', 0.2, 6000), v('FT-102.PV', 0, 6000))).toEqual([[null, 'good']]);
  });
});

describe('feedwater_flow_filtered', () => {
  it('follows a step with a 30 s time constant and skips bad readings', async () => {
    const engine = await engineWith([byName('feedwater_flow_filtered')]);
    const latest = () => engine.catalog.get('CALC.FW_FLOW_FILTERED');
    await engine.ingest([v('FT-301.PV', 40, T0)]);
    expect(latest()).toMatchObject({ value: 40, quality: 'good' });
    for (let s = 1; s <= 30; s++) await engine.ingest([v('FT-301.PV', 50, T0 + s * 1000)]);
    // one time constant after a step of 10 t/h: 63 % of the way
    expect(latest()?.value as number).toBeCloseTo(40 + 10 * (1 - Math.exp(-1)), 1);
    const before = latest()?.value;
    await engine.ingest([v('FT-301.PV', 0, T0 + 31_000, 'bad')]);
    expect(latest()).toMatchObject({ value: before, quality: 'uncertain' });
  });
});

describe('boiler_efficiency_alarm', () => {
  it('raises after 2 minutes below 13.3, ignores short dips, and clears only above 13.6', async () => {
    const engine = await engineWith([byName('boiler_efficiency_alarm')]);
    const alarmAt = async (efficiency: number | null, seconds: number, quality: Quality = 'good') => {
      await engine.ingest([v('CALC.BOILER_EFF', efficiency, T0 + seconds * 1000, quality)]);
      return engine.catalog.get('CALC.BOILER_EFF_ALARM')?.value;
    };
    expect(await alarmAt(14.1, 0)).toBe(false);
    // a dip while the boiler follows a load change: recovers within 2 minutes, no alarm
    expect(await alarmAt(12.9, 10)).toBe(false);
    expect(await alarmAt(13.8, 70)).toBe(false);
    expect(await alarmAt(13.7, 140)).toBe(false);
    // low and not recovering: raised after 2 minutes
    expect(await alarmAt(13.1, 200)).toBe(false);
    expect(await alarmAt(13.45, 260)).toBe(false); // between the limits: still counting
    expect(await alarmAt(13.0, 320)).toBe(true);
    // back between the limits: stays raised (hysteresis); a doubtful value changes nothing
    expect(await alarmAt(13.5, 330)).toBe(true);
    expect(await alarmAt(14.5, 340, 'uncertain')).toBe(true);
    expect(await alarmAt(13.7, 350)).toBe(false);
  });
});
