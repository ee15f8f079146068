// The build's fingerprint: size and modification time of every source file that goes into it.
// `npm start` rebuilds only when this changed since the last build.
import { createHash } from 'node:crypto';
import { readdirSync, statSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SOURCE_DIRS = ['app', 'components', 'lib', 'workers', 'db', 'public', 'messages'];
const SOURCE_FILES = ['server.ts', 'package.json', 'package-lock.json', 'next.config.mjs', 'tsconfig.json', 'scripts/build.mjs', 'scripts/build-pglite-template.mjs'];
const SKIP = new Set(['node_modules', '.next', 'dist', 'data']);

export const STAMP_FILE = 'dist/build-stamp.json';

function walk(dir, out) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (!/\.test\.tsx?$/.test(entry.name)) out.push(full);
  }
}

export function sourceFingerprint(root = process.cwd()) {
  const files = [];
  for (const dir of SOURCE_DIRS) walk(path.join(root, dir), files);
  for (const file of SOURCE_FILES) if (existsSync(path.join(root, file))) files.push(path.join(root, file));
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = statSync(file);
    hash.update(`${path.relative(root, file)}:${stat.size}:${Math.floor(stat.mtimeMs)}\n`);
  }
  return hash.digest('hex');
}

export function buildIsCurrent(root = process.cwd()) {
  const stampPath = path.join(root, STAMP_FILE);
  if (!existsSync(stampPath) || !existsSync(path.join(root, '.next/BUILD_ID'))) return false;
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8')).fingerprint === sourceFingerprint(root);
  } catch {
    return false;
  }
}
