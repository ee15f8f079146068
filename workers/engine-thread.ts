import { workerData } from 'node:worker_threads';
import { Engine, type EngineOptions } from '../lib/engine/engine';
import { engineMethods } from '../lib/engine/engine-methods';
import { serveInThread } from '../lib/threads/thread-rpc';

// The engine's worker thread: evaluation never runs on the thread serving HTTP or Kafka heartbeats.
const data = workerData as { options: EngineOptions; progress?: SharedArrayBuffer };
serveInThread(engineMethods(new Engine(data.options), data.progress));
