import * as acorn from 'acorn';
import type { RunnableDraft } from '../model/script-schema';
import { ECMA_VERSION } from './analyze-code';
import { compileScript, findAliasArgumentEdits, type CompiledScript } from './compile-script';
import { where, type Diagnostic } from '../model/diagnostic';
import { instrumentForTrace, type TracePart, type TraceSite } from './instrument-trace';

/**
 * The traced compilation of a script, for debug runs only: the same checks, layout and line numbers
 * as compileScript (so diagnostics, console lines and timeouts read the same), with initCode and
 * calcCode instrumented to record a step after every statement. The engine never runs it.
 */

export interface TracedProgram {
  /** Loadable as any program, with `trace: true` in the load options. */
  program: CompiledScript;
  /** Step sites, by the number the guest records. */
  sites: TraceSite[];
  /** A column of the traced code back to the user's (text was inserted before it on the line). */
  userColumn(source: TracePart, line: number, column: number): number;
}

export interface TracedCompileResult {
  diagnostics: Diagnostic[];
  traced: TracedProgram | null;
}

export function compileTracedScript(draft: RunnableDraft): TracedCompileResult {
  const plain = compileScript(draft, { capture: true });
  if (!plain.program) return { diagnostics: plain.diagnostics, traced: null };
  const program = plain.program;
  const aliases = program.aliases;

  const init = instrumentForTrace(draft.initCode ?? '', { part: 'init', firstSite: 0 });
  const calc = instrumentForTrace(draft.calcCode, {
    part: 'calc',
    firstSite: init.sites.length,
    outerNames: [...aliases, ...init.topLevel],
    extraEdits: (ast) => findAliasArgumentEdits(ast, new Set(aliases)),
  });

  const lines = program.source.split('\n');
  const initLines = init.code.split('\n');
  const calcLines = calc.code.split('\n');
  if (initLines.length !== program.initLines || calcLines.length !== program.calcLines) {
    throw new Error('traced compilation changed the number of lines of the script');
  }
  // The step recorder is the prelude's, handed over in the capture record; script code cannot name it (__ss is reserved).
  lines[0] += 'const __ssT = __ssCap.t;';
  lines.splice(program.calcLine - 1, calcLines.length, ...calcLines);
  lines.splice(program.initLine - 1, initLines.length, ...initLines);
  const source = lines.join('\n');
  assertParses(source);

  return {
    diagnostics: plain.diagnostics,
    traced: {
      program: { ...program, source },
      sites: [...init.sites, ...calc.sites],
      userColumn: (part, line, column) => (part === 'init' ? init.columnMap(line, column) : calc.columnMap(line, column)),
    },
  };
}

/** A diagnostic of a traced run placed in the user's columns (its line is already the user's). */
export function toUserColumns(diagnostic: Diagnostic, traced: TracedProgram): Diagnostic {
  if (diagnostic.source === 'definition' || diagnostic.line === undefined || diagnostic.column === undefined) return diagnostic;
  const column = traced.userColumn(diagnostic.source, diagnostic.line, diagnostic.column);
  if (column === diagnostic.column) return diagnostic;
  const before = where(diagnostic.source, diagnostic.line, diagnostic.column);
  const after = where(diagnostic.source, diagnostic.line, column);
  return { ...diagnostic, column, message: diagnostic.message.split(before).join(after) };
}

function assertParses(source: string): void {
  try {
    acorn.parse(source, { ecmaVersion: ECMA_VERSION, sourceType: 'script' });
  } catch (error) {
    // A bug of the instrumentation, never of the user's code (which compiled): say so plainly.
    throw new Error(`traced compilation produced code that does not parse: ${(error as Error).message}`);
  }
}
