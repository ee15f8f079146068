'use client';

import { useEffect, useState } from 'react';
import { api } from '@/lib/ui/api-client';
import type { PlotResponse } from '@/lib/ui/api-types';

/** The engineering unit of each tag of a plot (from its metadata; null when it has none or is unknown). */
export function useTagUnits(plot: PlotResponse | null): Record<string, string | null> {
  const [units, setUnits] = useState<Record<string, string | null>>({});
  const key = plot ? [...new Set(plot.series.map((series) => series.tag))].sort().join('\u0000') : '';

  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    void Promise.all(
      key.split('\u0000').map(async (tag) => {
        try {
          return [tag, (await api.getTag(tag, { signal: controller.signal })).unit ?? null] as const;
        } catch {
          return [tag, null] as const;
        }
      }),
    ).then((entries) => {
      if (!controller.signal.aborted) setUnits(Object.fromEntries(entries));
    });
    return () => controller.abort();
  }, [key]);

  return units;
}
