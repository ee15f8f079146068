import { PART_NAME_EN, where, type Diagnostic, type DiagnosticKind, type DiagnosticSource } from './diagnostic';

/**
 * Every diagnostic has a stable `code` and the `params` of its message, so the IDE can say it in the
 * user's language (lib/ui/i18n/diagnostic-texts.ts holds the Korean templates); the API's `message`
 * is the English template filled in. Placeholders: `{name}` is a param; `{at}` is where the problem
 * is (from the diagnostic's source, line and column); a param named `part` ('init', 'calc' or
 * 'definition') is shown as the name of that part ("the calculation"), never as an internal name.
 */
export const DIAGNOSTIC_TEMPLATES_EN = {
  // syntax and forbidden constructs (compiler)
  syntax: '{error} {at}',
  'unexpected-token': "Unexpected token '{token}' {at}",
  'unexpected-end': 'The code ends too early {at} — a bracket, quote or statement is not closed',
  'return-outside': "'return' is not allowed at the top level of a script {at}: assign the result to an output variable instead",
  'import-export': 'import/export {at}: scripts cannot import or export; inputs arrive through their aliases',
  'dynamic-import': 'import() {at}: scripts cannot load modules',
  'import-meta': 'import.meta {at}: scripts are not modules',
  await: 'await {at}: scripts run synchronously; remove it',
  'async-function': 'async function {at}: scripts run synchronously; use a plain function',
  'reserved-name': "'{name}' {at}: names starting with __ss are reserved for Script Server; rename it",
  'code-generation': '{name}() {at}: scripts cannot build code at run time; write the code directly',
  'html-comment': "'{token}' {at}: an HTML-style comment is not allowed in scripts; use // or /* */",
  // names (compiler)
  'input-in-init': "'{name}' is an input, which the initialization cannot read {at}: inputs are bound only in the calculation",
  'assign-to-constant': "'{name}' is a {declaration} of the initialization and cannot be assigned {at}: declare it with let in the initialization",
  'undeclared-assignment': "'{name}' is assigned but never declared — declare it with let",
  'undeclared-assignment-suggest': "'{name}' is assigned but never declared — declare it with let, or did you mean '{suggestion}'?",
  'unknown-identifier': "'{name}' is not defined",
  'unknown-identifier-suggest': "'{name}' is not defined — did you mean '{suggestion}'?",
  'init-declares-alias': "the initialization declares '{name}', which is also an input alias {at}: rename one of them",
  'calc-declares-alias': "the calculation declares '{name}', which is also an input alias {at}: rename the variable",
  'shadows-state':
    "the calculation declares '{name}' again {at}, hiding the variable of the initialization, so its value is not kept between runs — write '{name} = …' without {declaration} to update the state",
  // outputs (compiler)
  'output-missing': "output {output} reads variable '{variable}', which the calculation never defines",
  'output-missing-suggest': "output {output} reads variable '{variable}', which the calculation never defines — did you mean '{suggestion}'?",
  'output-is-alias': "output {output} reads variable '{variable}', which is an input alias — assign it to a variable in the calculation (e.g. const out = {variable};)",
  'output-nested':
    "output {output} reads variable '{variable}', which is declared inside a block or function at line {line} of {part} — declare it at the top level",
  // outputs at run time (sandbox): the line is where the variable was last assigned
  'output-undefined': "output {output}: variable '{variable}' is undefined (it was never given a value) {at}",
  'output-not-finite': "output {output}: variable '{variable}' is {value}, not a finite number {at} — check for a division by zero",
  'output-too-long': "output {output}: variable '{variable}' is a string of {length} characters {at}, longer than the 4 KB allowed",
  'output-wrong-type': "output {output}: variable '{variable}' is of type {type} {at}; outputs must be numbers, booleans, strings or null",
  // run time (sandbox, lab)
  'runtime-error': '{error} {at}',
  'stack-overflow': 'calls nested too deeply (stack overflow) — look for a function that calls itself without end {at}',
  'timeout-loop': '{part} stopped after {ms} ms — look for a loop that never ends {at}',
  'timeout-loops': '{part} stopped after {ms} ms — look for a loop that never ends {at} (other loops at lines {lines})',
  timeout: '{part} stopped after {ms} ms — look for a function that calls itself without end or a slow regular expression',
  'trace-timeout': '{part} stopped after {total} ms (the {ms} ms limit plus {allowance} ms allowed for recording the trace) — look for a loop that never ends {at}',
  'trace-timeout-other':
    '{part} stopped after {total} ms (the {ms} ms limit plus {allowance} ms allowed for recording the trace) — look for a function that calls itself without end or a slow regular expression',
  hang: '{part} did not return within {seconds} s (a call the {ms} ms deadline cannot stop, such as a sort or search over a huge array or string) — it was stopped; look for a loop over such calls',
  'hang-quarantined':
    '{part} did not return for {seconds} s (a call the {ms} ms deadline cannot stop, such as a sort or search over a huge array or string) — the script was stopped and quarantined; look for a loop over such calls',
  'hang-init':
    '{part} did not return within {seconds} s (a call the {ms} ms deadline cannot stop, such as a sort or search over a huge array or string) — look for a loop over such calls {at}',
  'out-of-memory': 'the script ran out of memory (limit {mb} MB) {at} — look for arrays, strings or objects that grow without end',
  'sandbox-failed': 'the sandbox failed ({error}) — the script was stopped',
  'session-broken': "the session's sandbox failed ({error}) — open a new debug session",
  // definition and runs (editor runs, register)
  'input-no-value': "input '{alias}' ({tag}) has never had a value: the engine will wait until {tag} has a value and would not run the script now; this run used null for it",
  'input-null': "input '{alias}' ({tag}) is null in this run; arithmetic treats null as 0 (null + 1 is 1), so test it with {alias} === null where it matters",
  'input-stale': "input '{alias}' ({tag}) is stale in this run: its time is older than its staleAfterMs, so isGood('{alias}') is false and its quality counts as uncertain",
  'output-null': "output {tag} would be published as null: variable '{variable}' is null after the calculation",
  'invalid-definition': '{field}: {problem}',
  'dependency-cycle': 'dependency cycle: {cycle} — a script cannot use, directly or through others, its own output',
  'plot-capped': 'the plot stopped after {count} evaluations; shorten the range to see the rest',
  'replay-stopped': 'the replay stopped: {error}',
  // regression tests (changes.md)
  'test-unknown-input': "step {step}: '{alias}' is not an input alias of this script — rename it in the test or remove it",
  'test-missing-input': "step {step}: input '{alias}' has no value yet — give it in this step or an earlier one (the engine waits until every input has a value)",
  'test-unknown-output': "the test expects output '{tag}', which this script does not produce — remove it from the test's expect or add the output",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_TEMPLATES_EN;
export type DiagnosticParams = Record<string, string | number>;

export const DIAGNOSTIC_CODES = Object.keys(DIAGNOSTIC_TEMPLATES_EN) as DiagnosticCode[];

export function isDiagnosticCode(code: unknown): code is DiagnosticCode {
  return typeof code === 'string' && Object.hasOwn(DIAGNOSTIC_TEMPLATES_EN, code);
}

/** How one language says where a problem is and names the parts of a script. */
export interface PlaceWords {
  part: (source: DiagnosticSource) => string;
  at: (source: DiagnosticSource, line?: number, column?: number) => string;
}

export const PLACE_WORDS_EN: PlaceWords = { part: (source) => PART_NAME_EN[source] ?? String(source), at: where };

/** The placeholders of a template, `at` included, sorted. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]))].sort();
}

const PARTS = new Set<string>(['init', 'calc', 'definition']);

/** A template filled in: `{at}` from the place, `{part}` named in words, other params as they are. */
export function fillDiagnosticTemplate(
  template: string,
  params: DiagnosticParams,
  place: { source: DiagnosticSource; line?: number; column?: number },
  words: PlaceWords,
): string {
  return template
    .replace(/\{(\w+)\}/g, (whole, name: string) => {
      if (name === 'at') return words.at(place.source, place.line, place.column);
      if (!(name in params)) return whole;
      const value = params[name];
      return name === 'part' && PARTS.has(String(value)) ? words.part(value as DiagnosticSource) : String(value);
    })
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** A diagnostic with its code, params and English message. */
export function diagnostic(
  code: DiagnosticCode,
  params: DiagnosticParams,
  fields: { severity?: Diagnostic['severity']; source: DiagnosticSource; kind: DiagnosticKind; line?: number; column?: number },
): Diagnostic {
  const { severity = 'error', source, kind, line, column } = fields;
  const result: Diagnostic = { severity, source, kind, code, params, message: fillDiagnosticTemplate(DIAGNOSTIC_TEMPLATES_EN[code], params, fields, PLACE_WORDS_EN) };
  if (line !== undefined) result.line = line;
  if (column !== undefined) result.column = column;
  return result;
}

/** A dependency cycle among registered scripts, as the scripts' names in order. */
export function cycleDiagnostic(cycle: readonly string[]): Diagnostic {
  return diagnostic('dependency-cycle', { cycle: cycle.join(' → ') }, { source: 'definition', kind: 'definition' });
}

const FIELD_WORDS: Record<string, string> = {
  name: 'name',
  description: 'description',
  initCode: 'the initialization',
  calcCode: 'the calculation',
  inputs: 'input',
  outputs: 'output',
  trigger: 'trigger',
  intervalMs: 'interval',
  variable: 'variable',
  deadband: 'deadband',
  tag: 'tag',
  alias: 'alias',
};

/** A field of a script definition as a user names it: ['inputs', 0, 'alias'] → "input 1, alias". */
export function fieldName(path: ReadonlyArray<PropertyKey>): string {
  const words: string[] = [];
  for (const part of path) {
    if (typeof part === 'number') words[words.length - 1] = `${words[words.length - 1] ?? 'item'} ${part + 1}`;
    else words.push(FIELD_WORDS[String(part)] ?? String(part));
  }
  return words.join(', ');
}
