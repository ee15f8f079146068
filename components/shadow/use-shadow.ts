'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort } from '@/lib/ui/api-client';
import { shadowApi, type ShadowJson, type ShadowSeriesJson } from '@/lib/ui/shadow-api';
import { documentVisibility, pollWhileVisible } from '@/lib/ui/shadow-view';

export const SHADOW_REFRESH_MS = 2000;

const browserTimers = { setInterval: (callback: () => void, ms: number) => window.setInterval(callback, ms), clearInterval: (handle: unknown) => window.clearInterval(handle as number) };
/** Points per side and output asked for the diff plot. */
export const SHADOW_PLOT_POINTS = 500;

export interface ShadowView {
  /** undefined until the first answer; null: no shadow runs for the script. */
  shadow: ShadowJson | null | undefined;
  series: ShadowSeriesJson | null;
  /** The last refresh failed (the last answer stays shown). */
  error: unknown;
  /** Ask again now (after a start, promote or stop). */
  refresh: () => void;
}

/**
 * The script's shadow run and its series, refreshed every 2 s while the tab is visible (a hidden tab
 * asks nothing). A 404 means no shadow runs.
 */
export function useShadow(scriptId: string | null): ShadowView {
  const [shadow, setShadow] = useState<ShadowJson | null | undefined>(undefined);
  const [series, setSeries] = useState<ShadowSeriesJson | null>(null);
  const [error, setError] = useState<unknown>(null);
  const tickRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    if (!scriptId) return;
    let stopped = false;
    let controller: AbortController | null = null;
    const tick = async () => {
      controller?.abort();
      const current = new AbortController();
      controller = current;
      try {
        const next = await shadowApi.get(scriptId, { signal: current.signal });
        if (stopped) return;
        setShadow(next);
        setError(null);
        const points = await shadowApi.series(scriptId, SHADOW_PLOT_POINTS, { signal: current.signal });
        if (!stopped) setSeries(points);
      } catch (failure) {
        if (stopped || isAbort(failure)) return;
        if (failure instanceof ApiError && failure.status === 404 && failure.code === 'NOT_FOUND') {
          setShadow(null);
          setSeries(null);
          setError(null);
          return;
        }
        setError(failure);
      }
    };
    tickRef.current = () => void tick();
    const stop = pollWhileVisible(documentVisibility(document), SHADOW_REFRESH_MS, () => void tick(), browserTimers);
    return () => {
      stopped = true;
      controller?.abort();
      stop();
      tickRef.current = () => undefined;
    };
  }, [scriptId]);

  const refresh = useCallback(() => tickRef.current(), []);
  return { shadow, series, error, refresh };
}
