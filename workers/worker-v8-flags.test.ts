import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_GC_FLAGS } from './worker-v8-flags';

describe('the worker process\'s V8 GC flags', () => {
  it('are imported first by the worker entry, before any other module runs', () => {
    const source = readFileSync(path.join(import.meta.dirname, 'worker.ts'), 'utf8');
    const firstImport = source.split('\n').find((line) => line.startsWith('import '));
    expect(firstImport).toBe("import './worker-v8-flags';");
  });

  it('set at run time after a heap has grown, survive full collections and a worker thread allocating (a flag V8 cannot take late aborts the process)', () => {
    // A child process: grows its heap (as the worker's packages do before the module runs), imports
    // the module, then churns both heaps through scavenges and full collections. V8 aborts with
    // SIGTRAP on a flag it cannot take at run time (--single-threaded-gc does).
    const churn = 'let keep = []; for (let i = 0; i < 1e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 2e5) keep = keep.slice(1e5); } return keep.length;';
    const script = `
      const early = new Function(${JSON.stringify(churn)})();
      const module = await import(${JSON.stringify(path.join(import.meta.dirname, 'worker-v8-flags.ts'))});
      const { Worker } = await import('node:worker_threads');
      const worker = new Worker('import("node:worker_threads").then(({ parentPort }) => parentPort.postMessage((() => {' + ${JSON.stringify(churn)} + '})()))', { eval: true });
      const here = new Function(${JSON.stringify(churn)})();
      worker.once('message', (there) => console.log('done', (module.WORKER_GC_FLAGS ?? module.default.WORKER_GC_FLAGS).length, early > 0 && here > 0 && there > 0));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(`done ${WORKER_GC_FLAGS.length} true`);
    expect(child.status).toBe(0);
  }, 70_000);
});
