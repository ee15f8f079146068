'use client';

import { useCallback, useRef, useState } from 'react';
import type { TestReport } from '@/lib/model/script-tests';
import { errorMessage } from '../ui/states';
import { versionsApi } from '@/lib/ui/versions-api';
import type { ScriptDraft } from '@/lib/ui/api-types';
import type { Translate } from '@/lib/ui/i18n/translate';

export interface TestRuns {
  running: boolean;
  report: TestReport | null;
  error: string | null;
  /** The draft (code and tests) the report is about: a later edit makes it stale. */
  key: string | null;
}

type RunnableDraft = Omit<ScriptDraft, 'name'> & { name?: string };

/**
 * The Tests tab's runs: POST /api/scripts/test with the draft as edited (its tests included). Run
 * by "Run all", after each save, and filled by a 422 TESTS_FAILED's results.
 */
export function useTestRuns(t: Translate) {
  const [runs, setRuns] = useState<TestRuns>({ running: false, report: null, error: null, key: null });
  const latest = useRef(0);
  const run = useCallback(
    async (script: RunnableDraft): Promise<TestReport | null> => {
      const key = JSON.stringify(script);
      const ticket = ++latest.current;
      setRuns((state) => ({ ...state, running: true, error: null }));
      try {
        const report = await versionsApi.runTests({ script });
        if (ticket === latest.current) setRuns({ running: false, report, error: null, key });
        return report;
      } catch (error) {
        if (ticket === latest.current) setRuns((state) => ({ ...state, running: false, error: errorMessage(error, t) }));
        return null;
      }
    },
    [t],
  );
  /** Results from elsewhere (a refused save or register) about this draft. */
  const show = useCallback((report: TestReport, script: RunnableDraft) => setRuns({ running: false, report, error: null, key: JSON.stringify(script) }), []);
  return { runs, run, show };
}
