import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, type WorkerOptions } from 'node:worker_threads';
import { AppError, OperationalError, UnexpectedError, UserError, type ErrorCode } from '../model/errors';

/**
 * A small request/response bridge to a worker thread, so that script evaluation never runs on the
 * thread that serves HTTP or keeps the Kafka consumer's heartbeats.
 *
 * The thread exposes an object of async methods; the host calls them by name. Errors cross the
 * boundary as data and are rebuilt as AppErrors on the host side.
 */

type Methods = Record<string, (...args: never[]) => unknown>;

const TRANSFER = Symbol('transfer');

/**
 * Marks a method's result so that these buffers are moved to the host with the reply, not copied
 * (they must not be used in the thread afterwards). A symbol key: the structured clone leaves it out.
 */
export function transferring<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  (value as { [TRANSFER]?: ArrayBuffer[] })[TRANSFER] = buffers;
  return value;
}

interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

interface ReplyMessage {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { kind: string; code: string; message: string; details?: Record<string, unknown>; service?: string };
}

/** In the thread's entry file: serve `methods` to the parent. */
export function serveInThread(methods: Methods): void {
  if (isMainThread || !parentPort) throw new Error('serveInThread must run inside a worker thread');
  const port = parentPort;
  port.on('message', async (message: CallMessage) => {
    const method = methods[message.method];
    let reply: ReplyMessage;
    let transfer: ArrayBuffer[] | undefined;
    try {
      if (!method) throw new Error(`unknown method ${message.method}`);
      const value = await (method as (...args: unknown[]) => unknown)(...message.args);
      reply = { id: message.id, ok: true, value };
      if (value && typeof value === 'object') transfer = (value as { [TRANSFER]?: ArrayBuffer[] })[TRANSFER];
    } catch (error) {
      reply = { id: message.id, ok: false, error: serializeError(error) };
    }
    port.postMessage(reply, transfer);
  });
}

function serializeError(error: unknown): NonNullable<ReplyMessage['error']> {
  if (error instanceof AppError) {
    return {
      kind: error.kind,
      code: error.code,
      message: error.message,
      details: error.details,
      service: error instanceof OperationalError ? error.service : undefined,
    };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: 'unexpected', code: 'INTERNAL', message };
}

function rebuildError(error: NonNullable<ReplyMessage['error']>): AppError {
  if (error.kind === 'user') return new UserError(error.code as Exclude<ErrorCode, 'UNAVAILABLE' | 'INTERNAL'>, error.message, error.details);
  if (error.kind === 'operational') return new OperationalError(error.service ?? 'service', error.message);
  return new UnexpectedError(error.message);
}

/**
 * A worker thread's entry file, typed by the methods it serves. Declared by the process layer
 * (workers/thread-entries.ts) and handed down, so the core never names a file of the processes.
 */
export interface ThreadEntry<T extends Methods> {
  readonly name: string;
  /** Absolute path: a .ts file when running from the sources (tests, npm run dev), .mjs when built. */
  readonly file: string;
  /** Never set: carries the methods' type from the declaration to the ThreadClient. */
  readonly methods?: T;
}

/**
 * The entry `name` beside the module at `besideUrl` (its import.meta.url): `<name>.ts` when that
 * module runs from its TypeScript source, `<name>.mjs` when it runs from a bundle (scripts/build.mjs
 * bundles each thread entry beside the server and worker bundles).
 */
export function threadEntry<T extends Methods>(name: string, besideUrl: string): ThreadEntry<T> {
  const beside = fileURLToPath(besideUrl);
  const extension = beside.endsWith('.ts') ? '.ts' : '.mjs';
  return { name, file: path.join(path.dirname(beside), `${name}${extension}`) };
}

/**
 * Starts the worker thread of an entry file. From the TypeScript sources (npm run dev, tests) the
 * thread registers tsx before loading its entry; a built entry (.mjs) must exist.
 */
export function spawnThread(file: string, options: WorkerOptions & { name: string }): Worker {
  if (!file.endsWith('.ts') && !existsSync(file)) throw new Error(`thread entry ${file} is missing: run npm run build`);
  return file.endsWith('.ts')
    ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { ...options, eval: true })
    : new Worker(file, options);
}

export interface ThreadClientOptions<T extends Methods> {
  entry: ThreadEntry<T>;
  name: string;
  workerData?: unknown;
  /**
   * Called when the thread died and a new one was started, to replay its state. Other calls wait
   * until it is done; `call` given here goes through at once.
   */
  onRestart?: (call: (method: string, ...args: unknown[]) => Promise<unknown>) => Promise<void> | void;
  onError?: (error: Error) => void;
  stackSizeMb?: number;
}

/** Host side: calls methods of a thread, restarting the thread if it dies. */
export class ThreadClient<T extends Methods> {
  private worker!: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private closing = false;
  private restarting: Promise<void> | null = null;

  constructor(private readonly options: ThreadClientOptions<T>) {
    this.start();
  }

  async call<K extends keyof T & string>(method: K, ...args: Parameters<T[K]>): Promise<Awaited<ReturnType<T[K]>>> {
    if (this.closing) throw new OperationalError(this.options.name, `${this.options.name} is shutting down`);
    while (this.restarting) await this.restarting;
    return this.send(method, args) as Promise<Awaited<ReturnType<T[K]>>>;
  }

  private send(method: string, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies CallMessage);
    });
  }

  /**
   * Stops the thread at once (even in the middle of a call that never returns) and starts a new one;
   * resolves when the new one has been given its state back (onRestart). Pending calls reject.
   */
  async restart(): Promise<void> {
    const worker = this.worker;
    await worker.terminate();
    // The exit handler starts the new thread; wait for it.
    while (this.worker === worker || this.restarting) {
      if (this.restarting) await this.restarting;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
    this.failPending(new OperationalError(this.options.name, `${this.options.name} stopped`));
  }

  private start(): void {
    const entry = this.options.entry.file;
    const worker = spawnThread(entry, { name: this.options.name, workerData: this.options.workerData, resourceLimits: { stackSizeMb: this.options.stackSizeMb ?? 16 } });
    worker.on('message', (reply: ReplyMessage) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if (reply.ok) entry.resolve(reply.value);
      else entry.reject(rebuildError(reply.error!));
    });
    worker.on('error', (error) => this.options.onError?.(error));
    worker.on('exit', (code) => {
      if (this.closing || worker !== this.worker) return;
      this.failPending(new UnexpectedError(`${this.options.name} thread exited with code ${code}`));
      this.restarting = (async () => {
        this.start();
        try {
          await this.options.onRestart?.((method, ...args) => this.send(method, args));
        } catch (error) {
          this.options.onError?.(error as Error);
        }
      })().finally(() => {
        this.restarting = null;
      });
    });
    this.worker = worker;
  }

  private failPending(error: Error): void {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}
