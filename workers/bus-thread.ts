import { parentPort, workerData } from 'node:worker_threads';
import { serveBus } from '../lib/adapters/bus/bus-thread-server';
import type { BusThreadData } from '../lib/adapters/bus/bus-thread-protocol';

// The bus thread (BUS_THREAD, docs/decisions/0021-bus-thread.md): a worker's Kafka consumer and
// producer run here, so kafkajs and the JSON of every message never hold the thread serving the API.
if (!parentPort) throw new Error('workers/bus-thread.ts must run in a worker thread');
serveBus(parentPort, workerData as BusThreadData);
