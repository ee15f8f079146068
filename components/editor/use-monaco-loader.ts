'use client';

import { loader } from '@monaco-editor/react';
import { useEffect, useState } from 'react';
import type { Locale } from '@/lib/ui/format';
import { configureMonacoLoader, loadMonacoMessages } from './monaco-setup';

/**
 * Loads Monaco from the app itself (never a CDN) with its messages in `locale`, for the code editor
 * and the diff editor. Monaco's language is the one in use when it first loads (it cannot switch
 * without a reload). `failed`: it could not load — the caller shows the text without Monaco.
 */
export function useMonacoLoader(locale: Locale): { messagesReady: boolean; failed: boolean } {
  const [failed, setFailed] = useState(false);
  const [messagesReady, setMessagesReady] = useState(false);
  configureMonacoLoader();
  useEffect(() => {
    let cancelled = false;
    void loadMonacoMessages(locale).then(() => {
      if (cancelled) return;
      setMessagesReady(true);
      loader.init().catch((error: unknown) => {
        if (!cancelled && (error as { type?: string } | null)?.type !== 'cancelation') setFailed(true);
      });
    });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return { messagesReady, failed };
}
