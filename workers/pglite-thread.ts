import { parentPort, workerData } from 'node:worker_threads';
import { servePglite } from '../lib/adapters/store/pglite-thread-server';
import type { PgliteThreadData } from '../lib/adapters/store/pglite-thread-protocol';

// The embedded database's thread (PGLITE_THREAD, docs/decisions/0018-embedded-db-thread.md): PGlite
// runs here, so its statements never hold the thread that serves the API.
if (!parentPort) throw new Error('workers/pglite-thread.ts must run in a worker thread');
void servePglite(parentPort, workerData as PgliteThreadData);
