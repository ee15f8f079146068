'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '@/lib/ui/api-client';
import type { BenchmarkResult, CalcResult, Diagnostic, Script, ScriptDraft } from '@/lib/ui/api-types';
import { outputCandidates, type DefinedVariable } from '@/lib/ui/code-variables';
import { diagnosticsToMarkers, sameDiagnostics } from '@/lib/ui/diagnostic-markers';
import { clearDraft, draftToOffer, readDraft, type StoredDraft } from '@/lib/ui/draft-storage';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { translate } from '@/lib/ui/i18n/translate';
import { fieldsOf, overridesFor, type OverrideFields } from '@/lib/ui/overrides';
import { renameAliasInCode } from '@/lib/ui/rename-alias';
import { scriptDeclarations, type DeclarationTexts } from '@/lib/ui/script-declarations';
import {
  addInput,
  draftFingerprint,
  duplicateDraft,
  emptyForm,
  formFromScript,
  formProblems,
  formToDraft,
  isDirty,
  removeInput,
  renameAlias,
  renameScript,
  SCRIPT_NAME,
  type ExampleTexts,
  type ScriptForm,
} from '@/lib/ui/script-form';
import { shortcutFor, shortcutLabel, type ShortcutAction } from '@/lib/ui/shortcuts';
import { firstInterestingStep, moveStep, clampStep, type StepAction } from '@/lib/ui/trace-stepper';
import type { Locale } from '@/lib/ui/format';
import { useLiveTags, useNow } from '../hooks/use-live-tags';
import { useI18n } from '../i18n/locale-provider';
import { StateBadge } from '../ui/badges';
import { ScriptStatusPanel } from '../scripts/script-status-panel';
import { useFeedback } from '../ui/feedback-provider';
import { EmptyState, ErrorBanner, errorMessage, Loading } from '../ui/states';
import { setAliasRenameContext } from './alias-rename-provider';
import { DraftOffer } from './draft-offer';
import { InputsTable } from './inputs-table';
import { OutputsTable } from './outputs-table';
import { ProblemsList } from './problems-list';
import { RunPanel, type DebugView, type RunStatus, type RunTab } from './run-panel';
import { TriggerEditor } from './trigger-editor';
import { useKeptState } from './use-kept-state';
import { useRegisterDialog } from '../scripts/register-dialog';
import { useUnsavedWork } from './use-unsaved-work';
import { RoleLock } from '../auth/role-lock';
import { ScriptHistory } from '../audit/script-history';
import { ScriptVersions } from '../versions/script-versions';
import { TestsPane } from '../tests/tests-pane';
import { useTestRuns } from '../tests/use-test-runs';
import { useTestsGate } from '../tests/use-tests-gate';
import { versionsApi } from '@/lib/ui/versions-api';
import { ShadowPanel } from '../shadow/shadow-panel';
import { BackfillPanel } from '../backfill/backfill-panel';

const CodeEditor = dynamic(() => import('./code-editor'), {
  ssr: false,
  loading: () => <div className="code-placeholder" aria-hidden="true" />,
});

const VALIDATE_DELAY_MS = 400;
const STATUS_REFRESH_MS = 4000;

function exampleTexts(locale: Locale): ExampleTexts {
  const t = (key: Parameters<typeof translate>[1]) => translate(locale, key);
  return {
    initIntro: t('example.initIntro'),
    initExample: t('example.initExample'),
    calcIntro: t('example.calcIntro'),
    calcInputs: t('example.calcInputs'),
    calcNoInputs: t('example.calcNoInputs'),
    calcHelpers: t('example.calcHelpers'),
    calcOutputs: t('example.calcOutputs'),
  };
}
const ALL_EXAMPLES = [exampleTexts('en'), exampleTexts('ko')];

/** The draft as runs send it: the name only when it is a valid one, the interval within bounds, no tests (the Tests tab sends them). */
function runnableDraft(draft: ScriptDraft): Omit<ScriptDraft, 'name'> & { name?: string } {
  const { name, tests: _tests, ...rest } = draft;
  const trigger = rest.trigger?.type === 'periodic' ? { type: 'periodic' as const, intervalMs: Math.min(86_400_000, Math.max(100, rest.trigger.intervalMs || 1000)) } : rest.trigger;
  return SCRIPT_NAME.test(name) ? { name, ...rest, trigger } : { ...rest, trigger };
}

function isMacPlatform(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
}

interface ScriptEditorProps {
  scriptId: string | null;
  copyOf?: string | null;
}

export function ScriptEditor({ scriptId, copyOf = null }: ScriptEditorProps) {
  // Where unsaved changes are kept in the browser before the script has an id of its own.
  const openedStorageId = scriptId ?? (copyOf ? `copy-${copyOf}` : null);
  const { t, locale } = useI18n();
  const { confirm, notify } = useFeedback();
  const keyCounter = useRef(0);
  const nextKey = useCallback(() => `row${++keyCounter.current}`, []);

  const [loadError, setLoadError] = useState<unknown>(null);
  const [saved, setSaved] = useState<Script | null>(null);
  const [baseline, setBaseline] = useState<ScriptDraft | null>(null);
  const [form, setForm] = useState<ScriptForm | null>(null);
  const [copiedFrom, setCopiedFrom] = useState<string | null>(null);
  // What the editor opened (or last saved): leaving asks, and a draft is kept, only when the form differs.
  const [opened, setOpened] = useState<ScriptDraft | null>(null);
  const [offer, setOffer] = useState<StoredDraft | null>(null);

  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [requestError, setRequestError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [checked, setChecked] = useState(false);
  const [preview, setPreview] = useState<CalcResult | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'register' | 'unregister' | null>(null);
  const [reveal, setReveal] = useState<{ source: 'init' | 'calc'; line: number; column: number; nonce: number } | null>(null);

  const [tab, setTab] = useState<RunTab>('calculate');
  const [overrides, setOverrides] = useState<Record<string, OverrideFields>>({});
  const [calc, setCalc] = useState<RunStatus<CalcResult>>({ running: false, result: null, error: null });
  const [calcState, setCalcState] = useState<{ keep: boolean; note: string | null }>({ keep: false, note: null });
  const calcSession = useKeptState();
  const debugSession = useKeptState();
  const [debug, setDebug] = useState<DebugView & { draftKey: string | null }>({ running: false, result: null, error: null, index: 0, stale: false, keepState: false, draftKey: null });
  const [bench, setBench] = useState<RunStatus<BenchmarkResult> & { durationMs: number }>({ running: false, result: null, error: null, durationMs: 1000 });
  const now = useNow(2000);
  const registerDialog = useRegisterDialog();
  // Versions and regression tests (changes.md): the save's message, the Tests tab's runs, and the
  // question a 422 TESTS_FAILED asks ("… anyway" with force, audited).
  const [saveMessage, setSaveMessage] = useState('');
  const testRuns = useTestRuns(t);
  const testsTargetRef = useRef<Omit<ScriptDraft, 'name'>>({ inputs: [], calcCode: '', outputs: [] });
  const testsGate = useTestsGate((report) => {
    testRuns.show(report, testsTargetRef.current);
    setTab('tests');
  });

  // ---- load ----
  useEffect(() => {
    let cancelled = false;
    const openWith = (start: ScriptForm) => {
      const draft = formToDraft(start);
      setOpened(draft);
      setForm(start);
      // Changes kept in the browser after a reload or a crash are offered back.
      try {
        setOffer(draftToOffer(readDraft(window.localStorage, openedStorageId), draft));
      } catch {
        // no storage: nothing was kept
      }
    };
    async function load() {
      try {
        if (scriptId) {
          const script = await api.getScript(scriptId);
          if (cancelled) return;
          const draft = formToDraft(formFromScript(script, nextKey));
          setSaved(script);
          setBaseline(draft);
          openWith(formFromScript(script, nextKey));
        } else if (copyOf) {
          const [original, all] = await Promise.all([api.getScript(copyOf), api.listScripts()]);
          if (cancelled) return;
          setCopiedFrom(original.name);
          openWith(formFromScript(duplicateDraft(original, all.map((s) => s.name)), nextKey));
        } else {
          openWith(emptyForm(exampleTexts(locale), nextKey));
        }
      } catch (error) {
        if (!cancelled) setLoadError(error);
      }
    }
    void load();
    return () => {
      cancelled = true;
    };
    // The language only picks the example of a new script; switching later keeps the user's code.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scriptId, copyOf, nextKey]);

  // The state of a saved script changes as the engine runs it.
  const savedId = saved?.id ?? null;
  useEffect(() => {
    if (!savedId) return;
    const timer = window.setInterval(async () => {
      try {
        const fresh = await api.getScript(savedId);
        setSaved((current) => (current && current.id === fresh.id ? { ...current, status: fresh.status, version: fresh.version } : current));
      } catch {
        // keep the last known status
      }
    }, STATUS_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [savedId]);

  const draft = useMemo(() => (form ? formToDraft(form) : null), [form]);
  const runKey = useMemo(() => (draft ? JSON.stringify(runnableDraft(draft)) : ''), [draft]);
  const testsTarget = useMemo(() => (runKey && draft ? { ...(JSON.parse(runKey) as Omit<ScriptDraft, 'name'>), ...(draft.tests ? { tests: draft.tests } : {}) } : null), [runKey, draft]);
  testsTargetRef.current = testsTarget ?? testsTargetRef.current;
  const problems = useMemo(() => (form ? formProblems(form) : []), [form]);
  const dirty = form !== null && (baseline === null || isDirty(form, baseline));
  const changed = draft !== null && opened !== null && draftFingerprint(draft) !== draftFingerprint(opened);
  useUnsavedWork({ changed, storageId: saved?.id ?? openedStorageId, draft, baseVersion: saved?.version ?? null, keepDrafts: offer === null });
  const live = useLiveTags(form?.inputs.map((input) => input.tag) ?? []);

  // ---- live validation ----
  useEffect(() => {
    if (!runKey) return;
    const controller = new AbortController();
    setChecking(true);
    const timer = window.setTimeout(async () => {
      try {
        const answer = await api.validate({ script: JSON.parse(runKey) }, { signal: controller.signal });
        setDiagnostics((current) => (sameDiagnostics(current, answer.diagnostics) ? current : answer.diagnostics));
        setPreview(answer.result);
        setRequestError(null);
      } catch (error) {
        if (controller.signal.aborted) return;
        setDiagnostics([]);
        setPreview(null);
        setRequestError(errorMessage(error, t));
      } finally {
        if (!controller.signal.aborted) {
          setChecking(false);
          setChecked(true);
        }
      }
    }, VALIDATE_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
    // t only words the error; a language switch need not re-validate.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runKey]);

  const initMarkers = useMemo(() => diagnosticsToMarkers(diagnostics, 'init', form?.initCode ?? '', (d) => diagnosticText(locale, d)), [diagnostics, form?.initCode, locale]);
  const calcMarkers = useMemo(() => diagnosticsToMarkers(diagnostics, 'calc', form?.calcCode ?? '', (d) => diagnosticText(locale, d)), [diagnostics, form?.calcCode, locale]);

  // Variables offered to outputs; the last list found while the code is mid-edit stays.
  const variables: DefinedVariable[] = useMemo(() => (form ? outputCandidates(form.initCode, form.calcCode) : []), [form]);

  const declarationTexts: DeclarationTexts = useMemo(
    () => ({
      inputDoc: (input) => t('decl.input', { tag: input.tag }),
      helpers: {
        clamp: t('decl.clamp'),
        avg: t('decl.avg'),
        sum: t('decl.sum'),
        round: t('decl.round'),
        isGood: t('decl.isGood'),
        ctx: t('decl.ctx'),
        now: t('decl.now'),
        input: t('decl.inputFn'),
        previous: t('decl.previous'),
        setQuality: t('decl.setQuality'),
        console: t('decl.console'),
      },
    }),
    [t],
  );
  const typeKey = (form?.inputs ?? []).map((input) => `${input.alias}:${input.tag}:${typeof live[input.tag]?.value}`).join('|');
  const outputNames = useMemo(() => (form ? [...form.outputs.map((o) => o.variable), ...form.outputs.map((o) => o.tag)].filter(Boolean) : []), [form]);
  const declarations = useMemo(
    () =>
      scriptDeclarations(
        (form?.inputs ?? []).map((input) => ({ alias: input.alias, tag: input.tag, sample: live[input.tag]?.value })),
        outputNames,
        declarationTexts,
      ),
    // Re-declared when aliases, tags or value types change, not on every new value.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [typeKey, outputNames.join('|'), declarationTexts],
  );

  // ---- edits ----
  const update = (change: (form: ScriptForm) => ScriptForm) => setForm((current) => (current ? change(current) : current));
  const current = exampleTexts(locale);

  // ---- alias renames (the inputs table and the code follow each other) ----
  const renameAliasTo = (from: string, to: string) =>
    update((f) => {
      const row = f.inputs.find((input) => input.alias === from);
      return row ? renameAlias(f, row.key, to, ALL_EXAMPLES, exampleTexts(locale)) : f;
    });
  const renameHandler = useRef(renameAliasTo);
  renameHandler.current = renameAliasTo;
  const aliasList = (form?.inputs ?? []).map((input) => input.alias).join('\u0000');
  useEffect(() => {
    setAliasRenameContext({
      aliases: aliasList ? aliasList.split('\u0000') : [],
      onRenamed: (from, to) => renameHandler.current(from, to),
      messages: {
        invalid: (name) => t('alias.renameInvalid', { name }),
        conflict: (from, to) => t('alias.renameConflict', { from, to }),
        syntax: (from, line) => t('alias.renameSyntax', { from, line }),
      },
    });
    return () => setAliasRenameContext(null);
  }, [aliasList, t]);

  /** The alias field was changed: offer to rename the variable in the code as well. */
  const offerAliasRenameInCode = async (from: string, to: string) => {
    if (!form) return;
    const parts = [renameAliasInCode(form.initCode, from, to), renameAliasInCode(form.calcCode, from, to)];
    const failed = parts.find((part) => !part.ok);
    if (failed && !failed.ok) {
      // Said only when the old name is in the code at all.
      if (`${form.initCode}\n${form.calcCode}`.includes(from)) {
        notify('error', failed.reason === 'conflict' ? t('alias.renameConflict', { from, to }) : t('alias.renameSyntax', { from, line: failed.line ?? 1 }));
      }
      return;
    }
    const count = parts.reduce((sum, part) => sum + (part.ok ? part.count : 0), 0);
    if (count === 0) return;
    const ok = await confirm({
      title: t('alias.renameTitle', { from, to }),
      body: <p>{t('alias.renameBody', { from, count })}</p>,
      confirmLabel: t('alias.renameConfirm'),
      cancelLabel: t('alias.renameKeep'),
    });
    if (!ok) return;
    update((f) => {
      const init = renameAliasInCode(f.initCode, from, to);
      const calc = renameAliasInCode(f.calcCode, from, to);
      return { ...f, initCode: init.ok ? init.code : f.initCode, calcCode: calc.ok ? calc.code : f.calcCode };
    });
  };

  // ---- runs ----
  const runTarget = () => ({ script: JSON.parse(runKey) as Omit<ScriptDraft, 'name'> });
  const runOverrides = () =>
    overridesFor(overrides, form?.inputs.map((input) => input.alias) ?? [], Object.fromEntries((form?.inputs ?? []).map((input) => [input.alias, live[input.tag]?.value])));

  const calculate = async () => {
    if (!runKey) return;
    setTab('calculate');
    setCalc((state) => ({ ...state, running: true, error: null }));
    try {
      if (calcState.keep) {
        const { result, restarted } = await calcSession.run(runKey, runTarget().script, runOverrides());
        const reason = restarted === 'code' ? t('run.stateRestartedCode') : t('run.stateRestartedExpired');
        setCalcState((state) => ({ ...state, note: restarted ? t('run.stateRestarted', { reason }) : null }));
        setCalc({ running: false, result, error: null });
        return;
      }
      const result = await api.calculate(runTarget(), runOverrides());
      setCalc({ running: false, result, error: null });
    } catch (error) {
      setCalc({ running: false, result: null, error: errorMessage(error, t) });
    }
  };

  const resetCalcState = async () => {
    if (!runKey) return;
    try {
      await calcSession.reset(runKey, runTarget().script);
      setCalcState((state) => ({ ...state, note: t('run.stateReset') }));
      setCalc({ running: false, result: null, error: null });
    } catch (error) {
      setCalc({ running: false, result: null, error: errorMessage(error, t) });
    }
  };

  const startDebug = async () => {
    if (!runKey) return;
    setTab('debug');
    setDebug((state) => ({ ...state, running: true, error: null }));
    const key = runKey;
    try {
      const result = debug.keepState ? (await debugSession.run(key, runTarget().script, runOverrides())).result : await api.debug(runTarget(), runOverrides());
      setDebug((state) => ({ ...state, running: false, result, error: null, index: firstInterestingStep(result.trace ?? []), draftKey: key }));
    } catch (error) {
      setDebug((state) => ({ ...state, running: false, error: errorMessage(error, t) }));
    }
  };

  const step = (action: StepAction) => {
    setTab('debug');
    if (!debug.result || debug.result.trace.length === 0) {
      if (!debug.running) void startDebug();
      return;
    }
    setDebug((state) => ({ ...state, index: moveStep(state.index, state.result?.trace.length ?? 0, action) }));
  };

  const benchmark = async () => {
    if (!runKey) return;
    setTab('benchmark');
    setBench((state) => ({ ...state, running: true, error: null }));
    try {
      const result = await api.benchmark(runTarget(), bench.durationMs, runOverrides());
      setBench((state) => ({ ...state, running: false, result, error: null }));
    } catch (error) {
      setBench((state) => ({ ...state, running: false, result: null, error: errorMessage(error, t) }));
    }
  };

  // ---- save / register ----
  const showActionError = (error: unknown, what: string) => {
    const message = errorMessage(error, t);
    if (error instanceof ApiError && error.diagnostics.length) setDiagnostics(error.diagnostics);
    // Shown once, in the banner above the editor (which stays until dismissed), not also as a pop-up.
    setActionError(`${what} ${message}`);
  };

  const save = async (options: { quiet?: boolean } = {}): Promise<Script | null> => {
    if (!form || !draft || busy) return null;
    if (problems.some((problem) => problem.code === 'nameEmpty')) {
      setActionError(t('editor.nameFirst'));
      document.getElementById('script-name')?.focus();
      return null;
    }
    if (problems.length > 0) {
      setActionError(t('editor.fixBeforeSave', { count: problems.length }));
      return null;
    }
    if (saved && !dirty) {
      if (!options.quiet) notify('info', t('editor.nothingToSave'));
      return saved;
    }
    if (saved?.status.state === 'registered' && !options.quiet) {
      const ok = await confirm({
        title: t('editor.hotSwapTitle', { name: draft.name }),
        body: <p>{t('editor.hotSwapBody')}</p>,
        confirmLabel: t('editor.hotSwapConfirm'),
      });
      if (!ok) return null;
    }
    setBusy('save');
    setActionError(null);
    try {
      const change = { message: saveMessage };
      const result = await testsGate('save', (force) => (saved ? versionsApi.updateScript(saved.id, draft, { ...change, force }) : versionsApi.createScript(draft, change)));
      if (!result) return null;
      setSaveMessage('');
      setSaved(result);
      setBaseline(draft);
      setOpened(draft);
      if (!saved) clearDraft(window.localStorage, openedStorageId);
      if (!options.quiet) notify('success', t('editor.saved', { name: result.name, version: result.version }));
      if (!saved) window.history.replaceState(null, '', `/scripts/${encodeURIComponent(result.id)}`);
      // The tests run on save: their results in the Tests tab, which opens when one fails.
      if (draft.tests?.length && testsTarget && !options.quiet) void runTestsAfterSave(result);
      return result;
    } catch (error) {
      showActionError(error, t('editor.saveFailed'));
      return null;
    } finally {
      setBusy(null);
    }
  };

  const runTests = async () => {
    if (!testsTarget) return null;
    setTab('tests');
    return testRuns.run(testsTarget);
  };

  const runTestsAfterSave = async (result: Script) => {
    if (!testsTarget) return;
    const report = await testRuns.run(testsTarget);
    if (report && report.failed > 0) {
      setTab('tests');
      notify('error', t('tests.failedAfterSave', { failed: report.failed, total: report.passed + report.failed, version: result.version }));
    }
  };

  /** A version restored from the Versions panel: the editor shows it, saved. */
  const showRestored = (script: Script) => {
    const restored = formFromScript(script, nextKey);
    const restoredDraft = formToDraft(restored);
    setSaved(script);
    setBaseline(restoredDraft);
    setOpened(restoredDraft);
    setForm(restored);
  };

  const register = async () => {
    if (!form || !draft || busy) return;
    const outputs = draft.outputs.map((output) => output.tag).join(', ');
    const ok = await registerDialog.ask({ name: draft.name || t('editor.untitled'), target: runTarget(), saveFirst: dirty || !saved, onReveal });
    if (!ok) return;
    const target = dirty || !saved ? await save({ quiet: true }) : saved;
    if (!target) return;
    setBusy('register');
    setActionError(null);
    try {
      const result = await testsGate('register', (force) => versionsApi.registerScript(target.id, { force }));
      if (!result) return;
      setSaved(result);
      notify('success', t('editor.registered', { name: result.name, outputs }));
    } catch (error) {
      showActionError(error, t('editor.registerFailed'));
    } finally {
      setBusy(null);
    }
  };

  const unregister = async () => {
    if (!saved || busy) return;
    const ok = await confirm({
      title: t('editor.unregisterTitle', { name: saved.name }),
      body: <p>{t('editor.unregisterBody')}</p>,
      confirmLabel: t('editor.unregister'),
      danger: true,
    });
    if (!ok) return;
    setBusy('unregister');
    setActionError(null);
    try {
      const result = await api.unregisterScript(saved.id);
      setSaved(result);
      notify('success', t('editor.unregistered', { name: result.name }));
    } catch (error) {
      showActionError(error, t('editor.unregisterFailed'));
    } finally {
      setBusy(null);
    }
  };

  // ---- keyboard ----
  const handlers = useRef<Record<ShortcutAction, () => void>>({ save: () => undefined, calculate: () => undefined, debugNext: () => undefined, debugPrevious: () => undefined });
  handlers.current = {
    save: () => void save(),
    calculate: () => void calculate(),
    debugNext: () => step('next'),
    debugPrevious: () => step('previous'),
  };
  const onShortcut = useCallback((action: ShortcutAction) => handlers.current[action](), []);
  useEffect(() => {
    // Bubble phase: the code editors handle their own keys first and stop them.
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const action = shortcutFor(event);
      if (!action) return;
      if ((event.target as HTMLElement | null)?.closest?.('dialog[open]')) return;
      event.preventDefault();
      onShortcut(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onShortcut]);

  // ---- render ----
  if (loadError !== null) {
    const missing = loadError instanceof ApiError && loadError.status === 404;
    return (
      <main className="page">
        {missing ? (
          <EmptyState
            title={t('editor.notFound')}
            action={
              <Link href="/" className="button primary">
                {t('editor.backToScripts')}
              </Link>
            }
          >
            <p>{t('editor.notFoundBody')}</p>
          </EmptyState>
        ) : (
          <ErrorBanner error={loadError} onRetry={() => window.location.reload()} />
        )}
      </main>
    );
  }
  if (!form || !draft) {
    return (
      <main className="page">
        <Loading label={t('editor.loading')} />
      </main>
    );
  }

  const trace = debug.result?.trace ?? [];
  const stale = debug.result !== null && debug.draftKey !== runKey;
  const currentStep = !stale && trace.length ? trace[clampStep(debug.index, trace.length)] : null;
  const mac = isMacPlatform();
  const registered = saved?.status.state === 'registered';
  const quarantined = saved?.status.state === 'quarantined';
  const nameProblem = problems.find((p) => p.section === 'name');
  const revealFor = (source: 'init' | 'calc') => (reveal && reveal.source === source ? reveal : null);
  const onReveal = (diagnostic: Diagnostic) => {
    if (diagnostic.source === 'definition' || diagnostic.line === undefined) return;
    setReveal({ source: diagnostic.source, line: diagnostic.line, column: diagnostic.column ?? 1, nonce: Date.now() });
  };

  return (
    <main className="page editor-page">
      {registerDialog.dialog}
      <div className="editor-head">
        <Link href="/" className="back-link">
          ← {t('nav.scripts')}
        </Link>
        <div className="name-field">
          <label htmlFor="script-name" className="field-label">
            {t('editor.name')}
          </label>
          <input
            id="script-name"
            type="text"
            value={form.name}
            placeholder={t('editor.namePlaceholder')}
            spellCheck={false}
            className={nameProblem && form.name !== '' ? 'invalid' : undefined}
            aria-invalid={nameProblem && form.name !== '' ? true : undefined}
            aria-describedby="script-name-help"
            data-testid="script-name"
            onChange={(event) => update((f) => renameScript(f, event.target.value))}
          />
          <span id="script-name-help" className={nameProblem && form.name !== '' ? 'field-error' : 'muted small'}>
            {nameProblem && form.name !== '' ? t('problem.nameInvalid') : t('editor.nameHelp')}
          </span>
        </div>
        <div className="head-status">
          {saved ? <StateBadge state={saved.status.state} /> : <span className="badge state-new">{t('editor.notSaved')}</span>}
          {saved && <span className="muted small">{t('editor.version', { version: saved.version })}</span>}
          {dirty && saved && (
            <span className="badge unsaved" data-testid="unsaved">
              {t('editor.unsaved')}
            </span>
          )}
        </div>
        <div className="head-actions">
          {saved ? (
            <Link href={`/trends?script=${encodeURIComponent(saved.id)}`} className="button ghost" title={dirty ? t('editor.trendsSavedVersion') : undefined} data-testid="open-trends">
              {t('editor.trends')}
            </Link>
          ) : (
            <span className="button ghost disabled" aria-disabled="true" title={t('editor.trendsNeedSave')}>
              {t('editor.trends')}
            </span>
          )}
          <RoleLock needs="editor">
            {(locked) => (
              <input
                type="text"
                className="save-message"
                value={saveMessage}
                maxLength={500}
                disabled={locked}
                placeholder={t('versions.saveMessage')}
                aria-label={t('versions.saveMessageLabel')}
                title={t('versions.saveMessageLabel')}
                data-testid="save-message"
                onChange={(event) => setSaveMessage(event.target.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter') {
                    event.preventDefault();
                    void save();
                  }
                }}
              />
            )}
          </RoleLock>
          <RoleLock needs="editor">
            {(locked) => (
              <button type="button" className="button" onClick={() => void save()} disabled={locked || busy !== null} data-testid="save" title={locked ? undefined : shortcutLabel('save', mac)}>
                {busy === 'save' ? t('editor.saving') : t('editor.save')}
                <kbd>{shortcutLabel('save', mac)}</kbd>
              </button>
            )}
          </RoleLock>
          <RoleLock needs="editor">
            {(locked) =>
              registered ? (
                <button type="button" className="button danger-outline" onClick={() => void unregister()} disabled={locked || busy !== null} data-testid="unregister">
                  {busy === 'unregister' ? t('editor.unregistering') : t('editor.unregister')}
                </button>
              ) : (
                <button type="button" className="button primary" onClick={() => void register()} disabled={locked || busy !== null} data-testid="register">
                  {busy === 'register' ? t('editor.registering') : quarantined ? t('editor.reregister') : t('editor.register')}
                </button>
              )
            }
          </RoleLock>
        </div>
      </div>

      {copiedFrom && !saved && <p className="info-banner">{t('editor.copyOf', { name: copiedFrom })}</p>}
      {/* The runtime state: a quarantine's error once, with its line and the next retry. */}
      {saved && <ScriptStatusPanel script={saved} onReveal={onReveal} />}
      {offer && (
        <DraftOffer
          offer={offer}
          savedVersion={saved?.version ?? null}
          onRestore={() => {
            setForm(formFromScript(offer.draft, nextKey));
            setOffer(null);
          }}
          onDiscard={() => {
            clearDraft(window.localStorage, saved?.id ?? openedStorageId);
            setOffer(null);
          }}
        />
      )}
      {registered && saved?.status.missingInputs && saved.status.missingInputs.length > 0 && (
        <p className="info-banner">{t('editor.waiting', { inputs: saved.status.missingInputs.join(', ') })}</p>
      )}
      {actionError && (
        <div className="error-banner" role="alert" data-testid="action-error">
          <span>{actionError}</span>
          <button type="button" className="icon-button" aria-label={t('common.dismiss')} onClick={() => setActionError(null)}>
            ×
          </button>
        </div>
      )}

      {saved && (
        <ShadowPanel
          script={saved}
          draft={draft}
          formProblemCount={problems.length}
          dirty={dirty}
          onReveal={onReveal}
          onPromoted={(promoted) => {
            const next = formFromScript(promoted, nextKey);
            setSaved(promoted);
            setBaseline(formToDraft(next));
            setOpened(formToDraft(next));
            setForm(next);
          }}
        />
      )}

      {saved && <BackfillPanel script={saved} />}

      <div className="editor-layout">
        <div className="editor-side">
          {!saved && (
            <details className="panel help" open={form.inputs.length === 0}>
              <summary className="panel-title">{t('help.title')}</summary>
              <ol>
                <li>{t('help.step1')}</li>
                <li>{t('help.step2')}</li>
                <li>{t('help.step3')}</li>
                <li>{t('help.step4')}</li>
                <li>{t('help.step5')}</li>
              </ol>
            </details>
          )}
          <section className="panel">
            <label htmlFor="script-description" className="panel-title">
              {t('editor.description')}
            </label>
            <textarea
              id="script-description"
              rows={2}
              value={form.description}
              placeholder={t('editor.descriptionPlaceholder')}
              onChange={(event) => update((f) => ({ ...f, description: event.target.value }))}
            />
          </section>
          <InputsTable
            inputs={form.inputs}
            live={live}
            problems={problems}
            outputTags={form.outputs.map((output) => output.tag)}
            now={now}
            onAdd={(tag) => update((f) => addInput(f, tag, nextKey, ALL_EXAMPLES, current))}
            onAlias={(key, alias) => update((f) => renameAlias(f, key, alias, ALL_EXAMPLES, current))}
            onRemove={(key) => update((f) => removeInput(f, key, ALL_EXAMPLES, current))}
            onAliasCommit={(_key, from, to) => void offerAliasRenameInCode(from, to)}
            onTag={(key, tag) => update((f) => ({ ...f, inputs: f.inputs.map((input) => (input.key === key ? { ...input, tag } : input)) }))}
          />
          <OutputsTable
            outputs={form.outputs}
            variables={variables}
            problems={problems}
            onChange={(key, change) => update((f) => ({ ...f, outputs: f.outputs.map((o) => (o.key === key ? { ...o, ...change } : o)) }))}
            onAdd={() => update((f) => ({ ...f, outputs: [...f.outputs, { key: nextKey(), tag: '', variable: '', deadband: '' }] }))}
            onRemove={(key) => update((f) => ({ ...f, outputs: f.outputs.filter((o) => o.key !== key) }))}
          />
          <TriggerEditor trigger={form.trigger} inputs={form.inputs} problems={problems} onChange={(trigger) => update((f) => ({ ...f, trigger }))} />
          {saved && <ScriptVersions script={saved} dirty={dirty} onRestored={showRestored} onTestsFailed={(report) => testRuns.show(report, testsTargetRef.current)} />}
          {saved && <ScriptHistory script={saved} />}
        </div>

        <div className="editor-main">
          <section className="code-block" aria-labelledby="init-title">
            <div className="code-head">
              <h2 id="init-title" className="panel-title">
                {t('editor.initCode')}
              </h2>
              <span className="muted small">{t('editor.initHelp')}</span>
            </div>
            <CodeEditor
              file="init.js"
              testId="init-editor"
              value={form.initCode}
              onChange={(initCode) => update((f) => ({ ...f, initCode }))}
              markers={initMarkers}
              debugLine={currentStep?.source === 'init' ? currentStep.line : null}
              declarations={declarations}
              height={110}
              label={t('editor.initCode')}
              loadingText={t('editor.loadingEditor')}
              fallbackNote={t('editor.fallback')}
              locale={locale}
              onShortcut={onShortcut}
              reveal={revealFor('init')}
            />
          </section>
          <section className="code-block" aria-labelledby="calc-title">
            <div className="code-head">
              <h2 id="calc-title" className="panel-title">
                {t('editor.calcCode')}
              </h2>
              <span className="muted small">{t('editor.calcHelp')}</span>
            </div>
            <CodeEditor
              file="calc.js"
              testId="calc-editor"
              value={form.calcCode}
              onChange={(calcCode) => update((f) => ({ ...f, calcCode }))}
              markers={calcMarkers}
              debugLine={currentStep?.source === 'calc' ? currentStep.line : null}
              declarations={declarations}
              height={250}
              label={t('editor.calcCode')}
              loadingText={t('editor.loadingEditor')}
              fallbackNote={t('editor.fallback')}
              locale={locale}
              onShortcut={onShortcut}
              reveal={revealFor('calc')}
            />
          </section>
          <ProblemsList
            formProblems={problems.filter((p) => !(p.section === 'name' && form.name === ''))}
            diagnostics={diagnostics}
            requestError={requestError}
            checking={checking}
            checked={checked}
            preview={preview}
            onReveal={onReveal}
          />
          <RunPanel
            tab={tab}
            onTab={setTab}
            inputs={form.inputs}
            live={live}
            overrides={overrides}
            onOverride={(alias, change) => setOverrides((o) => ({ ...o, [alias]: { ...fieldsOf(o[alias]), ...change } }))}
            onClearOverrides={() => setOverrides({})}
            calc={calc}
            calcState={calcState}
            onCalcKeepState={(keep) => {
              if (!keep) calcSession.forget();
              setCalcState({ keep, note: null });
            }}
            onResetState={() => void resetCalcState()}
            debug={{ ...debug, stale }}
            bench={bench}
            onCalculate={() => void calculate()}
            onDebug={() => void startDebug()}
            onStep={step}
            onStepTo={(index) => setDebug((state) => ({ ...state, index: clampStep(index, state.result?.trace.length ?? 0) }))}
            onKeepState={(keepState) => setDebug((state) => ({ ...state, keepState }))}
            onBenchmark={() => void benchmark()}
            onBenchDuration={(durationMs) => setBench((state) => ({ ...state, durationMs }))}
            onReveal={onReveal}
            shortcutCalc={shortcutLabel('calculate', mac)}
            testsPane={
              <TestsPane
                tests={form.tests ?? []}
                outputTags={form.outputs.map((output) => output.tag)}
                lastRun={calc.result}
                runs={testRuns.runs}
                stale={testRuns.runs.key !== JSON.stringify(testsTarget)}
                onRunAll={() => void runTests()}
                onChange={(tests) => update((f) => ({ ...f, tests }))}
                onReveal={onReveal}
              />
            }
          />
        </div>
      </div>
    </main>
  );
}

