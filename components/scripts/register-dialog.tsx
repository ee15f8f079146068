'use client';

import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api } from '@/lib/ui/api-client';
import type { Diagnostic, RunTarget } from '@/lib/ui/api-types';
import { formatValue } from '@/lib/ui/format';
import { classifyPreview, registerChoice, type RegisterPreview } from '@/lib/ui/register-preview';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge } from '../ui/badges';
import { errorMessage } from '../ui/states';

/**
 * The Register dialog of the script editor and of the scripts list's switch: before registering, the
 * script runs once on the latest values (the same evaluation as the engine's, nothing published) and
 * the dialog shows what the engine would do — its output values, its errors with line and column,
 * the inputs it would wait for and the nulls it would publish. A clean run offers "Register"; a run
 * that fails offers only "Register anyway" (secondary, red); code that does not compile cannot be
 * registered at all.
 */

export interface RegisterRequest {
  name: string;
  /** What to run: the editor's draft, or a saved script by id. */
  target: RunTarget;
  /** The editor's unsaved changes are saved before registering. */
  saveFirst?: boolean;
  /** Shows a diagnostic's line in the code editor (editor only). */
  onReveal?: (diagnostic: Diagnostic) => void;
}

type Phase = { state: 'running' } | { state: 'done'; preview: RegisterPreview } | { state: 'unreachable'; message: string };

function RegisterDialog({ request, onClose }: { request: RegisterRequest; onClose: (register: boolean) => void }) {
  const { t } = useI18n();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [phase, setPhase] = useState<Phase>({ state: 'running' });
  const { target } = request;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    api
      .validate(target, { signal: controller.signal })
      .then((answer) => setPhase({ state: 'done', preview: classifyPreview(answer) }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setPhase({ state: 'unreachable', message: errorMessage(error, t) });
      });
    return () => controller.abort();
    // Runs once per dialog; a language switch only rewords it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [target]);

  const close = (register: boolean) => {
    dialogRef.current?.close();
    onClose(register);
  };

  const choice = phase.state === 'done' ? registerChoice(phase.preview.outcome) : phase.state === 'unreachable' ? 'registerAnyway' : 'none';
  const registerLabel = request.saveFirst ? t('preview.saveAndRegister') : t('preview.register');
  const anywayLabel = request.saveFirst ? t('preview.saveAndRegisterAnyway') : t('preview.registerAnyway');

  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog register-dialog"
      aria-labelledby="register-title"
      data-testid="register-dialog"
      data-outcome={phase.state === 'done' ? phase.preview.outcome : phase.state}
      onCancel={(event) => {
        event.preventDefault();
        close(false);
      }}
    >
      <h2 id="register-title">{t('preview.title', { name: request.name })}</h2>
      <div className="confirm-body">
        {phase.state === 'running' && (
          <p className="muted" role="status">
            {t('preview.running')}
          </p>
        )}
        {phase.state === 'unreachable' && (
          <div className="error-banner" role="alert">
            {t('preview.unreachable', { message: phase.message })}
          </div>
        )}
        {phase.state === 'done' && <PreviewBody preview={phase.preview} onReveal={request.onReveal ? (d) => (close(false), request.onReveal?.(d)) : undefined} />}
        {request.saveFirst && choice !== 'none' && <p className="warning-text small">{t('editor.registerSavesFirst')}</p>}
      </div>
      <div className="dialog-actions">
        {choice === 'registerAnyway' && (
          <button type="button" className="button danger-outline" onClick={() => close(true)} data-testid="register-anyway">
            {anywayLabel}
          </button>
        )}
        <button type="button" className={`button${choice === 'register' ? '' : ' primary'}`} onClick={() => close(false)} autoFocus={choice !== 'register'}>
          {choice === 'none' && phase.state === 'done' ? t('preview.close') : t('common.cancel')}
        </button>
        {choice === 'register' && (
          <button type="button" className="button primary" onClick={() => close(true)} autoFocus data-testid="register-confirm">
            {registerLabel}
          </button>
        )}
      </div>
    </dialog>
  );
}

function PreviewBody({ preview, onReveal }: { preview: RegisterPreview; onReveal?: (diagnostic: Diagnostic) => void }) {
  const { t, locale } = useI18n();
  const outputs = Object.entries(preview.outputs);
  const where = (d: Diagnostic) =>
    d.line === undefined ? '' : t('preview.at', { part: t(d.source === 'init' ? 'editor.initCode' : 'editor.calcCode'), line: d.line, column: d.column ?? 1 });
  const lead: Record<RegisterPreview['outcome'], ReactNode> = {
    clean: <p data-testid="preview-lead">{t('preview.clean')}</p>,
    warnings: <p data-testid="preview-lead">{t('preview.warningsLead')}</p>,
    fails: (
      <p className="error-text" data-testid="preview-lead">
        <strong>{t('preview.failsLead')}</strong>
      </p>
    ),
    invalid: (
      <p className="error-text" data-testid="preview-lead">
        <strong>{t('preview.invalidLead')}</strong>
      </p>
    ),
  };
  return (
    <>
      {lead[preview.outcome]}
      {preview.errors.length > 0 && (
        <ul className="preview-problems" data-testid="preview-errors">
          {preview.errors.map((d, index) => (
            <li key={index} className="error-text">
              {where(d) && <strong>{where(d)}: </strong>}
              {d.message}
              {onReveal && d.line !== undefined && d.source !== 'definition' && (
                <>
                  {' '}
                  <button type="button" className="button small" onClick={() => onReveal(d)}>
                    {t('problems.goTo')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {preview.outcome === 'fails' && preview.waitingFor.length > 0 && <p className="small">{t('preview.failsMaybeMissing')}</p>}
      {(preview.waitingFor.length > 0 || preview.nullInputs.length > 0 || preview.nullOutputs.length > 0 || preview.otherWarnings.length > 0) && (
        <ul className="preview-problems" data-testid="preview-warnings">
          {preview.waitingFor.map((input) => (
            <li key={`w-${input.tag}`} className="warning-text">
              {t('preview.waits', { tag: input.tag, alias: input.alias })}
            </li>
          ))}
          {preview.nullInputs.map((input) => (
            <li key={`n-${input.tag}`} className="warning-text">
              {t('preview.nullInput', { tag: input.tag, alias: input.alias })}
            </li>
          ))}
          {preview.nullOutputs.map((tag) => (
            <li key={`o-${tag}`} className="warning-text">
              {t('preview.nullOutput', { tag })}
            </li>
          ))}
          {preview.otherWarnings.map((d, index) => (
            <li key={`x-${index}`} className="warning-text">
              {where(d) && `${where(d)}: `}
              {d.message}
            </li>
          ))}
        </ul>
      )}
      {outputs.length > 0 && (
        <table className="data-table compact" data-testid="preview-outputs">
          <caption className="muted small">{t('preview.outputsCaption')}</caption>
          <tbody>
            {outputs.map(([tag, output]) => (
              <tr key={tag}>
                <td>{tag}</td>
                <td className="num">{formatValue(locale, output.value)}</td>
                <td>
                  <QualityBadge quality={output.quality} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** `ask` opens the dialog and resolves true when the user chose to register; render `dialog`. */
export function useRegisterDialog(): { ask: (request: RegisterRequest) => Promise<boolean>; dialog: ReactNode } {
  const [open, setOpen] = useState<(RegisterRequest & { resolve: (register: boolean) => void }) | null>(null);
  const ask = useCallback((request: RegisterRequest) => new Promise<boolean>((resolve) => setOpen({ ...request, resolve })), []);
  const dialog = open ? (
    <RegisterDialog
      request={open}
      onClose={(register) => {
        open.resolve(register);
        setOpen(null);
      }}
    />
  ) : null;
  return { ask, dialog };
}
