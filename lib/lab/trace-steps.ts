import type { TraceSite } from '../compiler/instrument-trace';

/** api.md Step: one executed statement, with the values of the script's variables after it. */
export interface TraceStep {
  step: number;
  source: 'init' | 'calc';
  line: number;
  column: number;
  vars: Record<string, unknown>;
}

export interface Trace {
  steps: TraceStep[];
  truncated: boolean;
}

/** Most steps one debug answer carries (api.md); the guest stops recording there too. */
export const MAX_TRACE_STEPS = 10_000;

export const EMPTY_TRACE: Trace = { steps: [], truncated: false };

/**
 * Turns what the guest recorded (`{"steps": [site, values, skipped, ...], "truncated": bool}`, one
 * flat array; see makeTracer in sandbox/prelude.ts) into steps, naming each value from the site
 * table of the traced compilation. Values the guest skipped (not yet initialised, functions) are
 * absent.
 */
export function decodeTrace(raw: string | null, sites: readonly TraceSite[]): Trace {
  if (!raw) return { steps: [], truncated: false };
  const parsed = JSON.parse(raw) as { steps: unknown[]; truncated: boolean };
  const flat = parsed.steps;
  const steps: TraceStep[] = [];
  for (let at = 0; at + 2 < flat.length; at += 3) {
    const site = sites[flat[at] as number];
    if (!site) continue;
    const values = flat[at + 1] as unknown[];
    const skipped = flat[at + 2] as number[] | null;
    const vars: Record<string, unknown> = {};
    for (let index = 0; index < values.length; index++) {
      if (skipped?.includes(index)) continue;
      const name = site.names[index];
      if (name !== undefined) vars[name] = values[index];
    }
    steps.push({ step: steps.length + 1, source: site.source, line: site.line, column: site.column, vars });
  }
  return { steps, truncated: parsed.truncated };
}

/** One trace after another (a session's initCode steps, then its first run), capped and renumbered. */
export function concatTraces(first: Trace, second: Trace): Trace {
  const combined = [...first.steps, ...second.steps];
  const truncated = first.truncated || second.truncated || combined.length > MAX_TRACE_STEPS;
  const steps = combined.slice(0, MAX_TRACE_STEPS).map((step, index) => (step.step === index + 1 ? step : { ...step, step: index + 1 }));
  return { steps, truncated };
}
