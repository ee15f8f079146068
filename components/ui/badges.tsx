'use client';

import type { Quality, ScriptState } from '@/lib/ui/api-types';
import { useI18n } from '../i18n/locale-provider';

export function StateBadge({ state }: { state: ScriptState }) {
  const { t } = useI18n();
  return (
    <span className={`badge state-${state}`} data-testid="state-badge" data-state={state}>
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
