import type { Quality, TagMeta, TagRemoval } from './api-types';
import { formatDateTime, formatNumber, type Locale } from './format';
import type { Translate } from './i18n/translate';
import { parseDecimal } from './script-form';

/**
 * The tag list's metadata editor and removal action, without React: the form as typed, its checks
 * (the same rules as PUT /api/tags/{tag}/meta, in the user's language), and the texts that say why a
 * tag cannot be removed.
 */

export interface TagMetaForm {
  description: string;
  unit: string;
  lo: string;
  hi: string;
}

export function tagMetaForm(meta: { description?: string | null; unit?: string | null; lo?: number | null; hi?: number | null }): TagMetaForm {
  return {
    description: meta.description ?? '',
    unit: meta.unit ?? '',
    lo: meta.lo === null || meta.lo === undefined ? '' : String(meta.lo),
    hi: meta.hi === null || meta.hi === undefined ? '' : String(meta.hi),
  };
}

export type TagMetaCheck = { ok: true; meta: Omit<TagMeta, 'tag'> } | { ok: false; field: 'lo' | 'hi'; message: string };

/** The body of the PUT, or the first problem: a limit that is not a number, or lo above hi. */
export function checkTagMetaForm(form: TagMetaForm, t: Translate): TagMetaCheck {
  const limit = (text: string) => (text.trim() === '' ? { value: null } : { value: parseDecimal(text) });
  const lo = limit(form.lo);
  const hi = limit(form.hi);
  if (form.lo.trim() !== '' && lo.value === null) return { ok: false, field: 'lo', message: t('tags.metaNotNumber', { field: t('tags.metaLo') }) };
  if (form.hi.trim() !== '' && hi.value === null) return { ok: false, field: 'hi', message: t('tags.metaNotNumber', { field: t('tags.metaHi') }) };
  if (lo.value !== null && hi.value !== null && lo.value > hi.value) {
    return { ok: false, field: 'lo', message: t('tags.metaLoAboveHi', { lo: lo.value, hi: hi.value }) };
  }
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  return { ok: true, meta: { description: text(form.description), unit: text(form.unit), lo: lo.value, hi: hi.value } };
}

/** "0 – 100", "≥ 0", "≤ 100" or '' when no range is known. */
export function formatRange(locale: Locale, lo: number | null | undefined, hi: number | null | undefined, t: Translate): string {
  const hasLo = lo !== null && lo !== undefined;
  const hasHi = hi !== null && hi !== undefined;
  if (hasLo && hasHi) return t('tags.rangeValue', { lo: formatNumber(locale, lo), hi: formatNumber(locale, hi) });
  if (hasLo) return t('tags.rangeFrom', { lo: formatNumber(locale, lo) });
  if (hasHi) return t('tags.rangeTo', { hi: formatNumber(locale, hi) });
  return '';
}

/** Why a tag cannot be removed, in the user's language (null when it can). */
export function removalText(removal: TagRemoval | undefined, locale: Locale, t: Translate): string | null {
  if (!removal || removal.allowed) return null;
  switch (removal.code) {
    case 'produced':
      return t('tags.removeProduced', { script: removal.script?.name ?? '?' });
    case 'read':
      return t('tags.removeRead', { scripts: (removal.scripts ?? []).map((script) => script.name).join(', ') });
    case 'recent': {
      const params = { last: formatDateTime(locale, removal.lastValueAt), from: formatDateTime(locale, removal.removableAt), days: removal.retentionDays ?? '?' };
      return t(removal.source === 'script' ? 'tags.removeRecentScript' : 'tags.removeRecentRaw', params);
    }
    default:
      return removal.message;
  }
}

/** The title of a value that is not good: its quality and, when given, why (messages.md reason). */
export function qualityTitle(quality: Quality, reason: string | undefined, t: Translate): string | undefined {
  if (quality === 'good') return reason || undefined;
  const name = t(`quality.${quality}`);
  return reason ? t('value.notGood', { quality: name, reason }) : t('value.notGoodNoReason', { quality: name });
}
