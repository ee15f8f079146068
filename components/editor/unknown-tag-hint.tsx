'use client';

import { useEffect, useState } from 'react';
import { api } from '@/lib/ui/api-client';
import { closestTag } from '@/lib/ui/tag-suggestion';
import { useI18n } from '../i18n/locale-provider';

/** Enough for any plant's catalog; asked once per unknown tag. */
const CATALOG_LIMIT = 10_000;

interface UnknownTagHintProps {
  tag: string;
  /** Tags the script already uses or produces (not offered). */
  unavailable: readonly string[];
  onUse: (tag: string) => void;
}

/** Under an input whose tag answers 404: says so, and offers the closest existing tag ("did you mean FT-101.PV"). */
export function UnknownTagHint({ tag, unavailable, onUse }: UnknownTagHintProps) {
  const { t } = useI18n();
  const [suggestion, setSuggestion] = useState<string | null>(null);
  const skip = unavailable.join('\u0000');

  useEffect(() => {
    const controller = new AbortController();
    const taken = new Set(skip.split('\u0000'));
    api
      .listTags('', CATALOG_LIMIT, { signal: controller.signal })
      .then((tags) => setSuggestion(closestTag(tag, tags.map((entry) => entry.tag).filter((name) => !taken.has(name)))))
      .catch(() => setSuggestion(null));
    return () => controller.abort();
  }, [tag, skip]);

  return (
    <span className="field-error unknown-tag" role="status" data-testid="unknown-tag">
      {suggestion ? t('inputs.didYouMean', { tag, suggestion }) : t('inputs.unknownTag', { tag })}
      {suggestion && (
        <button type="button" className="link-button" onClick={() => onUse(suggestion)} data-testid="use-suggestion">
          {t('inputs.useSuggestion', { suggestion })}
        </button>
      )}
    </span>
  );
}
