'use client';

import { useCallback } from 'react';
import type { TestReport } from '@/lib/model/script-tests';
import { failedTestsOf } from '@/lib/ui/versions-api';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { FailingTests } from './test-result-details';

export type GatedAction = 'save' | 'register' | 'restore';

/**
 * A change the regression tests may refuse (changes.md: 422 TESTS_FAILED on registering, or on
 * saving or restoring a version of a registered script). When they fail, the failing cases are
 * shown with "… anyway", which tries again with `?force=true` — recorded in the audit trail.
 * Resolves to the change's answer, or null when the user kept the script as it was.
 */
export function useTestsGate(onReport?: (report: TestReport) => void) {
  const { t } = useI18n();
  const { confirm } = useFeedback();
  return useCallback(
    async <T,>(action: GatedAction, attempt: (force: boolean) => Promise<T>): Promise<T | null> => {
      try {
        return await attempt(false);
      } catch (error) {
        const report = failedTestsOf(error);
        if (!report) throw error;
        onReport?.(report);
        const ok = await confirm({
          title: t(`tests.gate.${action}Title`),
          body: (
            <>
              <FailingTests report={report} />
              <p className="warning-text small" data-testid="force-note">
                {t('tests.gate.audited')}
              </p>
            </>
          ),
          confirmLabel: t(`tests.gate.${action}Anyway`),
          cancelLabel: t(`tests.gate.${action}Keep`),
          danger: true,
        });
        if (!ok) return null;
        return attempt(true);
      }
    },
    [t, confirm, onReport],
  );
}
