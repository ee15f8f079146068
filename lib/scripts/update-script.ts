import { UserError } from '../model/errors';
import type { ChangeAuthor } from '../model/audit';
import type { SaveOptions } from '../ports/script-store';
import type { ScriptPorts } from './script-ports';
import { checkRegistrable } from './check-registrable';
import { checkTests } from './check-tests';
import { describeScript } from './describe-script';
import { getStoredScriptOrThrow } from './get-script';
import type { Script } from '../model/script';
import type { ScriptDraft } from '../model/script-schema';
import { toEngineSpec } from '../engine-host/to-engine-spec';

export interface UpdateOptions extends SaveOptions {
  /** Save (and hot-swap) a registered script even though its regression tests fail; audited. */
  force?: boolean;
}

/**
 * Saves a new version. A registered (or quarantined) script is hot-swapped: the new version must
 * compile, keep the graph acyclic and pass its regression tests (unless `force`) — the running
 * version stays untouched otherwise —, its initCode runs again, and it resumes from the last
 * published outputs. A rollback is an update with the content of an earlier version. Its shadow
 * run, if any, ends.
 */
export async function updateScript(
  services: Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log' | 'runTests' | 'shadowStore'>,
  id: string,
  draft: ScriptDraft,
  author?: ChangeAuthor,
  options: UpdateOptions = {},
): Promise<Script> {
  const current = await getStoredScriptOrThrow(services, id);
  const running = current.state !== 'unregistered';
  const program = running ? await checkRegistrable(services, { ...current, definition: draft }) : undefined;
  const forced = running ? await checkTests(services, draft, options.force ?? false) : {};
  const { force: _force, ...save } = options;
  const saved = await services.store.update(id, draft, author, { ...save, details: { ...save.details, ...forced } });
  if (!saved) throw new UserError('NOT_FOUND', `script '${id}' was not found`, { id });
  // A shadow tried a change against the version just replaced: it ends (changes.md).
  await services.shadowStore?.remove(id);
  if (running) {
    const state = await services.store.setState(id, 'registered', null);
    if (services.engine) {
      const outcome = await services.engine.register(toEngineSpec(state ?? saved, program));
      if (!outcome.ok) {
        const error = outcome.reason === 'cycle' ? null : outcome.diagnostics[0];
        await services.engine.unregister(id);
        await services.store.setState(id, 'unregistered', error ?? null);
        services.log.warn({ scriptId: id }, 'updated script could not start; it was unregistered');
      } else {
        services.log.info({ scriptId: id, version: saved.version }, 'script hot-swapped');
      }
    }
    return describeScript((await services.store.get(id)) ?? saved, await services.scriptActivity());
  }
  return describeScript(saved, await services.scriptActivity());
}
