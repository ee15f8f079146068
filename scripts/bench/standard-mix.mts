// The standard mix of quality-bar.md P1: scripts with 2–5 inputs, arithmetic, Math, a conditional,
// some with state in initCode. Generated from a fixed seed, so every run (and every figure: P1, P2,
// P3, P4) uses the same scripts and the same input values.
//
// Every script reads its own input tags (BENCH.S<i>.<alias>) and writes one output tag
// (BENCH.S<i>.Y) from the variable `y`: one raw value triggers exactly one evaluation, and every
// evaluation (inputs drawn at random) changes its output. Input values lie in [1, 100), where every
// body yields a finite number.
import { prng } from './common.mts';

export const ALIASES = ['a', 'b', 'c', 'd', 'e'] as const;
export const DEFAULT_SEED = 20261127;

export interface MixScript {
  index: number;
  name: string;
  inputTags: string[];
  aliases: string[];
  outputTag: string;
  initCode: string;
  calcCode: string;
  stateful: boolean;
}

export interface StandardMix {
  scripts: MixScript[];
  /** Every input tag, in script order: tag j of the flat list is input k of script i. */
  tags: string[];
  /** Offset of script i's first input in `tags` (and in every flat input vector). */
  offsets: Int32Array;
}

const num = (value: number) => (value < 0 ? `(${value})` : String(value));

export function standardMix(count: number, seed = DEFAULT_SEED, prefix = 'BENCH'): StandardMix {
  const random = prng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const constant = (lo: number, hi: number, digits = 2) => Number((lo + random() * (hi - lo)).toFixed(digits));
  const scripts: MixScript[] = [];
  const tags: string[] = [];
  const offsets = new Int32Array(count);
  for (let index = 0; index < count; index++) {
    const nIn = 2 + pick(4);
    const aliases = ALIASES.slice(0, nIn) as unknown as string[];
    const base = `${prefix}.S${index}`;
    const inputTags = aliases.map((alias) => `${base}.${alias.toUpperCase()}`);
    offsets[index] = tags.length;
    tags.push(...inputTags);

    // A weighted sum of every input (arithmetic), then one of five shapes (Math, a conditional, state).
    const weights = aliases.map(() => constant(-1.5, 1.5));
    const sum = aliases.map((alias, k) => `${alias} * ${num(weights[k])}`).join(' + ');
    const kind = pick(5);
    const threshold = constant(-20, 60, 1);
    const factor = constant(0.05, 0.9);
    let initCode = '';
    let calc: string[];
    switch (kind) {
      case 0:
        calc = [`const s = ${sum};`, `const y = s > ${num(threshold)} ? Math.sqrt(Math.abs(s)) * ${factor} : s * ${factor};`];
        break;
      case 1:
        calc = [
          `const s = ${sum};`,
          `const hi = Math.max(${aliases.join(', ')});`,
          `const lo = Math.min(${aliases.join(', ')});`,
          `const y = hi - lo > ${Math.abs(threshold)} ? hi - s * ${factor} : (hi + lo) / 2;`,
        ];
        break;
      case 2:
        calc = [
          `const s = ${sum};`,
          `const r = Math.abs(b) > 0.001 ? a / b : 0;`,
          `const y = r > ${factor * 2} ? Math.log(r + 1) * s : r + s * ${factor};`,
        ];
        break;
      case 3:
        initCode = 'let f = null;';
        calc = [
          `const s = ${sum};`,
          `f = f === null ? s : f + ${factor} * (s - f);`,
          `const y = f > ${num(threshold)} ? f : Math.round(f * 100) / 100;`,
        ];
        break;
      default:
        initCode = 'let n = 0;\nlet total = 0;';
        calc = [`const s = ${sum};`, 'n++;', 'total += s;', `const y = n > 1 && total / n > ${num(threshold)} ? total / n : s;`];
        break;
    }
    scripts.push({
      index,
      name: `bench_${prefix.toLowerCase()}_${index}`,
      inputTags,
      aliases,
      outputTag: `${base}.Y`,
      initCode,
      calcCode: calc.join('\n'),
      stateful: initCode !== '',
    });
  }
  return { scripts, tags, offsets };
}

/** The script definition (scripts.md) of a mix script, as the API and the engine take it. */
export function definitionOf(script: MixScript) {
  return {
    name: script.name,
    inputs: script.inputTags.map((tag, k) => ({ tag, alias: script.aliases[k] })),
    ...(script.initCode ? { initCode: script.initCode } : {}),
    calcCode: script.calcCode,
    outputs: [{ tag: script.outputTag, variable: 'y' }],
  };
}

/**
 * The same body as a plain function for the bare QuickJS baselines: initCode in a closure, the
 * inputs as parameters, `y` returned. No helpers, no checks, no change detection.
 */
export function bareFunctionSource(script: MixScript): string {
  return `(function () {\n${script.initCode}\nreturn function (${script.aliases.join(', ')}) {\n${script.calcCode}\nreturn y;\n};\n})()`;
}

/** `rounds` input vectors over every tag of the mix: values in [1, 100), from their own seed. */
export function inputRounds(mix: StandardMix, rounds: number, seed = DEFAULT_SEED + 1): Float64Array[] {
  const random = prng(seed);
  const result: Float64Array[] = [];
  for (let r = 0; r < rounds; r++) {
    const vector = new Float64Array(mix.tags.length);
    for (let j = 0; j < vector.length; j++) vector[j] = Number((1 + random() * 99).toFixed(3));
    result.push(vector);
  }
  return result;
}
