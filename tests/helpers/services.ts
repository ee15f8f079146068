import net from 'node:net';

/**
 * Which real services the tests can reach. Outside CI a suite whose service is absent is skipped
 * with a printed reason; under CI=true an absent service is a failure (`.ci/run` starts them all).
 */

export const TEST_SERVICES = {
  postgres: process.env.TEST_DATABASE_URL ?? 'postgres://script_server:script_server@127.0.0.1:5432/script_server_test',
  kafka: process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092',
  influx: process.env.TEST_INFLUX_URL ?? 'http://127.0.0.1:8086',
  influxDb: process.env.TEST_INFLUX_DB ?? 'script_server_test',
  chromium: process.env.TEST_CHROMIUM ?? '/usr/bin/chromium',
};

export type ServiceName = 'postgres' | 'kafka' | 'influx';

const isCi = () => process.env.CI === 'true' || process.env.CI === '1';

export function portOpen(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function probe(name: ServiceName): Promise<boolean> {
  switch (name) {
    case 'postgres': {
      const url = new URL(TEST_SERVICES.postgres);
      return portOpen(url.hostname, Number(url.port || 5432));
    }
    case 'kafka': {
      const [host, port] = TEST_SERVICES.kafka.split(',')[0].split(':');
      return portOpen(host, Number(port));
    }
    case 'influx': {
      try {
        const response = await fetch(`${TEST_SERVICES.influx}/ping`, { signal: AbortSignal.timeout(1500) });
        return response.status === 204 || response.ok;
      } catch {
        return false;
      }
    }
  }
}

/**
 * Resolves to true when every named service answers. Otherwise prints why the suite is skipped, or,
 * under CI, throws so the suite fails.
 */
export async function servicesAvailable(suite: string, ...names: ServiceName[]): Promise<boolean> {
  const missing: string[] = [];
  for (const name of names) if (!(await probe(name))) missing.push(`${name} (${name === 'postgres' ? redact(TEST_SERVICES.postgres) : TEST_SERVICES[name]})`);
  if (missing.length === 0) return true;
  const reason = `${suite}: ${missing.join(', ')} not reachable — start them with \`npm run services:up\``;
  if (isCi()) throw new Error(`${reason} (CI=true: a missing service is a failure)`);
  console.warn(`skipped ${reason}`);
  return false;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Whether @confluentinc/kafka-javascript loads here (KAFKA_CLIENT=confluent, docs/decisions/0016).
 * It is optional — its install builds librdkafka from source — so its absence skips the suites that
 * need it, with the reason printed.
 */
export async function confluentAvailable(suite: string): Promise<boolean> {
  // Loaded in a child process: the native addon must not be loaded in a test's worker thread.
  const { spawnSync } = await import('node:child_process');
  const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./lib/adapters/bus/confluent-bus.ts').then((m) => (m.loadConfluentKafkaJS ?? m.default.loadConfluentKafkaJS)()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); })"], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.status === 0) return true;
  console.warn(`[skip] ${suite}: ${(probe.stderr || probe.error?.message || 'the probe failed').replace(/\s+/g, ' ').trim()}`);
  return false;
}

/**
 * Whether the broker at "host:port" answers a Metadata request naming at least one live broker (it is
 * registered and unfenced), as `scripts/services.sh` probes it: an open port is not enough just after
 * a (re)start.
 */
export function kafkaAcceptsMetadata(broker: string, timeoutMs = 3000): Promise<boolean> {
  const [host, port] = broker.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once('connect', () => {
      // size=20 | api_key=3 (Metadata) | api_version=4 | correlation_id=7 | client_id="probe" | topics=null | allow_auto_topic_creation=false
      socket.write(Buffer.from([0, 0, 0, 20, 0, 3, 0, 4, 0, 0, 0, 7, 0, 5, ...Buffer.from('probe'), 0xff, 0xff, 0xff, 0xff, 0]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 16) return;
      // size | correlation_id | throttle_time_ms | brokers count
      const brokers = received.readInt32BE(12);
      done(received.readInt32BE(4) === 7 && brokers >= 1 && brokers < 1000);
    });
  });
}

/** Waits until the first broker of a "host:port,…" list answers a metadata request; throws with the reason after timeoutMs. */
export async function waitForKafka(brokers: string, timeoutMs: number): Promise<void> {
  const broker = brokers.split(',')[0];
  const deadline = Date.now() + timeoutMs;
  while (!(await kafkaAcceptsMetadata(broker))) {
    if (Date.now() > deadline) throw new Error(`the Kafka broker at ${broker} did not answer a metadata request (with a live broker) within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
