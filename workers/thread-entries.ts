import type { EngineMethods } from '../lib/engine/engine-methods';
import type { LabMethods } from '../lib/lab/lab-methods';
import { fileURLToPath } from 'node:url';
import { threadEntry } from '../lib/threads/thread-rpc';

/**
 * The worker threads this project starts, each typed by the methods it serves. The files sit beside
 * this module: workers/<name>.ts from the sources, dist/<name>.mjs in the built app (scripts/build.mjs
 * bundles every workers/*-thread.ts). The processes (server.ts, workers/worker.ts) hand these to the
 * composition root; tests hand them to the host proxies directly.
 */
export const ENGINE_THREAD = threadEntry<EngineMethods>('engine-thread', import.meta.url);
export const LAB_THREAD = threadEntry<LabMethods>('lab-thread', import.meta.url);
/** The embedded database (PGlite) when PGLITE_THREAD is on: a message protocol of its own, not methods. */
export const PGLITE_THREAD = threadEntry<Record<string, never>>('pglite-thread', import.meta.url);

/** A worker's Kafka consumer and producer when BUS_THREAD is on: a message protocol of its own, not methods. */
export const BUS_THREAD = threadEntry<Record<string, never>>('bus-thread', import.meta.url);

/**
 * The embedded database's template beside the built app (the folder dist/pglite-template, written by
 * scripts/build-pglite-template.mjs): a new data folder starts as a copy of it instead of initdb. From
 * the sources it does not exist, and a new folder is created as before.
 */
export const PGLITE_TEMPLATE = fileURLToPath(new URL('./pglite-template', import.meta.url));

export const THREAD_ENTRIES = { engine: ENGINE_THREAD, lab: LAB_THREAD, pglite: PGLITE_THREAD, bus: BUS_THREAD };
