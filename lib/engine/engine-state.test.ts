import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import type { TagValue } from '../model/tag-value';
import type { EngineScriptSpec } from '../ports/engine';
import { ScriptSandbox } from '../sandbox/script-sandbox';
import { Engine } from './engine';

/** Scale-out: static state captured from one engine, restored in another; kept through a merge. */

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

function newEngine() {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 5, scriptsPerSandbox: 1 });
  engines.push(engine);
  return engine;
}

const counter = (id: string, input: string, output: string): EngineScriptSpec => {
  const definition: ScriptDraft = {
    name: id,
    inputs: [{ tag: input, alias: 'x' }],
    initCode: 'let n = 0;',
    calcCode: 'n++;\nconst out = n;',
    outputs: [{ tag: output, variable: 'out' }],
  };
  return { id, name: id, version: 1, definition };
};
const v = (tag: string, value: number, ts: number): TagValue => ({ tag, value, ts, quality: 'good' });
const outputsOf = (result: { outputs: Array<{ tag: string; value: unknown }> }) => result.outputs.map((output) => [output.tag, output.value]);

describe('Engine static state (scale-out)', () => {
  it('captures only changed scripts, and another engine continues from the captured state', async () => {
    const first = newEngine();
    await first.register(counter('c1', 'X', 'C1'));
    await first.register(counter('c2', 'Y', 'C2'));
    await first.ingest([v('X', 1, 1), v('Y', 1, 1)]);
    await first.ingest([v('X', 2, 2)]);
    expect((await first.captureState({})).map((entry) => [entry.id, entry.state])).toEqual([
      ['c1', { vars: { n: 2 }, undef: [] }],
      ['c2', { vars: { n: 1 }, undef: [] }],
    ]);
    await first.ingest([v('X', 3, 3)]);
    const changed = await first.captureState({ changedOnly: true });
    expect(changed).toEqual([{ id: 'c1', version: 1, state: { vars: { n: 3 }, undef: [] } }]);

    const second = newEngine();
    expect(await second.register({ ...counter('c1', 'X', 'C1'), restoreState: changed[0].state })).toEqual({ ok: true });
    expect(outputsOf(await second.ingest([v('X', 4, 4)]))).toEqual([['C1', 4]]);
  });

  it('captures a script with no initCode names without calling into its sandbox, and it continues elsewhere', async () => {
    const first = newEngine();
    await first.register(counter('c', 'X', 'C'));
    const plain = { id: 'p', name: 'p', version: 1, definition: { name: 'p', inputs: [{ tag: 'Y', alias: 'y' }], calcCode: 'const out = y * 2;', outputs: [{ tag: 'P', variable: 'out' }] } };
    await first.register(plain);
    await first.ingest([v('X', 1, 1), v('Y', 1, 1)]);
    const dumps = vi.spyOn(ScriptSandbox.prototype, 'dumpState');
    try {
      const captured = await first.captureState({ changedOnly: true });
      expect(captured.map((entry) => [entry.id, entry.state])).toEqual([
        ['c', { vars: { n: 1 }, undef: [] }],
        ['p', { vars: {}, undef: [] }],
      ]);
      // Only the counter's sandbox was asked for its variables.
      expect(dumps).toHaveBeenCalledTimes(1);
      const second = newEngine();
      expect(await second.register({ ...plain, restoreState: captured[1].state })).toEqual({ ok: true });
      expect(second.status('p')?.stateNotice ?? null).toBeNull();
      expect(outputsOf(await second.ingest([v('Y', 4, 4)]))).toEqual([['P', 8]]);
    } finally {
      dumps.mockRestore();
    }
  });

  it('shows in the status why a state could not be carried, and runs initCode instead', async () => {
    const engine = newEngine();
    const spec = { ...counter('m', 'X', 'M'), definition: { ...counter('m', 'X', 'M').definition, initCode: 'let n = 0;\nconst seen = new Set();' } };
    await engine.register(spec);
    const [captured] = await engine.captureState({});
    expect(captured.state).toMatchObject({ notice: expect.stringMatching(/'seen' holds a Set.*initCode/) });
    const other = newEngine();
    await other.register({ ...spec, restoreState: captured.state });
    expect(other.status('m')?.stateNotice).toMatch(/'seen' holds a Set/);
    expect(outputsOf(await other.ingest([v('X', 1, 1)]))).toEqual([['M', 1]]);
  });

  it('keeps the static state of two groups merged by a new script (one sandbox per script here)', async () => {
    const engine = newEngine();
    await engine.register(counter('a', 'X', 'A'));
    await engine.register(counter('b', 'Y', 'B'));
    await engine.ingest([v('X', 1, 1), v('Y', 1, 1)]);
    await engine.ingest([v('X', 2, 2), v('Y', 2, 2)]);
    expect(engine.sandboxCount).toBe(2);
    // sum reads both counters: the two groups merge into one sandbox.
    await engine.register({
      id: 'sum',
      name: 'sum',
      version: 1,
      definition: { name: 'sum', inputs: [{ tag: 'A', alias: 'a' }, { tag: 'B', alias: 'b' }], calcCode: 'const s = a + b;', outputs: [{ tag: 'S', variable: 's' }] },
    });
    const result = await engine.ingest([v('X', 3, 3), v('Y', 3, 3)]);
    expect(outputsOf(result)).toEqual(expect.arrayContaining([['A', 3], ['B', 3], ['S', 6]]));
  });

  it('unloads scripts without publishing anything for them', async () => {
    const engine = newEngine();
    await engine.register(counter('a', 'X', 'A'));
    await engine.unload(['a']);
    expect(engine.has('a')).toBe(false);
    expect((await engine.tick(Date.now())).outputs).toEqual([]);
  });
});
