import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './app-process';
import { waitForKafka } from './services';

/**
 * A single-node Kafka broker (KRaft) of a test's own, on free ports, with its data under /tmp: for a
 * test that restarts the broker (R10) without touching the broker other tests and people use. It runs
 * from the jars `scripts/services.sh up kafka` fetched (SCRIPT_SERVER_SERVICES_DIR, default
 * ~/.cache/script-server-services, folder kafka/libs), with the same settings as that broker.
 */

const SERVICES_DIR = process.env.SCRIPT_SERVER_SERVICES_DIR ?? path.join(os.homedir(), '.cache', 'script-server-services');
const LIBS = path.join(SERVICES_DIR, 'kafka', 'libs');
const LOG4J = path.resolve(__dirname, '../../services/kafka/log4j2.xml');
/** How long a start (or the start half of a restart) may take before the test fails. */
const START_TIMEOUT_MS = 120_000;

/** Why a private broker cannot run here (no java, no jars), or null when it can. */
export function privateKafkaProblem(): string | null {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) return 'java is not installed (scripts/services.sh up kafka installs it)';
  if (!existsSync(LIBS) || !readdirSync(LIBS).some((name) => /^kafka_2\.13-.*\.jar$/.test(name))) return `the Kafka jars are not in ${LIBS} (run \`npm run services:up\`, which fetches them)`;
  return null;
}

export interface PrivateKafka {
  /** "127.0.0.1:<port>", for KAFKA_BROKERS. */
  brokers: string;
  /** Stops the broker cleanly (SIGTERM, as an operator would) and starts it again; resolves once it answers a metadata request. */
  restart(): Promise<{ downMs: number }>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
  /** The end of its log (for a failure's message). */
  logTail(): string;
}

/** Kafka's Uuid.toString(): 16 random bytes, URL-safe base64 without padding, not starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The class-data-sharing archive services.sh built for these jars and this JDK, when there is one (a faster JVM start). */
function cdsOption(): string[] {
  try {
    const java = realpathSync(spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim());
    const { mtimeMs, size } = statSync(java);
    const archive = path.join(LIBS, '.cds', `kafka-${Math.floor(mtimeMs / 1000)}-${size}.jsa`);
    return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
  } catch {
    return [];
  }
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  const problem = privateKafkaProblem();
  if (problem) throw new Error(`cannot start a private Kafka broker: ${problem}`);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'script-server-kafka-'));
  const props = path.join(dir, 'server.properties');
  const logFile = path.join(dir, 'kafka.out');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=1',
      'auto.create.topics.enable=true',
      'delete.topic.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'broker.heartbeat.interval.ms=1000',
      'broker.session.timeout.ms=5000',
      'num.network.threads=2',
      'num.io.threads=2',
      '',
    ].join('\n'),
  );
  const javaLogging = [`-Dlog4j2.configurationFile=${LOG4J}`, `-Dkafka.logs.dir=${path.join(dir, 'logs')}`];
  const format = spawnSync('java', [...javaLogging, '-cp', `${LIBS}/*`, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId(), '-c', props], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`formatting the private broker's storage failed (exit ${format.status}): ${(format.stdout + format.stderr).slice(-2000)}`);

  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);
  const logTail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '(no log)');

  const launch = async () => {
    const out = openSync(logFile, 'a');
    child = spawn(
      'java',
      ['-Xms128m', '-Xmx384m', ...cdsOption(), '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...javaLogging, '-cp', `${LIBS}/*`, 'kafka.Kafka', props],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const started = child;
    const exited = new Promise<string>((resolve) => started.once('exit', (code, signal) => resolve(`the private broker exited (${code ?? signal}) while starting`)));
    const ready = waitForKafka(`127.0.0.1:${port}`, START_TIMEOUT_MS).then(() => null);
    const outcome = await Promise.race([ready, exited]).catch((error: Error) => error.message);
    if (outcome !== null) throw new Error(`${outcome}\n--- its log (${logFile}):\n${logTail()}`);
  };

  const halt = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    brokers: `127.0.0.1:${port}`,
    async restart() {
      const started = Date.now();
      await halt();
      await launch();
      return { downMs: Date.now() - started };
    },
    async stop() {
      await halt();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
    logTail,
  };
}
