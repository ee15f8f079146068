'use client';

import { exactValue, formatValue, type Locale } from '@/lib/ui/format';
import type { TagScalar } from '@/lib/ui/api-types';
import { displayValue } from '@/lib/ui/trace-stepper';

/** A value rounded for reading (lib/ui/format.ts), its exact value on hover. */
export function ValueText({ value, locale, className, testId }: { value: TagScalar | undefined; locale: Locale; className?: string; testId?: string }) {
  return (
    <span className={className} title={value === null || value === undefined ? undefined : exactValue(value)} data-testid={testId}>
      {formatValue(locale, value)}
    </span>
  );
}

/** A debug variable's value (any JSON), numbers rounded, the exact value on hover. */
export function TraceValueText({ value, locale }: { value: unknown; locale: Locale }) {
  return <span title={exactValue(value)}>{displayValue(value, 120, locale)}</span>;
}
