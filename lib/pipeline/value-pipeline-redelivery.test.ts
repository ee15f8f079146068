import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import type { EngineHost } from '../ports/engine';
import type { Bus, InputBatch } from '../ports/bus';
import type { OutputValue, TagValue } from '../model/tag-value';
import type { HistoryWriter } from '../history/history-writer';
import { TagCatalog } from '../tags/tag-catalog';
import { createLogger } from '../support/logger';
import { AppMetrics } from '../support/metrics';
import type { SnapshotWriter } from './snapshot-writer';
import { OwedValues, ValuePipeline } from './value-pipeline';

// Issue 18: a batch whose pass or publication failed after the engine took its values is rejected
// and read again by the bus. The engine holds those values by then, so without a replay their
// redelivery is all duplicates: nothing is evaluated, no output is published, and the offsets are
// committed — the outputs are lost. A real engine here, so "duplicate" is the engine's own answer.

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

/** S = A + 1 */
const PLUS_ONE = { name: 'plus', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const s = a + 1;', outputs: [{ tag: 'S', variable: 's' }] };

async function loadedEngine() {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 5 });
  engines.push(engine);
  expect(await engine.register({ id: 'plus', name: 'plus', version: 1, definition: PLUS_ONE })).toEqual({ ok: true });
  return engine;
}

async function harness(options: { failPublications?: number; failPasses?: number }) {
  let engine = await loadedEngine();
  let failPasses = options.failPasses ?? 0;
  const host = {
    // Like the engine thread failing a pass (and its replay) after it took the values: it is
    // restarted, its scripts loaded afresh and the latest values restored (threaded-engine.ts).
    async ingest(values: TagValue[], ingestOptions?: { replay?: boolean }) {
      const result = await engine.ingest(values, ingestOptions);
      if (failPasses-- > 0) {
        engine = await loadedEngine();
        await engine.restore(values.map((value) => ({ ...value, source: 'raw' as const })));
        throw new Error('the engine thread failed the pass');
      }
      return result;
    },
  } as unknown as EngineHost;
  const published: OutputValue[] = [];
  let failPublications = options.failPublications ?? 0;
  const bus = {
    async publishOutputs(values: readonly OutputValue[]) {
      if (failPublications-- > 0) throw new Error('KafkaJSRequestTimeoutError: Request Produce timed out');
      published.push(...values);
    },
  } as unknown as Bus;
  const pipeline = new ValuePipeline({
    engine: host,
    bus,
    catalog: new TagCatalog(),
    history: { add: () => undefined } as unknown as HistoryWriter,
    snapshot: { mark: () => undefined } as unknown as SnapshotWriter,
    metrics: new AppMetrics(),
    log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
    onQuarantined: () => undefined,
    gathering: { budgetMs: 0 },
  });
  const batchOf = (values: TagValue[]): InputBatch => ({ values: values.map((value) => ({ ...value })), rejected: 0, heartbeat: async () => undefined });
  return { pipeline, published, batchOf };
}

const v = (tag: string, value: number, ts: number): TagValue => ({ tag, value, ts, quality: 'good' });

describe('value pipeline: a failed batch read again', () => {
  it('publishes the outputs of a batch whose publication failed when the bus delivers it again', async () => {
    const { pipeline, published, batchOf } = await harness({ failPublications: 1 });
    const values = [v('A', 1, 1000), v('A', 2, 1001)];
    await expect(pipeline.handleBatch(batchOf(values))).rejects.toThrow(/timed out/);
    expect(published).toEqual([]);
    // The bus rejects the batch and reads it again from the committed offset.
    await pipeline.handleBatch(batchOf(values));
    expect(published.map(({ tag, value, ts }) => ({ tag, value, ts }))).toEqual([
      { tag: 'S', value: 2, ts: 1000 },
      { tag: 'S', value: 3, ts: 1001 },
    ]);
  });

  it('publishes the outputs of a batch whose pass failed after the engine took its values', async () => {
    const { pipeline, published, batchOf } = await harness({ failPasses: 1 });
    const values = [v('A', 5, 2000)];
    await expect(pipeline.handleBatch(batchOf(values))).rejects.toThrow(/failed the pass/);
    await pipeline.handleBatch(batchOf(values));
    expect(published.map(({ tag, value }) => ({ tag, value }))).toEqual([{ tag: 'S', value: 6 }]);
  });

  it('replays only once: a later delivery of the same values is a duplicate again', async () => {
    const { pipeline, published, batchOf } = await harness({ failPublications: 1 });
    const values = [v('A', 7, 3000)];
    await expect(pipeline.handleBatch(batchOf(values))).rejects.toThrow();
    await pipeline.handleBatch(batchOf(values));
    await pipeline.handleBatch(batchOf(values));
    expect(published.map(({ tag, value }) => ({ tag, value }))).toEqual([{ tag: 'S', value: 8 }]);
  });
});

describe('OwedValues', () => {
  const out = (value: number): OutputValue => ({ tag: 'S', value, ts: 1, quality: 'good', script: { id: 'plus', name: 'plus', version: 1 } });

  it('owes a failed publication its outputs and a failed pass a replay, once each, and drops the oldest past its limit', () => {
    const owed = new OwedValues(3);
    expect(owed.take([v('A', 1, 1)])).toEqual({ replay: false, outputs: [] });
    owed.add([v('A', 1, 1), v('B', 1, 1)], [out(2)]);
    owed.add([v('C', 1, 1), v('A', 1, 2)], null);
    expect(owed.size).toBe(3);
    expect(owed.take([v('A', 9, 1)])).toEqual({ replay: false, outputs: [] }); // the oldest, dropped
    // Both values of the failed publication's pass: its outputs once.
    expect(owed.take([v('B', 1, 1), v('A', 1, 2), v('C', 1, 1)])).toEqual({ replay: true, outputs: [out(2)] });
    expect(owed.size).toBe(0);
    expect(owed.take([v('B', 1, 1)])).toEqual({ replay: false, outputs: [] });
  });

  it("publishes a failed pass's outputs once when its values come back in several batches (one per partition)", () => {
    const owed = new OwedValues();
    owed.add([v('A', 1, 1), v('B', 1, 1)], [out(2), out(3)]);
    expect(owed.take([v('A', 1, 1)])).toEqual({ replay: false, outputs: [out(2), out(3)] });
    expect(owed.take([v('B', 1, 1)])).toEqual({ replay: false, outputs: [] });
  });
});
