import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';

/**
 * The diagnostic that names a hang: a call the sandbox's deadline could not stop (QuickJS checks it
 * between bytecodes, not inside a long native call).
 *
 * `variant`: 'hang' an editor run that was stopped, 'hang-quarantined' a registered script that hung
 * the engine thread, 'hang-init' an initialization that never returned. `seconds` is how long it
 * ran, `deadlineMs` the deadline that could not stop it.
 */
export function hangDiagnostic(variant: 'hang' | 'hang-quarantined' | 'hang-init', seconds: number, deadlineMs: number): Diagnostic {
  const part = variant === 'hang-init' ? 'init' : 'calc';
  return diagnostic(variant, { part, seconds, ms: deadlineMs }, { source: part, kind: 'timeout' });
}
