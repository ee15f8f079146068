import { existsSync, unlinkSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Engine, type EngineOptions } from '../../lib/engine/engine';
import { engineMethods } from '../../lib/engine/engine-methods';
import { ShadowRuns } from '../../lib/engine/shadow-runs';
import { serveInThread } from '../../lib/threads/thread-rpc';

// The engine thread of workers/engine-thread.ts, for tests of a thread that dies in the middle of a
// pass: while the file named by DYING_ENGINE_MARK exists, a pass runs (the values are taken, the
// scripts evaluated), then the file is removed and the thread exits before it answers.
const data = workerData as { options: EngineOptions; progress?: SharedArrayBuffer };
const engine = new Engine(data.options);
const methods = engineMethods(engine, data.progress, new ShadowRuns(data.options, engine));
const ingestPacked = methods.ingestPacked;
methods.ingestPacked = async (...args: Parameters<typeof ingestPacked>) => {
  const result = await ingestPacked(...args);
  const mark = process.env.DYING_ENGINE_MARK;
  if (mark && existsSync(mark)) {
    unlinkSync(mark);
    process.exit(3);
  }
  return result;
};
serveInThread(methods);
