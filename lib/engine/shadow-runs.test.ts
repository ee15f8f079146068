import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import type { TagValue } from '../model/tag-value';
import type { ShadowSpec } from '../ports/engine';
import { Engine, type EngineOptions } from './engine';
import { engineMethods } from './engine-methods';
import { ShadowRuns } from './shadow-runs';

const options: EngineOptions = { limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 2 };
const disposables: Array<{ dispose(): void }> = [];
afterEach(() => disposables.splice(0).forEach((item) => item.dispose()));

function setup() {
  const live = new Engine(options);
  const shadows = new ShadowRuns(options, live);
  disposables.push(live, shadows);
  return { live, shadows, methods: engineMethods(live, undefined, shadows) };
}

const v = (tag: string, value: TagValue['value'], ts: number): TagValue => ({ tag, value, ts, quality: 'good' });
const draft = (calcCode: string, extra: Partial<ScriptDraft> = {}): ScriptDraft => ({
  name: 'eff',
  inputs: [
    { tag: 'STEAM', alias: 'steam' },
    { tag: 'FUEL', alias: 'fuel' },
  ],
  calcCode,
  outputs: [{ tag: 'EFF', variable: 'eff' }],
  ...extra,
});
let shadowNumber = 0;
const candidate = (definition: ScriptDraft, version = 2): ShadowSpec => ({ shadowId: `sh${++shadowNumber}`, scriptId: 'eff', name: 'eff', version, definition });
const byTag = (outputs: Array<{ tag: string; value: unknown }>) => Object.fromEntries(outputs.map((output) => [output.tag, output.value]));

describe('shadow runs', () => {
  it('evaluate a candidate on the same values after the live version, its outputs apart and named by the script with the candidate version', async () => {
    const { live, methods } = setup();
    expect(await live.register({ id: 'eff', name: 'eff', version: 1, definition: draft('const eff = steam / fuel;') })).toEqual({ ok: true });
    // The candidate starts from the live version's latest inputs.
    await methods.ingest([v('STEAM', 12, 1000), v('FUEL', 4, 1000)]);
    expect(await methods.startShadow(candidate(draft('const eff = steam / fuel * 100;')))).toEqual({ ok: true });

    const pass = await methods.ingest([v('FUEL', 3, 2000)]);
    expect(byTag(pass.outputs)).toEqual({ EFF: 4 });
    expect(pass.outputs[0].script).toEqual({ id: 'eff', name: 'eff', version: 1 });
    expect(pass.shadow?.outputs).toEqual([{ tag: 'EFF', value: 400, ts: 2000, quality: 'good', script: { id: 'eff', name: 'eff', version: 2 } }]);
    expect(pass.shadow?.evaluations).toBe(1);
    // The live catalog holds the live value only.
    expect(live.catalog.get('EFF')?.value).toBe(4);
  });

  it('never lets a failing candidate touch the live outputs: it is quarantined alone', async () => {
    const { live, methods } = setup();
    await live.register({ id: 'eff', name: 'eff', version: 1, definition: draft('const eff = steam / fuel;') });
    await methods.ingest([v('STEAM', 10, 1000), v('FUEL', 5, 1000)]);
    await methods.startShadow(candidate(draft('if (fuel < 5) throw new Error("candidate broke"); const eff = 0;')));

    const first = await methods.ingest([v('FUEL', 2, 2000)]);
    const second = await methods.ingest([v('FUEL', 1, 3000)]);
    expect(byTag(first.outputs)).toEqual({ EFF: 5 });
    expect(byTag(second.outputs)).toEqual({ EFF: 10 });
    expect(first.failures + second.failures).toBe(0);
    expect(second.shadow?.quarantined).toEqual([{ id: 'eff', error: expect.objectContaining({ message: expect.stringContaining('candidate broke') }) }]);
    expect(second.quarantined).toEqual([]);
    expect(live.status('eff')).toMatchObject({ state: 'running', errors: 0 });
    expect(await methods.shadowStatuses()).toEqual([expect.objectContaining({ id: 'eff', state: 'quarantined', errors: 2 })]);
  });

  it('reads another script’s live output as the live version does', async () => {
    const { live, methods } = setup();
    await live.register({ id: 'sum', name: 'sum', version: 1, definition: { name: 'sum', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const s = a + 1;', outputs: [{ tag: 'S', variable: 's' }] } });
    const reader = { name: 'eff', inputs: [{ tag: 'S', alias: 's' }], calcCode: 'const eff = s * 2;', outputs: [{ tag: 'EFF', variable: 'eff' }] };
    await live.register({ id: 'eff', name: 'eff', version: 1, definition: reader });
    await methods.startShadow(candidate({ ...reader, calcCode: 'const eff = s * 3;' }));
    const pass = await methods.ingest([v('A', 1, 1000)]);
    expect(byTag(pass.outputs)).toEqual({ S: 2, EFF: 4 });
    expect(byTag(pass.shadow!.outputs)).toEqual({ EFF: 6 });
  });

  it('is given only the tags a candidate reads, and nothing once stopped; a replaced candidate’s last words are dropped', async () => {
    const { live, methods } = setup();
    await live.register({ id: 'eff', name: 'eff', version: 1, definition: draft('const eff = steam / fuel;') });
    await live.register({ id: 'other', name: 'other', version: 1, definition: { name: 'other', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x;', outputs: [{ tag: 'Y', variable: 'y' }] } });
    await methods.startShadow(candidate(draft('const eff = 1;')));
    const unrelated = await methods.ingest([v('X', 1, 1000)]);
    expect(unrelated.evaluations).toBe(1);
    expect(unrelated.shadow).toEqual({ outputs: [], evaluations: 0, failures: 0, quarantined: [], recovered: [] });

    // Replaced by a candidate with the same version number: the first one's stop is not reported.
    await methods.startShadow(candidate(draft('const eff = 2;')));
    const pass = await methods.ingest([v('STEAM', 1, 2000), v('FUEL', 1, 2000)]);
    expect(pass.shadow?.outputs.map((output) => [output.value, output.quality])).toEqual([[2, 'good']]);

    expect(await methods.stopShadow('eff')).toBe(true);
    expect(await methods.stopShadow('eff')).toBe(false);
    const after = await methods.ingest([v('STEAM', 2, 3000)]);
    expect(after.shadow).toBeUndefined();
    expect(byTag(after.outputs)).toEqual({ EFF: 2 });
  });

  it('gives a candidate the values of an input the live version does not read, and the live engine nothing once it stops', async () => {
    const { live, methods } = setup();
    await live.register({ id: 'eff', name: 'eff', version: 1, definition: draft('const eff = steam / fuel;') });
    await methods.ingest([v('STEAM', 12, 1000), v('FUEL', 4, 1000), v('LOSS', 1, 1000)]);
    const withLoss = draft('const eff = steam / fuel - loss;', { inputs: [...draft('').inputs, { tag: 'LOSS', alias: 'loss' }] });
    await methods.startShadow(candidate(withLoss));

    // LOSS alone triggers the candidate (from the live version's latest STEAM and FUEL), not the live version.
    const lossOnly = await methods.ingest([v('LOSS', 2, 2000)]);
    expect(lossOnly.evaluations).toBe(0);
    expect(lossOnly.shadow?.outputs.map((output) => [output.value, output.ts])).toEqual([[1, 2000]]);

    await methods.stopShadow('eff');
    const followed: TagValue[] = [];
    await live.ingest([v('LOSS', 3, 3000), v('STEAM', 8, 3000)], { followed });
    expect(followed).toEqual([]);
  });

  it('ticks a periodic candidate beside the live version', async () => {
    const { live, methods } = setup();
    const periodic = draft('const eff = steam;', { trigger: { type: 'periodic', intervalMs: 1000 } });
    await live.register({ id: 'eff', name: 'eff', version: 1, definition: periodic });
    await methods.ingest([v('STEAM', 7, 1000), v('FUEL', 1, 1000)]);
    await methods.startShadow(candidate({ ...periodic, calcCode: 'const eff = steam * 10;' }));
    const later = Date.now() + 5_000;
    const tick = await methods.tick(later);
    expect(byTag(tick.outputs)).toEqual({ EFF: 7 });
    expect(byTag(tick.shadow!.outputs)).toEqual({ EFF: 70 });
  });
});
