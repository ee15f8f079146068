import { describe, expect, it } from 'vitest';
import type { PassResult } from '../ports/engine';
import type { EngineHost } from '../ports/engine';
import { TagCatalog } from '../tags/tag-catalog';
import { createLogger } from '../support/logger';
import type { Bus, InputBatch } from '../ports/bus';
import type { OutputValue, TagValue } from '../model/tag-value';
import type { HistoryWriter } from '../history/history-writer';
import type { HistoryRecord } from '../ports/history-store';
import { AppMetrics } from '../support/metrics';
import type { SnapshotWriter } from './snapshot-writer';
import { ValuePipeline, type PassGathering } from './value-pipeline';
import { ShadowBoard } from '../shadows/shadow-board';

/** A promise with its resolve and reject in hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * An engine whose passes finish when the test says so (each output doubles its input, tag X → X.out),
 * and a bus whose acknowledgements the test gives: enough to watch what the pipeline overlaps.
 */
function harness(gathering?: Partial<PassGathering>) {
  const passes: Array<{ values: TagValue[]; done: ReturnType<typeof deferred<PassResult>> }> = [];
  const publications: Array<{ tags: string[]; acked: ReturnType<typeof deferred<void>> }> = [];
  const engine = {
    ingest(values: TagValue[]) {
      const done = deferred<PassResult>();
      passes.push({ values, done });
      return done.promise;
    },
  } as unknown as EngineHost;
  const bus = {
    publishOutputs(values: readonly OutputValue[]) {
      const acked = deferred<void>();
      publications.push({ tags: values.map((value) => value.tag), acked });
      return acked.promise;
    },
  } as unknown as Bus;
  const catalog = new TagCatalog();
  const historyRecords: HistoryRecord[] = [];
  const history = { add: (records: readonly HistoryRecord[]) => void historyRecords.push(...records) } as unknown as HistoryWriter;
  const marked: Array<{ tag: string; ts: number }> = [];
  const snapshot = { mark: (states: Iterable<{ tag: string; ts: number }>) => void marked.push(...[...states].map(({ tag, ts }) => ({ tag, ts }))) } as unknown as SnapshotWriter;
  const pipeline = new ValuePipeline({
    engine,
    bus,
    catalog,
    history,
    snapshot,
    metrics: new AppMetrics(),
    log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
    onQuarantined: () => undefined,
    gathering,
  });
  const finishPass = (index: number) => {
    const { values, done } = passes[index];
    const outputs = values.map((value) => ({ ...value, tag: `${value.tag}.out`, value: Number(value.value) * 2, script: { id: 's', name: 's', version: 1 } }));
    done.resolve({ outputs, evaluations: values.length, failures: 0, older: 0, duplicates: 0, quarantined: [] });
  };
  /** Hands a batch to the pipeline as the bus would; reports when its handler settles. */
  const hand = (...tags: string[]) => handAt(1000, ...tags);
  const handAt = (ts: number, ...tags: string[]) => {
    const state = { settled: 'pending' as 'pending' | 'resolved' | 'rejected', error: undefined as unknown };
    const batch: InputBatch = { values: tags.map((tag, index) => ({ tag, value: index + 1, ts: ts + index, quality: 'good' })), rejected: 0, heartbeat: async () => undefined };
    pipeline.handleBatch(batch).then(
      () => (state.settled = 'resolved'),
      (error: unknown) => ((state.settled = 'rejected'), (state.error = error)),
    );
    return state;
  };
  return { passes, publications, catalog, marked, historyRecords, finishPass, hand, handAt };
}

describe('ValuePipeline', () => {
  it('writes raw values and acknowledged outputs to history, outputs with their lineage', async () => {
    const { publications, historyRecords, finishPass, hand } = harness();
    hand('A');
    await flush();
    finishPass(0);
    await flush();
    publications[0].acked.resolve();
    await flush();
    expect(historyRecords).toEqual([
      { tag: 'A', value: 1, ts: 1000, quality: 'good', source: 'raw' },
      { tag: 'A.out', value: 2, ts: 1000, quality: 'good', source: 'script', script: { id: 's', name: 's', version: 1 } },
    ]);
  });

  it('evaluates batches that arrive while the engine is busy together, in its next pass', async () => {
    const { passes, finishPass, hand } = harness();
    hand('A');
    await flush();
    hand('B');
    hand('C');
    await flush();
    expect(passes.map((pass) => pass.values.map((value) => value.tag))).toEqual([['A']]);
    finishPass(0);
    await flush();
    expect(passes.map((pass) => pass.values.map((value) => value.tag))).toEqual([['A'], ['B', 'C']]);
  });

  it('while the engine is busy, holds a small pass back until enough values wait', async () => {
    // busyShare 0: the engine counts as busy from the start.
    const { passes, hand } = harness({ busyShare: 0, values: 3, budgetMs: 10_000 });
    hand('A');
    await flush();
    expect(passes).toHaveLength(0);
    hand('B');
    await flush();
    expect(passes).toHaveLength(0);
    hand('C');
    await flush();
    expect(passes.map((pass) => pass.values.map((value) => value.tag))).toEqual([['A', 'B', 'C']]);
  });

  it('while the engine is busy, starts a small pass once its oldest value has waited the latency budget', async () => {
    const { passes, hand } = harness({ busyShare: 0, values: 1000, budgetMs: 30 });
    hand('A');
    await flush();
    expect(passes).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(passes.map((pass) => pass.values.map((value) => value.tag))).toEqual([['A']]);
  });

  it('starts a pass at once when the engine has been idle, however few values wait', async () => {
    const { passes, hand } = harness({ values: 1000, budgetMs: 10_000 });
    hand('A');
    await flush();
    expect(passes.map((pass) => pass.values.map((value) => value.tag))).toEqual([['A']]);
  });

  it('settles a handler only once its outputs are acknowledged, and publishes passes in the order they ran', async () => {
    const { passes, publications, catalog, finishPass, hand } = harness();
    const first = hand('A');
    await flush();
    const second = hand('B');
    finishPass(0);
    await flush();
    // The next pass runs while the first one's outputs wait for their acknowledgement…
    expect(passes).toHaveLength(2);
    finishPass(1);
    await flush();
    // …but its outputs are not sent before the first pass's are acknowledged.
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out']]);
    expect([first.settled, second.settled]).toEqual(['pending', 'pending']);
    publications[0].acked.resolve();
    await flush();
    expect(first.settled).toBe('resolved');
    expect(second.settled).toBe('pending');
    expect(catalog.get('A.out')?.value).toBe(2);
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out'], ['B.out']]);
    publications[1].acked.resolve();
    await flush();
    expect(second.settled).toBe('resolved');
  });

  it('fails the handlers of a pass the engine could not run, and goes on with the next batches', async () => {
    const { passes, finishPass, hand } = harness();
    const failed = hand('A');
    await flush();
    passes[0].done.reject(new Error('the engine thread stopped'));
    await flush();
    expect(failed.settled).toBe('rejected');
    expect(String(failed.error)).toMatch(/engine thread stopped/);
    const next = hand('B');
    await flush();
    expect(passes).toHaveLength(2);
    finishPass(1);
    await flush();
    expect(next.settled).toBe('pending'); // waiting for its acknowledgement
  });

  it('fails the handlers whose outputs the bus refused (nothing is committed for them); later passes are still published', async () => {
    const { publications, finishPass, hand } = harness();
    const refused = hand('A');
    await flush();
    const later = hand('B');
    finishPass(0);
    await flush();
    finishPass(1);
    await flush();
    publications[0].acked.reject(new Error('broker unreachable'));
    await flush();
    expect(refused.settled).toBe('rejected');
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out'], ['B.out']]);
    publications[1].acked.resolve();
    await flush();
    expect(later.settled).toBe('resolved');
  });

  it('publishes the passes that finished during a publication together as the next one, in pass order, and settles them only after its acknowledgement', async () => {
    const { publications, catalog, finishPass, hand } = harness({ budgetMs: 0 });
    const first = hand('A');
    await flush();
    const second = hand('B');
    finishPass(0);
    await flush();
    const third = hand('C', 'D');
    finishPass(1);
    await flush();
    finishPass(2);
    await flush();
    // One publication in flight; the two passes that finished meanwhile wait for it.
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out']]);
    publications[0].acked.resolve();
    await flush();
    expect(first.settled).toBe('resolved');
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out'], ['B.out', 'C.out', 'D.out']]);
    expect([second.settled, third.settled]).toEqual(['pending', 'pending']);
    expect(catalog.get('B.out')).toBeUndefined();
    publications[1].acked.resolve();
    await flush();
    expect([second.settled, third.settled]).toEqual(['resolved', 'resolved']);
    expect(catalog.get('D.out')?.value).toBe(4);
  });

  it('fails every pass of a refused joint publication; the passes after it are still published', async () => {
    const { publications, finishPass, hand } = harness({ budgetMs: 0 });
    hand('A');
    await flush();
    const second = hand('B');
    finishPass(0);
    await flush();
    const third = hand('C');
    finishPass(1);
    await flush();
    finishPass(2);
    await flush();
    publications[0].acked.resolve();
    await flush();
    const fourth = hand('E');
    await flush();
    finishPass(3);
    await flush();
    publications[1].acked.reject(new Error('broker unreachable'));
    await flush();
    expect([second.settled, third.settled]).toEqual(['rejected', 'rejected']);
    expect(publications.map((publication) => publication.tags)).toEqual([['A.out'], ['B.out', 'C.out'], ['E.out']]);
    publications[2].acked.resolve();
    await flush();
    expect(fourth.settled).toBe('resolved');
  });

  it('puts in the restart snapshot only values whose outputs are acknowledged, even when another partition holds a newer value of the tag', async () => {
    const { publications, catalog, marked, finishPass, handAt } = harness();
    handAt(1000, 'X');
    await flush();
    handAt(2000, 'X'); // the same tag from another partition (producers need not key by tag)
    finishPass(0);
    await flush();
    finishPass(1);
    await flush();
    expect(catalog.get('X')?.ts).toBe(2000);
    publications[0].acked.resolve();
    await flush();
    // The first pass's outputs are acknowledged, the second's are not: X@2000 must not be saved yet.
    expect(marked.filter((state) => state.tag === 'X')).toEqual([{ tag: 'X', ts: 1000 }]);
    publications[1].acked.resolve();
    await flush();
    expect(marked.filter((state) => state.tag === 'X')).toEqual([
      { tag: 'X', ts: 1000 },
      { tag: 'X', ts: 2000 },
    ]);
  });
});

describe('ValuePipeline with a shadow run', () => {
  it('publishes, stores and catalogs the live outputs only, and gives both sides to the comparison', async () => {
    const lineage = (version: number) => ({ id: 'eff', name: 'eff', version });
    const engine = {
      ingest: async (): Promise<PassResult> => ({
        outputs: [{ tag: 'EFF', value: 4, ts: 1000, quality: 'good', script: lineage(1) }],
        evaluations: 1,
        failures: 0,
        older: 0,
        duplicates: 0,
        quarantined: [],
        shadow: { outputs: [{ tag: 'EFF', value: 400, ts: 1000, quality: 'good', script: lineage(2) }], evaluations: 1, failures: 0, quarantined: [], recovered: [] },
      }),
    } as unknown as EngineHost;
    const published: OutputValue[] = [];
    const stored: Array<{ tag: string; value: unknown }> = [];
    const catalog = new TagCatalog();
    const shadows = new ShadowBoard();
    shadows.begin({ shadowId: 'sh', scriptId: 'eff', version: 2, startedAt: 0, outputTags: ['EFF'] }, () => undefined);
    const pipeline = new ValuePipeline({
      engine,
      bus: { publishOutputs: async (values: readonly OutputValue[]) => void published.push(...values) } as unknown as Bus,
      catalog,
      history: { add: (records: Array<{ tag: string; value: unknown }>) => void stored.push(...records) } as unknown as HistoryWriter,
      snapshot: { mark: () => undefined } as unknown as SnapshotWriter,
      metrics: new AppMetrics(),
      log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
      onQuarantined: () => undefined,
      shadows,
    });
    await pipeline.handleBatch({ values: [{ tag: 'FUEL', value: 3, ts: 1000, quality: 'good' }], rejected: 0, heartbeat: async () => undefined });
    expect(published.map((output) => [output.tag, output.value])).toEqual([['EFF', 4]]);
    expect(stored.filter((record) => record.tag === 'EFF').map((record) => record.value)).toEqual([4]);
    expect(catalog.get('EFF')?.value).toBe(4);
    expect(shadows.comparison('eff')!.EFF).toMatchObject({ compared: 1, differing: 1, maxAbsDiff: 396, live: { value: 4 }, shadow: { value: 400 } });
  });
});
