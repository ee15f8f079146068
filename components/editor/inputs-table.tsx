'use client';

import { useRef } from 'react';
import type { TagValue } from '@/lib/ui/api-types';
import { formatRelative, formatTime } from '@/lib/ui/format';
import { ValueText } from '../ui/value-text';
import type { FormProblem, InputRow } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge } from '../ui/badges';
import { formProblemText, rowProblem } from './form-problems';
import { TagPicker } from './tag-picker';
import { UnknownTagHint } from './unknown-tag-hint';

interface InputsTableProps {
  inputs: readonly InputRow[];
  live: Record<string, TagValue | null>;
  problems: readonly FormProblem[];
  outputTags: readonly string[];
  now: number;
  onAdd: (tag: string) => void;
  onAlias: (key: string, alias: string) => void;
  onRemove: (key: string) => void;
  /** The user finished editing an alias (left the field): offer to rename it in the code. */
  onAliasCommit?: (key: string, from: string, to: string) => void;
  /** Replace the tag of an input (the "did you mean" suggestion). */
  onTag?: (key: string, tag: string) => void;
}

export function InputsTable({ inputs, live, problems, outputTags, now, onAdd, onAlias, onRemove, onAliasCommit, onTag }: InputsTableProps) {
  const { t, locale } = useI18n();
  const aliasAtFocus = useRef(new Map<string, string>());
  // Leaving the alias field (or Enter) ends an edit of it: a valid new alias is reported once.
  const commitAlias = (key: string, alias: string, valid: boolean) => {
    const from = aliasAtFocus.current.get(key);
    if (from === undefined || from === alias || !valid) return;
    aliasAtFocus.current.set(key, alias);
    onAliasCommit?.(key, from, alias);
  };
  return (
    <section className="panel" aria-labelledby="inputs-heading">
      <h2 id="inputs-heading" className="panel-title">
        {t('editor.inputs')}
        <span className="count">{inputs.length}</span>
      </h2>
      <p className="hint">{t('inputs.hint')}</p>
      <TagPicker taken={inputs.map((input) => input.tag)} excluded={outputTags} onPick={onAdd} />
      {inputs.length === 0 ? (
        <p className="empty-inline">{t('inputs.empty')}</p>
      ) : (
        <table className="data-table compact inputs-table">
          <thead>
            <tr>
              <th scope="col">{t('inputs.tag')}</th>
              <th scope="col">{t('inputs.alias')}</th>
              <th scope="col" className="num">{t('inputs.value')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.remove')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {inputs.map((input, index) => {
              const value = live[input.tag];
              const aliasProblem = rowProblem(problems, 'inputs', index, 'alias');
              const tagProblem = rowProblem(problems, 'inputs', index, 'tag');
              return (
                <tr key={input.key} data-testid="input-row" data-tag={input.tag}>
                  <td className="tag-cell">
                    <span className="tag-name">{input.tag}</span>
                    {tagProblem && <span className="field-error">{formProblemText(tagProblem, t)}</span>}
                    {!tagProblem && value === null && onTag && (
                      <UnknownTagHint tag={input.tag} unavailable={[...inputs.map((other) => other.tag), ...outputTags]} onUse={(tag) => onTag(input.key, tag)} />
                    )}
                  </td>
                  <td>
                    <input
                      type="text"
                      className={`alias-input${aliasProblem ? ' invalid' : ''}`}
                      value={input.alias}
                      aria-label={t('inputs.aliasFor', { tag: input.tag })}
                      aria-invalid={aliasProblem ? true : undefined}
                      spellCheck={false}
                      data-testid="alias-input"
                      onChange={(event) => onAlias(input.key, event.target.value)}
                      onFocus={() => aliasAtFocus.current.set(input.key, input.alias)}
                      onBlur={() => {
                        commitAlias(input.key, input.alias, !aliasProblem);
                        aliasAtFocus.current.delete(input.key);
                      }}
                      onKeyDown={(event) => {
                        if (event.key !== 'Enter') return;
                        // The key must not go on to the dialog that opens now (it would answer it).
                        event.preventDefault();
                        commitAlias(input.key, input.alias, !aliasProblem);
                      }}
                    />
                    {aliasProblem && <span className="field-error" role="alert">{formProblemText(aliasProblem, t)}</span>}
                  </td>
                  <td className="num live-cell">
                    {value ? (
                      <>
                        <ValueText className="live-value" value={value.value} locale={locale} />
                        <span className="live-meta">
                          <QualityBadge quality={value.quality} />
                          <span className="muted small" title={formatTime(locale, value.ts)}>
                            {formatRelative(locale, value.ts, now)}
                          </span>
                        </span>
                      </>
                    ) : value === null ? (
                      <span className="muted small">{t('inputs.notSeen')}</span>
                    ) : (
                      <span className="muted">…</span>
                    )}
                  </td>
                  <td>
                    <button type="button" className="icon-button" aria-label={t('inputs.remove', { tag: input.tag })} onClick={() => onRemove(input.key)}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
