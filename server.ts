import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import next from 'next';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, describeConfig, loadConfig } from './lib/config/config';
import { createApiHandler } from './lib/http/handle-api-request';
import { screenApiRequest } from './lib/http/screen-api-request';
import { CLIENT_IP_HEADER } from './lib/http/authenticate-request';
import { createLogger } from './lib/support/logger';
import { createApp, type ProcessRole } from './lib/composition/create-app';
import { PGLITE_TEMPLATE, THREAD_ENTRIES } from './workers/thread-entries';

/**
 * The web process: Next.js (pages and the /api route handlers) plus, in embedded mode, the engine —
 * one composition root. `node dist/server.mjs` (npm start) runs everything; with the argument `web`
 * only the web part (npm run start:web).
 */

const API_KEY = Symbol.for('script-server.api');
const SHUTDOWN_TIMEOUT_MS = 8000;

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const dev = process.argv.includes('--dev');
  const role: ProcessRole = process.argv.includes('web') ? 'web' : 'all';
  let config;
  try {
    config = loadConfig({ ...process.env, NODE_ENV: dev ? 'development' : (process.env.NODE_ENV ?? 'production') });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger({ level: config.LOG_LEVEL, pretty: (config.LOG_FORMAT ?? (dev || process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty', name: 'script-server' });
  const version = readVersion();
  log.info(`Script Server ${version} starting (${role === 'all' ? 'web + engine' : 'web only'})`);
  for (const line of describeConfig(config)) log.info(`  ${line}`);

  const nextApp = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT, quiet: !dev });
  const [app] = await Promise.all([
    createApp(config, role, log, version, THREAD_ENTRIES, { embeddedTemplate: PGLITE_TEMPLATE }),
    nextApp.prepare().then(() => log.info('web app prepared')),
  ]);
  (globalThis as Record<symbol, unknown>)[API_KEY] = createApiHandler(app.services);
  const handle = nextApp.getRequestHandler();

  const server = http.createServer((request, response) => {
    // Answers in the error envelope what Next.js would answer outside it (bad %-encoding, wrong method).
    const refused = screenApiRequest(request.method ?? 'GET', request.url ?? '/');
    if (refused) {
      response.writeHead(refused.status, refused.headers).end(refused.body);
      return;
    }
    // The client's address for the audit trail and the login throttle, from the socket only.
    request.headers[CLIENT_IP_HEADER] = request.socket.remoteAddress ?? '';
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  // An idle keep-alive connection is closed after 65 s, not Node's 5 s: a client reusing a connection
  // just as the server closes it gets ECONNRESET (seen from the browser flows' API client after ≈ 5 s
  // of UI steps). Clients and proxies idle for less than a minute now keep theirs. server.close()
  // still closes idle connections at once (Node ≥ 19), so shutdown is not held by them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  log.info(`Script Server is ready at http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: stopping`);
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS + 1000);
    server.close();
    server.closeAllConnections();
    await app.stop();
    await nextApp.close().catch(() => undefined);
    clearTimeout(timer);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

main().catch((error) => {
  console.error('Script Server failed to start:', error instanceof Error ? error.message : error);
  if (error instanceof Error && process.env.LOG_LEVEL === 'debug') console.error(error.stack);
  process.exit(1);
});
