import { afterEach, describe, expect, it } from 'vitest';
import { compileScript } from '../compiler/compile-script';
import type { RunnableDraft } from '../model/script-schema';
import { OpStream, ScriptSandbox, type EvaluationJob } from './script-sandbox';

const limits = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

async function sandbox() {
  const created = await ScriptSandbox.create(limits);
  sandboxes.push(created);
  return created;
}

function compile(draft: Partial<RunnableDraft> & Pick<RunnableDraft, 'calcCode' | 'outputs'>, capture = false) {
  const result = compileScript({ inputs: [], ...draft } as RunnableDraft, { capture });
  if (!result.program) throw new Error(JSON.stringify(result.diagnostics));
  return result.program;
}

const good = (value: number | string | boolean | null, ts = 1000) => ({ value, ts, quality: 'good' as const });

describe('ScriptSandbox', () => {
  it('runs initCode once and keeps its state across calculations', async () => {
    const box = await sandbox();
    const program = compile({
      inputs: [{ tag: 'A', alias: 'a' }],
      initCode: 'let runs = 0;',
      calcCode: 'runs++;\nconst doubled = a * 2;',
      outputs: [
        { tag: 'OUT.D', variable: 'doubled' },
        { tag: 'OUT.R', variable: 'runs' },
      ],
    });
    const loaded = box.load(program, { now: 0 });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const job = (value: number): EvaluationJob => ({ slot: loaded.slot, now: 1000, inputs: [good(value)] });
    const first = box.evaluate([job(2)]).results[0];
    expect(first).toEqual({
      status: 'ok',
      outputs: [
        { index: 0, value: 4, quality: 'good' },
        { index: 1, value: 1, quality: 'good' },
      ],
    });
    const second = box.evaluate([job(2)]).results[0];
    // doubled did not change, so only runs is reported
    expect(second).toEqual({ status: 'ok', outputs: [{ index: 1, value: 2, quality: 'good' }] });
  });

  it('stops an endless loop at its deadline and lets the rest of the batch run', async () => {
    const box = await sandbox();
    const looping = box.load(compile({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'let x = 0;\nwhile (true) { x++; }', outputs: [{ tag: 'L', variable: 'x' }] }), { now: 0 });
    const fine = box.load(compile({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a + 1;', outputs: [{ tag: 'F', variable: 'y' }] }), { now: 0 });
    if (!looping.ok || !fine.ok) throw new Error('load failed');
    const started = performance.now();
    const { results } = box.evaluate([
      { slot: fine.slot, now: 1, inputs: [good(1)] },
      { slot: looping.slot, now: 1, inputs: [good(1)] },
      { slot: fine.slot, now: 2, inputs: [good(5)] },
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(results[0]).toMatchObject({ status: 'ok', outputs: [{ value: 2 }] });
    expect(results[1]).toMatchObject({ status: 'failed', error: { kind: 'timeout', source: 'calc', line: 2 } });
    expect((results[1] as { error: { message: string } }).error.message).toMatch(/the calculation stopped after 50 ms — look for a loop that never ends at line 2, column 1 of the calculation/);
    expect(results[2]).toMatchObject({ status: 'ok', outputs: [{ value: 6 }] });
  });

  it('reports runtime errors with the line in the user code', async () => {
    const box = await sandbox();
    const loaded = box.load(compile({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const o = null;\n\nconst v = o.missing + a;', outputs: [{ tag: 'V', variable: 'v' }] }), { now: 0 });
    if (!loaded.ok) throw new Error('load failed');
    const result = box.evaluate([{ slot: loaded.slot, now: 1, inputs: [good(1)] }]).results[0];
    expect(result).toMatchObject({ status: 'failed', error: { kind: 'runtime', source: 'calc', line: 3 } });
  });

  it('rejects invalid output values without calling script code', async () => {
    const box = await sandbox();
    const loaded = box.load(
      compile({
        inputs: [{ tag: 'A', alias: 'a' }],
        calcCode: 'const n = NaN;\nconst o = { get x() { while (true) {} }, [Symbol.toPrimitive]() { while (true) {} } };',
        outputs: [{ tag: 'N', variable: 'n' }, { tag: 'O', variable: 'o' }],
      }),
      { now: 0 },
    );
    if (!loaded.ok) throw new Error('load failed');
    const result = box.evaluate([{ slot: loaded.slot, now: 1, inputs: [good(1)] }]).results[0];
    expect(result).toMatchObject({ status: 'failed', error: { kind: 'output' } });
    expect((result as { error: { message: string } }).error.message).toContain('output N');
  });

  it('keeps scripts from seeing or changing each other through globals or prototypes', async () => {
    const box = await sandbox();
    const polluter = box.load(
      compile({
        inputs: [{ tag: 'A', alias: 'a' }],
        calcCode: 'let r = "ok";\ntry { Array.prototype.map = null; r = "changed"; } catch (e) { r = String(e.name); }\ntry { globalThis.shared = 1; r += "/global"; } catch (e) { r += "/" + e.name; }',
        outputs: [{ tag: 'P', variable: 'r' }],
      }),
      { now: 0 },
    );
    if (!polluter.ok) throw new Error('load failed');
    const result = box.evaluate([{ slot: polluter.slot, now: 1, inputs: [good(1)] }]).results[0];
    expect(result).toMatchObject({ status: 'ok', outputs: [{ value: 'TypeError/TypeError' }] });
  });

  it('cannot build code at run time', async () => {
    const box = await sandbox();
    const loaded = box.load(
      compile({
        inputs: [{ tag: 'A', alias: 'a' }],
        calcCode: 'let r;\ntry { r = (function () {}).constructor("return 1")(); } catch (e) { r = e.name; }',
        outputs: [{ tag: 'R', variable: 'r' }],
      }),
      { now: 0 },
    );
    if (!loaded.ok) throw new Error('load failed');
    const result = box.evaluate([{ slot: loaded.slot, now: 1, inputs: [good(1)] }]).results[0];
    expect(result).toMatchObject({ status: 'ok', outputs: [{ value: 'EvalError' }] });
  });

  it('runs out of memory cleanly and marks itself broken', async () => {
    const box = await sandbox();
    const loaded = box.load(
      compile({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const chunks = [];\nwhile (true) { chunks.push(new Float64Array(1 << 20)); }\nconst n = 1;', outputs: [{ tag: 'M', variable: 'n' }] }),
      { now: 0 },
    );
    if (!loaded.ok) throw new Error('load failed');
    const batch = box.evaluate([{ slot: loaded.slot, now: 1, inputs: [good(1)] }]);
    expect(batch.results[0]).toMatchObject({ status: 'failed', error: { kind: 'memory' } });
    expect(box.broken).not.toBeNull();
  });

  it('reads numbers packed three to an op, in order, whatever ops come between them', async () => {
    const box = await sandbox();
    const tags = ['A', 'B', 'C', 'D', 'E'];
    const loaded = box.load(
      compile({ inputs: tags.map((tag) => ({ tag, alias: tag.toLowerCase() })), calcCode: 'const y = a + 10 * b + 100 * c + 1000 * d + 10000 * e;', outputs: [{ tag: 'Y', variable: 'y' }] }),
      { now: 0 },
    );
    if (!loaded.ok) throw new Error('load failed');
    const index = (tag: string) => box.indexOf(tag);
    const run = (build: (stream: OpStream) => void) => {
      const stream = new OpStream();
      build(stream);
      stream.step(1, 1000);
      stream.run(loaded.slot, false, 0, 1);
      const outcome = box.runOps(stream);
      expect(outcome.failures).toEqual([]);
      return outcome.records.map((record) => record.value);
    };
    // Five values: one op of three, one of two; the last of them wins for a tag sent twice.
    expect(run((stream) => tags.forEach((tag, k) => stream.value(index(tag), k + 1)))).toEqual([54321]);
    expect(run((stream) => {
      stream.value(index('A'), 9);
      stream.value(index('A'), 2);
      stream.update(index('B'), 3, 5, 'good', 1);
      stream.value(index('C'), 4);
      stream.value(index('D'), 5);
      stream.value(index('E'), 6);
      stream.value(index('E'), 7);
    })).toEqual([75432]);

    const decoded = new OpStream();
    decoded.value(1, 1.5);
    decoded.value(2, 2.5);
    decoded.value(3, 3.5);
    decoded.value(4, 4.5);
    decoded.step(1, 10);
    decoded.value(5, 5.5);
    expect(decoded.count).toBe(4);
    expect(decoded.decode(0, (i) => `T${i}`).map((op) => (op.type === 'update' ? [op.tag, op.value] : op.type))).toEqual([
      ['T1', 1.5],
      ['T2', 2.5],
      ['T3', 3.5],
      ['T4', 4.5],
      'step',
      ['T5', 5.5],
    ]);
  });
});
