// npm test: typecheck, lint, the layers (scripts/check-layers.mjs), unit and integration tests (Vitest), then the browser flows
// (Playwright on Debian's Chromium). Suites needing a real service (PostgreSQL, Kafka, InfluxDB,
// Chromium) skip with a printed reason when it is absent — except under CI=true, where they fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buildIsCurrent } from './fingerprint.mjs';

const args = process.argv.slice(2);
const e2eOnly = args.includes('--e2e-only');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const chromium = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';
const bin = (name) => path.join('node_modules', '.bin', name);

function step(title, command, commandArgs, env = {}) {
  console.log(`\n▶ ${title}`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (${seconds} s)`);
    process.exit(result.status ?? 1);
  }
  console.log(`✔ ${title} (${seconds} s)`);
}

if (!e2eOnly) {
  step('Typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', '.']);
  step('Lint (eslint)', bin('eslint'), ['.', '--max-warnings', '0']);
  step('Layers (no import cycles; lib/model imports nothing else of lib/)', process.execPath, ['scripts/check-layers.mjs']);
}
if (!buildIsCurrent()) step('Build (the integration and browser tests run the built app)', process.execPath, ['scripts/build.mjs']);
if (!e2eOnly) step('Unit and integration tests (vitest)', bin('vitest'), ['run']);

/** A port nobody listens on, so the browser flows never collide with a running app. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

if (existsSync(chromium)) {
  const port = process.env.E2E_PORT ?? String(await freePort());
  step('Browser flows (playwright, Debian Chromium)', bin('playwright'), ['test'], { E2E_PORT: port });
} else if (ci) {
  console.error(`✖ Browser flows: Chromium not found at ${chromium} (CI=true: a missing service is a failure; .ci/run installs it)`);
  process.exit(1);
} else {
  console.warn(`\n⚠ skipped browser flows: Chromium not found at ${chromium} — install it with \`npm run services:up\` (Debian package chromium)`);
}
console.log('\nAll tests passed.');
