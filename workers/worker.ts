import { readFileSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, describeConfig, loadConfig } from '../lib/config/config';
import { createLogger } from '../lib/support/logger';
import { createApp } from '../lib/composition/create-app';
import { THREAD_ENTRIES } from './thread-entries';

/**
 * The worker process (npm run start:worker): consumes raw values, evaluates the registered scripts in
 * its engine thread and publishes outputs. It follows script changes made through the web from the
 * database. No HTTP.
 */

const SHUTDOWN_TIMEOUT_MS = 8000;

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger({ level: config.LOG_LEVEL, pretty: (config.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty', name: 'script-worker' });
  const version = (JSON.parse(readFileSync(path.resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
  log.info(`Script Server worker ${version} starting`);
  for (const line of describeConfig(config)) log.info(`  ${line}`);
  const app = await createApp(config, 'worker', log, version, THREAD_ENTRIES);
  log.info('worker is running');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: finishing the batch in hand, committing, stopping`);
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS + 1000);
    await app.stop();
    clearTimeout(timer);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('Script Server worker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
