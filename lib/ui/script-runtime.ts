import type { Diagnostic, Quality, ScriptStatus, TagScalar } from './api-types';

/**
 * What the script page says about a script's runtime state (scripts.md "Limits", "When a script stops
 * or fails, its outputs say so"): its state, the last error and where it happened, the next retry
 * of a quarantine, and how an output value is to be shown.
 */

export interface RuntimeView {
  state: ScriptStatus['state'];
  /** The last error, shown for a quarantined or registered script. */
  error: { message: string; source: Diagnostic['source']; line: number | null; column: number | null } | null;
  /** Quarantined: when it is tried again ('off' when retries are turned off). */
  retry: { at: string; inSeconds: number } | 'off' | null;
}

export function runtimeView(status: ScriptStatus, now: number): RuntimeView {
  const last = status.lastError;
  const error =
    last && status.state !== 'unregistered'
      ? { message: last.message, source: last.source, line: last.line ?? null, column: last.column ?? null }
      : null;
  let retry: RuntimeView['retry'] = null;
  if (status.state === 'quarantined') {
    if (status.retryAt) retry = { at: status.retryAt, inSeconds: Math.max(0, Math.ceil((Date.parse(status.retryAt) - now) / 1000)) };
    else retry = 'off';
  }
  return { state: status.state, error, retry };
}

/** red for bad, amber for uncertain, plain for good; `missing` when the tag has no value yet. */
export type ValueTone = 'good' | 'uncertain' | 'bad' | 'missing';

export function valueTone(value: { value: TagScalar; quality: Quality } | null | undefined): ValueTone {
  if (!value) return 'missing';
  return value.quality;
}

/** "in 42 s", "in 3 min", "in 1 h 5 min": the wait before a retry, short. */
export function waitParts(seconds: number): { hours: number; minutes: number; seconds: number } {
  const whole = Math.max(0, Math.round(seconds));
  return { hours: Math.floor(whole / 3600), minutes: Math.floor((whole % 3600) / 60), seconds: whole % 60 };
}
