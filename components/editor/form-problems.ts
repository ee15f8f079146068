import type { FormProblem } from '@/lib/ui/script-form';
import type { MessageKey, Translate } from '@/lib/ui/i18n/translate';

/** The translated text of a problem the form found. */
export function formProblemText(problem: FormProblem, t: Translate): string {
  return t(`problem.${problem.code}` as MessageKey);
}

/** Where a form problem is, as the user reads it: "Input 2, alias". */
export function formProblemPlace(problem: FormProblem, t: Translate): string {
  switch (problem.section) {
    case 'name':
      return t('editor.name');
    case 'trigger':
      return t('editor.trigger');
    case 'inputs':
      return t('problem.placeInput', { n: problem.index + 1, field: t(problem.field === 'tag' ? 'inputs.tag' : 'inputs.alias') });
    case 'outputs':
      if (!('index' in problem)) return t('editor.outputs');
      return t('problem.placeOutput', {
        n: problem.index + 1,
        field: t(problem.field === 'tag' ? 'outputs.tag' : problem.field === 'variable' ? 'outputs.variable' : 'outputs.deadband'),
      });
  }
}

/** The problem of one field of one row, if any. */
export function rowProblem(problems: readonly FormProblem[], section: 'inputs' | 'outputs', index: number, field: string): FormProblem | undefined {
  return problems.find((p) => p.section === section && 'index' in p && p.index === index && 'field' in p && p.field === field);
}
