import type { Locale } from '../format';
import { en, type MessageKey } from './en';
import { ko } from './ko';

/**
 * Dictionaries of the UI, English and Korean. Every key of `en` must exist in `ko` (the type says
 * so and a test checks the placeholders match). A key with a `_one` variant uses it when the `count`
 * parameter is 1 (English; Korean has no plural forms).
 */

export type { MessageKey };
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const LOCALES: readonly Locale[] = ['en', 'ko'];
export const DEFAULT_LOCALE: Locale = 'en';
export const LOCALE_COOKIE = 'ss-locale';

export const DICTIONARIES: Record<Locale, Record<string, string>> = { en, ko };

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'ko';
}

/** The locale from a saved choice, else from the browser's preferred languages. */
export function pickLocale(saved: string | null | undefined, acceptLanguage?: string | null): Locale {
  if (isLocale(saved)) return saved;
  if (acceptLanguage) {
    for (const part of acceptLanguage.split(',')) {
      const tag = part.split(';')[0].trim().toLowerCase();
      if (tag.startsWith('ko')) return 'ko';
      if (tag.startsWith('en')) return 'en';
    }
  }
  return DEFAULT_LOCALE;
}

export function interpolate(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const dictionary = DICTIONARIES[locale] ?? en;
  let text: string | undefined;
  if (params && (params.count === 1 || params.count === '1')) text = dictionary[`${key}_one`];
  text ??= dictionary[key] ?? (en as Record<string, string>)[key] ?? key;
  return interpolate(text, params);
}

export function translator(locale: Locale): Translate {
  return (key, params) => translate(locale, key, params);
}
