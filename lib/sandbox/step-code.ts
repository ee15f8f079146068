import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { CompiledScript } from '../compiler/compile-script';
import { Cur, Layout, markAt, Out, Rec } from './wire';

/**
 * The sandbox's step code: one generated function per sandbox (regenerated when its scripts change)
 * that runs the marked fast runs of a step in slot order, straight-line — per script: its mark read
 * (M at mb + markAt(slot): the run's op + 1, marked by the host in a marks op or by the guest's op
 * loop), the deadline's cell written (CUR[0], the run's op), the body called with its inputs read from the tag table by
 * constant index, the output checked and compared, and its record written inline (a number's: no kind,
 * its tag is its quality; the ordinal last; the out buffer's length `a` a local, returned). No op dispatch, no
 * runner call, no prologue or epilogue, no `emit` call. What the fast path cannot do (an output that is
 * not a finite number) goes back to the prelude (`slow`). See guest/prelude.ts runMarked and
 * docs/decisions/0019-guest-step-code.md.
 *
 * The source is made of numbers only (slots, table indexes) and evaluated by the host; script code
 * cannot reach the function (it is not on the global object) nor change its text.
 */

export interface StepEntry {
  slot: number;
  /** Tag table indexes of the inputs, in alias order. */
  inputs: readonly number[];
  /** Tag table index of the one output. */
  output: number;
}

/**
 * `read`: the table indexes some script of the sandbox reads (its inputs). An output nobody reads
 * gets no timestamp (S) or change stamp (C): only a reader's ctx.input and conditional runs look at
 * them, and a script loaded later is seeded with its inputs' timestamps (and regenerates this code).
 */
export function stepSource(entries: readonly StepEntry[], read: ReadonlySet<number>, direct: ReadonlySet<number> = new Set()): string {
  const sorted = [...entries].sort((a, b) => a.slot - b.slot);
  const widest = Math.max(0, ...entries.map((entry) => entry.inputs.length));
  const bodies = sorted.map((entry) => `b${entry.slot} = K.B[${entry.slot}]`).join(', ');
  const runs = sorted.map((entry) => {
    const s = entry.slot;
    const o = entry.output;
    // A direct input (see directIndexes) is read from N, V when N holds no number.
    const loads = entry.inputs.map((index, n) => (direct.has(index) ? `i${n} = N[${index}]; if (i${n} !== i${n}) i${n} = V[${index}]; ` : '')).join('');
    const args = entry.inputs.map((index, n) => (direct.has(index) ? `i${n}` : `V[${index}]`)).join(', ');
    // The ordinal last (see wire.ts): after a throw or an interrupt the guest counts the records again.
    const record = `R[a + ${Rec.Index}] = ${o}; R[a + ${Rec.Number}] = x; R[a + ${Rec.Tag}] = w; R[a + ${Rec.Ordinal}] = d + ob; a += ${Out.Record};`;
    return (
      `d = M[mb + ${markAt(s)}]; if (d !== 0) { M[mb + ${markAt(s)}] = 0; CUR[0] = d - 1; ${loads}x = b${s}(${args}); w = T[${Layout.OpStride} * d - ${Layout.OpStride - 3}]; ` +
      `if (typeof x === "number" && x - x === 0) { if (V[${o}] !== x || Q[${o}] !== w) { V[${o}] = x; Q[${o}] = w; ${read.has(o) ? `S[${o}] = now; C[${o}] = step; ` : ''}${record} } } ` +
      `else a = slow(${s}, x, step, now, a); }`
    );
  });
  return [
    '(function (K) {"use strict";',
    'const V = K.V, N = K.N, Q = K.Q, S = K.S, C = K.C, CUR = K.CUR, slow = K.slow;',
    bodies.length > 0 ? `const ${bodies};` : '',
    `return function (R, step, now, M, mb, ob, T, a) { var d, x, w${Array.from({ length: widest }, (_, n) => `, i${n}`).join('')};`,
    ...runs,
    `CUR[0] = ${Cur.Idle}; return a; };})`,
  ].join('\n');
}

/**
 * The direct indexes of a sandbox: read by fast programs only (no runner of another program reads
 * them, no program publishes them). The host writes their numbers straight into the guest's N
 * (guest/prelude.ts), and the step code reads them there.
 */
export function directIndexes(programs: ReadonlyMap<number, CompiledScript>, slotIndexes: ReadonlyMap<number, readonly number[]>): Set<number> {
  const direct = new Set<number>();
  const excluded = new Set<number>();
  for (const [slot, program] of programs) {
    const indexes = slotIndexes.get(slot);
    if (!indexes) continue;
    const n = program.inputTags.length;
    for (let k = 0; k < indexes.length; k++) {
      if (program.fast && k < n) direct.add(indexes[k]);
      else excluded.add(indexes[k]);
    }
  }
  for (const index of excluded) direct.delete(index);
  return direct;
}

/**
 * Generates and installs the step code for the fast programs of a sandbox (guest api.setStep).
 * Returns the direct indexes it reads from N, or null when it could not be installed: the sandbox
 * then runs every script by its runner (no index direct), which is slower, never wrong.
 */
export function installStepCode(
  context: QuickJSContext,
  api: QuickJSHandle,
  setStep: QuickJSHandle,
  programs: ReadonlyMap<number, CompiledScript>,
  slotIndexes: ReadonlyMap<number, readonly number[]>,
): Set<number> | null {
  const entries: StepEntry[] = [];
  const read = new Set<number>();
  for (const [slot, program] of programs) {
    const indexes = slotIndexes.get(slot);
    for (let i = 0; indexes && i < program.inputTags.length; i++) read.add(indexes[i]);
    if (!program.fast || !indexes) continue;
    const n = program.inputTags.length;
    entries.push({ slot, inputs: indexes.slice(0, n), output: indexes[n] });
  }
  if (entries.length === 0) return new Set();
  const direct = directIndexes(programs, slotIndexes);
  const evaluated = context.evalCode(stepSource(entries, read, direct), 'step.js', { strict: true });
  if (evaluated.error) {
    evaluated.error.dispose();
    return null;
  }
  const slots = context.newString(JSON.stringify(entries.map((entry) => entry.slot)));
  const directHandle = context.newString(JSON.stringify([...direct]));
  const result = context.callFunction(setStep, api, evaluated.value, slots, directHandle);
  slots.dispose();
  directHandle.dispose();
  evaluated.value.dispose();
  if (result.error) {
    result.error.dispose();
    return null;
  }
  result.value.dispose();
  return direct;
}
