import { customRange, toDateTimeLocal, type CustomRangeProblem } from './time-range';

/**
 * The IDE's Export dialog without React: what the user picked, what is wrong with it, and the
 * GET /api/export URL that downloads it (history-ml.md "Export for training").
 */

export const EXPORT_STEPS = ['1s', '10s', '1m', '5m', '15m', '1h', '1d'] as const;
export type ExportStep = (typeof EXPORT_STEPS)[number];
export const MAX_EXPORT_TAGS = 200;

const STEP_MS: Record<ExportStep, number> = { '1s': 1000, '10s': 10_000, '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface ExportForm {
  tags: string[];
  /** datetime-local values (the browser's time zone). */
  from: string;
  to: string;
  step: ExportStep;
  format: 'csv' | 'parquet';
  fill: 'previous' | 'none';
  quality: 'column' | 'mask';
}

export type ExportProblem = { key: 'noTags' } | { key: 'tooManyTags'; max: number } | { key: `range.${CustomRangeProblem}` };

/** A form for `tags` over [from, to) (epoch ms), with the defaults: 1 min steps, CSV, fill previous, quality column. */
export function initialExportForm(tags: readonly string[], from: number, to: number): ExportForm {
  return { tags: [...tags], from: toDateTimeLocal(from), to: toDateTimeLocal(to), step: '1m', format: 'csv', fill: 'previous', quality: 'column' };
}

/** Rows the file will have (one per step in [from, to)), or null when the period is not valid. */
export function exportRows(form: ExportForm, now: number): number | null {
  const range = customRange(form.from, form.to, now);
  if ('problem' in range) return null;
  return Math.ceil((Date.parse(range.to) - Date.parse(range.from)) / STEP_MS[form.step]);
}

/** What keeps the export from being asked for, or null. Row limits are the server's (EXPORT_MAX_ROWS): it says so. */
export function exportProblem(form: ExportForm, now: number): ExportProblem | null {
  if (form.tags.length === 0) return { key: 'noTags' };
  if (form.tags.length > MAX_EXPORT_TAGS) return { key: 'tooManyTags', max: MAX_EXPORT_TAGS };
  const range = customRange(form.from, form.to, now);
  if ('problem' in range) return { key: `range.${range.problem}` };
  return null;
}

/** The download URL; call only when exportProblem is null. */
export function exportUrl(form: ExportForm, now: number): string {
  const range = customRange(form.from, form.to, now);
  if ('problem' in range) throw new Error(`the export period is not valid (${range.problem})`);
  const query = new URLSearchParams({
    tags: form.tags.join(','),
    from: range.from,
    to: range.to,
    step: form.step,
    format: form.format,
    fill: form.fill,
    quality: form.quality,
  });
  return `/api/export?${query}`;
}

/** Adds or removes one tag, keeping the order tags were picked in. */
export function toggleTag(tags: readonly string[], tag: string): string[] {
  return tags.includes(tag) ? tags.filter((t) => t !== tag) : [...tags, tag];
}
