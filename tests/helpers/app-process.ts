import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts the built app (dist/) as a child process, the way `npm start` runs it, and waits until
 * /api/health answers. Each instance gets a free port and, unless given, its own data folder.
 */

/** How long stop() waits after its signal before it sends SIGKILL (the app's own shutdown gives up after 9 s). */
const STOP_GRACE_MS = 15_000;

/** Apps started and not yet stopped: stopAllApps() stops them, and none outlives this process. */
const running = new Set<RunningApp>();
let exitHookInstalled = false;

/**
 * Stops every app still running (for a script's Ctrl-C and error paths). Waiting matters: an app
 * whose stdout reader has gone away can spin on EPIPE in its last log flush instead of exiting.
 */
export async function stopAllApps(): Promise<void> {
  await Promise.allSettled([...running].map((app) => app.stop()));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The last resort when this process leaves without stopping an app (process.exit, an uncaught error).
  process.on('exit', () => {
    for (const app of running) if (app.process.exitCode === null && app.process.signalCode === null) app.process.kill('SIGKILL');
  });
}

/** The administrator every test app is started with (ADMIN_PASSWORD), unless a test sets its own or AUTH=off. */
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password-0123' };

interface Credentials {
  username: string;
  password: string;
  /** The API token, once signed in (pending while the first sign-in is under way). */
  token?: Promise<string>;
}

/**
 * Apps started by this process with sign-in on, by their base URL: authFetch signs in to each once.
 * Kept on globalThis: under tsx a `.mts` bench and a `.ts` module it imports load this file as two
 * module instances (ESM and CommonJS), and both must see the apps the other started.
 */
const CREDENTIALS_KEY = Symbol.for('script-server.test-app-credentials');
const credentialsByBase: Map<string, Credentials> = ((globalThis as Record<symbol, unknown>)[CREDENTIALS_KEY] ??= new Map<string, Credentials>()) as Map<string, Credentials>;

/**
 * Signs in to the app at `base` as its administrator (POST /api/auth/login) and creates an admin API
 * token with the session: the token every later request of the tests carries. Null when `base` is not
 * an app started with sign-in; throws while the app is not answering yet (the next call tries again).
 */
export async function tokenFor(base: string): Promise<string | null> {
  const entry = credentialsByBase.get(base);
  if (!entry) return null;
  entry.token ??= (async () => {
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: entry.username, password: entry.password }),
      signal: AbortSignal.timeout(30_000),
    });
    if (login.status !== 200) throw new Error(`signing in to ${base} as ${entry.username} answered ${login.status}: ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const created = await fetch(`${base}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: `tests ${process.pid}`, role: 'admin' }),
      signal: AbortSignal.timeout(30_000),
    });
    if (created.status !== 201) throw new Error(`creating a test token at ${base} answered ${created.status}: ${await created.text()}`);
    return ((await created.json()) as { token: string }).token;
  })().catch((error: unknown) => {
    entry.token = undefined;
    throw error;
  });
  return entry.token;
}

/** The Authorization header for a request to `url`, when it goes to an app started with sign-in. */
export async function authorizationFor(url: string): Promise<Record<string, string>> {
  const base = [...credentialsByBase.keys()].find((candidate) => url === candidate || url.startsWith(`${candidate}/`));
  if (!base) return {};
  try {
    const token = await tokenFor(base);
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {}; // not answering yet: the request goes without, and its answer says why
  }
}

/**
 * fetch, signed in: a request to an app started by startApp (sign-in on) carries that app's admin
 * token, unless it sets its own Authorization header. Other URLs go as they are.
 */
export async function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) for (const [name, value] of Object.entries(await authorizationFor(url))) headers.set(name, value);
  return fetch(url, { ...init, headers });
}

export interface RunningApp {
  url: string;
  process: ChildProcess;
  dataDir: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startApp(
  options: { env?: Record<string, string>; entry?: string; args?: string[]; dataDir?: string; waitForHealth?: boolean; timeoutMs?: number } = {},
): Promise<RunningApp> {
  const port = await freePort();
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'script-server-test-'));
  // APP_NODE_ARGS: node options for the app under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (a
  // profile of each of its threads; NODE_OPTIONS does not allow --cpu-prof).
  const nodeArgs = process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, options.entry ?? 'dist/server.mjs', ...(options.args ?? [])], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      SIMULATOR: 'off',
      NODE_ENV: 'production',
      ADMIN_PASSWORD: TEST_ADMIN.password,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...options.env };
  if (!['off', 'false', '0', 'no'].includes(env.AUTH ?? 'on') && (options.entry ?? 'dist/server.mjs') !== 'dist/worker.mjs') {
    credentialsByBase.set(url, { username: env.ADMIN_USERNAME ?? TEST_ADMIN.username, password: env.ADMIN_PASSWORD ?? TEST_ADMIN.password });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const app: RunningApp = {
    url,
    process: child,
    dataDir,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // Still running after the grace period (a shutdown that hangs): SIGKILL, so stop() always ends.
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      const code = await exited;
      clearTimeout(timer);
      running.delete(app);
      credentialsByBase.delete(url);
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  installExitHook();
  running.add(app);
  if (options.waitForHealth === false) return app;

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before it was healthy:\n${output}`);
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return app;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await app.stop('SIGKILL');
  throw new Error(`the app was not healthy within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
}
