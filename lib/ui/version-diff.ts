import type { ScriptDraft, ScriptOutput, Trigger } from './api-types';

/**
 * What changed between two versions of a script besides its code (the code is compared in Monaco's
 * diff editor): the name and description, inputs (by tag), outputs (by tag), the trigger and the
 * regression tests (by name) — one line per change, in the order of the form.
 */

export type DefinitionChange =
  | { section: 'name' | 'description'; kind: 'changed'; before: string; after: string }
  | { section: 'inputs'; kind: 'added' | 'removed'; tag: string; alias: string }
  | { section: 'inputs'; kind: 'changed'; tag: string; before: string; after: string }
  | { section: 'outputs'; kind: 'added' | 'removed'; tag: string; variable: string }
  | { section: 'outputs'; kind: 'changed'; tag: string; field: OutputField; before: string; after: string }
  | { section: 'trigger'; kind: 'changed'; before: Trigger; after: Trigger }
  | { section: 'tests'; kind: 'added' | 'removed' | 'changed'; name: string };

export type OutputField = 'variable' | 'deadband' | 'unit' | 'description';
const OUTPUT_FIELDS: readonly OutputField[] = ['variable', 'deadband', 'unit', 'description'];

const fieldText = (output: ScriptOutput, field: OutputField): string => {
  const value = output[field];
  return value === undefined ? '' : String(value);
};

/** The trigger as stored, with the default (every input) spelled out. */
export function triggerOf(draft: ScriptDraft): Trigger {
  return (draft.trigger as Trigger | undefined) ?? { type: 'onChange' };
}

function sameTrigger(a: Trigger, b: Trigger): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'periodic' && b.type === 'periodic') return a.intervalMs === b.intervalMs;
  const inputsA = a.type === 'onChange' ? (a.inputs ?? []) : [];
  const inputsB = b.type === 'onChange' ? (b.inputs ?? []) : [];
  return inputsA.join('\u0000') === inputsB.join('\u0000');
}

/** Changes from `before` to `after`; empty when only the code differs (or nothing). */
export function definitionChanges(before: ScriptDraft, after: ScriptDraft): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  if (before.name !== after.name) changes.push({ section: 'name', kind: 'changed', before: before.name, after: after.name });
  if ((before.description ?? '') !== (after.description ?? '')) changes.push({ section: 'description', kind: 'changed', before: before.description ?? '', after: after.description ?? '' });

  const inputsBefore = new Map(before.inputs.map((input) => [input.tag, input.alias]));
  const inputsAfter = new Map(after.inputs.map((input) => [input.tag, input.alias]));
  for (const [tag, alias] of inputsBefore) {
    const now = inputsAfter.get(tag);
    if (now === undefined) changes.push({ section: 'inputs', kind: 'removed', tag, alias });
    else if (now !== alias) changes.push({ section: 'inputs', kind: 'changed', tag, before: alias, after: now });
  }
  for (const [tag, alias] of inputsAfter) if (!inputsBefore.has(tag)) changes.push({ section: 'inputs', kind: 'added', tag, alias });

  const outputsBefore = new Map(before.outputs.map((output) => [output.tag, output]));
  const outputsAfter = new Map(after.outputs.map((output) => [output.tag, output]));
  for (const [tag, output] of outputsBefore) {
    const now = outputsAfter.get(tag);
    if (!now) {
      changes.push({ section: 'outputs', kind: 'removed', tag, variable: output.variable });
      continue;
    }
    for (const field of OUTPUT_FIELDS) {
      if (fieldText(output, field) !== fieldText(now, field)) changes.push({ section: 'outputs', kind: 'changed', tag, field, before: fieldText(output, field), after: fieldText(now, field) });
    }
  }
  for (const [tag, output] of outputsAfter) if (!outputsBefore.has(tag)) changes.push({ section: 'outputs', kind: 'added', tag, variable: output.variable });

  if (!sameTrigger(triggerOf(before), triggerOf(after))) changes.push({ section: 'trigger', kind: 'changed', before: triggerOf(before), after: triggerOf(after) });

  const testsBefore = new Map((before.tests ?? []).map((test) => [test.name, JSON.stringify(test)]));
  const testsAfter = new Map((after.tests ?? []).map((test) => [test.name, JSON.stringify(test)]));
  for (const [name, text] of testsBefore) {
    const now = testsAfter.get(name);
    if (now === undefined) changes.push({ section: 'tests', kind: 'removed', name });
    else if (now !== text) changes.push({ section: 'tests', kind: 'changed', name });
  }
  for (const name of testsAfter.keys()) if (!testsBefore.has(name)) changes.push({ section: 'tests', kind: 'added', name });
  return changes;
}

/** The two versions to compare first: the one before the newest, and the newest (or the only one twice). */
export function defaultComparison(versions: ReadonlyArray<{ version: number }>): { from: number; to: number } | null {
  if (versions.length === 0) return null;
  const sorted = versions.map((entry) => entry.version).sort((a, b) => b - a);
  return { from: sorted[1] ?? sorted[0], to: sorted[0] };
}
