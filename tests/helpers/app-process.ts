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
  const child = spawn(process.execPath, [options.entry ?? 'dist/server.mjs', ...(options.args ?? [])], {
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
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
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
