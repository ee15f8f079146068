'use client';

import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '@/lib/ui/api-client';
import type { TagDetail } from '@/lib/ui/api-types';
import { checkTagMetaForm, formatRange, removalText, tagMetaForm, type TagMetaForm } from '@/lib/ui/tag-meta-form';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { errorMessage } from '../ui/states';
import { RoleLock } from '../auth/role-lock';

/**
 * The selected tag's metadata (description, unit, normal range) with an editor for plant tags, and the
 * Remove action: shown enabled only when the server says the tag may be removed, with why not on hover.
 */
export function TagDetails({ tag, onChanged, onRemoved }: { tag: string; onChanged: () => void; onRemoved: () => void }) {
  const { t, locale } = useI18n();
  const { confirm, notify } = useFeedback();
  const [detail, setDetail] = useState<TagDetail | null>(null);
  const [editing, setEditing] = useState<TagMetaForm | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    try {
      setDetail(await api.getTag(tag));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setDetail(null);
    }
  }, [tag]);

  useEffect(() => {
    const timer = window.setTimeout(() => void load(), 0);
    const refresh = window.setInterval(() => void load(), 10_000);
    return () => {
      window.clearTimeout(timer);
      window.clearInterval(refresh);
    };
  }, [load]);

  if (!detail) return null;
  const removal = detail.removal;
  const whyNot = removalText(removal, locale, t);
  const range = formatRange(locale, detail.lo, detail.hi, t);
  // A calculated tag's description and unit are its script's; a left-behind output's are editable.
  const producer = removal && !removal.allowed && removal.code === 'produced' ? removal.script : undefined;

  async function save(form: TagMetaForm) {
    const checked = checkTagMetaForm(form, t);
    if (!checked.ok) {
      setProblem(checked.message);
      return;
    }
    setSaving(true);
    try {
      await api.setTagMeta(tag, checked.meta);
      notify('success', t('tags.metaSaved', { tag }));
      setEditing(null);
      setProblem(null);
      await load();
      onChanged();
    } catch (error) {
      setProblem(errorMessage(error, t));
    } finally {
      setSaving(false);
    }
  }

  async function remove() {
    const ok = await confirm({ title: t('tags.remove'), body: t('tags.removeConfirm', { tag }), confirmLabel: t('common.remove'), danger: true });
    if (!ok) return;
    try {
      await api.removeTag(tag);
      notify('success', t('tags.removed', { tag }));
      onRemoved();
    } catch (error) {
      notify('error', errorMessage(error, t));
      await load();
    }
  }

  return (
    <div className="tag-details" data-testid="tag-details">
      {editing === null ? (
        <dl className="tag-meta">
          <dt>{t('tags.description')}</dt>
          <dd data-testid="tag-detail-description">{detail.description ?? '—'}</dd>
          <dt>{t('tags.unit')}</dt>
          <dd data-testid="tag-detail-unit">{detail.unit ?? '—'}</dd>
          <dt>{t('tags.range')}</dt>
          <dd data-testid="tag-detail-range">{range || '—'}</dd>
        </dl>
      ) : (
        <form
          className="tag-meta-editor"
          aria-label={t('tags.metaTitle', { tag })}
          onSubmit={(event) => {
            event.preventDefault();
            void save(editing);
          }}
        >
          <label className="field-label">
            {t('tags.description')}
            <input type="text" value={editing.description} maxLength={2000} onChange={(event) => setEditing({ ...editing, description: event.target.value })} data-testid="meta-description" />
          </label>
          <label className="field-label">
            {t('tags.metaUnit')}
            <input type="text" value={editing.unit} maxLength={50} className="unit-input" onChange={(event) => setEditing({ ...editing, unit: event.target.value })} data-testid="meta-unit" />
          </label>
          <div className="range-fields">
            <label className="field-label">
              {t('tags.metaLo')}
              <input type="text" inputMode="decimal" value={editing.lo} onChange={(event) => setEditing({ ...editing, lo: event.target.value })} data-testid="meta-lo" />
            </label>
            <label className="field-label">
              {t('tags.metaHi')}
              <input type="text" inputMode="decimal" value={editing.hi} onChange={(event) => setEditing({ ...editing, hi: event.target.value })} data-testid="meta-hi" />
            </label>
          </div>
          {problem && (
            <p className="field-error" role="alert" data-testid="meta-problem">
              {problem}
            </p>
          )}
          <div className="tag-actions">
            <button type="submit" className="button primary small" disabled={saving} data-testid="meta-save">
              {saving ? t('tags.metaSaving') : t('tags.metaSave')}
            </button>
            <button type="button" className="button small" onClick={() => setEditing(null)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      <div className="tag-actions">
        {editing === null &&
          (producer ? (
            <span className="muted small">{t('tags.metaFromScript', { script: producer.name })}</span>
          ) : (
            <RoleLock needs="editor">
              {(locked) => (
                <button type="button" className="button small" disabled={locked} onClick={() => setEditing(tagMetaForm(detail))} data-testid="meta-edit">
                  {t('tags.editMeta')}
                </button>
              )}
            </RoleLock>
          ))}
        {removal?.allowed ? (
          <RoleLock needs="editor">
            {(locked) => (
              <button type="button" className="button danger small" disabled={locked} onClick={() => void remove()} data-testid="tag-remove">
                {t('tags.remove')}
              </button>
            )}
          </RoleLock>
        ) : (
          <span className="muted small" title={whyNot ?? undefined} data-testid="tag-remove-blocked">
            <button type="button" className="button small" disabled aria-describedby={`why-${tag}`}>
              {t('tags.remove')}
            </button>
            <span id={`why-${tag}`} className="visually-hidden">
              {whyNot}
            </span>
          </span>
        )}
      </div>
    </div>
  );
}
