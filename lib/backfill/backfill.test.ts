import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlHistoryStore } from '../adapters/history/sql-history-store';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import { SqlJobStore } from '../adapters/store/sql-job-store';
import { SqlScriptStore } from '../adapters/store/sql-script-store';
import { Engine } from '../engine/engine';
import { inProcessLab } from '../lab-host/in-process-lab';
import { AuditQuerySchema, SYSTEM_ACTOR, type ChangeAuthor } from '../model/audit';
import type { JobProgress, StoredJob } from '../model/job';
import type { ScriptDraft } from '../model/script-schema';
import type { HistoryRecord, HistoryRow } from '../ports/history-store';
import type { JobStore } from '../ports/job-store';
import { silentLogger } from '../support/logger';
import type { BackfillPorts } from './backfill-ports';
import { backfill, BACKFILL_CHUNK_STEPS, BackfillRunner } from './backfill-runner';
import { cancelJob, getJob, listJobs } from './read-jobs';
import { startBackfill } from './start-backfill';

/**
 * Backfill jobs over the real SQL stores (PGlite) and the lab in this thread: the values written
 * are the ones the live engine publishes for the same inputs, `fill` keeps what is there, a job
 * overlapping another is refused, a cancel stops it at the next chunk, an interrupted job resumes.
 */

const limits = { cpuMs: 200, initCpuMs: 500, memoryMb: 64 };
const lab = inProcessLab(limits);
const T0 = Date.UTC(2026, 9, 1);
const at = (seconds: number) => T0 + seconds * 1000;
/** More steps than one chunk: the state must carry across chunk boundaries. */
const STEPS = 8 * BACKFILL_CHUNK_STEPS + 300;
const author: ChangeAuthor = { actor: SYSTEM_ACTOR, by: { id: 'u1', name: 'alice' }, requestId: 'test' };

const draft: ScriptDraft = {
  name: 'totaliser',
  description: '',
  inputs: [
    { tag: 'BF.FLOW', alias: 'flow' },
    { tag: 'BF.TEMP', alias: 'temp' },
  ],
  initCode: 'let total = 0;\nlet previous = null;',
  calcCode:
    'total += flow;\nconst delta = previous === null ? 0 : temp - previous;\nprevious = temp;\nif (flow === 13) throw new Error("thirteen");\nconst alarm = delta > 2;',
  outputs: [
    { tag: 'BF.TOTAL', variable: 'total' },
    { tag: 'BF.DELTA', variable: 'delta', deadband: 0.5 },
    { tag: 'BF.ALARM', variable: 'alarm' },
  ],
  trigger: { type: 'onChange' },
} as ScriptDraft;
const OUTPUTS = ['BF.TOTAL', 'BF.DELTA', 'BF.ALARM'];

let database: DatabaseHandle;
let history: SqlHistoryStore;
let jobs: SqlJobStore;
let store: SqlScriptStore;
let identities: SqlIdentityStore;
let scriptId: string;
let raw: HistoryRecord[];
let ports: BackfillPorts;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder: path.resolve(__dirname, '../../db/migrations') });
  history = new SqlHistoryStore(database.db);
  jobs = new SqlJobStore(database);
  store = new SqlScriptStore(database);
  identities = new SqlIdentityStore(database);
  scriptId = (await store.create(draft)).id;
  raw = [];
  for (let second = 0; second < STEPS; second++) {
    if (second % 3 !== 1) raw.push({ tag: 'BF.FLOW', ts: at(second), value: (second * 7) % 17, quality: 'good', source: 'raw' });
    if (second % 2 === 0) raw.push({ tag: 'BF.TEMP', ts: at(second), value: 20 + ((second * 13) % 9), quality: second === 10 ? 'uncertain' : 'good', source: 'raw' });
  }
  await history.writeBulk(raw);
  ports = { store, history, jobs, lab, log: silentLogger, now: () => at(STEPS + 3600) };
}, 180_000);

afterAll(async () => {
  await lab.close();
  await database?.close();
});

/** What the live engine publishes for the raw values, as history rows with lineage. */
async function liveOutputs(): Promise<HistoryRow[]> {
  const engine = new Engine({ limits, quarantineAfter: 1_000_000, clock: () => at(0) });
  try {
    expect(await engine.register({ id: scriptId, name: draft.name, version: 1, definition: draft })).toEqual({ ok: true });
    const outputs: HistoryRow[] = [];
    // Batches end between timestamps: the values of one instant reach the engine together.
    for (let start = 0, end = 0; start < raw.length; start = end) {
      end = Math.min(raw.length, start + 5000);
      while (end < raw.length && raw[end].ts === raw[end - 1].ts) end++;
      const pass = await engine.ingest(raw.slice(start, end).map(({ source: _source, ...value }) => value));
      for (const output of pass.outputs) outputs.push({ ...output, source: 'script' });
    }
    return outputs;
  } finally {
    engine.dispose();
  }
}

async function outputRows(): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  for await (const page of history.readRows(OUTPUTS, at(0), at(STEPS))) rows.push(...page);
  return rows;
}

/** Rows in one order, for comparing: by tag, then time. */
const sorted = (rows: HistoryRow[]) =>
  rows
    .map((row) => ({ tag: row.tag, ts: row.ts, value: row.value, quality: row.quality, reason: row.reason, script: row.script }))
    .sort((a, b) => (a.tag === b.tag ? a.ts - b.ts : a.tag < b.tag ? -1 : 1));

/** Queues a job and runs it to its end here (the runner's path without its timers). */
async function runJob(request: { from: string; to: string; mode?: 'replace' | 'fill' }, jobStore: JobStore = jobs): Promise<StoredJob> {
  const started = await startBackfill(ports, scriptId, request, author);
  const claimed = await jobStore.claim(new Date(ports.now()), new Date(0));
  expect(claimed?.id).toBe(started.id);
  const progress: JobProgress = { ...claimed!.progress };
  const outcome = await backfill({ ...ports, jobs: jobStore }, claimed!, progress);
  if (outcome !== 'interrupted') await jobStore.finish(claimed!.id, outcome.error ? 'failed' : 'done', progress, outcome.error, new Date(ports.now()));
  return (await jobs.get(started.id))!;
}

const whole = { from: new Date(at(0)).toISOString(), to: new Date(at(STEPS)).toISOString() };

describe('backfill', () => {
  it('writes exactly the values the live engine publishes for the same inputs, with their lineage', async () => {
    const live = await liveOutputs();
    expect(live.length).toBeGreaterThan(STEPS);
    expect(live.some((row) => row.reason === 'error')).toBe(true);
    const job = await runJob(whole);
    expect(job.state).toBe('done');
    expect(job.error).toBeNull();
    const written = await outputRows();
    expect(sorted(written)).toEqual(sorted(live));
    expect(job.progress).toMatchObject({ fraction: 1, processedUntil: at(STEPS), written: live.length });
    expect(job.progress.errors).toBeGreaterThan(0);
  }, 120_000);

  it('replace rewrites the period; fill writes only where an output has no value', async () => {
    const live = sorted(await outputRows());
    const foreign = [100, 101, 102].map((second): HistoryRecord => ({ tag: 'BF.TOTAL', ts: at(second), value: -1, quality: 'bad', source: 'raw' }));
    await history.deleteRange('BF.TOTAL', at(50), at(200));
    await history.writeBulk(foreign);

    const filled = await runJob({ ...whole, mode: 'fill' });
    expect(filled.state).toBe('done');
    const afterFill = sorted(await outputRows());
    for (const point of foreign) expect(afterFill.find((row) => row.tag === 'BF.TOTAL' && row.ts === point.ts)?.value).toBe(-1);
    const expectedGap = live.filter((row) => row.tag === 'BF.TOTAL' && row.ts >= at(50) && row.ts < at(200) && ![100, 101, 102].includes((row.ts - T0) / 1000));
    expect(filled.progress.written).toBe(expectedGap.length);
    expect(afterFill.filter((row) => row.tag === 'BF.TOTAL' && row.ts >= at(50) && row.ts < at(200) && row.value !== -1)).toEqual(expectedGap);

    const replaced = await runJob({ ...whole, mode: 'replace' });
    expect(replaced.state).toBe('done');
    expect(sorted(await outputRows())).toEqual(live);
  }, 120_000);

  it('refuses with CONFLICT a job overlapping a queued or running one of the script, and audits start and cancel', async () => {
    const first = await startBackfill(ports, scriptId, { from: new Date(at(0)).toISOString(), to: new Date(at(100)).toISOString() }, author);
    expect(first.state).toBe('queued');
    await expect(startBackfill(ports, scriptId, { from: new Date(at(99)).toISOString(), to: new Date(at(300)).toISOString() }, author)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(first.id),
    });
    const second = await startBackfill(ports, scriptId, { from: new Date(at(100)).toISOString(), to: new Date(at(300)).toISOString() }, author);
    const cancelled = await cancelJob(ports, first.id, author);
    expect(cancelled).toMatchObject({ id: first.id, state: 'cancelled', finishedAt: expect.any(String) });
    await expect(cancelJob(ports, first.id, author)).rejects.toMatchObject({ code: 'CONFLICT' });
    await cancelJob(ports, second.id, author);
    const audit = await identities.listAudit(AuditQuerySchema.parse({ targetId: scriptId }));
    const actions = audit.entries.filter((entry) => entry.details.jobId === first.id).map((entry) => entry.action);
    expect(actions.sort()).toEqual(['backfill.cancel', 'backfill.start']);
    // Once cancelled, the period is free again.
    const again = await startBackfill(ports, scriptId, { from: new Date(at(0)).toISOString(), to: new Date(at(100)).toISOString() }, author);
    await cancelJob(ports, again.id, author);
  });

  it('answers the Job of the spec, listed by script and state', async () => {
    const started = await startBackfill(ports, scriptId, { from: new Date(at(0)).toISOString(), to: new Date(at(10)).toISOString(), mode: 'fill' }, author);
    expect(Object.keys(started).sort()).toEqual(
      ['id', 'kind', 'scriptId', 'version', 'from', 'to', 'mode', 'state', 'progress', 'startedAt', 'finishedAt', 'error', 'createdBy', 'warnings'].sort(),
    );
    const job = await getJob(ports, started.id);
    expect(job).toEqual({
      id: started.id,
      kind: 'backfill',
      scriptId,
      version: 1,
      from: new Date(at(0)).toISOString(),
      to: new Date(at(10)).toISOString(),
      mode: 'fill',
      state: 'queued',
      progress: { fraction: 0, processedUntil: null, evaluations: 0, written: 0, errors: 0 },
      startedAt: null,
      finishedAt: null,
      error: null,
      createdBy: { id: 'u1', name: 'alice' },
    });
    expect((await listJobs(ports, { scriptId, state: 'queued' })).jobs.map((entry) => entry.id)).toEqual([started.id]);
    await cancelJob(ports, started.id, author);
    await expect(getJob(ports, 'no-such-job')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('warns that outputs feeding another script do not recompute it', async () => {
    const dependant = await store.create({ ...draft, name: 'dependant', inputs: [{ tag: 'BF.TOTAL', alias: 'total' }], initCode: '', calcCode: 'const twice = total * 2;', outputs: [{ tag: 'BF.TWICE', variable: 'twice' }] } as ScriptDraft);
    const started = await startBackfill(ports, scriptId, { from: new Date(at(0)).toISOString(), to: new Date(at(10)).toISOString() }, author);
    expect(started.warnings).toEqual([expect.stringContaining("output 'BF.TOTAL' feeds script 'dependant'")]);
    await cancelJob(ports, started.id, author);
    await store.delete(dependant.id);
  });

  it('stops at the next chunk when cancelled; what was written stays and is reported', async () => {
    await history.deleteRange('BF.TOTAL', at(0), at(STEPS));
    let cancelled = false;
    const cancelling: JobStore = Object.create(jobs);
    cancelling.saveProgress = async (id, progress, now) => {
      if (!cancelled) {
        cancelled = true;
        await cancelJob(ports, id, author);
      }
      return jobs.saveProgress(id, progress, now);
    };
    const job = await runJob(whole, cancelling);
    expect(job.state).toBe('cancelled');
    expect(job.progress.processedUntil).toBeLessThan(at(STEPS));
    expect(job.progress.written).toBeGreaterThan(0);
    const totals = (await outputRows()).filter((row) => row.tag === 'BF.TOTAL');
    expect(totals.length).toBeGreaterThan(0);
    expect(Math.max(...totals.map((row) => row.ts))).toBeLessThan(job.progress.processedUntil!);
  }, 120_000);

  /** The live outputs, then a backfill of the whole period (outputs deleted first) stopped after `chunks` chunks. */
  async function interruptedAfter(chunks: number, chunkSteps?: number) {
    const live = sorted(await liveOutputs());
    for (const tag of OUTPUTS) await history.deleteRange(tag, at(0), at(STEPS));
    const started = await startBackfill(ports, scriptId, whole, author);
    const claimed = (await jobs.claim(new Date(ports.now()), new Date(0)))!;
    const progress = { ...claimed.progress };
    let done = 0;
    expect(await backfill(ports, claimed, progress, () => ++done >= chunks, chunkSteps)).toBe('interrupted');
    return { live, started, halfway: (await jobs.get(started.id))! };
  }

  it('resumes an interrupted job from its last written chunk, with the state rebuilt from `from`', async () => {
    const { live, started, halfway } = await interruptedAfter(1);
    expect(halfway.state).toBe('running');
    expect(halfway.progress.processedUntil).toBeGreaterThan(at(0));
    expect(halfway.progress.processedUntil).toBeLessThan(at(STEPS));

    // A fresh heartbeat is not taken over; a stale one is (its process died).
    expect(await jobs.claim(new Date(ports.now()), new Date(halfway.heartbeatAt!.getTime() - 1))).toBeNull();
    const resumed = (await jobs.claim(new Date(ports.now()), new Date(halfway.heartbeatAt!.getTime() + 1)))!;
    expect(resumed.id).toBe(started.id);
    const rest = { ...resumed.progress };
    const outcome = await backfill(ports, resumed, rest);
    expect(outcome).toEqual({ error: null });
    await jobs.finish(resumed.id, 'done', rest, null, new Date(ports.now()));
    expect(sorted(await outputRows())).toEqual(live);
    expect(rest.written).toBe(live.length);
  }, 120_000);

  it('works in chunks of BACKFILL_CHUNK_STEPS: stops at that grain and resumes to the live values', async () => {
    const { live, halfway } = await interruptedAfter(3, 500);
    // Three chunks of 500 steps (each step evaluates at most once), far less than one default chunk.
    expect(halfway.progress.evaluations).toBeGreaterThan(0);
    expect(halfway.progress.evaluations).toBeLessThanOrEqual(3 * 500);
    expect(halfway.progress.processedUntil).toBeLessThan(at(STEPS));
    const resumed = (await jobs.claim(new Date(ports.now()), new Date(halfway.heartbeatAt!.getTime() + 1)))!;
    const rest = { ...resumed.progress };
    expect(await backfill(ports, resumed, rest, () => false, 500)).toEqual({ error: null });
    await jobs.finish(resumed.id, 'done', rest, null, new Date(ports.now()));
    expect(sorted(await outputRows())).toEqual(live);
  }, 120_000);

  it('runs queued jobs through the runner, one at a time by default', async () => {
    const runner = new BackfillRunner({ ...ports, now: () => Date.now() }, { concurrency: 1, pollMs: 50 });
    const later = { ...ports, now: () => Date.now() };
    const a = await startBackfill(later, scriptId, { from: new Date(at(0)).toISOString(), to: new Date(at(5000)).toISOString() }, author);
    const b = await startBackfill(later, scriptId, { from: new Date(at(5000)).toISOString(), to: new Date(at(10000)).toISOString() }, author);
    let bothRunning = false;
    runner.start();
    try {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const states = await Promise.all([a.id, b.id].map(async (id) => (await jobs.get(id))!.state));
        if (states.every((state) => state === 'running')) bothRunning = true;
        if (states.every((state) => state === 'done')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await runner.stop();
    }
    expect((await jobs.get(a.id))!.state).toBe('done');
    expect((await jobs.get(b.id))!.state).toBe('done');
    expect(bothRunning).toBe(false);
  }, 120_000);
});
