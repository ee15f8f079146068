import { formatMeasure, roundMeasure, type Locale } from './format';
import type { DebugStep } from './api-types';

/**
 * Stepping through a debug trace: where the cursor goes on next / previous / first / last, and the
 * variables at a step with those that changed since the step before marked — the question a user asks
 * of a trace is "what did this line do?".
 */

export type StepAction = 'next' | 'previous' | 'first' | 'last';

export function clampStep(index: number, total: number): number {
  if (total <= 0) return 0;
  if (!Number.isFinite(index)) return 0;
  return Math.min(total - 1, Math.max(0, Math.trunc(index)));
}

export function moveStep(index: number, total: number, action: StepAction): number {
  switch (action) {
    case 'next':
      return clampStep(index + 1, total);
    case 'previous':
      return clampStep(index - 1, total);
    case 'first':
      return 0;
    case 'last':
      return clampStep(total - 1, total);
  }
}

export interface VariableRow {
  name: string;
  value: unknown;
  /** The value at the step before; undefined when the variable did not exist then. */
  previous: unknown;
  changed: boolean;
  /** Appears at this step for the first time. */
  added: boolean;
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/** The variables at `index`, in the order they first appeared in the trace, with what changed. */
export function variablesAt(trace: readonly DebugStep[], index: number): VariableRow[] {
  if (trace.length === 0) return [];
  const at = clampStep(index, trace.length);
  const current = trace[at].vars ?? {};
  const before = at > 0 ? (trace[at - 1].vars ?? {}) : {};
  return Object.keys(current).map((name) => {
    const existed = Object.prototype.hasOwnProperty.call(before, name);
    const value = current[name];
    const previous = existed ? before[name] : undefined;
    return { name, value, previous, changed: !existed || !same(value, previous), added: !existed && at > 0 };
  });
}

/** The step to show first: the first step of calcCode (init has already run when a user debugs). */
export function firstInterestingStep(trace: readonly DebugStep[]): number {
  const calc = trace.findIndex((step) => step.source === 'calc');
  return calc === -1 ? 0 : calc;
}

/**
 * Display text of a variable's value in the tables: JSON, with numbers rounded as everywhere in the
 * IDE (format.ts; the exact value is the cell's title), undefined and long values made readable.
 */
export function displayValue(value: unknown, maxLength = 120, locale: Locale = 'en'): string {
  if (value === undefined) return 'undefined';
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number') text = Number.isNaN(value) ? 'NaN' : formatMeasure(locale, value);
  else {
    try {
      text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' ? roundMeasure(item) : item)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
