import { workerData } from 'node:worker_threads';
import { Engine, type EngineOptions } from '../lib/engine/engine';
import { engineMethods } from '../lib/engine/engine-methods';
import { ShadowRuns } from '../lib/engine/shadow-runs';
import { serveInThread } from '../lib/threads/thread-rpc';

// The engine's worker thread: evaluation never runs on the thread serving HTTP or Kafka heartbeats.
const data = workerData as { options: EngineOptions; progress?: SharedArrayBuffer };
const engine = new Engine(data.options);
serveInThread(engineMethods(engine, data.progress, new ShadowRuns(data.options, engine)));
