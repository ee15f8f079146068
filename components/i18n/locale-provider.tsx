'use client';

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Locale } from '@/lib/ui/format';
import { LOCALE_COOKIE, translate, type MessageKey, type Params, type Translate } from '@/lib/ui/i18n/translate';

interface I18n {
  locale: Locale;
  t: Translate;
  setLocale: (locale: Locale) => void;
}

const I18nContext = createContext<I18n | null>(null);

/**
 * The UI language. The server renders the page in the language of the cookie (so there is no flash
 * of English); switching rewrites the cookie and re-renders in place, keeping unsaved work.
 */
export function LocaleProvider({ initialLocale, children }: { initialLocale: Locale; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    document.cookie = `${LOCALE_COOKIE}=${next}; path=/; max-age=31536000; samesite=lax`;
    try {
      window.localStorage.setItem(LOCALE_COOKIE, next);
    } catch {
      // storage may be disabled; the cookie is enough
    }
    document.documentElement.lang = next;
  }, []);
  const value = useMemo<I18n>(
    () => ({ locale, setLocale, t: (key: MessageKey, params?: Params) => translate(locale, key, params) }),
    [locale, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error('useI18n outside LocaleProvider');
  return context;
}
