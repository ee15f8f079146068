import type { RunnableDraft } from '../model/script-schema';
import type { TestReport } from '../model/script-tests';
import type { EditorRunPorts } from './editor-run-ports';
import { resolveRunTarget } from './resolve-run-target';
import { runScriptTests } from './run-script-tests';

/** `POST /api/scripts/test`: the regression tests of a draft or of a saved script (changes.md). */
export async function testScript(services: Pick<EditorRunPorts, 'store' | 'lab'>, body: { script?: RunnableDraft; scriptId?: string }): Promise<TestReport> {
  const target = await resolveRunTarget(services, body);
  return runScriptTests(services, target.draft);
}
