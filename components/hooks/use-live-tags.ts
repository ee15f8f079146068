'use client';

import { useEffect, useState } from 'react';
import { api, ApiError } from '@/lib/ui/api-client';
import type { TagValue } from '@/lib/ui/api-types';
import { TagPolling } from '@/lib/ui/tag-polling';

/**
 * The latest value of each of `tags`, refreshed every `intervalMs` while the page is open. A tag that
 * answers 404 is shown as null and asked for again only after a back-off (no request on every refresh).
 */
export function useLiveTags(tags: readonly string[], intervalMs = 2000): Record<string, TagValue | null> {
  const [values, setValues] = useState<Record<string, TagValue | null>>({});
  const key = [...new Set(tags.filter(Boolean))].sort().join('\u0000');

  useEffect(() => {
    const wanted = key ? key.split('\u0000') : [];
    if (wanted.length === 0) return;
    let stopped = false;
    const controller = new AbortController();
    const polling = new TagPolling();
    async function refresh() {
      const entries = await Promise.all(
        polling.due(wanted, Date.now()).map(async (tag) => {
          try {
            const value = await api.getTag(tag, { signal: controller.signal });
            polling.found(tag);
            return [tag, value] as const;
          } catch (error) {
            // 404: the tag does not exist (yet); other errors keep the last value shown.
            if (error instanceof ApiError && error.status === 404) {
              polling.notFound(tag, Date.now());
              return [tag, null] as const;
            }
            return [tag, undefined] as const;
          }
        }),
      );
      if (stopped) return;
      setValues((previous) => {
        const next: Record<string, TagValue | null> = {};
        for (const tag of wanted) next[tag] = previous[tag] ?? null;
        for (const [tag, value] of entries) next[tag] = value === undefined ? (previous[tag] ?? null) : value;
        return next;
      });
    }
    void refresh();
    const timer = window.setInterval(() => void refresh(), intervalMs);
    return () => {
      stopped = true;
      controller.abort();
      window.clearInterval(timer);
    };
  }, [key, intervalMs]);

  return values;
}

/** A clock for "5 seconds ago" labels, ticking every `intervalMs`. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}
