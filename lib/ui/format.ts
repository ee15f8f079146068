import type { TagScalar } from './api-types';

/** Numbers, dates and durations formatted for the user's language (Intl), in the browser's time zone. */

export type Locale = 'en' | 'ko';

export const INTL_LOCALE: Record<Locale, string> = { en: 'en-US', ko: 'ko-KR' };

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function numberFormat(locale: Locale, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.NumberFormat | undefined;
  if (!format) {
    format = new Intl.NumberFormat(INTL_LOCALE[locale], options);
    cache.set(key, format);
  }
  return format;
}

function dateFormat(locale: Locale, options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  const key = `d|${locale}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) {
    format = new Intl.DateTimeFormat(INTL_LOCALE[locale], { ...options, timeZone });
    cache.set(key, format);
  }
  return format;
}

/** A measured number: up to `digits` decimals (6 significant digits for small magnitudes). */
export function formatNumber(locale: Locale, value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 0.001) return numberFormat(locale, { maximumSignificantDigits: 4 }).format(value);
  return numberFormat(locale, { maximumFractionDigits: digits }).format(value);
}

export function formatInteger(locale: Locale, value: number): string {
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

const MEASURE_SIGNIFICANT = 6;

/**
 * A value as the IDE shows it everywhere (run results, debug trace, tag list, picker, trends): up to
 * 6 significant digits with trailing zeros trimmed (79.77000000000001 → "79.77"), whole numbers from
 * a million up with every integer digit, and very large or very small magnitudes in scientific
 * notation ("1.23457E20", "1.5E-9"). The exact value goes in a title: `exactValue`.
 */
export function formatMeasure(locale: Locale, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1e15 || abs < 1e-6) return numberFormat(locale, { notation: 'scientific', maximumSignificantDigits: MEASURE_SIGNIFICANT }).format(value);
  if (abs >= 1e6) return numberFormat(locale, { maximumFractionDigits: 0 }).format(value);
  return numberFormat(locale, { maximumSignificantDigits: MEASURE_SIGNIFICANT }).format(value);
}

/** A number rounded as `formatMeasure` rounds it, still a number (for values inside arrays and objects). */
export function roundMeasure(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Math.abs(value) >= 1e6 && Math.abs(value) < 1e15 ? Math.round(value) : Number(value.toPrecision(MEASURE_SIGNIFICANT));
}

/** The exact value for a hover title: numbers in full ("79.77000000000001"), others as shown. */
export function exactValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A tag value as shown in tables: numbers localised, booleans and strings as they are, null as "—". */
export function formatValue(locale: Locale, value: TagScalar | undefined): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return formatMeasure(locale, value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

function toDate(value: string | number | Date): Date | null {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDateTime(locale: Locale, value: string | number | Date | null | undefined, timeZone?: string): string {
  if (value === null || value === undefined) return '—';
  const date = toDate(value);
  if (!date) return '—';
  return dateFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }, timeZone).format(date);
}

export function formatTime(locale: Locale, value: string | number | Date | null | undefined, timeZone?: string): string {
  if (value === null || value === undefined) return '—';
  const date = toDate(value);
  if (!date) return '—';
  return dateFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }, timeZone).format(date);
}

/** Axis labels of a chart: the time for spans up to a day, the date and hour beyond. */
export function formatAxisTime(locale: Locale, value: number, spanMs: number, timeZone?: string): string {
  const date = new Date(value);
  if (spanMs <= 15 * 60_000) return dateFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }, timeZone).format(date);
  if (spanMs <= 26 * 3600_000) return dateFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false }, timeZone).format(date);
  return dateFormat(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }, timeZone).format(date);
}

/** "5 seconds ago" / "5초 전". */
export function formatRelative(locale: Locale, value: string | number | null | undefined, now: number): string {
  if (value === null || value === undefined) return '—';
  const date = toDate(value);
  if (!date) return '—';
  // A value stamped a little ahead of this browser's clock (clocks differ) is "now", not "in 1 second".
  const seconds = Math.min(0, Math.round((date.getTime() - now) / 1000));
  const key = `r|${locale}`;
  let format = cache.get(key) as Intl.RelativeTimeFormat | undefined;
  if (!format) {
    format = new Intl.RelativeTimeFormat(INTL_LOCALE[locale], { numeric: 'auto' });
    cache.set(key, format);
  }
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86_400), 'day');
}

/** A duration in microseconds, in the unit that reads best: "850 µs", "1.25 ms", "2.1 s". */
export function formatMicros(locale: Locale, micros: number): string {
  if (!Number.isFinite(micros)) return '—';
  if (micros < 1000) return `${formatNumber(locale, micros, micros < 10 ? 2 : 1)} µs`;
  if (micros < 1_000_000) return `${formatNumber(locale, micros / 1000, 2)} ms`;
  return `${formatNumber(locale, micros / 1_000_000, 2)} s`;
}

export function formatMillis(locale: Locale, millis: number): string {
  return formatMicros(locale, millis * 1000);
}
