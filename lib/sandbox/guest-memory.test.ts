import { newQuickJSWASMModule } from 'quickjs-emscripten';
import { afterEach, describe, expect, it } from 'vitest';
import { compileScript } from '../compiler/compile-script';
import type { RunnableDraft } from '../model/script-schema';
import { newSharedBuffer, sharedBufferSupported } from './guest-memory';
import { memoryOf, newCappedModule } from './quickjs-module';
import { ScriptSandbox, type EvaluationJob } from './script-sandbox';

const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

describe('the buffer shared with the guest', () => {
  it('is one memory: what the host writes the guest reads, and the other way round, with no copy through handles', async () => {
    const capped = await newCappedModule(32);
    const memory = memoryOf(capped)!;
    const context = capped.newContext();
    expect(sharedBufferSupported(context)).toBe(true);
    const shared = newSharedBuffer(context, memory, 64)!;
    expect(shared.address % 8).toBe(0);
    const keep = context.unwrapResult(context.evalCode('(function (b) { globalThis.N = new Float64Array(b); return N.length; })'));
    const length = context.unwrapResult(context.callFunction(keep, context.undefined, shared.handle));
    expect(context.getNumber(length)).toBe(8);
    length.dispose();
    shared.handle.dispose();
    keep.dispose();
    new Float64Array(memory.buffer, shared.address, 8)[3] = 42.5;
    const read = context.unwrapResult(context.evalCode('N[3] * 2'));
    expect(context.getNumber(read)).toBe(85);
    read.dispose();
    context.unwrapResult(context.evalCode('N[5] = -7; N[0] = 1.25')).dispose();
    expect(Array.from(new Float64Array(memory.buffer, shared.address, 8))).toEqual([1.25, 0, 0, 42.5, 0, -7, 0, 0]);
    context.dispose();
  });

  it('is known for capped modules only (every sandbox is capped)', async () => {
    const plain = await newQuickJSWASMModule();
    expect(memoryOf(plain)).toBeUndefined();
  });

  it('grows when a batch does not fit: a batch of 600 jobs (1 800 ops, 3 000 out numbers) publishes every output, and the batches after it too', async () => {
    const box = await ScriptSandbox.create({ cpuMs: 50, initCpuMs: 200, memoryMb: 32 });
    sandboxes.push(box);
    const result = compileScript({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a * 3;', outputs: [{ tag: 'Y', variable: 'y' }] } as RunnableDraft);
    const loaded = box.load(result.program!, { now: 0 });
    if (!loaded.ok) throw new Error('load failed');
    const jobs = (n: number, base: number): EvaluationJob[] =>
      Array.from({ length: n }, (_, j) => ({ slot: loaded.slot, now: 1000 + j, inputs: [{ value: base + j, ts: 1000 + j, quality: 'good' as const }] }));
    for (const [n, base] of [[3, 0], [600, 10], [5, 5000]] as const) {
      const batch = box.evaluate(jobs(n, base));
      expect(batch.brokenAt).toBeNull();
      expect(batch.results.map((r) => (r.status === 'ok' ? r.outputs.map((o) => o.value) : r.status))).toEqual(
        Array.from({ length: n }, (_, j) => [3 * (base + j)]),
      );
    }
  });
});
