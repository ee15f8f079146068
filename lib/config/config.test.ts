import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives every variable its default: embedded mode with the simulator', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATA_DIR: './data',
      KAFKA_INPUT_TOPIC: 'from_ipcm',
      KAFKA_OUTPUT_TOPIC: 'to_ipcm',
      KAFKA_GROUP_ID: 'script-server',
      INFLUX_DB: 'script_server',
      SCRIPT_CPU_MS: 50,
      SCRIPT_INIT_CPU_MS: 500,
      SCRIPT_MEMORY_MB: 32,
      QUARANTINE_AFTER: 5,
      DEBUG_SESSION_TTL_MS: 60_000,
      HISTORY_RETENTION_DAYS: 7,
      LOG_LEVEL: 'info',
      mode: { db: 'embedded', bus: 'embedded', history: 'embedded', simulator: true },
    });
  });

  it('pipelines 3 slices per input partition by default; KAFKA_PIPELINE_DEPTH=1 takes one at a time, 0 is refused', () => {
    expect(loadConfig({}).KAFKA_PIPELINE_DEPTH).toBe(3);
    expect(loadConfig({ KAFKA_PIPELINE_DEPTH: '1' }).KAFKA_PIPELINE_DEPTH).toBe(1);
    expect(() => loadConfig({ KAFKA_PIPELINE_DEPTH: '0' })).toThrow(/KAFKA_PIPELINE_DEPTH/);
  });

  it('keeps WORKER_MODE=single by default; partitioned needs Kafka and takes the routed/state settings', () => {
    expect(loadConfig({})).toMatchObject({ WORKER_MODE: 'single', KAFKA_ROUTED_PARTITIONS: 32, STATE_CHECKPOINT_MS: 1000 });
    expect(loadConfig({}).KAFKA_ROUTED_TOPIC).toBeUndefined();
    const partitioned = loadConfig({ KAFKA_BROKERS: 'k:9092', WORKER_MODE: 'partitioned', KAFKA_ROUTED_PARTITIONS: '64', KAFKA_STATE_TOPIC: 'plant.state', STATE_CHECKPOINT_MS: '250' });
    expect(partitioned).toMatchObject({ WORKER_MODE: 'partitioned', KAFKA_ROUTED_PARTITIONS: 64, KAFKA_STATE_TOPIC: 'plant.state', STATE_CHECKPOINT_MS: 250 });
    expect(() => loadConfig({ WORKER_MODE: 'partitioned' })).toThrow(/WORKER_MODE=partitioned .*set KAFKA_BROKERS/);
    expect(() => loadConfig({ KAFKA_BROKERS: 'k:9092', WORKER_MODE: 'sharded' })).toThrow(/WORKER_MODE="sharded"/);
    expect(() => loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_ROUTED_PARTITIONS: '0' })).toThrow(/KAFKA_ROUTED_PARTITIONS/);
  });

  it('keeps kafkajs by default; KAFKA_CLIENT=confluent is for partitioned workers, with an optional static member id', () => {
    expect(loadConfig({}).KAFKA_CLIENT).toBe('kafkajs');
    const confluent = loadConfig({ KAFKA_BROKERS: 'k:9092', WORKER_MODE: 'partitioned', KAFKA_CLIENT: 'confluent', KAFKA_GROUP_INSTANCE_ID: 'worker-a' });
    expect(confluent).toMatchObject({ KAFKA_CLIENT: 'confluent', KAFKA_GROUP_INSTANCE_ID: 'worker-a' });
    expect(() => loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_CLIENT: 'confluent' })).toThrow(/KAFKA_CLIENT=confluent is for WORKER_MODE=partitioned.*set WORKER_MODE=partitioned or KAFKA_CLIENT=kafkajs/);
    expect(() => loadConfig({ KAFKA_BROKERS: 'k:9092', WORKER_MODE: 'partitioned', KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT="rdkafka"/);
  });

  it('selects production adapters from their variables, with the simulator off by default with Kafka', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:secret@db:5432/x',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      INFLUX_URL: 'http://influx:8086',
    });
    expect(config.mode).toEqual({ db: 'postgres', bus: 'kafka', history: 'influx', simulator: false });
    expect(loadConfig({ KAFKA_BROKERS: 'k:9092', SIMULATOR: 'on' }).mode.simulator).toBe(true);
  });

  it('stops on bad values, naming each variable and what was expected', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', KAFKA_BROKERS: 'no-port', SCRIPT_CPU_MS: '0', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'KAFKA_BROKERS', 'SCRIPT_CPU_MS', 'LOG_LEVEL', 'DATABASE_URL']) expect(problems).toContain(`${name}=`);
    expect(problems).toContain('host:port');
    expect(problems).toContain('postgres://');
  });

  it('prints the configuration with secrets masked', () => {
    const lines = describeConfig(loadConfig({ DATABASE_URL: 'postgres://user:hunter2@db:5432/x', INFLUX_TOKEN: 'tok-123', INFLUX_URL: 'http://i:8086' }));
    const text = lines.join('\n');
    expect(text).toContain('mode: database=postgres');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tok-123');
    expect(text).toContain('DATABASE_URL=postgres://user:****@db:5432/x');
  });
});

describe('sign-in settings', () => {
  it('defaults to AUTH=on, admin, 480 idle minutes, groups → viewer, and masks ADMIN_PASSWORD', () => {
    const config = loadConfig({ ADMIN_PASSWORD: 'a long enough password', AUTH: 'off' });
    expect(config).toMatchObject({ AUTH: false, ADMIN_USERNAME: 'admin', SESSION_IDLE_MINUTES: 480, OIDC_ROLE_CLAIM: 'groups', OIDC_DEFAULT_ROLE: 'viewer' });
    expect(loadConfig({}).AUTH).toBe(true);
    expect(describeConfig(config).join('\n')).not.toContain('a long enough password');
    expect(() => loadConfig({ OIDC_DEFAULT_ROLE: 'owner' })).toThrow(/OIDC_DEFAULT_ROLE/);
  });
});

describe('single sign-on settings', () => {
  const trio = { OIDC_ISSUER: 'https://login.example.com/tenant/v2.0', OIDC_CLIENT_ID: 'script-server', OIDC_CLIENT_SECRET: 's3cret-value' };

  it('takes all three of OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or none, naming what is missing', () => {
    expect(loadConfig(trio)).toMatchObject(trio);
    expect(loadConfig({}).OIDC_ISSUER).toBeUndefined();
    expect(() => loadConfig({ OIDC_ISSUER: trio.OIDC_ISSUER })).toThrow(/OIDC_ISSUER is set but OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are not/);
    expect(() => loadConfig({ OIDC_ISSUER: trio.OIDC_ISSUER, OIDC_CLIENT_ID: 'x' })).toThrow(/OIDC_ISSUER and OIDC_CLIENT_ID are set but OIDC_CLIENT_SECRET is not/);
    expect(describeConfig(loadConfig(trio)).join('\n')).not.toContain('s3cret-value');
  });

  it('refuses an issuer that is not https, except on a loopback address', () => {
    expect(() => loadConfig({ ...trio, OIDC_ISSUER: 'http://sso.plant.local/realms/plant' })).toThrow(/OIDC_ISSUER=.*https:\/\//);
    expect(() => loadConfig({ ...trio, OIDC_ISSUER: 'not a url' })).toThrow(/OIDC_ISSUER=.*not a URL/);
    expect(loadConfig({ ...trio, OIDC_ISSUER: 'http://127.0.0.1:4000' }).OIDC_ISSUER).toBe('http://127.0.0.1:4000');
    expect(loadConfig({ ...trio, OIDC_ISSUER: 'http://localhost:8080/realms/plant' }).OIDC_ISSUER).toBe('http://localhost:8080/realms/plant');
  });
});
