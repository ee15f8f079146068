'use client';

import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { MIN_PASSWORD_LENGTH } from '@/lib/model/user';
import { useI18n } from '../i18n/locale-provider';
import { errorMessage } from '../ui/states';

/**
 * A modal form for a new password, typed twice (and the current one when `askCurrent`): used to
 * change my own password and by an admin to reset someone else's. `save` gets the new password
 * and the current one; the server's refusal is shown in the dialog.
 */
export function PasswordDialog({
  title,
  askCurrent,
  save,
  onClose,
  submitLabel,
  children,
}: {
  title: string;
  askCurrent: boolean;
  save: (password: string, currentPassword: string) => Promise<void>;
  onClose: () => void;
  submitLabel: string;
  children?: ReactNode;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (next.length < MIN_PASSWORD_LENGTH) return setProblem(t('password.tooShort', { count: next.length }));
    if (next !== repeat) return setProblem(t('password.mismatch'));
    setBusy(true);
    setProblem(null);
    try {
      await save(next, current);
      onClose();
    } catch (error) {
      setProblem(errorMessage(error, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog password-dialog"
      aria-labelledby="password-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={(event) => void submit(event)} className="stack-form">
        <h2 id="password-title">{title}</h2>
        {children}
        {askCurrent && (
          <label className="field-label">
            {t('password.current')}
            <input type="password" autoComplete="current-password" required value={current} onChange={(event) => setCurrent(event.target.value)} />
          </label>
        )}
        <label className="field-label">
          {t('password.new')}
          <input type="password" autoComplete="new-password" required value={next} onChange={(event) => setNext(event.target.value)} />
          <span className="muted small">{t('signin.passwordRule')}</span>
        </label>
        <label className="field-label">
          {t('password.repeat')}
          <input type="password" autoComplete="new-password" required value={repeat} onChange={(event) => setRepeat(event.target.value)} />
        </label>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
