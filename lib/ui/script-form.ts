import { aliasProblem, suggestAlias, type AliasProblem } from './alias-suggestion';
import type { Script, ScriptDraft, Trigger } from './api-types';
import type { ScriptTest } from '../model/script-tests';

/**
 * The editor's form: what the user edits (text fields stay text until saved), how it becomes the
 * API's ScriptDraft, the checks the form makes before asking the server, and the defaults that let a
 * newcomer start from something that runs.
 */

export interface InputRow {
  key: string;
  tag: string;
  alias: string;
}

export interface OutputRow {
  key: string;
  tag: string;
  variable: string;
  /** As typed; empty = no deadband. */
  deadband: string;
  /** The output tag's description and engineering unit, as typed (empty = none). */
  description?: string;
  unit?: string;
}

export interface TriggerForm {
  mode: 'all' | 'selected' | 'periodic';
  /** Aliases that trigger the script in `selected` mode. */
  selected: string[];
  /** Seconds, as typed, for `periodic`. */
  intervalSeconds: string;
}

export interface ScriptForm {
  name: string;
  description: string;
  inputs: InputRow[];
  initCode: string;
  calcCode: string;
  outputs: OutputRow[];
  trigger: TriggerForm;
  /** The regression tests (changes.md), kept as the API shapes them; edited in the Tests tab. */
  tests?: ScriptTest[];
}

/** The comments of the example code, in the user's language. */
export interface ExampleTexts {
  initIntro: string;
  initExample: string;
  calcIntro: string;
  calcInputs: string; // contains {aliases}
  calcNoInputs: string;
  calcHelpers: string;
  calcOutputs: string;
}

export type KeyMaker = () => string;

export const SCRIPT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
export const DEFAULT_RESULT_VARIABLE = 'result';
export const MIN_INTERVAL_SECONDS = 0.1;

export function exampleInitCode(texts: ExampleTexts): string {
  return [`// ${texts.initIntro}`, `// ${texts.initExample}`, '// let count = 0;', ''].join('\n');
}

function exampleExpression(aliases: readonly string[]): string {
  if (aliases.length === 0) return 'null';
  if (aliases.length === 1) return `round(${aliases[0]}, 2)`;
  return `round(avg(${aliases.slice(0, 4).join(', ')}), 2)`;
}

export function exampleCalcCode(aliases: readonly string[], texts: ExampleTexts): string {
  const inputsLine = aliases.length ? texts.calcInputs.replace('{aliases}', aliases.join(', ')) : texts.calcNoInputs;
  return [
    `// ${texts.calcIntro}`,
    `// ${inputsLine}`,
    `// ${texts.calcHelpers}`,
    `// ${texts.calcOutputs}`,
    `const ${DEFAULT_RESULT_VARIABLE} = ${exampleExpression(aliases)};`,
    '',
  ].join('\n');
}

/** The code is still one of the generated examples (so it may be regenerated when inputs change). */
export function isExampleCalcCode(code: string, aliases: readonly string[], textsList: readonly ExampleTexts[]): boolean {
  return textsList.some((texts) => code === exampleCalcCode(aliases, texts));
}

/** The output tag offered for a script name: CALC.<NAME>. */
export function suggestOutputTag(name: string): string {
  const cleaned = name.trim().toUpperCase().replace(/[^A-Z0-9_.-]+/g, '_');
  return cleaned ? `CALC.${cleaned}` : '';
}

export function emptyForm(texts: ExampleTexts, nextKey: KeyMaker): ScriptForm {
  return {
    name: '',
    description: '',
    inputs: [],
    initCode: exampleInitCode(texts),
    calcCode: exampleCalcCode([], texts),
    outputs: [{ key: nextKey(), tag: '', variable: DEFAULT_RESULT_VARIABLE, deadband: '' }],
    trigger: { mode: 'all', selected: [], intervalSeconds: '1' },
  };
}

function triggerForm(trigger: Trigger | undefined): TriggerForm {
  if (trigger?.type === 'periodic') return { mode: 'periodic', selected: [], intervalSeconds: String(trigger.intervalMs / 1000) };
  if (trigger?.type === 'onChange' && trigger.inputs?.length) return { mode: 'selected', selected: [...trigger.inputs], intervalSeconds: '1' };
  return { mode: 'all', selected: [], intervalSeconds: '1' };
}

export function formFromScript(script: ScriptDraft | Script, nextKey: KeyMaker): ScriptForm {
  return {
    name: script.name,
    description: script.description ?? '',
    inputs: script.inputs.map((input) => ({ key: nextKey(), tag: input.tag, alias: input.alias })),
    initCode: script.initCode ?? '',
    calcCode: script.calcCode,
    outputs: script.outputs.map((output) => ({
      key: nextKey(),
      tag: output.tag,
      variable: output.variable,
      deadband: output.deadband === undefined ? '' : String(output.deadband),
      ...(output.description ? { description: output.description } : {}),
      ...(output.unit ? { unit: output.unit } : {}),
    })),
    trigger: triggerForm(script.trigger as Trigger | undefined),
    ...(script.tests?.length ? { tests: script.tests } : {}),
  };
}

/** A decimal as typed, accepting a comma as the decimal sign; null when it is not a number. */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

function draftTrigger(form: ScriptForm): Trigger {
  const { trigger } = form;
  if (trigger.mode === 'periodic') {
    const seconds = parseDecimal(trigger.intervalSeconds);
    return { type: 'periodic', intervalMs: Math.round((seconds ?? 1) * 1000) };
  }
  if (trigger.mode === 'selected') {
    const aliases = new Set(form.inputs.map((input) => input.alias));
    const selected = trigger.selected.filter((alias) => aliases.has(alias));
    if (selected.length) return { type: 'onChange', inputs: selected };
  }
  return { type: 'onChange' };
}

export function formToDraft(form: ScriptForm): ScriptDraft {
  const draft: ScriptDraft = {
    name: form.name.trim(),
    inputs: form.inputs.map((input) => ({ tag: input.tag.trim(), alias: input.alias.trim() })),
    initCode: form.initCode,
    calcCode: form.calcCode,
    outputs: form.outputs.map((output) => {
      const deadband = parseDecimal(output.deadband);
      const described = outputMeta(output);
      return deadband === null ? { tag: output.tag.trim(), variable: output.variable.trim(), ...described } : { tag: output.tag.trim(), variable: output.variable.trim(), deadband, ...described };
    }),
    trigger: draftTrigger(form),
  };
  if (form.description.trim()) draft.description = form.description.trim();
  if (form.tests?.length) draft.tests = form.tests;
  return draft;
}

/** An output row's description and unit, trimmed; left out when empty. */
function outputMeta(output: OutputRow): { description?: string; unit?: string } {
  const description = output.description?.trim() ?? '';
  const unit = output.unit?.trim() ?? '';
  return { ...(description ? { description } : {}), ...(unit ? { unit } : {}) };
}

/** Canonical text of a draft: two drafts with the same text save the same script. */
export function draftFingerprint(draft: ScriptDraft): string {
  return JSON.stringify({
    name: draft.name,
    description: draft.description ?? '',
    inputs: draft.inputs,
    initCode: draft.initCode ?? '',
    calcCode: draft.calcCode,
    outputs: draft.outputs.map((o) => ({ tag: o.tag, variable: o.variable, deadband: o.deadband ?? null, description: o.description ?? '', unit: o.unit ?? '' })),
    trigger: draft.trigger ?? { type: 'onChange' },
    tests: draft.tests ?? [],
  });
}

export function isDirty(form: ScriptForm, saved: ScriptDraft | null): boolean {
  return saved === null ? true : draftFingerprint(formToDraft(form)) !== draftFingerprint(saved);
}

// ---- edits that keep the form coherent ----

/** Adds a picked tag with a suggested alias; an untouched example is rewritten to use it. */
export function addInput(form: ScriptForm, tag: string, nextKey: KeyMaker, exampleTexts: readonly ExampleTexts[], current: ExampleTexts): ScriptForm {
  const aliases = form.inputs.map((input) => input.alias);
  const alias = suggestAlias(tag, aliases);
  const inputs = [...form.inputs, { key: nextKey(), tag, alias }];
  const calcCode = isExampleCalcCode(form.calcCode, aliases, exampleTexts) ? exampleCalcCode([...aliases, alias], current) : form.calcCode;
  return { ...form, inputs, calcCode };
}

export function removeInput(form: ScriptForm, key: string, exampleTexts: readonly ExampleTexts[], current: ExampleTexts): ScriptForm {
  const removed = form.inputs.find((input) => input.key === key);
  if (!removed) return form;
  const aliases = form.inputs.map((input) => input.alias);
  const inputs = form.inputs.filter((input) => input.key !== key);
  const calcCode = isExampleCalcCode(form.calcCode, aliases, exampleTexts)
    ? exampleCalcCode(inputs.map((input) => input.alias), current)
    : form.calcCode;
  return { ...form, inputs, calcCode, trigger: { ...form.trigger, selected: form.trigger.selected.filter((alias) => alias !== removed.alias) } };
}

/** Renames an alias, following it in the trigger selection and in an untouched example. */
export function renameAlias(form: ScriptForm, key: string, alias: string, exampleTexts: readonly ExampleTexts[], current: ExampleTexts): ScriptForm {
  const before = form.inputs.find((input) => input.key === key);
  if (!before) return form;
  const oldAliases = form.inputs.map((input) => input.alias);
  const inputs = form.inputs.map((input) => (input.key === key ? { ...input, alias } : input));
  const calcCode = isExampleCalcCode(form.calcCode, oldAliases, exampleTexts)
    ? exampleCalcCode(inputs.map((input) => input.alias), current)
    : form.calcCode;
  const selected = form.trigger.selected.map((selectedAlias) => (selectedAlias === before.alias ? alias : selectedAlias));
  return { ...form, inputs, calcCode, trigger: { ...form.trigger, selected } };
}

/** Changes the name; an output tag still empty or still the suggestion follows the new name. */
export function renameScript(form: ScriptForm, name: string): ScriptForm {
  const previousSuggestion = suggestOutputTag(form.name);
  const outputs = form.outputs.map((output, index) =>
    index === 0 && (output.tag === '' || output.tag === previousSuggestion) ? { ...output, tag: suggestOutputTag(name) } : output,
  );
  return { ...form, name, outputs };
}

// ---- checks before the server's ----

export type FormProblem =
  | { section: 'name'; code: 'nameEmpty' | 'nameInvalid' }
  | { section: 'inputs'; index: number; field: 'tag'; code: 'tagEmpty' | 'tagDuplicate' }
  | { section: 'inputs'; index: number; field: 'alias'; code: `alias.${AliasProblem['code']}` }
  | { section: 'outputs'; index: number; field: 'tag'; code: 'tagEmpty' | 'outputDuplicate' | 'outputIsInput' }
  | { section: 'outputs'; index: number; field: 'variable'; code: 'variableEmpty' }
  | { section: 'outputs'; index: number; field: 'deadband'; code: 'deadbandInvalid' }
  | { section: 'outputs'; code: 'noOutputs' }
  | { section: 'trigger'; code: 'noTriggerInputs' | 'intervalInvalid' | 'noInputsOnChange' };

export function formProblems(form: ScriptForm): FormProblem[] {
  const problems: FormProblem[] = [];
  const name = form.name.trim();
  if (name === '') problems.push({ section: 'name', code: 'nameEmpty' });
  else if (!SCRIPT_NAME.test(name)) problems.push({ section: 'name', code: 'nameInvalid' });

  const tags = new Set<string>();
  form.inputs.forEach((input, index) => {
    const tag = input.tag.trim();
    if (tag === '') problems.push({ section: 'inputs', index, field: 'tag', code: 'tagEmpty' });
    else if (tags.has(tag)) problems.push({ section: 'inputs', index, field: 'tag', code: 'tagDuplicate' });
    tags.add(tag);
    const others = form.inputs.slice(0, index).map((other) => other.alias.trim());
    const problem = aliasProblem(input.alias.trim(), others);
    if (problem) problems.push({ section: 'inputs', index, field: 'alias', code: `alias.${problem.code}` });
  });

  if (form.outputs.length === 0) problems.push({ section: 'outputs', code: 'noOutputs' });
  const outputTags = new Set<string>();
  form.outputs.forEach((output, index) => {
    const tag = output.tag.trim();
    if (tag === '') problems.push({ section: 'outputs', index, field: 'tag', code: 'tagEmpty' });
    else if (outputTags.has(tag)) problems.push({ section: 'outputs', index, field: 'tag', code: 'outputDuplicate' });
    else if (tags.has(tag)) problems.push({ section: 'outputs', index, field: 'tag', code: 'outputIsInput' });
    outputTags.add(tag);
    if (output.variable.trim() === '') problems.push({ section: 'outputs', index, field: 'variable', code: 'variableEmpty' });
    if (output.deadband.trim() !== '') {
      const deadband = parseDecimal(output.deadband);
      if (deadband === null || deadband < 0) problems.push({ section: 'outputs', index, field: 'deadband', code: 'deadbandInvalid' });
    }
  });

  if (form.trigger.mode === 'periodic') {
    const seconds = parseDecimal(form.trigger.intervalSeconds);
    if (seconds === null || seconds < MIN_INTERVAL_SECONDS || seconds > 86_400) problems.push({ section: 'trigger', code: 'intervalInvalid' });
  } else if (form.inputs.length === 0) {
    problems.push({ section: 'trigger', code: 'noInputsOnChange' });
  } else if (form.trigger.mode === 'selected') {
    const aliases = new Set(form.inputs.map((input) => input.alias));
    if (!form.trigger.selected.some((alias) => aliases.has(alias))) problems.push({ section: 'trigger', code: 'noTriggerInputs' });
  }
  return problems;
}

/** The problems that stop a run (calculate, debug, benchmark): the name does not matter there. */
export function runBlockingProblems(problems: readonly FormProblem[]): FormProblem[] {
  return problems.filter((problem) => problem.section !== 'name');
}

/** A copy of a script to save under a new name ("Duplicate"): new name and output tags, so both can be registered. */
export function duplicateDraft(script: ScriptDraft, existingNames: Iterable<string>): ScriptDraft {
  const names = new Set(existingNames);
  let name = `${script.name}_copy`.slice(0, 100);
  for (let n = 2; names.has(name); n += 1) name = `${script.name}_copy${n}`.slice(0, 100);
  return {
    ...structuredClone(script),
    name,
    outputs: script.outputs.map((output) => ({ ...output, tag: `${output.tag}_COPY` })),
  };
}
