'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { api } from '@/lib/ui/api-client';
import type { TagValue } from '@/lib/ui/api-types';
import { formatRelative, formatTime } from '@/lib/ui/format';
import { ValueText } from '../ui/value-text';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge, SourceBadge } from '../ui/badges';
import { errorMessage } from '../ui/states';

interface TagPickerProps {
  /** Tags already used by the script (shown, but not offered again). */
  taken: readonly string[];
  onPick: (tag: string) => void;
  /** Tags the script itself produces (an output cannot be its own input). */
  excluded?: readonly string[];
}

const SEARCH_DELAY_MS = 150;
const LIMIT = 30;

/** Search-as-you-type over the live tag catalog; each option shows the tag's value, time and quality. */
export function TagPicker({ taken, onPick, excluded = [] }: TagPickerProps) {
  const { t, locale } = useI18n();
  const listId = useId();
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [results, setResults] = useState<TagValue[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [active, setActive] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const inputRef = useRef<HTMLInputElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    const timer = window.setTimeout(async () => {
      setLoading(true);
      try {
        setResults(await api.listTags(query.trim(), LIMIT, { signal: controller.signal }));
        setError(null);
        setNow(Date.now());
      } catch (failure) {
        if (!controller.signal.aborted) setError(failure);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    }, SEARCH_DELAY_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [query, open]);

  // Close when focus or a click leaves the picker.
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (boxRef.current && !boxRef.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const trimmed = query.trim();
  const unavailable = new Set([...taken, ...excluded]);
  const exact = results.some((tag) => tag.tag === trimmed);
  type Option = { kind: 'tag'; tag: TagValue } | { kind: 'free'; tag: string };
  const options: Option[] = results.map((tag) => ({ kind: 'tag' as const, tag }));
  if (trimmed && !exact) options.push({ kind: 'free', tag: trimmed });
  const activeIndex = Math.min(active, Math.max(0, options.length - 1));

  function pick(option: Option) {
    const tag = option.kind === 'tag' ? option.tag.tag : option.tag;
    if (unavailable.has(tag)) return;
    onPick(tag);
    setQuery('');
    setActive(0);
    inputRef.current?.focus();
  }

  return (
    <div className="tag-picker" ref={boxRef}>
      <label className="field-label" htmlFor={`${listId}-input`}>
        {t('picker.label')}
      </label>
      <input
        id={`${listId}-input`}
        ref={inputRef}
        type="text"
        role="combobox"
        aria-expanded={open}
        aria-controls={`${listId}-list`}
        aria-autocomplete="list"
        aria-activedescendant={open && options.length ? `${listId}-opt-${activeIndex}` : undefined}
        autoComplete="off"
        placeholder={t('picker.placeholder')}
        value={query}
        data-testid="tag-picker-input"
        onFocus={() => setOpen(true)}
        onChange={(event) => {
          setQuery(event.target.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            setOpen(true);
            setActive((i) => Math.min(i + 1, options.length - 1));
          } else if (event.key === 'ArrowUp') {
            event.preventDefault();
            setActive((i) => Math.max(i - 1, 0));
          } else if (event.key === 'Enter') {
            if (open && options[activeIndex]) {
              event.preventDefault();
              pick(options[activeIndex]);
            }
          } else if (event.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {open && (
        <div className="picker-popup">
          {error !== null && <p className="picker-note error-text">{errorMessage(error, t)}</p>}
          {loading && results.length === 0 && <p className="picker-note muted">{t('common.loading')}</p>}
          {!loading && error === null && options.length === 0 && <p className="picker-note muted">{t('picker.empty')}</p>}
          <ul id={`${listId}-list`} role="listbox" aria-label={t('picker.listLabel')} className="picker-list">
            {options.map((option, index) => {
              const tagName = option.kind === 'tag' ? option.tag.tag : option.tag;
              const disabled = unavailable.has(tagName);
              return (
                <li
                  key={`${option.kind}:${tagName}`}
                  id={`${listId}-opt-${index}`}
                  role="option"
                  aria-selected={index === activeIndex}
                  aria-disabled={disabled}
                  className={`picker-option${index === activeIndex ? ' active' : ''}${disabled ? ' disabled' : ''}`}
                  data-testid="tag-option"
                  data-tag={tagName}
                  onMouseEnter={() => setActive(index)}
                  onMouseDown={(event) => event.preventDefault()}
                  onClick={() => pick(option)}
                >
                  {option.kind === 'tag' ? (
                    <>
                      <span className="option-tag">{option.tag.tag}</span>
                      <ValueText className="option-value num" value={option.tag.value} locale={locale} />
                      <QualityBadge quality={option.tag.quality} />
                      <span className="option-time muted" title={formatTime(locale, option.tag.ts)}>
                        {formatRelative(locale, option.tag.ts, now)}
                      </span>
                      {option.tag.source === 'script' && <SourceBadge source="script" />}
                      {disabled && <span className="muted small">{taken.includes(tagName) ? t('picker.added') : t('picker.isOutput')}</span>}
                    </>
                  ) : (
                    <span className="option-free">{t('picker.useUnknown', { tag: tagName })}</span>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
