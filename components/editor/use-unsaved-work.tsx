'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import type { ScriptDraft } from '@/lib/ui/api-types';
import { clearDraft, writeDraft } from '@/lib/ui/draft-storage';
import { guardState, isGuardState, leavingLink, mustAsk } from '@/lib/ui/leave-guard';
import { draftFingerprint } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';

const DRAFT_WRITE_DELAY_MS = 500;

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Unsaved changes are never lost silently: closing or reloading the tab asks (the browser's own
 * prompt), an in-app link and Back ask in the app's dialog, and the changes are kept in the browser's
 * storage as the user types so a reload or a crash can offer them back.
 */
export function useUnsavedWork(options: {
  /** The form differs from what was opened or last saved. */
  changed: boolean;
  /** The script's id, or null for a new one (the draft is kept under "new"). */
  storageId: string | null;
  draft: ScriptDraft | null;
  baseVersion: number | null;
  /** False while a kept draft is offered: it must not be overwritten before the user decides. */
  keepDrafts: boolean;
}): void {
  const { changed, storageId, draft, baseVersion, keepDrafts } = options;
  const { t } = useI18n();
  const { confirm } = useFeedback();
  const router = useRouter();
  const leaving = useRef(false);
  const latest = useRef({ draft, storageId, baseVersion });
  useEffect(() => {
    latest.current = { draft, storageId, baseVersion };
  }, [draft, storageId, baseVersion]);

  // ---- the kept draft ----
  const fingerprint = draft ? draftFingerprint(draft) : '';
  useEffect(() => {
    const storage = browserStorage();
    if (!keepDrafts || !storage || !fingerprint) return;
    if (!changed) {
      clearDraft(storage, storageId);
      return;
    }
    const write = () => {
      const { draft: current, storageId: id, baseVersion: version } = latest.current;
      if (current && !leaving.current) writeDraft(storage, id, current, version, new Date());
    };
    const timer = window.setTimeout(write, DRAFT_WRITE_DELAY_MS);
    // A reload or a closed tab within the delay still keeps the last keystrokes.
    const flush = () => {
      window.clearTimeout(timer);
      write();
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.clearTimeout(timer);
      window.removeEventListener('pagehide', flush);
    };
  }, [keepDrafts, changed, storageId, fingerprint]);

  // ---- leaving ----
  useEffect(() => {
    if (!changed) return;
    const ask = () =>
      confirm({
        title: t('editor.leaveTitle'),
        body: <p>{t('editor.leaveBody')}</p>,
        confirmLabel: t('editor.leaveConfirm'),
        cancelLabel: t('editor.leaveCancel'),
        danger: true,
      });
    const leave = () => {
      leaving.current = true;
      const storage = browserStorage();
      if (storage) clearDraft(storage, latest.current.storageId);
    };

    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!mustAsk({ changed: true, leaving: leaving.current })) return;
      event.preventDefault();
      event.returnValue = '';
    };

    const onClick = (event: MouseEvent) => {
      const element = (event.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
      const anchor = element ? { href: element.href, target: element.target, download: element.hasAttribute('download') } : null;
      const target = leavingLink(event, anchor, window.location.href);
      if (target === null || !mustAsk({ changed: true, leaving: leaving.current })) return;
      event.preventDefault();
      event.stopPropagation();
      void ask().then((ok) => {
        if (!ok) return;
        leave();
        // The guard entry Back would have popped is replaced, so Back later returns here once.
        if (isGuardState(window.history.state)) router.replace(target);
        else router.push(target);
      });
    };

    // Back first pops a guard entry of this same page; then the page asks, and goes back for real
    // only when the user says so.
    if (!isGuardState(window.history.state)) window.history.pushState(guardState(window.history.state), '', window.location.href);
    const onPopState = () => {
      if (!mustAsk({ changed: true, leaving: leaving.current })) return;
      void ask().then((ok) => {
        if (ok) {
          leave();
          window.history.back();
        } else {
          window.history.pushState(guardState(window.history.state), '', window.location.href);
        }
      });
    };

    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener('popstate', onPopState);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      window.removeEventListener('popstate', onPopState);
      document.removeEventListener('click', onClick, true);
      // Saved (nothing to lose any more): the guard entry goes, so one Back leaves the page.
      if (!leaving.current && isGuardState(window.history.state)) window.history.back();
    };
  }, [changed, confirm, router, t]);
}
