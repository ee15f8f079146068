// npm start (everything, embedded by default), npm run start:web, npm run start:worker.
// Builds first when the sources changed since the last build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsCurrent } from './fingerprint.mjs';

const role = process.argv[2] ?? 'all';
if (!['all', 'web', 'worker'].includes(role)) {
  console.error(`unknown role '${role}': use web or worker (or nothing for everything)`);
  process.exit(2);
}

if (!buildIsCurrent()) {
  console.log('No current build: building first (this happens once after a change)…');
  const result = spawnSync(process.execPath, [path.join('scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const entry = role === 'worker' ? 'dist/worker.mjs' : 'dist/server.mjs';
if (role === 'web') process.argv.push('web');
await import(pathToFileURL(path.resolve(entry)).href);
