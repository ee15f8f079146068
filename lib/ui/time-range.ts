/** The ranges of the trend and history charts: last 1 h / 8 h / 24 h / 7 d, or a custom from–to. */

export type RangePreset = '1h' | '8h' | '24h' | '7d';
export type RangeChoice = RangePreset | 'custom';

export const RANGE_PRESETS: readonly RangePreset[] = ['1h', '8h', '24h', '7d'];

const PRESET_MS: Record<RangePreset, number> = { '1h': 3600_000, '8h': 8 * 3600_000, '24h': 24 * 3600_000, '7d': 7 * 86_400_000 };

export interface TimeRange {
  from: string;
  to: string;
}

export function isRangeChoice(value: string | null | undefined): value is RangeChoice {
  return value === 'custom' || (RANGE_PRESETS as readonly string[]).includes(value ?? '');
}

export function presetRange(preset: RangePreset, now: number): TimeRange {
  return { from: new Date(now - PRESET_MS[preset]).toISOString(), to: new Date(now).toISOString() };
}

/** The value of an <input type="datetime-local"> for a moment, in the browser's time zone. */
export function toDateTimeLocal(value: number | string | Date): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO instant, or null when it is not a date. */
export function fromDateTimeLocal(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export type CustomRangeProblem = 'invalid' | 'order' | 'future';

/** Checks a custom range; returns the range or why it cannot be used. */
export function customRange(fromLocal: string, toLocal: string, now: number): TimeRange | { problem: CustomRangeProblem } {
  const from = fromDateTimeLocal(fromLocal);
  const to = fromDateTimeLocal(toLocal);
  if (!from || !to) return { problem: 'invalid' };
  if (Date.parse(from) >= Date.parse(to)) return { problem: 'order' };
  if (Date.parse(from) > now) return { problem: 'future' };
  return { from, to };
}
