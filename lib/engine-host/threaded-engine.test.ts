import { afterEach, describe, expect, it } from 'vitest';
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
