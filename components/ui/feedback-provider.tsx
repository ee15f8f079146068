'use client';

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/locale-provider';

/**
 * Confirmation dialogs (a native <dialog>: focus is trapped and Escape cancels) and notices (an
 * aria-live region: screen readers announce them). One of each for the whole app.
 */

export interface ConfirmOptions {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
}

export type NoticeKind = 'success' | 'error' | 'info';

interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
}

interface Feedback {
  confirm: (options: ConfirmOptions) => Promise<boolean>;
  notify: (kind: NoticeKind, text: string) => void;
}

const FeedbackContext = createContext<Feedback | null>(null);

export function FeedbackProvider({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [request, setRequest] = useState<(ConfirmOptions & { resolve: (ok: boolean) => void }) | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);

  const confirm = useCallback(
    (options: ConfirmOptions) =>
      new Promise<boolean>((resolve) => {
        setRequest({ ...options, resolve });
      }),
    [],
  );

  useEffect(() => {
    const dialog = dialogRef.current;
    if (request && dialog && !dialog.open) dialog.showModal();
  }, [request]);

  const close = (ok: boolean) => {
    dialogRef.current?.close();
    request?.resolve(ok);
    setRequest(null);
  };

  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((notice) => notice.id !== id)), []);

  const notify = useCallback(
    (kind: NoticeKind, text: string) => {
      const id = nextId.current++;
      setNotices((list) => [...list.slice(-3), { id, kind, text }]);
      if (kind !== 'error') window.setTimeout(() => dismiss(id), 5000);
    },
    [dismiss],
  );

  const value = useMemo(() => ({ confirm, notify }), [confirm, notify]);

  return (
    <FeedbackContext.Provider value={value}>
      {children}
      <dialog
        ref={dialogRef}
        className={`confirm-dialog${request?.danger ? ' danger' : ''}`}
        aria-labelledby="confirm-title"
        onCancel={(event) => {
          event.preventDefault();
          close(false);
        }}
      >
        {request && (
          <form
            method="dialog"
            onSubmit={(event) => {
              event.preventDefault();
              close(true);
            }}
          >
            <h2 id="confirm-title">{request.title}</h2>
            {request.body && <div className="confirm-body">{request.body}</div>}
            <div className="dialog-actions">
              <button type="button" className="button" onClick={() => close(false)} autoFocus={request.danger}>
                {request.cancelLabel ?? t('common.cancel')}
              </button>
              <button type="submit" className={`button ${request.danger ? 'danger' : 'primary'}`} autoFocus={!request.danger}>
                {request.confirmLabel}
              </button>
            </div>
          </form>
        )}
      </dialog>
      <div className="notices" aria-live="polite" role="status">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice ${notice.kind}`} data-testid={`notice-${notice.kind}`}>
            <span>{notice.text}</span>
            <button type="button" className="icon-button" aria-label={t('common.dismiss')} onClick={() => dismiss(notice.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </FeedbackContext.Provider>
  );
}

export function useFeedback(): Feedback {
  const context = useContext(FeedbackContext);
  if (!context) throw new Error('useFeedback outside FeedbackProvider');
  return context;
}
