// npm run build: the Next.js app (pages and route handlers) and the server-side bundles (the web
// server, the worker process and the two worker threads) in dist/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { GENERATED_FILE, generatedModule } from './build-guest.mjs';
import { buildPgliteTemplate } from './build-pglite-template.mjs';
import { sourceFingerprint, STAMP_FILE } from './fingerprint.mjs';

const root = process.cwd();
const started = Date.now();
// The guest prelude (lib/sandbox/guest/prelude.ts) compiled into the string the sandbox evaluates.
const guest = generatedModule(root);
if (readFileSync(path.join(root, GENERATED_FILE), 'utf8') !== guest) writeFileSync(path.join(root, GENERATED_FILE), guest);
const fingerprint = sourceFingerprint(root);

console.log('Building the web app (next build)…');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
const nextBuild = spawnSync(process.execPath, [nextBin, 'build'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
if (nextBuild.status !== 0) process.exit(nextBuild.status ?? 1);

console.log('Bundling the server, the worker and the engine threads (esbuild)…');
mkdirSync(path.join(root, 'dist'), { recursive: true });
await build({
  // Every workers/*-thread.ts is a worker thread's entry, bundled beside the server as dist/<name>.mjs
  // (workers/thread-entries.ts finds them there).
  entryPoints: {
    server: 'server.ts',
    worker: 'workers/worker.ts',
    ...Object.fromEntries(
      readdirSync(path.join(root, 'workers'))
        .filter((file) => file.endsWith('-thread.ts'))
        .map((file) => [file.slice(0, -'.ts'.length), `workers/${file}`]),
    ),
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

console.log('Creating the embedded database template (initdb and migrations, once)…');
await buildPgliteTemplate(root);

writeFileSync(path.join(root, STAMP_FILE), JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }, null, 2));
console.log(`Build finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
