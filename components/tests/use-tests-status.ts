'use client';

import { useEffect, useRef, useState } from 'react';
import type { Script } from '@/lib/ui/api-types';
import { scriptsToTest, testsStatusKey, testsStatusOf, type TestsStatus } from '@/lib/ui/test-cases';
import { versionsApi } from '@/lib/ui/versions-api';

const STORAGE_KEY = 'ss-tests-status';

function readKept(): Record<string, TestsStatus> {
  try {
    return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, TestsStatus>;
  } catch {
    return {};
  }
}

/**
 * The tests status of each listed script: its saved version's regression tests, run through
 * POST /api/scripts/test { scriptId } one script at a time, and kept per version for the browser
 * session (a version's tests and code never change, so neither does its result).
 */
export function useTestsStatus(scripts: readonly Script[] | null): (script: Script) => TestsStatus {
  // Read once in the browser (the list renders no badge before its scripts are loaded there).
  const [known, setKnown] = useState<Record<string, TestsStatus>>(() => (typeof window === 'undefined' ? {} : readKept()));
  const busy = useRef(false);
  const failed = useRef(new Set<string>());

  useEffect(() => {
    if (!scripts || busy.current) return;
    const todo = scriptsToTest(scripts, new Set([...Object.keys(known), ...failed.current]));
    const next = todo[0];
    if (!next) return;
    busy.current = true;
    const key = testsStatusKey(next);
    versionsApi
      .runTests({ scriptId: next.id })
      .then((report) => {
        busy.current = false;
        setKnown((now) => {
          const updated = { ...now, [key]: testsStatusOf(report) };
          try {
            window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(updated));
          } catch {
            // no storage: kept in memory only
          }
          return updated;
        });
      })
      .catch(() => {
        // Shown as unknown; not asked again on this page.
        busy.current = false;
        failed.current.add(key);
        setKnown((now) => ({ ...now }));
      });
  }, [scripts, known]);

  return (script) => {
    if (!script.tests?.length) return { kind: 'none' };
    const key = testsStatusKey(script);
    return known[key] ?? (failed.current.has(key) ? { kind: 'unknown' } : { kind: 'pending' });
  };
}
