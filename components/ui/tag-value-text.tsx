'use client';

import type { Quality, TagScalar } from '@/lib/ui/api-types';
import { exactValue, formatValue } from '@/lib/ui/format';
import { qualityTitle } from '@/lib/ui/tag-meta-form';
import { useI18n } from '../i18n/locale-provider';

/**
 * A tag's value as every view shows it: red when bad, amber when uncertain, with the reason (or the
 * quality) and the exact value (the text is rounded: lib/ui/format.ts) as its title, and the unit after it. `showReason` also writes the reason under the value.
 */
export function TagValueText({
  value,
  quality,
  reason,
  unit,
  showReason = false,
  className,
  testId,
  ts,
}: {
  value: TagScalar | undefined;
  quality: Quality;
  reason?: string;
  unit?: string | null;
  showReason?: boolean;
  className?: string;
  testId?: string;
  ts?: string;
}) {
  const { t, locale } = useI18n();
  const exact = value === null || value === undefined ? undefined : exactValue(value);
  const title = [exact, qualityTitle(quality, reason, t)].filter(Boolean).join(' · ') || undefined;
  return (
    <span className={`tag-value q-${quality}${className ? ` ${className}` : ''}`} title={title} data-quality={quality} data-testid={testId} data-ts={ts}>
      {formatValue(locale, value)}
      {unit ? <span className="value-unit"> {unit}</span> : null}
      {showReason && quality !== 'good' && reason ? <span className="value-reason">{reason}</span> : null}
    </span>
  );
}
