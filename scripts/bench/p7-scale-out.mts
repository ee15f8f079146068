// P7 — scale-out (quality-bar.md, scale-out.md): 1 000 scripts in 200 script groups, three
// `WORKER_MODE=partitioned` worker processes (dist/worker.mjs) on one broker, against one
// `single`-mode worker on the same load in the same run.
//
// The scripts are the standard mix (P1) chained in fives: script i (i mod 5 ≠ 0) also reads the
// output of script i − 1, so every five scripts make one group (200 groups; the partitioned workers
// route by group). Each side gets a database (PostgreSQL) of its own with the scripts registered, and
// topics of its own. A side is primed (every raw tag once) and warmed up (--warmup values, not
// measured), then N raw values are produced while its workers run; the side has finished when every
// input value is committed (the single worker; the routers, then the engines on the routed topic).
// Measured:
//   - CPU time per value: utime + stime of every worker process (/proc/<pid>/stat: main thread,
//     engine thread, routers and engines alike) from just before the values are produced until the
//     side is idle again after the last commit (the history writer catches up behind the pipeline),
//     divided by N; partitioned ≤ 1.5 × single.
//   - each partitioned worker's share of the evaluations: the growth of its evaluations over the run
//     (its heartbeats, script_server_worker_evaluations_total of GET /api/metrics) over the total,
//     within ±20 % of ⅓.
//
//   node --import tsx scripts/bench/p7-scale-out.mts [--values 60000] [--warmup 20000] [--scripts 1000] [--brokers 127.0.0.1:9092]
//        [--routed-partitions 32] [--partitions 6]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { AssignerProtocol, Kafka, Partitioners, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { openDatabase, type DatabaseHandle } from '../../lib/adapters/store/open-database';
import { SqlScriptStore } from '../../lib/adapters/store/sql-script-store';
import { SqlWorkerRegistry } from '../../lib/adapters/store/sql-worker-registry';
import { startApp, type RunningApp } from '../../tests/helpers/app-process';
import { createTestDatabase, type TestDatabase } from '../../tests/helpers/databases';
import { argValue, log, prng, round, runFigure, sleep, thousands, type FigureResult } from './common.mts';
import { definitionOf, standardMix } from './standard-mix.mts';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

const args = process.argv.slice(2);
const BROKERS = argValue(args, 'brokers', process.env.BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092');
const SCRIPTS = Number(argValue(args, 'scripts', '1000'));
const VALUES = Number(argValue(args, 'values', '60000'));
const WARMUP = Number(argValue(args, 'warmup', '20000'));
const ROUTED_PARTITIONS = Number(argValue(args, 'routed-partitions', '32'));
const INPUT_PARTITIONS = Number(argValue(args, 'partitions', '6'));
const WORKERS = 3;
const CHAIN = 5;
const CPU_BAR = 1.5;
const SHARE_TOLERANCE = 0.2;
const BAR = `each worker's share of the evaluations within ±${SHARE_TOLERANCE * 100} % of ⅓; CPU per value ≤ ${CPU_BAR} × one single-mode worker`;

const run = randomBytes(4).toString('hex');
const kafka = new Kafka({ clientId: `bench-p7-${run}`, brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The standard mix chained in fives: script i (i mod 5 ≠ 0) also reads script i − 1's output (as `z`, a trigger it does not use). */
function chainedScripts() {
  const mix = standardMix(SCRIPTS);
  const definitions = mix.scripts.map((script) => {
    const definition = definitionOf(script);
    if (script.index % CHAIN === 0) return definition;
    return { ...definition, inputs: [...definition.inputs, { tag: mix.scripts[script.index - 1].outputTag, alias: 'z' }], calcCode: `const upstream = z;\n${definition.calcCode}` };
  });
  return { definitions, rawTags: mix.tags };
}

interface Side {
  name: string;
  topics: { input: string; output: string };
  groupId: string;
  database: TestDatabase;
  handle: DatabaseHandle;
  workers: RunningApp[];
}

/** CPU seconds (user + system) in the text of a /proc stat file (a process's or a thread's). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are the 12th and 13th after the command.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds (user + system, every thread) a process has used so far. */
function cpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU seconds by thread (the main thread; worker threads, libuv's pool and V8's helpers by name and start order) summed over the side's processes. */
function cpuByThread(side: Side): Map<string, number> {
  const byName = new Map<string, number>();
  for (const worker of side.workers) {
    const pid = worker.process.pid!;
    // Worker threads are all called "node": told apart by the order they started in (tid order).
    const seen = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`).sort((a, b) => Number(a) - Number(b))) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).trim();
        seen.set(comm, (seen.get(comm) ?? 0) + 1);
        const name = Number(tid) === pid ? 'main' : `${comm}#${seen.get(comm)}`;
        byName.set(name, (byName.get(name) ?? 0) + statCpuSeconds(stat));
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return byName;
}

const cpuOf = (side: Side) => side.workers.reduce((sum, worker) => sum + cpuSeconds(worker.process.pid!), 0);

/** Values not yet committed by `groupId` on `topic` (the sum over partitions of end − committed). */
async function backlog(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [entry]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const done = new Map((entry?.partitions ?? []).map((partition) => [partition.partition, Math.max(0, Number(partition.offset))]));
  return ends.reduce((sum, end) => sum + Math.max(0, Number(end.high) - (done.get(end.partition) ?? 0)), 0);
}

/** Waits until every stage of the side has committed everything (routers first, then the engines on what they routed). */
async function drained(admin: Admin, side: Side, partitioned: boolean, timeoutMs = 600_000): Promise<void> {
  const stages = partitioned
    ? [
        { group: `${side.groupId}-router`, topic: side.topics.input },
        { group: side.groupId, topic: `${side.groupId}.routed` },
      ]
    : [{ group: side.groupId, topic: side.topics.input }];
  const deadline = Date.now() + timeoutMs;
  for (const stage of stages) {
    for (;;) {
      const left = await backlog(admin, stage.group, stage.topic);
      if (left === 0) break;
      // A worker killed by a signal (a V8 abort: SIGTRAP, SIGSEGV) has no exit code, only a signal.
      for (const worker of side.workers) if (worker.process.exitCode !== null || worker.process.signalCode !== null) throw new Error(`a ${side.name} worker exited (${worker.process.exitCode ?? worker.process.signalCode}):\n${worker.output().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${side.name}: ${thousands(left)} records of ${stage.topic} still not committed by ${stage.group} after ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  }
}

async function produce(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 5_000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5_000) });
}

/** `count` raw values over the raw tags, each its own millisecond, values in [1, 100) from a fixed seed. */
function rawValues(tags: string[], count: number, seed: number, from: number): Message[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const tag = tags[i % tags.length];
    return { key: tag, value: JSON.stringify({ tag, value: Math.round((1 + random() * 99) * 1000) / 1000, ts: new Date(from + i).toISOString() }) };
  });
}

async function openSide(admin: Admin, name: string, definitions: ReturnType<typeof chainedScripts>['definitions']): Promise<Side> {
  const topics = { input: `bench-p7-${name}-in-${run}`, output: `bench-p7-${name}-out-${run}` };
  await createServedTopics(admin, [{ topic: topics.input, numPartitions: INPUT_PARTITIONS }, { topic: topics.output, numPartitions: INPUT_PARTITIONS }]);
  const database = await createTestDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: database.url });
  const store = new SqlScriptStore(handle);
  for (const definition of definitions) {
    const created = await store.create(definition);
    await store.setState(created.id, 'registered', null);
  }
  return { name, topics, groupId: `bench-p7-${name}-${run}`, database, handle, workers: [] };
}

function workerEnv(side: Side, mode: 'single' | 'partitioned'): Record<string, string> {
  return {
    DATABASE_URL: side.database.url,
    KAFKA_BROKERS: BROKERS,
    KAFKA_INPUT_TOPIC: side.topics.input,
    KAFKA_OUTPUT_TOPIC: side.topics.output,
    KAFKA_GROUP_ID: side.groupId,
    WORKER_MODE: mode,
    KAFKA_ROUTED_PARTITIONS: String(ROUTED_PARTITIONS),
    LOG_LEVEL: 'warn',
    // Three workers load 1 000 scripts at once on a small machine: a slow initCode is not a hang.
    SCRIPT_INIT_CPU_MS: '2000',
  };
}

/** The engines' group is stable with every worker holding routed partitions. */
async function engineGroupStable(admin: Admin, side: Side, members: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const found = (await admin.describeGroups([side.groupId]).catch(() => null))?.groups[0];
    const shares = found?.state === 'Stable' ? found.members.map((member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[`${side.groupId}.routed`] ?? []) : [];
    if (shares.length === members && shares.every((share) => share.length > 0)) return;
    if (Date.now() > deadline) throw new Error(`the ${members} partitioned workers did not share the routed topic within 180 s (group ${found?.state ?? 'unknown'})`);
    await sleep(500);
  }
}

/** Each member's evaluations since it started, from heartbeats written after `after` (they beat every 5 s). */
async function evaluationsAfter(side: Side, after: number): Promise<Map<string, number>> {
  const registry = new SqlWorkerRegistry(side.handle);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const beats = (await registry.list()).filter((beat) => beat.lastSeenAt.getTime() > after);
    if (beats.length >= WORKERS) return new Map(beats.map((beat) => [beat.memberId, beat.figures.evaluations ?? 0]));
    if (Date.now() > deadline) throw new Error(`only ${beats.length} of ${WORKERS} workers wrote a heartbeat within 30 s`);
    await sleep(500);
  }
}

/** Runs one side: primes it, produces VALUES while its workers run, returns CPU seconds and wall time. */
async function measure(admin: Admin, producer: Producer, side: Side, partitioned: boolean, rawTags: string[]) {
  const primedAt = Date.now() - 3600_000;
  await produce(producer, side.topics.input, rawValues(rawTags, rawTags.length, 11, primedAt));
  await drained(admin, side, partitioned);
  // Warm-up, not measured: every worker's code compiled by V8 and its buffers grown before the
  // figure, on each side alike — the steady state is what the bar compares (N values are a few
  // seconds; one process's warm-up would otherwise count once and three processes' three times).
  if (WARMUP > 0) {
    await produce(producer, side.topics.input, rawValues(rawTags, WARMUP, 13, primedAt + rawTags.length));
    await drained(admin, side, partitioned);
  }
  const from = primedAt + rawTags.length + WARMUP;
  const before = partitioned ? await evaluationsAfter(side, Date.now()) : null;
  const records = partitioned ? await routedAndStateRecords(admin, side) : null;
  const outputsBefore = await topicRecords(admin, side.topics.output);
  const idle = await idleCpuPerSecond(side);
  const threadsBefore = cpuByThread(side);
  const cpuBefore = cpuOf(side);
  const started = performance.now();
  const windowFrom = process.hrtime.bigint() / 1000n;
  await produce(producer, side.topics.input, rawValues(rawTags, VALUES, 12, from));
  await drained(admin, side, partitioned);
  const seconds = (performance.now() - started) / 1000;
  const cpuDrained = cpuOf(side) - cpuBefore;
  // The work the values caused is not over when their offsets are committed: the history writer
  // writes the raw values and the outputs behind the pipeline (a faster side leaves more of it
  // for later). Counted until the side's processes are back to their idle rate.
  const settled = await settle(side, idle);
  const cpu = cpuOf(side) - cpuBefore;
  // The span in the profiler's clock (APP_NODE_ARGS="--cpu-prof …": summarize-profile.mts --window).
  log(`P7 ${side.name}: measured from ${windowFrom} to ${process.hrtime.bigint() / 1000n} (monotonic µs)`);
  const ended = Date.now();
  log(`P7 ${side.name}: ${thousands(VALUES)} values in ${round(seconds, 1)} s, ${round(cpu, 1)} CPU-s (${round((cpu * 1e6) / VALUES, 1)} µs per value; ${round(cpuDrained, 1)} CPU-s until committed, ${round(cpu - cpuDrained, 1)} in the ${round(settled, 1)} s after)`);
  // What the side costs doing nothing (polling the database, heartbeats, ticks), for the record: not subtracted.
  const idleCpu = idle * seconds;
  log(`P7 ${side.name}: of which about ${round(idleCpu, 1)} CPU-s would have been spent idle over that time (${round(idle * 1000, 1)} CPU-ms/s measured before)`);
  const threads = [...cpuByThread(side)].map(([name, total]) => [name, total - (threadsBefore.get(name) ?? 0)] as const).filter(([, spent]) => spent >= 0.05);
  log(`P7 ${side.name}: CPU by thread: ${threads.sort((a, b) => b[1] - a[1]).map(([name, spent]) => `${name} ${round((spent * 1e6) / VALUES, 1)} µs`).join(', ')} per value`);
  // Outputs published per value: the same scripts on the same input publish as many on either side.
  log(`P7 ${side.name}: ${round(((await topicRecords(admin, side.topics.output)) - outputsBefore) / VALUES, 3)} output records per value`);
  let perValue: { routedRecords: number; stateRecords: number } | null = null;
  if (records) {
    const afterRecords = await routedAndStateRecords(admin, side);
    perValue = { routedRecords: round((afterRecords.routed - records.routed) / VALUES, 3), stateRecords: round((afterRecords.state - records.state) / VALUES, 3) };
    log(`P7 ${side.name}: ${perValue.routedRecords} routed records and ${perValue.stateRecords} state records per value`);
  }
  let shares: number[] = [];
  if (before) {
    const after = await evaluationsAfter(side, ended);
    const grown = [...after].map(([member, total]) => total - (before.get(member) ?? 0));
    const sum = grown.reduce((a, b) => a + b, 0);
    shares = grown.map((value) => (sum > 0 ? value / sum : 0));
    log(`P7 ${side.name}: evaluations per worker ${grown.map(thousands).join(', ')} (shares ${shares.map((share) => `${round(share * 100, 1)} %`).join(', ')})`);
  }
  return { cpu, seconds, shares, idleCpu, perValue };
}

/** Records in a topic so far. */
async function topicRecords(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
}

/** Records in the side's routed and state topics so far. */
async function routedAndStateRecords(admin: Admin, side: Side): Promise<{ routed: number; state: number }> {
  const total = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  return { routed: await total(`${side.groupId}.routed`), state: await total(`${side.groupId}.state`) };
}

/** Waits until the side's processes use no more than about their idle CPU (at most 60 s); the seconds waited. */
async function settle(side: Side, idlePerSecond: number): Promise<number> {
  const started = performance.now();
  // Longer than the history writer's flush interval (1 s): a window between two flushes would look idle.
  const STEP_MS = 1_200;
  for (;;) {
    const from = cpuOf(side);
    await sleep(STEP_MS);
    const rate = (cpuOf(side) - from) / (STEP_MS / 1000);
    if (rate <= Math.max(2 * idlePerSecond, idlePerSecond + 0.05) || performance.now() - started > 60_000) return (performance.now() - started) / 1000;
  }
}

/** CPU seconds per second the side's processes use with nothing to do (3 s). */
async function idleCpuPerSecond(side: Side): Promise<number> {
  const from = cpuOf(side);
  const started = performance.now();
  await sleep(3_000);
  return (cpuOf(side) - from) / ((performance.now() - started) / 1000);
}

async function main(): Promise<FigureResult> {
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sides: Side[] = [];
  try {
    const { definitions, rawTags } = chainedScripts();
    log(`P7: ${SCRIPTS} scripts in ${Math.ceil(SCRIPTS / CHAIN)} groups of ${CHAIN}; ${thousands(VALUES)} values per side (after ${thousands(WARMUP)} to warm up) on ${BROKERS}; ${ROUTED_PARTITIONS} routed partitions`);

    const single = await openSide(admin, 'single', definitions);
    sides.push(single);
    single.workers.push(await startApp({ entry: 'dist/worker.mjs', env: workerEnv(single, 'single'), waitForHealth: false }));
    const one = await measure(admin, producer, single, false, rawTags);
    await Promise.all(single.workers.map((worker) => worker.stop()));

    const split = await openSide(admin, 'partitioned', definitions);
    sides.push(split);
    for (let n = 0; n < WORKERS; n++) split.workers.push(await startApp({ entry: 'dist/worker.mjs', env: workerEnv(split, 'partitioned'), waitForHealth: false }));
    await engineGroupStable(admin, split, WORKERS);
    const three = await measure(admin, producer, split, true, rawTags);
    await Promise.all(split.workers.map((worker) => worker.stop()));

    const perValue = (side: { cpu: number }) => (side.cpu * 1e6) / VALUES;
    const ratio = perValue(three) / perValue(one);
    const sharesHold = three.shares.length === WORKERS && three.shares.every((share) => Math.abs(share - 1 / WORKERS) <= SHARE_TOLERANCE / WORKERS);
    return {
      id: 'P7',
      value: round(perValue(three), 1),
      unit: 'µs CPU per value',
      baseline: round(perValue(one), 1),
      ratio: round(ratio, 3),
      bar: BAR,
      holds: sharesHold && ratio <= CPU_BAR,
      summary:
        `3 partitioned workers ${round(perValue(three), 1)} µs CPU per value (${round(three.seconds, 1)} s), one single worker ${round(perValue(one), 1)} µs (${round(one.seconds, 1)} s); ` +
        `shares of the evaluations ${three.shares.map((share) => `${round(share * 100, 1)} %`).join(', ')}`,
      details: {
        idleCpuSeconds: { partitioned: round(three.idleCpu, 2), single: round(one.idleCpu, 2) },
        recordsPerValue: three.perValue,
        wallSeconds: { partitioned: round(three.seconds, 1), single: round(one.seconds, 1) },
        scripts: SCRIPTS, groups: Math.ceil(SCRIPTS / CHAIN), values: VALUES, routedPartitions: ROUTED_PARTITIONS, inputPartitions: INPUT_PARTITIONS, shares: three.shares.map((share) => round(share, 4)), cpuSeconds: { partitioned: round(three.cpu, 2), single: round(one.cpu, 2) } },
    };
  } finally {
    for (const side of sides) {
      await Promise.allSettled(side.workers.map((worker) => worker.stop()));
      await admin.deleteTopics({ topics: [side.topics.input, side.topics.output, `${side.groupId}.routed`, `${side.groupId}.state`] }).catch(() => undefined);
      await admin.deleteGroups([side.groupId, `${side.groupId}-router`]).catch(() => undefined);
      await side.handle.close().catch(() => undefined);
      await side.database.drop().catch(() => undefined);
    }
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

runFigure(main);
