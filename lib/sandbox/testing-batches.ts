import { compileScript } from '../compiler/compile-script';
import type { RunnableDraft } from '../model/script-schema';
import { OpStream, type ScriptSandbox } from './script-sandbox';

/** The sandbox tests' limits: generous for a loaded machine, small enough that a runaway is stopped. */
export const TEST_LIMITS = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };

/** Compiles a test script (no inputs unless given) or throws with its diagnostics. */
export function compileDraft(draft: Partial<RunnableDraft> & Pick<RunnableDraft, 'calcCode' | 'outputs'>) {
  const result = compileScript({ name: 'test', inputs: [], ...draft } as RunnableDraft);
  if (!result.program) throw new Error(JSON.stringify(result.diagnostics));
  return result.program;
}

/**
 * For the sandbox's tests: one step's op stream for scripts `S<i>` that each read `S<i>.A` and
 * `S<i>.B` — the values of every script first, then the step, then every slot's run in order.
 * `hostMarks`: the runs are marked by the host (a marks op, as the engine's batches), else by the guest.
 */
export function twoInputBatch(box: ScriptSandbox, slots: readonly number[], values: ReadonlyArray<readonly [number, number]>, step: number, quality: number, hostMarks = false): OpStream {
  const stream = new OpStream();
  if (hostMarks) stream.markSlots = box.slotCount;
  slots.forEach((_, i) => {
    stream.value(box.indexOf(`S${i}.A`), values[i][0]);
    stream.value(box.indexOf(`S${i}.B`), values[i][1]);
  });
  stream.step(step, 1000 * step);
  for (const slot of slots) stream.run(slot, false, quality, 1, hostMarks);
  return stream;
}
