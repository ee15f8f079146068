import { UserError } from '../model/errors';
import type { ScriptDraft } from '../model/script-schema';
import type { TestReport, TestResult } from '../model/script-tests';
import type { ScriptPorts } from './script-ports';

/**
 * The regression tests a script must pass before it runs (changes.md): registering it, or saving
 * a new version (update, rollback) of a registered one. Failing tests answer 422 TESTS_FAILED with
 * the results in `details`, unless `force`; what force overrode goes into the audit entry.
 * Returns the audit details of the change ({} when nothing was forced).
 */
export async function checkTests(services: Pick<ScriptPorts, 'runTests'>, draft: ScriptDraft, force: boolean): Promise<Record<string, unknown>> {
  if (!draft.tests?.length) return force ? { force: true } : {};
  const report = await services.runTests(draft);
  if (report.failed === 0) return force ? { force: true } : {};
  const failing = report.results.filter((result) => !result.ok);
  if (force) return { force: true, failedTests: failing.map((result) => result.name) };
  throw new UserError(
    'TESTS_FAILED',
    `script '${draft.name}': ${report.failed} of ${report.results.length} regression tests fail (${whyFirst(failing[0])}) — fix the script or the tests, or add ?force=true to go ahead anyway`,
    { ...report } satisfies TestReport,
  );
}

function whyFirst(result: TestResult): string {
  const name = `'${result.name}'`;
  if (result.error) return `${name}${result.step ? ` at step ${result.step}` : ''}: ${result.error.message}`;
  const [first] = result.mismatches;
  const expected = JSON.stringify(first.expected);
  const actual = first.actual === null ? 'nothing' : `${JSON.stringify(first.actual.value)} (${first.actual.quality})`;
  return `${name}: ${first.tag} expected ${expected}, got ${actual}`;
}
