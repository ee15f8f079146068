import { afterAll, describe, expect, it } from 'vitest';
import type { RunnableDraft } from '../model/script-schema';
import { Lab } from './lab';
import type { TraceStep } from './trace-steps';

/** Trace contents of one-off debug runs: the steps and variables a user sees, run in a real sandbox. */

const lab = new Lab({ cpuMs: 50, initCpuMs: 200, memoryMb: 32 });
afterAll(() => lab.dispose());

function draft(parts: Partial<RunnableDraft> & Pick<RunnableDraft, 'calcCode'>): RunnableDraft {
  return { inputs: [{ tag: 'A', alias: 'a' }], outputs: [{ tag: 'OUT', variable: 'out' }], ...parts };
}

async function debug(script: RunnableDraft, a: number | string | null = 2) {
  return lab.debug({
    draft: script,
    inputs: script.inputs.map(() => ({ value: a, ts: 1000, quality: 'good' as const })),
    previous: script.outputs.map(() => null),
    now: 1000,
  });
}

/** Steps as "source:line vars" lines, compact enough to compare whole traces. */
const brief = (steps: TraceStep[]) => steps.map((step) => `${step.source}:${step.line}:${step.column} ${JSON.stringify(step.vars)}`);

describe('debug trace', () => {
  it('records every statement of straight code with the variables after it', async () => {
    const result = await debug(draft({ initCode: 'let runs = 0;', calcCode: 'runs++;\nconst doubled = a * 2;\nconst out = doubled + 1;' }));
    expect(result.error).toBeNull();
    expect(brief(result.trace)).toEqual([
      'init:1:1 {"runs":0}',
      'calc:1:1 {"a":2,"runs":1}',
      'calc:2:1 {"a":2,"runs":1,"doubled":4}',
      'calc:3:1 {"a":2,"runs":1,"doubled":4,"out":5}',
    ]);
    expect(result.trace.map((step) => step.step)).toEqual([1, 2, 3, 4]);
    expect(result.truncated).toBe(false);
  });

  it('shows which branch ran: the test, then the statements of that branch only', async () => {
    const code = 'let out = 0;\nif (a > 1) {\n  out = 10;\n} else {\n  out = -10;\n}';
    const taken = await debug(draft({ calcCode: code }), 5);
    expect(brief(taken.trace)).toEqual(['calc:1:1 {"a":5,"out":0}', 'calc:2:1 {"a":5,"out":0}', 'calc:3:3 {"a":5,"out":10}']);
    const other = await debug(draft({ calcCode: code }), 0);
    expect(brief(other.trace)).toEqual(['calc:1:1 {"a":0,"out":0}', 'calc:2:1 {"a":0,"out":0}', 'calc:5:3 {"a":0,"out":-10}']);
  });

  it('gives one step per loop iteration, with the loop variable', async () => {
    const result = await debug(draft({ calcCode: 'let out = 0;\nfor (let i = 0; i < 3; i++) {\n  out += i;\n}\nwhile (out < 5) out++;' }));
    expect(brief(result.trace)).toEqual([
      'calc:1:1 {"a":2,"out":0}',
      'calc:2:1 {"a":2,"out":0,"i":0}',
      'calc:3:3 {"a":2,"out":0,"i":0}',
      'calc:2:1 {"a":2,"out":0,"i":1}',
      'calc:3:3 {"a":2,"out":1,"i":1}',
      'calc:2:1 {"a":2,"out":1,"i":2}',
      'calc:3:3 {"a":2,"out":3,"i":2}',
      'calc:5:1 {"a":2,"out":3}',
      'calc:5:17 {"a":2,"out":4}',
      'calc:5:1 {"a":2,"out":4}',
      'calc:5:17 {"a":2,"out":5}',
    ]);
  });

  it('steps into functions, with their parameters and locals beside the script variables', async () => {
    const result = await debug(
      draft({
        initCode: 'const gain = 3;\nfunction scale(x) {\n  const y = x * gain;\n  return y;\n}',
        calcCode: 'const out = scale(a);',
      }),
    );
    expect(brief(result.trace)).toEqual([
      'init:1:1 {"gain":3}',
      'init:3:3 {"gain":3,"x":2,"y":6}',
      'init:4:3 {"gain":3,"x":2,"y":6}',
      'calc:1:1 {"a":2,"gain":3,"out":6}',
    ]);
  });

  it('ends the trace at the last statement before an exception, and reports the error in the user’s columns', async () => {
    const result = await debug(draft({ calcCode: 'const before = a + 1;\nconst obj = null;\nconst out = obj.value;\nconst after = 1;' }));
    expect(result.error).toMatchObject({ kind: 'runtime', source: 'calc', line: 3, column: 16 });
    expect(result.error?.message).toContain('at line 3, column 16 of the calculation');
    const last = result.trace[result.trace.length - 1];
    expect(last).toMatchObject({ source: 'calc', line: 2, vars: { a: 2, before: 3, obj: null } });
  });

  it('records a throw statement as the last step, with the variables at that point', async () => {
    const result = await debug(draft({ calcCode: 'let out = a;\nif (out > 1) throw new Error("too big: " + out);' }));
    expect(result.error?.message).toContain('too big: 2');
    expect(brief(result.trace).slice(-1)).toEqual(['calc:2:14 {"a":2,"out":2}']);
  });

  it('keeps the steps recorded before a timeout', async () => {
    const result = await debug(draft({ calcCode: 'let out = 0;\nwhile (true) { out++; }' }));
    expect(result.error?.kind).toBe('timeout');
    expect(result.trace[0]).toMatchObject({ line: 1, vars: { out: 0 } });
    expect(result.trace.length).toBeGreaterThan(10);
  });

  it('stops at 10 000 steps and says the trace was truncated', async () => {
    const result = await debug(draft({ calcCode: 'let out = 0;\nfor (let i = 0; i < 20000; i++) out += i;' }));
    expect(result.error).toBeNull();
    expect(result.trace).toHaveLength(10_000);
    expect(result.truncated).toBe(true);
    expect(result.trace[9_999].step).toBe(10_000);
    expect(result.outputs[0]).toEqual({ value: 199_990_000, quality: 'good' });
  });

  it('leaves out variables that are not initialised yet instead of throwing', async () => {
    const result = await debug(
      draft({
        calcCode: [
          'function peek() {',
          '  const seen = 1;', // `later` is in scope here but may be in its TDZ: read through a guard
          '  return seen;',
          '}',
          'const first = peek();',
          'let later = 5;',
          'const out = peek() + later;',
        ].join('\n'),
      }),
    );
    expect(result.error).toBeNull();
    const inPeek = result.trace.filter((step) => step.line === 2);
    expect(inPeek).toHaveLength(2);
    expect(inPeek[0].vars).toEqual({ a: 2, seen: 1 }); // first call: `later` and `first` not initialised
    expect(inPeek[1].vars).toEqual({ a: 2, first: 1, later: 5, seen: 1 });
    expect(result.trace.find((step) => step.line === 5)?.vars).toEqual({ a: 2, first: 1 });
  });

  it('summarises values as plain JSON without running getters', async () => {
    const result = await debug(
      draft({
        calcCode: [
          'let calls = 0;',
          'const list = [1, 2, [3, 4]];',
          'const obj = { n: 1, s: "x", get trap() { calls++; return 1; } };',
          'const nothing = undefined;',
          'const big = Array.from({ length: 30 }, (_, i) => i);',
          'const out = calls;',
        ].join('\n'),
      }),
    );
    const last = result.trace[result.trace.length - 1].vars;
    expect(last.list).toEqual([1, 2, '[array(2)]']);
    expect(last.obj).toEqual({ n: 1, s: 'x', trap: '[getter]' });
    expect(last.nothing).toBeNull();
    expect((last.big as unknown[]).length).toBe(21);
    expect((last.big as unknown[])[20]).toBe('… 10 more');
    expect(last.out).toBe(0);
  });

  it('captures console output with the line it came from', async () => {
    const result = await debug(draft({ initCode: 'console.log("starting");', calcCode: 'const out = a;\nconsole.warn("value", out);' }));
    expect(result.logs).toEqual([
      { level: 'log', message: 'starting', line: 1, source: 'init' },
      { level: 'warn', message: 'value 2', line: 2, source: 'calc' },
    ]);
  });

  it('reports the initCode trace when initCode fails', async () => {
    const result = await debug(draft({ initCode: 'let ready = 1;\nthrow new Error("no");', calcCode: 'const out = a;' }));
    expect(result.error).toMatchObject({ source: 'init', line: 2 });
    expect(brief(result.trace)).toEqual(['init:1:1 {"ready":1}', 'init:2:1 {"ready":1}']);
  });

  it('returns the compile diagnostics and no trace for code that does not compile', async () => {
    const result = await debug(draft({ calcCode: 'const out = stem;' }));
    expect(result.trace).toEqual([]);
    expect(result.diagnostics[0]).toMatchObject({ severity: 'error', kind: 'reference' });
  });

  it('traces switch cases, break and continue', async () => {
    const result = await debug(
      draft({ calcCode: 'let out = 0;\nfor (const k of [1, 2, 3]) {\n  if (k === 2) continue;\n  switch (k) { case 3: out += 30; break; default: out += k; }\n}' }),
    );
    expect(result.error).toBeNull();
    expect(result.outputs[0]).toEqual({ value: 31, quality: 'good' });
    const continued = result.trace.filter((step) => step.line === 3 && step.column === 16);
    expect(continued).toHaveLength(1);
    expect(continued[0].vars).toMatchObject({ k: 2 });
  });

  it('maps columns of errors on lines where steps were inserted back to the user’s code', async () => {
    const result = await debug(draft({ calcCode: 'let x = 1; const out = x.y.z;' }));
    expect(result.error).toMatchObject({ line: 1, column: 27 });
    expect(result.error?.message).toContain('column 27');
  });

  it('computes exactly what the plain program computes, for every kind of statement', async () => {
    const snippets = [
      'let out = 0;\nouter: for (let i = 0; i < 4; i++) {\n  for (let j = 0; j < 4; j++) {\n    if (j > i) continue outer;\n    if (i === 3) break outer;\n    out += i * j;\n  }\n}',
      'let out = 0;\ndo { out += a; } while (out < 10);',
      'let out = 0;\nconst items = { x: 1, y: 2 };\nfor (const key in items) out += items[key];\nfor (const [k, v] of Object.entries(items)) out += v;',
      'class Acc {\n  #total = 0;\n  static zero = 0;\n  add(v) { this.#total += v; return this; }\n  get total() { return this.#total; }\n}\nconst out = new Acc().add(a).add(3).total;',
      'const { p = 1, q: [r] } = { q: [a] };\nconst out = p + r;',
      'function* gen() { yield a; yield a * 2; }\nlet out = 0;\nfor (const v of gen()) out += v;',
      'let out;\ntry {\n  throw new Error("x");\n} catch ({ message }) {\n  out = message.length;\n} finally {\n  out += 1;\n}',
      'const f = (x) => x > 1 ? x : -x;\nconst g = function named(y) { if (y) return named(y - 1) + 1; return 0; };\nconst out = f(a) + g(3) + [1, 2, 3].map((v) => { const w = v * 2; return w; }).reduce((s, v) => s + v, 0);',
      'let out = 0;\nswitch (a) {\n  case 1:\n  case 2: { const z = 5; out = z; break; }\n  default: out = -1;\n}',
      'let out = 0;\nif (a) out = 1;\nelse if (a > 5) out = 2;\nelse out = 3;\nwhile (out < 3) out++\nconst done = true',
      'var out = a;\n;;\nlabel: {\n  if (out) break label;\n  out = 99;\n}',
      'let out = isGood(a) ? ctx.input(a).value : 0; const t = ctx.now;',
      'let out = 0;\nfor (let i = 0; i < 5; i++) if (i % 2) out += i; else out -= 1;\nfor (let k = 0; k < 3; k++);\nwhile (false);',
      'class Box { static seed; static { let s = 2; Box.seed = s; } }\nconst o = { get twice() { return a * 2; }, m() { const q = 1; return q; } };\nconst out = Box.seed + o.twice + o.m() + (o?.missing?.deep ?? 1);',
      'const label = `value ${[a].map((v) => { const w = v + 1; return w; })[0]} here`;\nconst out = label.length; // trailing comment\n/* block\n comment */ const after = 1',
      'let out = 0\nconst xs = [1, 2, 3]\n;[4, 5].forEach((v) => { out += v })\nout += xs.length',
    ];
    for (const calcCode of snippets) {
      const script = draft({ calcCode });
      const request = { draft: script, inputs: [{ value: 2, ts: 1000, quality: 'good' as const }], previous: [null], now: 1000 };
      const plain = await lab.run(request);
      const traced = await lab.debug(request);
      expect(plain.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), calcCode).toEqual([]);
      expect(traced.outputs, calcCode).toEqual(plain.outputs);
      expect(traced.error, calcCode).toEqual(plain.error);
      expect(traced.trace.length, calcCode).toBeGreaterThan(0);
    }
  });

  it('keeps line numbers, so console lines and errors read the same as in a plain run', async () => {
    const script = draft({ calcCode: 'const out = a;\nif (out > 1) {\n  console.log("big");\n  null.boom;\n}' });
    const request = { draft: script, inputs: [{ value: 2, ts: 1000, quality: 'good' as const }], previous: [null], now: 1000 };
    const plain = await lab.run(request);
    const traced = await lab.debug(request);
    expect(traced.logs).toEqual(plain.logs);
    expect(traced.error).toEqual(plain.error);
  });
});
