import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_SERVICES } from './services';

/** Throwaway databases, so test runs never see each other's rows. */

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Runs `work` with a connection to the test server as its administrator. */
export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVICES.postgres, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh PostgreSQL database (script_server_test_<random>) on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `script_server_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database "${name}"`));
  const url = new URL(TEST_SERVICES.postgres);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** A fresh InfluxDB database name; the app creates it at start. Dropped by drop(). */
export function testInfluxDatabase(): { name: string; drop(): Promise<void> } {
  const name = `script_server_test_${randomBytes(6).toString('hex')}`;
  return {
    name,
    drop: async () => {
      await fetch(`${TEST_SERVICES.influx}/query`, {
        method: 'POST',
        body: new URLSearchParams({ q: `DROP DATABASE "${name}"` }),
      }).catch(() => undefined);
    },
  };
}
