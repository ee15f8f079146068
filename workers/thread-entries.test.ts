import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { threadEntry } from '../lib/threads/thread-rpc';
import { THREAD_ENTRIES } from './thread-entries';

describe('thread entries', () => {
  it('are the .ts files beside this module when running from the sources', () => {
    for (const entry of Object.values(THREAD_ENTRIES)) {
      expect(entry.file).toBe(path.join(import.meta.dirname, `${entry.name}.ts`));
      expect(existsSync(entry.file)).toBe(true);
    }
  });

  it('name every workers/*-thread.ts, which the build bundles', () => {
    const files = readdirSync(import.meta.dirname).filter((file) => file.endsWith('-thread.ts'));
    expect(Object.values(THREAD_ENTRIES).map((entry) => `${entry.name}.ts`).sort()).toEqual(files.sort());
  });

  it('resolve to <name>.mjs beside a bundle', () => {
    const bundle = pathToFileURL('/opt/app/dist/server.mjs').href;
    expect(threadEntry('engine-thread', bundle).file).toBe('/opt/app/dist/engine-thread.mjs');
  });
});
