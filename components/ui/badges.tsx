'use client';

import type { Quality, ScriptState } from '@/lib/ui/api-types';
import { useI18n } from '../i18n/locale-provider';

/** `testId`: the page's own badge is `state-badge`; a second one on the same page names itself. */
export function StateBadge({ state, testId = 'state-badge' }: { state: ScriptState; testId?: string }) {
  const { t } = useI18n();
  return (
    <span className={`badge state-${state}`} data-testid={testId} data-state={state}>
      {t(`state.${state}`)}
    </span>
  );
}

export function QualityBadge({ quality }: { quality: Quality }) {
  const { t } = useI18n();
  return <span className={`badge quality-${quality}`}>{t(`quality.${quality}`)}</span>;
}

export function SourceBadge({ source }: { source: 'raw' | 'script' }) {
  const { t } = useI18n();
  return <span className={`badge source-${source}`}>{t(`source.${source}`)}</span>;
}
