import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { GuestError } from './sandbox-types';

/**
 * What went wrong in a sandbox, as a diagnostic in the user's code: the line and column of the
 * user's calcCode or initCode (the generated program's lines mapped back), and what to do.
 */

/** Maps a line of the generated program back to the user's code. */
export function mapLine(program: CompiledScript, generatedLine: number): { source: 'init' | 'calc'; line: number } | null {
  if (generatedLine >= program.calcLine && generatedLine < program.calcLine + program.calcLines) {
    return { source: 'calc', line: generatedLine - program.calcLine + 1 };
  }
  if (generatedLine >= program.initLine && generatedLine < program.initLine + program.initLines) {
    return { source: 'init', line: generatedLine - program.initLine + 1 };
  }
  return null;
}

/** The first frame of the stack that lies in the user's code. */
export function locate(stack: string, program: CompiledScript): { source: 'init' | 'calc'; line: number; column?: number } | null {
  const frame = /script\.js:(\d+)(?::(\d+))?/g;
  for (let match = frame.exec(stack); match; match = frame.exec(stack)) {
    const mapped = mapLine(program, Number(match[1]));
    if (mapped) return { ...mapped, column: match[2] ? Number(match[2]) : undefined };
  }
  return null;
}

export function runtimeDiagnostic(
  info: { name: string; message: string; stack: string },
  program: CompiledScript,
  phase: 'init' | 'calc',
  kind: 'runtime' | 'syntax',
): Diagnostic {
  const place = locate(info.stack, program);
  const at = { source: place?.source ?? phase, kind, line: place?.line, column: place?.column };
  if (info.name === 'InternalError' && info.message === 'stack overflow') return diagnostic('stack-overflow', {}, at);
  return diagnostic(kind === 'syntax' ? 'syntax' : 'runtime-error', { error: info.name ? `${info.name}: ${info.message}` : info.message }, at);
}

/**
 * An output whose value cannot be published, reported where its variable was last assigned (the
 * compiler's scope analysis). `problem` is the prelude's code: "undefined", "nonfinite NaN",
 * "long 5000", "type array".
 */
export function outputDiagnostic(program: CompiledScript, index: number, problem: string): Diagnostic {
  const output = program.outputs[index];
  const place = program.outputPlaces?.[index];
  const at = { source: place?.source ?? ('calc' as const), kind: 'output' as const, line: place?.line, column: place?.column };
  const params = { output: output.tag, variable: output.variable };
  const [what, detail = ''] = problem.split(' ');
  if (what === 'undefined') return diagnostic('output-undefined', params, at);
  if (what === 'nonfinite') return diagnostic('output-not-finite', { ...params, value: detail }, at);
  if (what === 'long') return diagnostic('output-too-long', { ...params, length: Number(detail) }, at);
  return diagnostic('output-wrong-type', { ...params, type: detail || 'unknown' }, at);
}

export function guestDiagnostic(error: GuestError, program: CompiledScript): Diagnostic {
  if (error.kind === 'output') return outputDiagnostic(program, error.output ?? 0, error.message ?? '');
  return runtimeDiagnostic({ name: error.name ?? '', message: error.message ?? '', stack: error.stack ?? '' }, program, 'calc', 'runtime');
}

/** A run or initCode stopped at its CPU deadline: where (the loop most likely), with the limit. */
export function timeoutDiagnostic(
  info: { stack: string },
  program: CompiledScript | undefined,
  phase: 'init' | 'calc',
  limitMs: number,
): Diagnostic {
  // QuickJS reports an interrupt at the start of the running function, not at the loop, so the
  // loops found by the compiler are the better pointer.
  const located = program ? locate(info.stack, program) : null;
  const source = located?.source ?? phase;
  const loops = program ? program.loops[source] : [];
  const culprit = loops.find((loop) => located && loop.line >= located.line) ?? loops[0];
  const params = { part: phase, ms: limitMs };
  if (!culprit) return diagnostic('timeout', params, { source, kind: 'timeout', line: located?.line, column: located?.column });
  const others = loops.filter((loop) => loop !== culprit).slice(0, 3).map((loop) => loop.line);
  const place = { source, kind: 'timeout' as const, line: culprit.line, column: culprit.column };
  return others.length ? diagnostic('timeout-loops', { ...params, lines: others.join(', ') }, place) : diagnostic('timeout-loop', params, place);
}

/** The sandbox broke: out of its memory cap (memoryMb) or another fatal error. */
export function memoryOrFatal(info: { name: string; message: string; stack: string }, program: CompiledScript | undefined, phase: 'init' | 'calc', memoryMb: number): Diagnostic {
  const place = program ? locate(info.stack, program) : null;
  const at = { source: place?.source ?? phase, line: place?.line, column: place?.column };
  return info.message === 'out of memory'
    ? diagnostic('out-of-memory', { mb: memoryMb }, { ...at, kind: 'memory' })
    : diagnostic('sandbox-failed', { error: `${info.name}: ${info.message}` }, { ...at, kind: 'runtime' });
}
