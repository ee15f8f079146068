import type { RunnableDraft, ScriptOutput } from '../model/script-schema';
import { BUILTIN_GLOBALS, HELPER_NAMES } from '../model/names';
import { analyzeCode, type CodeAnalysis } from './analyze-code';
import { hasErrors, type Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import { didYouMean } from './did-you-mean';
import { fastBodyApplies, fastBodyFooter, fastBodyHeader, generateEpilogue, generatePrologue, RUNNER_PARAMETERS, triggerInputIndexes } from './generate-runner';

/**
 * Turns a script definition into a program for the sandbox, or into diagnostics placed in the user's
 * own code. The program is a factory expression; the sandbox calls it once (running initCode) and
 * gets back the calculation function, which it calls on every evaluation.
 *
 * Generated layout (line numbers matter: the user's code starts at the beginning of a line, so
 * columns need no mapping and lines a fixed offset):
 *
 *   (function (__ssOut, __ssCap, ctx, __ssK) {"use strict";<bindings of the tag table and indexes>
 *   <initCode>
 *   ;const __ssRun = function (<step, now, conditional, quality>) {<prologue: aliases bound>
 *   <calcCode>
 *   ;<epilogue: outputs checked and published>
 *   };return [__ssRun, <static reader>, <static writer>];})
 *
 * The runner (prologue and epilogue: generate-runner.ts) is what the sandbox's batch loop calls once
 * per evaluation; initCode's bindings live in the factory's scope, so they persist between runs.
 * A fast program (generate-runner.ts fastBodyApplies) has calcCode in `__ssBody(<aliases>)` instead,
 * on the same lines, with the runner after it calling the body; the factory returns the body too.
 */

export interface CompiledScript {
  source: string;
  /** Generated line on which line 1 of initCode / calcCode stands. */
  initLine: number;
  calcLine: number;
  initLines: number;
  calcLines: number;
  aliases: string[];
  /** The input tags, in alias order (the sandbox gives each a place in its tag table). */
  inputTags: string[];
  outputs: ScriptOutput[];
  /** Per output, where its variable is last assigned (else declared): an invalid value is reported there. */
  outputPlaces: Array<OutputPlace | null>;
  /** The script refers to ctx (so ctx.setQuality may override output qualities). */
  usesCtx: boolean;
  /** The script reads its inputs' qualities or timestamps (ctx, isGood), not only their values. */
  readsInputMeta: boolean;
  /** Loop positions per part, for naming the likely culprit of a timeout. */
  loops: { init: Array<{ line: number; column: number }>; calc: Array<{ line: number; column: number }> };
  /** Top-level names of initCode: the script's static state, shown as staticVars. */
  staticVariables: string[];
  /** Whether the program records what was computed when a calculation throws (editor runs only). */
  capture: boolean;
  /**
   * The program also returns its body as a plain function of its inputs (`__ssBody(a, b, …)`,
   * returning the one output): the sandbox's generated step code calls it directly (see
   * generate-runner.ts fastBody). Only for engine programs with one output, no deadband, no ctx and
   * no isGood.
   */
  fast: boolean;
}

export interface OutputPlace {
  source: 'init' | 'calc';
  line: number;
  column: number;
}

export interface CompileResult {
  diagnostics: Diagnostic[];
  program: CompiledScript | null;
}

const ALWAYS_AVAILABLE = new Set<string>([...BUILTIN_GLOBALS, ...HELPER_NAMES, 'undefined', 'NaN', 'Infinity', 'globalThis']);

export function compileScript(draft: RunnableDraft, options: { capture?: boolean } = {}): CompileResult {
  const capture = options.capture ?? false;
  const aliases = draft.inputs.map((input) => input.alias);
  const aliasSet = new Set(aliases);
  const initCode = draft.initCode ?? '';
  const calcCode = draft.calcCode;

  const init = analyzeCode(initCode, 'init');
  const calc = analyzeCode(calcCode, 'calc');
  const diagnostics: Diagnostic[] = [...init.diagnostics, ...calc.diagnostics];

  if (init.ast) checkInitReferences(init, aliasSet, diagnostics);
  if (calc.ast) checkCalcReferences(calc, init, aliasSet, diagnostics);
  if (init.ast && calc.ast) {
    checkNameClashes(init, calc, aliasSet, diagnostics);
    checkOutputs(draft.outputs, init, calc, aliasSet, diagnostics);
  }

  if (hasErrors(diagnostics)) return { diagnostics, program: null };
  return { diagnostics, program: generate(draft, init, calc, aliases, capture) };
}

function checkInitReferences(init: CodeAnalysis, aliases: Set<string>, diagnostics: Diagnostic[]): void {
  for (const reference of init.free) {
    if (ALWAYS_AVAILABLE.has(reference.name)) continue;
    const { line, column } = reference;
    if (aliases.has(reference.name)) {
      diagnostics.push(diagnostic('input-in-init', { name: reference.name }, { source: 'init', kind: 'reference', line, column }));
      continue;
    }
    diagnostics.push(unknownName(reference, 'init', [...init.topLevel.keys(), ...ALWAYS_AVAILABLE]));
  }
}

function checkCalcReferences(calc: CodeAnalysis, init: CodeAnalysis, aliases: Set<string>, diagnostics: Diagnostic[]): void {
  for (const reference of calc.free) {
    if (ALWAYS_AVAILABLE.has(reference.name) || aliases.has(reference.name)) continue;
    const initBinding = init.topLevel.get(reference.name);
    if (initBinding) {
      if (reference.isWrite && (initBinding.kind === 'const' || initBinding.kind === 'function' || initBinding.kind === 'class')) {
        const { line, column } = reference;
        diagnostics.push(diagnostic('assign-to-constant', { name: reference.name, declaration: initBinding.kind }, { source: 'calc', kind: 'reference', line, column }));
      }
      continue;
    }
    diagnostics.push(unknownName(reference, 'calc', [...aliases, ...init.topLevel.keys(), ...calc.topLevel.keys(), ...ALWAYS_AVAILABLE]));
  }
}

function unknownName(
  reference: { name: string; line: number; column: number; inTypeof: boolean; isWrite: boolean },
  source: 'init' | 'calc',
  candidates: string[],
): Diagnostic {
  const suggestion = didYouMean(reference.name, candidates);
  const code = reference.isWrite ? 'undeclared-assignment' : 'unknown-identifier';
  const place = { severity: reference.inTypeof ? ('warning' as const) : ('error' as const), source, kind: 'reference' as const, line: reference.line, column: reference.column };
  return suggestion
    ? diagnostic(`${code}-suggest`, { name: reference.name, suggestion }, place)
    : diagnostic(code, { name: reference.name }, place);
}

function checkNameClashes(init: CodeAnalysis, calc: CodeAnalysis, aliases: Set<string>, diagnostics: Diagnostic[]): void {
  for (const binding of init.topLevel.values()) {
    if (aliases.has(binding.name)) {
      diagnostics.push(diagnostic('init-declares-alias', { name: binding.name }, { source: 'init', kind: 'reference', line: binding.line, column: binding.column }));
    }
  }
  for (const binding of calc.topLevel.values()) {
    if (aliases.has(binding.name)) {
      diagnostics.push(diagnostic('calc-declares-alias', { name: binding.name }, { source: 'calc', kind: 'reference', line: binding.line, column: binding.column }));
    } else if (init.topLevel.has(binding.name)) {
      diagnostics.push(
        diagnostic('shadows-state', { name: binding.name, declaration: binding.kind }, { severity: 'warning', source: 'calc', kind: 'reference', line: binding.line, column: binding.column }),
      );
    }
  }
}

function checkOutputs(
  outputs: ScriptOutput[],
  init: CodeAnalysis,
  calc: CodeAnalysis,
  aliases: Set<string>,
  diagnostics: Diagnostic[],
): void {
  for (const output of outputs) {
    const name = output.variable;
    if (calc.topLevel.has(name) || init.topLevel.has(name)) continue;
    const params = { output: output.tag, variable: name };
    const place = { source: 'definition' as const, kind: 'output' as const };
    const nested = calc.nested.get(name) ?? init.nested.get(name);
    const suggestion = aliases.has(name) || nested ? null : didYouMean(name, [...calc.topLevel.keys(), ...init.topLevel.keys()]);
    if (aliases.has(name)) diagnostics.push(diagnostic('output-is-alias', params, place));
    else if (nested) diagnostics.push(diagnostic('output-nested', { ...params, part: calc.nested.has(name) ? 'calc' : 'init', line: nested.line }, place));
    else if (suggestion) diagnostics.push(diagnostic('output-missing-suggest', { ...params, suggestion }, place));
    else diagnostics.push(diagnostic('output-missing', params, place));
  }
}

function generate(
  draft: RunnableDraft,
  init: CodeAnalysis,
  calc: CodeAnalysis,
  aliases: string[],
  capture: boolean,
): CompiledScript {
  const initCode = draft.initCode ?? '';
  const rewrittenCalc = rewriteAliasArguments(draft.calcCode, calc, new Set(aliases));
  const rewrittenInit = initCode; // inputs cannot be read in initCode, so nothing to rewrite
  const staticVariables = [...init.topLevel.keys()];
  const reader = `function () { var __ssR = {}; ${staticVariables
    .map((name) => `try { __ssR[${JSON.stringify(name)}] = ${name}; } catch (__ssE) {}`)
    .join(' ')} return __ssR; }`;

  // Restores what dumpState saved (scale-out): let/var are assigned, a const array or object is
  // filled in place; functions and classes come from initCode itself.
  const writes = [...init.topLevel.values()]
    .filter((binding) => binding.kind !== 'function' && binding.kind !== 'class')
    .map(({ name, kind }) => {
      const key = JSON.stringify(name);
      const assign = kind === 'const' ? `__ssK.fill(${name}, __ssW[${key}])` : `${name} = __ssW[${key}]`;
      return `try { if (__ssU.indexOf(${key}) >= 0) { ${kind === 'const' ? '' : `${name} = void 0;`} } else if (Object.prototype.hasOwnProperty.call(__ssW, ${key})) { ${assign}; } } catch (__ssE) {}`;
    });
  const writer = `function (__ssW, __ssU) { ${writes.join(' ')} }`;

  const usesCtx = [...init.free, ...calc.free].some((reference) => reference.name === 'ctx');
  const shape = { aliases, outputs: draft.outputs, triggerInputs: triggerInputIndexes(aliases, draft.trigger), usesCtx, capture };
  const indexes = [
    ...aliases.map((_, n) => `__ssI${n} = __ssIx[${n}]`),
    ...draft.outputs.map((_, k) => `__ssO${k} = __ssIx[${aliases.length + k}]`),
  ];
  const bindings =
    'const __ssV = __ssK.V, __ssQ = __ssK.Q, __ssC = __ssK.C, __ssEmit = __ssK.emit, __ssBad = __ssK.bad, __ssOk = __ssK.ok, __ssFailOut = __ssK.failOut, __ssFAIL = __ssK.FAIL, __ssQS = __ssK.QS, __ssIx = __ssK.I;' +
    (indexes.length > 0 ? `const ${indexes.join(', ')};` : '');
  const header = `(function (__ssOut, __ssCap, ctx, __ssK) {"use strict";${bindings}`;
  const initLine = 2;
  const initLines = lineCount(rewrittenInit);
  const readsInputMeta = usesCtx || [...init.free, ...calc.free].some((reference) => reference.name === 'isGood');
  const fast = fastBodyApplies(shape, readsInputMeta, draft.calcCode);
  const calcHeader = fast ? fastBodyHeader(shape) : `;const __ssRun = function (${RUNNER_PARAMETERS}) {${generatePrologue(shape)}`;
  const calcLine = initLine + initLines + 1;
  const calcFooter = fast ? fastBodyFooter(shape) : `;${generateEpilogue(shape)}`;
  const source = [header, rewrittenInit, calcHeader, rewrittenCalc, calcFooter, `};return [__ssRun, ${reader}, ${writer}${fast ? ', __ssBody' : ''}];})`].join('\n');
  return {
    source,
    initLine,
    calcLine,
    initLines,
    calcLines: lineCount(rewrittenCalc),
    loops: { init: init.loops, calc: calc.loops },
    aliases,
    inputTags: draft.inputs.map((input) => input.tag),
    usesCtx,
    readsInputMeta,
    outputs: draft.outputs,
    outputPlaces: draft.outputs.map((output) => outputPlace(output.variable, init, calc)),
    staticVariables,
    capture,
    fast,
  };
}

/** Where an output's variable is last assigned: in calc if calc assigns it, else in init. */
export function outputPlace(variable: string, init: CodeAnalysis, calc: CodeAnalysis): OutputPlace | null {
  const inCalc = calc.lastWrites.get(variable);
  if (inCalc) return { source: 'calc', ...inCalc };
  const inInit = init.lastWrites.get(variable);
  return inInit ? { source: 'init', ...inInit } : null;
}

function lineCount(code: string): number {
  let lines = 1;
  for (let index = 0; index < code.length; index++) if (code.charCodeAt(index) === 10) lines++;
  return lines;
}

/**
 * `isGood(steam)` and `ctx.input(steam)` pass the alias's value, which carries no quality; what the
 * user means is the input named steam. Rewrite such arguments to the alias name as a string. The
 * rewrite keeps the length of the line unchanged where it can, and never changes line numbers.
 */
function rewriteAliasArguments(code: string, analysis: CodeAnalysis, aliases: Set<string>): string {
  if (!analysis.ast || aliases.size === 0) return code;
  const edits = findAliasArgumentEdits(analysis.ast, aliases);
  if (edits.length === 0) return code;
  edits.sort((a, b) => b.start - a.start);
  let result = code;
  for (const edit of edits) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

/** The replacements of rewriteAliasArguments, as offsets in the code (the traced compilation applies them too). */
export function findAliasArgumentEdits(ast: unknown, aliases: ReadonlySet<string>): Array<{ start: number; end: number; text: string }> {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  if (aliases.size === 0) return edits;
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown> & { type?: string };
    if (record.type === 'CallExpression') {
      const callee = record.callee as Record<string, unknown>;
      const args = record.arguments as Array<Record<string, unknown>>;
      const named =
        (callee.type === 'Identifier' && callee.name === 'isGood') ||
        (callee.type === 'MemberExpression' &&
          (callee.object as Record<string, unknown>).type === 'Identifier' &&
          (callee.object as Record<string, unknown>).name === 'ctx' &&
          (callee.property as Record<string, unknown>).type === 'Identifier' &&
          (callee.property as Record<string, unknown>).name === 'input');
      const first = args[0];
      if (named && first && first.type === 'Identifier' && aliases.has(first.name as string)) {
        edits.push({ start: first.start as number, end: first.end as number, text: JSON.stringify(first.name) });
      }
    }
    for (const value of Object.values(record)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && 'type' in (value as object)) visit(value);
    }
  };
  visit(ast);
  return edits;
}
