import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import type { OutputValue } from '../model/tag-value';
import type { CapturedScriptState, EngineScriptSpec } from '../ports/engine';
import type { ScriptSandbox } from '../sandbox/script-sandbox';
import { alignUp, type LoadedScript, type SandboxGroup } from './engine-types';

/** A loaded script's record: made at registration, its static state, its quarantine. */

/** The longest wait between two retries of a quarantined script. */
export const MAX_QUARANTINE_RETRY_MS = 60 * 60 * 1000;

/** The record of a script just loaded into `slot` of its group's sandbox. */
export function newLoadedScript(
  spec: EngineScriptSpec,
  program: CompiledScript,
  group: SandboxGroup,
  slot: number,
  at: { now: number; missing: number; stateNotice: string | null; lineage?: OutputValue['script'] },
): LoadedScript {
  const inputTags = spec.definition.inputs.map((input) => input.tag);
  const outputTags = spec.definition.outputs.map((output) => output.tag);
  const trigger = spec.definition.trigger ?? { type: 'onChange' as const };
  const aliasToTag = new Map(spec.definition.inputs.map((input) => [input.alias, input.tag]));
  return {
    spec,
    program,
    group,
    slot,
    inputTags,
    triggerTags:
      trigger.type === 'onChange'
        ? (trigger.inputs ?? spec.definition.inputs.map((input) => input.alias)).map((alias) => aliasToTag.get(alias) ?? alias)
        : [],
    outputTags,
    periodic: trigger.type === 'periodic' ? { intervalMs: trigger.intervalMs, nextDue: alignUp(at.now, trigger.intervalMs) } : null,
    rank: 0,
    downstream: [],
    outputCount: outputTags.length,
    rawInputsOnly: true,
    missing: at.missing,
    quarantined: false,
    retryAt: null,
    retryDelay: 0,
    probation: false,
    lineage: at.lineage ?? Object.freeze({ id: spec.id, name: spec.name, version: spec.version }),
    followed: false,
    dirty: true,
    stateNotice: at.stateNotice,
    stats: { evaluations: 0, errors: 0, consecutiveFailures: 0, totalMicros: 0, lastRunAt: null, lastError: null },
  };
}

/**
 * Takes a script out of evaluation: quarantined, its slot freed, its next retry planned (doubling
 * after a failed retry, up to MAX_QUARANTINE_RETRY_MS; none when retryMs is 0).
 */
export function quarantine(script: LoadedScript, retryMs: number, now: number): void {
  script.quarantined = true;
  if (retryMs > 0) {
    script.retryDelay = script.probation ? Math.min(Math.max(script.retryDelay, retryMs) * 2, MAX_QUARANTINE_RETRY_MS) : Math.min(retryMs, MAX_QUARANTINE_RETRY_MS);
    script.retryAt = now + script.retryDelay;
  } else {
    script.retryAt = null;
  }
  script.probation = false;
  if (script.slot >= 0 && !script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
  script.slot = -1;
}

/**
 * A script an earlier engine quarantined (before a restart): quarantined here too, with its last
 * error, and retried QUARANTINE_RETRY_MS from now (never, with 0). Its outputs already say so.
 */
export function resumeQuarantine(script: LoadedScript, lastError: Diagnostic, retryMs: number, now: number): void {
  script.quarantined = true;
  script.stats.lastError = lastError;
  script.retryDelay = Math.min(retryMs, MAX_QUARANTINE_RETRY_MS);
  script.retryAt = retryMs > 0 ? now + script.retryDelay : null;
  if (script.slot >= 0 && !script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
  script.slot = -1;
}

/** A script's static variables for a checkpoint (scale-out), or the notice why they cannot move. */
export function staticOf(script: LoadedScript): CapturedScriptState['state'] {
  if (script.quarantined || script.slot < 0) return { notice: 'the script is quarantined: it starts from its initCode when it runs again' };
  // No top-level name in initCode: nothing to read, so no call into the sandbox (most checkpoints).
  if (script.program.staticVariables.length === 0) return { vars: {}, undef: [] };
  const dumped = script.group.sandbox.dumpState(script.slot);
  if (dumped.ok) return { vars: dumped.vars, undef: dumped.undef };
  return {
    notice: dumped.variable
      ? `its static variable '${dumped.variable}' ${dumped.why}, so its state cannot move to another worker: after a move it starts again from its initCode (keep static state in plain objects, arrays, numbers, strings and booleans)`
      : `its static state could not be read (${dumped.why}): after a move it starts again from its initCode`,
  };
}

/** Puts saved static variables into a freshly loaded script; the notice to show when that is not possible. */
export function restoreStatic(sandbox: ScriptSandbox, slot: number, saved: NonNullable<EngineScriptSpec['restoreState']>): string | null {
  if ('notice' in saved) return saved.notice;
  return sandbox.loadState(slot, saved) ? null : 'its saved static state could not be put back (the script changed or the restore failed): it started again from its initCode';
}
