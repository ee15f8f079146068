'use client';

import type { StoredDraft } from '@/lib/ui/draft-storage';
import { formatTime } from '@/lib/ui/format';
import { useI18n } from '../i18n/locale-provider';

interface DraftOfferProps {
  offer: StoredDraft;
  /** The version of the saved script now (null for a new script). */
  savedVersion: number | null;
  onRestore: () => void;
  onDiscard: () => void;
}

/** "Restore unsaved changes from <time>?" — the draft kept in the browser after a reload or a crash. */
export function DraftOffer({ offer, savedVersion, onRestore, onDiscard }: DraftOfferProps) {
  const { t, locale } = useI18n();
  const newer = savedVersion !== null && offer.baseVersion !== null && savedVersion > offer.baseVersion;
  return (
    <div className="info-banner draft-offer" role="alert" data-testid="draft-offer">
      <span>
        <strong>{t('draft.offer', { time: formatTime(locale, offer.savedAt) })}</strong>
        {newer && <span className="warning-text"> {t('draft.newerVersion', { base: offer.baseVersion ?? 0, version: savedVersion })}</span>}
      </span>
      <span className="draft-offer-actions">
        <button type="button" className="button primary" onClick={onRestore} data-testid="draft-restore">
          {t('draft.restore')}
        </button>
        <button type="button" className="button ghost" onClick={onDiscard} data-testid="draft-discard">
          {t('draft.discard')}
        </button>
      </span>
    </div>
  );
}
