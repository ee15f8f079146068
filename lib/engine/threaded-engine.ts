import type { Logger } from '../logger';
import type { TagState, TagValue } from '../tags/tag-value';
import { ThreadClient } from '../threads/thread-rpc';
import type { EngineOptions, EngineScriptSpec } from './engine';
import type { EngineHost, EngineMethods } from './engine-host';

/**
 * The engine in a worker thread. If the thread dies, a new one is started and given back every
 * registered script and the latest values, so evaluation resumes without the host noticing more
 * than a pause.
 */
export function threadedEngine(options: EngineOptions & { logger: Logger; latestValues: () => TagState[] }): EngineHost {
  const registered = new Map<string, EngineScriptSpec>();
  const { logger, latestValues, ...engineOptions } = options;
  const client: ThreadClient<EngineMethods> = new ThreadClient<EngineMethods>({
    entry: 'engine-thread',
    name: 'engine',
    workerData: { options: { limits: engineOptions.limits, quarantineAfter: engineOptions.quarantineAfter, scriptsPerSandbox: engineOptions.scriptsPerSandbox } },
    onError: (error) => logger.error({ err: error }, 'engine thread failed'),
    onRestart: async (call) => {
      logger.warn({ scripts: registered.size }, 'engine thread restarted; reloading scripts');
      await call('restore', latestValues());
      for (const spec of registered.values()) await call('register', spec);
    },
  });

  return {
    async register(spec) {
      const outcome = await client.call('register', spec);
      if (outcome.ok) registered.set(spec.id, spec);
      return outcome;
    },
    async unregister(id) {
      registered.delete(id);
      return client.call('unregister', id);
    },
    ingest: (values: TagValue[]) => client.call('ingest', values),
    tick: (now: number) => client.call('tick', now),
    statuses: () => client.call('statuses'),
    restore: (states: TagState[]) => client.call('restore', states),
    close: () => client.close(),
  };
}
