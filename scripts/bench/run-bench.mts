// npm run bench — the performance figures P1–P9 of quality-bar.md (and SHADOW: the cost of shadow runs, changes.md), each against its bar, every speed
// ratio against a baseline measured in the same run. See docs/performance.md.
//
//   npm run bench                         the table on stdout, progress on stderr
//   npm run -s bench -- --json            one JSON object on stdout: { "results": [ … ], "machine": … }
//                                         (-s keeps npm's own "> script-server bench" banner off stdout)
//   npm run bench -- --only P1,P3         a subset
//   npm run bench -- --no-build           never build: figures needing a current build are skipped
//   npm run bench -- --profile            also profile P1's engine and the app during P2 (CPU), print summaries
//   npm run bench -- --quick              smaller samples (a smoke run; not for the record)
//   npm run bench -- --influx[=URL]       P2/P3 with the history in InfluxDB (production) instead of embedded
//
// Each figure runs in its own Node.js process (scripts/bench/p*.mts), so one figure's heap, JIT state
// and threads never weigh on another. Kafka (P2, P3, P7) is started with `bash scripts/services.sh up kafka`
// when it is not reachable; when that fails the figures are skipped with the reason.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { portOpen, TEST_SERVICES } from '../../tests/helpers/services';
import { loadAverage, log, round, runToStderr, thousands, type FigureResult } from './common.mts';
import { formatSummary, summarizeProfile } from './summarize-profile.mts';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const noBuild = args.includes('--no-build');
const quick = args.includes('--quick');
const profile = args.includes('--profile');
/** P2/P3 with the history in InfluxDB (as in production) instead of the embedded table. */
const influxArg = args.find((arg) => arg.startsWith('--influx'));
const influx = influxArg === undefined ? '' : influxArg.includes('=') ? influxArg.split('=')[1] : 'http://127.0.0.1:8086';
const onlyArg = args.find((arg) => arg.startsWith('--only'));
const onlyValue = onlyArg === '--only' ? args[args.indexOf('--only') + 1] : onlyArg?.split('=')[1];
const ALL = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9', 'SHADOW'];
const selected = onlyValue ? onlyValue.split(',').map((id) => id.trim().toUpperCase()).filter((id) => ALL.includes(id)) : ALL;
const KAFKA = process.env.BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092';
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

const BARS: Record<string, { unit: string; bar: string }> = {
  P1: { unit: 'evaluations/s', bar: '≥ 0.5 × bare QuickJS loop and ≥ 2 × callFunction per evaluation' },
  P2: { unit: 'values/s', bar: '≥ 0.8 × kafkajs passthrough' },
  P3: { unit: 'ms p99', bar: 'p99 ≤ 50 ms at 5 000 values/s' },
  P4: { unit: 'MB RSS', bar: '≤ 1024 MB RSS with 10 000 scripts' },
  P5: { unit: 's', bar: '≤ 5 s and ≥ 120 000 steps/s' },
  P6: { unit: 's', bar: '≤ 10 s' },
  P7: { unit: 'µs CPU per value', bar: "3 partitioned workers: each one's share of the evaluations within ±20 % of ⅓; CPU per value ≤ 1.5 × one single-mode worker" },
  P8: { unit: 'steps/s', bar: 'rate ≥ 0.5 × the plot replay (same script, period, run); API p99 during the job ≤ 2 × idle; one output row per step' },
  P9: { unit: 's', bar: 'each ≤ 15 s; app RSS growth ≤ 150 MB; every row read back (Parquet by hyparquet)' },
  SHADOW: { unit: '× time', bar: 'extra time per shadow evaluation ≤ 1.5 × a live evaluation (100 shadows beside 1 000 scripts)' },
};

function skip(id: string, reason: string): FigureResult {
  log(`${id} skipped: ${reason}`);
  return { id, value: null, unit: BARS[id].unit, baseline: null, ratio: null, bar: BARS[id].bar, holds: false, skipped: reason };
}

/** Whether the first broker of a "host:port,…" list accepts connections. */
function brokerOpen(brokers: string): Promise<boolean> {
  const [host, port] = brokers.split(',')[0].split(':');
  return portOpen(host, Number(port));
}

/** Runs one figure script; its stdout's last line is its result (or results). */
function runFigureScript(ids: string[], script: string, scriptArgs: string[], nodeArgs: string[] = [], cwd = process.cwd()): Promise<FigureResult[]> {
  return new Promise((resolve) => {
    const started = performance.now();
    log(`${ids.join('/')}: running ${script} ${scriptArgs.join(' ')}${cwd === process.cwd() ? '' : ` (in ${cwd})`}`.trim());
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(BENCH_DIR, script), ...scriptArgs], {
      cwd,
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    child.once('exit', (code, signal) => {
      const seconds = round((performance.now() - started) / 1000);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        const parsed = JSON.parse(line) as FigureResult | FigureResult[];
        const results = Array.isArray(parsed) ? parsed : [parsed];
        log(`${ids.join('/')}: done in ${seconds} s`);
        resolve(ids.map((id) => results.find((result) => result.id === id) ?? skip(id, `${script} returned no result for ${id}`)));
      } catch (error) {
        const last = stderrTail.trim().split('\n').slice(-3).join(' | ');
        resolve(ids.map((id) => skip(id, `${script} failed (${(error as Error).message}): ${last}`)));
      }
    });
  });
}

async function ensureKafka(): Promise<string | null> {
  if (await brokerOpen(KAFKA)) return null;
  log(`Kafka is not reachable at ${KAFKA}: starting it with \`bash scripts/services.sh up kafka\`…`);
  const code = await runToStderr('bash', ['scripts/services.sh', 'up', 'kafka']);
  if (code === 0 && (await brokerOpen(KAFKA))) return null;
  return `Kafka not reachable at ${KAFKA}, even after \`bash scripts/services.sh up kafka\` (exit ${code}) — start it with \`npm run services:up\``;
}

async function postgresProblem(): Promise<string | null> {
  const url = new URL(TEST_SERVICES.postgres);
  if (await portOpen(url.hostname, Number(url.port || 5432))) return null;
  return `PostgreSQL not reachable at ${url.host} (the partitioned workers share a database) — start it with \`npm run services:up\``;
}

async function ensureBuild(): Promise<string | null> {
  const { buildIsCurrent } = (await import(path.resolve('scripts/fingerprint.mjs'))) as { buildIsCurrent: (root?: string) => boolean };
  if (buildIsCurrent(process.cwd())) return null;
  if (noBuild) {
    if (existsSync('dist/server.mjs')) {
      log('the build is not current, and --no-build: measuring the existing dist/ as it is');
      return null;
    }
    return 'no build in dist/ and --no-build given — run `npm run build`';
  }
  log('the build is not current: building (npm run build) before the figures that run the app…');
  const code = await runToStderr(process.execPath, ['scripts/build.mjs']);
  return code === 0 ? null : `npm run build failed (exit ${code})`;
}

/**
 * A private copy of the built app (dist/, .next/, db/migrations, package.json, next.config.mjs, and a
 * link to node_modules) for P2, P3 and P5: other people building in this tree while the figures run
 * would otherwise replace .next under the running app. P6 measures `npm start` itself, in the tree.
 */
async function copyBuiltApp(): Promise<{ dir: string } | { problem: string }> {
  const stamp = () => (existsSync('dist/build-stamp.json') ? readFileSync('dist/build-stamp.json', 'utf8') : '');
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = stamp();
    const dir = path.join(os.tmpdir(), 'script-server-bench', `app-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      for (const entry of ['dist', '.next', 'db', 'package.json', 'next.config.mjs']) cpSync(entry, path.join(dir, entry), { recursive: true });
      symlinkSync(realpathSync('node_modules'), path.join(dir, 'node_modules'));
    } catch (error) {
      log(`copying the built app failed (${(error as Error).message}); trying again`);
      continue;
    }
    if (before !== '' && stamp() === before && existsSync(path.join(dir, '.next', 'BUILD_ID'))) {
      log(`the built app is copied to ${dir}: P2, P3 and P5 run it from there`);
      return { dir };
    }
    log('the build changed while it was copied; copying again');
  }
  return { problem: 'the build kept changing while it was copied (someone is building in this tree)' };
}

function formatValue(result: FigureResult): string {
  if (result.value === null) return '—';
  const value = result.unit.includes('/s') ? thousands(result.value) : String(result.value);
  return `${value} ${result.unit}`;
}

function table(results: FigureResult[]): string {
  const rows: string[][] = [['figure', 'measured', 'baseline', 'ratio', 'bar', 'holds']];
  for (const result of results) {
    if (result.skipped && result.value === null) {
      rows.push([result.id, '—', '—', '—', result.bar, `no (skipped: ${result.skipped.slice(0, 140)})`]);
      continue;
    }
    if (result.checks && result.checks.length > 0) {
      result.checks.forEach((check, index) => {
        rows.push([
          index === 0 ? result.id : '',
          index === 0 ? formatValue(result) : '',
          `${thousands(check.baseline)} (${check.name})`,
          `${check.ratio}×`,
          check.bar,
          check.holds ? 'yes' : 'NO',
        ]);
      });
    } else {
      rows.push([
        result.id,
        formatValue(result),
        result.baseline === null ? '—' : result.id === 'P4' ? `${result.baseline} MB without scripts` : thousands(result.baseline),
        result.ratio === null ? '—' : `${result.ratio}×`,
        result.bar,
        result.holds ? 'yes' : 'NO',
      ]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const out = [line(rows[0]), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  out.push('');
  for (const result of results) if (result.summary) out.push(`${result.id}: ${result.summary}`);
  return out.join('\n');
}

/** Which code was measured: the commit, and how many source files differ from it (read-only git). */
function codeVersion(): { commit: string; changedFiles: number } {
  const git = (gitArgs: string[]) => {
    const result = spawnSync('git', gitArgs, { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const changed = git(['status', '--porcelain', '--', 'lib', 'workers', 'server.ts', 'app', 'db']);
  return { commit, changedFiles: changed === '' ? 0 : changed.split('\n').length };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const code = codeVersion();
  const loadBefore = loadAverage();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1024 ** 3)} GB, Node ${process.version}`;
  log(`npm run bench ${args.join(' ')} — ${machine}; load average ${loadBefore} (1/5/15 min)`);

  const needsBuild = selected.some((id) => ['P2', 'P3', 'P5', 'P6', 'P7', 'P8', 'P9'].includes(id));
  const buildProblem = needsBuild ? await ensureBuild() : null;
  let appDir = process.cwd();
  let copyProblem: string | null = null;
  if (!buildProblem && selected.some((id) => ['P2', 'P3', 'P5', 'P7', 'P8', 'P9'].includes(id))) {
    const copied = await copyBuiltApp();
    if ('dir' in copied) appDir = copied.dir;
    else copyProblem = copied.problem;
  }
  const results: FigureResult[] = [];
  let profileText = '';

  for (const id of selected) {
    if (id === 'P1') {
      const p1Args = quick ? ['--samples', '3', '--rounds', '10'] : [];
      results.push(...(await runFigureScript(['P1'], 'p1-engine.mts', p1Args)));
      if (profile) {
        // One profile per thread (tsx's loader has its own): the main thread's is the largest.
        const dir = path.join(os.tmpdir(), 'script-server-bench', `p1-profile-${Date.now()}`);
        mkdirSync(dir, { recursive: true });
        await runFigureScript(['P1'], 'p1-engine.mts', ['--engine-only', '--samples', '9'], ['--cpu-prof', '--cpu-prof-dir', dir]);
        const file = readdirSync(dir)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => path.join(dir, name))
          .sort((a, b) => statSync(b).size - statSync(a).size)[0];
        if (file) {
          const focus = ['ingestNow', 'pass', 'evaluate'];
          profileText += `CPU profile of P1's engine, samples under ${focus.join('/')} (${file}):\n${formatSummary(summarizeProfile(file, 20, focus))}`;
          log(profileText);
        }
      }
    } else if (id === 'P2' || id === 'P3') {
      if (results.some((result) => result.id === id)) continue;
      const wanted = selected.filter((figure) => figure === 'P2' || figure === 'P3');
      const problem = buildProblem ?? copyProblem ?? (await ensureKafka());
      if (problem) {
        results.push(...wanted.map((figure) => skip(figure, problem)));
        continue;
      }
      const kafkaArgs = ['--only', wanted.join(','), '--brokers', KAFKA];
      if (quick) kafkaArgs.push('--values', '20000', '--samples', '1', '--latency-seconds', '10');
      if (influx) kafkaArgs.push('--influx', influx);
      const appProfileDir = profile && wanted.includes('P2') ? path.join(os.tmpdir(), 'script-server-bench', `p2-app-profile-${Date.now()}`) : '';
      if (appProfileDir) kafkaArgs.push('--profile-app', appProfileDir);
      results.push(...(await runFigureScript(wanted, 'p2p3-kafka.mts', kafkaArgs, [], appDir)));
      if (appProfileDir && existsSync(path.join(appProfileDir, 'window.json'))) {
        const window = Object.values(JSON.parse(readFileSync(path.join(appProfileDir, 'window.json'), 'utf8')) as Record<string, number>) as [number, number];
        const files = readdirSync(appProfileDir).filter((name) => name.endsWith('.cpuprofile')).sort();
        for (const name of files) {
          const summary = summarizeProfile(path.join(appProfileDir, name), 15, [], window);
          if (summary.totalMs < 50) continue;
          // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread.
          const thread = name.split('.')[4] === '0' ? 'main thread' : `worker thread ${name.split('.')[4]}`;
          const text = `CPU profile of the app during P2's profiled sample, ${thread} (${path.join(appProfileDir, name)}):\n${formatSummary(summary)}`;
          profileText += `\n\n${text}`;
          log(text);
        }
      }
    } else if (id === 'P7') {
      // Workers share a PostgreSQL database: without it (or Kafka) the figure is skipped with the reason.
      const problem = buildProblem ?? copyProblem ?? (await ensureKafka()) ?? (await postgresProblem());
      results.push(...(problem ? [skip(id, problem)] : await runFigureScript([id], 'p7-scale-out.mts', quick ? ['--values', '20000'] : [], [], appDir)));
    } else if (id === 'P4') {
      results.push(...(await runFigureScript(['P4'], 'p4-memory.mts', quick ? ['--scripts', '2000'] : [], ['--expose-gc'])));
    } else if (id === 'P9') {
      const problem = buildProblem ?? copyProblem;
      results.push(...(problem ? [skip(id, problem)] : await runFigureScript([id], 'p9-export.mts', quick ? ['--days', '1'] : [], [], appDir)));
    } else if (id === 'P8') {
      const problem = buildProblem ?? copyProblem;
      results.push(...(problem ? [skip(id, problem)] : await runFigureScript([id], 'p8-backfill.mts', quick ? ['--days', '1', '--plots', '1'] : [], [], appDir)));
    } else if (id === 'P5' || id === 'P6') {
      const problem = buildProblem ?? (id === 'P5' ? copyProblem : null);
      if (problem) {
        results.push(skip(id, problem));
        continue;
      }
      const script = id === 'P5' ? 'p5-plot.mts' : 'p6-start.mts';
      results.push(...(await runFigureScript([id], script, quick ? ['--runs', '1'] : [], [], id === 'P5' ? appDir : process.cwd())));
    } else if (id === 'SHADOW') {
      results.push(...(await runFigureScript(['SHADOW'], 'shadow-cost.mts', quick ? ['--samples', '3', '--rounds', '10'] : [])));
    }
  }
  results.sort((a, b) => a.id.localeCompare(b.id));
  if (appDir !== process.cwd()) rmSync(appDir, { recursive: true, force: true });

  const loadAfter = loadAverage();
  const minutes = round((Date.now() - startedAt.getTime()) / 60_000, 1);
  const footer =
    `${machine}; load average ${loadBefore} before, ${loadAfter} after (1/5/15 min); ${minutes} min; ${startedAt.toISOString()}; ` +
    `commit ${code.commit}${code.changedFiles > 0 ? ` with ${code.changedFiles} changed source files` : ''}`;
  const text = `${table(results)}\n\n${footer}${quick ? '\n(--quick: smaller samples, not for the record)' : ''}`;
  if (asJson) {
    process.stderr.write(`\n${text}\n`);
    process.stdout.write(
      `${JSON.stringify({
        results,
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
        startedAt: startedAt.toISOString(),
        code,
        minutes,
        command: `npm run bench -- ${args.join(' ')}`.trim(),
      })}\n`,
    );
  } else {
    process.stdout.write(`\n${text}\n`);
    if (profileText) process.stdout.write(`\n${profileText}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
