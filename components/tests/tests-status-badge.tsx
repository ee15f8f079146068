'use client';

import type { TestsStatus } from '@/lib/ui/test-cases';
import { useI18n } from '../i18n/locale-provider';

/** A script's regression tests in the scripts list: passed, failed (how many), no tests, or being run. */
export function TestsStatusBadge({ status }: { status: TestsStatus }) {
  const { t } = useI18n();
  switch (status.kind) {
    case 'none':
      return (
        <span className="muted small" data-testid="tests-status" data-status="none">
          {t('tests.list.none')}
        </span>
      );
    case 'pending':
      return (
        <span className="muted small" data-testid="tests-status" data-status="pending">
          {t('tests.list.pending')}
        </span>
      );
    case 'unknown':
      return (
        <span className="muted small" data-testid="tests-status" data-status="unknown" title={t('tests.list.unknownHint')}>
          {t('tests.list.unknown')}
        </span>
      );
    case 'passed':
      return (
        <span className="badge tests-passed" data-testid="tests-status" data-status="passed">
          {t('tests.list.passed', { count: status.total })}
        </span>
      );
    case 'failed':
      return (
        <span className="badge tests-failed" data-testid="tests-status" data-status="failed">
          {t('tests.list.failed', { failed: status.failed, total: status.total })}
        </span>
      );
  }
}
