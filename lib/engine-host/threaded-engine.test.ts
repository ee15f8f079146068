import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TagState } from '../model/tag-value';
import { threadEntry } from '../threads/thread-rpc';
import { silentLogger } from '../support/logger';
import type { EngineHost } from '../ports/engine';
import { threadedEngine } from './threaded-engine';
import { ENGINE_THREAD } from '../../workers/thread-entries';

const hosts: EngineHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

describe('threadedEngine', () => {
  it('evaluates in a worker thread with the same results as in process', async () => {
    const engine = threadedEngine({ entry: ENGINE_THREAD, limits: { cpuMs: 50, initCpuMs: 500, memoryMb: 32 }, quarantineAfter: 5, logger: silentLogger, latestValues: () => [] });
    hosts.push(engine);
    expect(
      await engine.register({
        id: 'double',
        name: 'double',
        version: 3,
        definition: { name: 'double', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: 'Y', variable: 'y' }] },
      }),
    ).toEqual({ ok: true });
    const result = await engine.ingest([{ tag: 'X', value: 21, ts: 1_764_237_600_000, quality: 'good' }]);
    expect(result.outputs).toEqual([{ tag: 'Y', value: 42, ts: 1_764_237_600_000, quality: 'good', script: { id: 'double', name: 'double', version: 3 } }]);
    expect((await engine.statuses())[0]).toMatchObject({ id: 'double', evaluations: 1, state: 'running' });
  });

  it('reports a script that does not compile without loading it', async () => {
    const engine = threadedEngine({ entry: ENGINE_THREAD, limits: { cpuMs: 50, initCpuMs: 500, memoryMb: 32 }, quarantineAfter: 5, logger: silentLogger, latestValues: () => [] });
    hosts.push(engine);
    const outcome = await engine.register({
      id: 'broken',
      name: 'broken',
      version: 1,
      definition: { name: 'broken', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x *;', outputs: [{ tag: 'Y', variable: 'y' }] },
    });
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid', diagnostics: [{ kind: 'syntax', line: 1 }] });
    expect(await engine.statuses()).toEqual([]);
  });
});

describe('threadedEngine, a thread that dies in the middle of a pass', () => {
  it('evaluates the pass again in the restarted thread (as a replay): its outputs are not lost to the values it had taken', async () => {
    const mark = path.join(mkdtempSync(path.join(os.tmpdir(), 'dying-engine-')), 'die');
    process.env.DYING_ENGINE_MARK = mark;
    // What the pipeline's catalog holds: it applies a batch's values before the engine evaluates them,
    // and a restarted thread is given them back (latestValues).
    const held: TagState[] = [];
    const engine = threadedEngine({
      entry: threadEntry('dying-engine-thread', new URL('../../tests/helpers/dying-engine-thread.ts', import.meta.url).href),
      limits: { cpuMs: 50, initCpuMs: 500, memoryMb: 32 },
      quarantineAfter: 5,
      logger: silentLogger,
      latestValues: () => held,
    });
    hosts.push(engine);
    const definition = { name: 'double', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: 'Y', variable: 'y' }] };
    expect(await engine.register({ id: 'double', name: 'double', version: 1, definition })).toEqual({ ok: true });
    const first = { tag: 'X', value: 1, ts: 1_764_237_600_000, quality: 'good' as const };
    held.push({ ...first, source: 'raw' });
    expect((await engine.ingest([first])).outputs.map((output) => output.value)).toEqual([2]);

    const value = { tag: 'X', value: 21, ts: 1_764_237_601_000, quality: 'good' as const };
    held.splice(0, 1, { ...value, source: 'raw' });
    writeFileSync(mark, '');
    const result = await engine.ingest([value]);
    expect(result.outputs).toEqual([{ tag: 'Y', value: 42, ts: value.ts, quality: 'good', script: { id: 'double', name: 'double', version: 1 } }]);
    // The thread did die: the mark is gone.
    await expect(import('node:fs').then((fs) => fs.existsSync(mark))).resolves.toBe(false);
    delete process.env.DYING_ENGINE_MARK;
  });
});

describe('threadedEngine shadow runs', () => {
  it('stops a candidate that hangs the thread alone: the live outputs of the batch still come, and go on coming', async () => {
    const engine = threadedEngine({
      entry: ENGINE_THREAD,
      limits: { cpuMs: 50, initCpuMs: 500, memoryMb: 64 },
      quarantineAfter: 5,
      logger: silentLogger,
      latestValues: () => [],
      hangMs: 350,
    });
    hosts.push(engine);
    const definition = { name: 'double', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: 'Y', variable: 'y' }] };
    expect(await engine.register({ id: 'double', name: 'double', version: 1, definition })).toEqual({ ok: true });
    // A native call the interpreter's deadline cannot interrupt: only the watchdog stops it.
    const hanging = { ...definition, calcCode: 'const s = "a".repeat(4e6);\nfor (;;) s.indexOf("b");\nconst y = 1;' };
    expect(await engine.startShadow({ shadowId: 'sh-hang', scriptId: 'double', name: 'double', version: 2, definition: hanging })).toEqual({ ok: true });

    const result = await engine.ingest([{ tag: 'X', value: 21, ts: 1_764_237_600_000, quality: 'good' }]);
    expect(result.outputs.map((output) => [output.tag, output.value])).toEqual([['Y', 42]]);
    expect(result.quarantined).toEqual([]);
    expect(result.shadow?.quarantined).toEqual([{ id: 'double', error: expect.objectContaining({ kind: 'timeout' }) }]);
    expect(await engine.shadowStatuses()).toEqual([expect.objectContaining({ id: 'double', shadowId: 'sh-hang', state: 'quarantined' })]);

    const next = await engine.ingest([{ tag: 'X', value: 5, ts: 1_764_237_601_000, quality: 'good' }]);
    expect(next.outputs.map((output) => [output.tag, output.value])).toEqual([['Y', 10]]);
    expect(next.shadow).toBeUndefined();
    expect(await engine.stopShadow('double')).toBe(true);
    expect(await engine.shadowStatuses()).toEqual([]);
  }, 60_000);
});
