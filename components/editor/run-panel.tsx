'use client';

import type { ReactNode } from 'react';
import type { BenchmarkResult, CalcResult, DebugResult, Diagnostic, TagValue } from '@/lib/ui/api-types';
import { formatDateTime, formatInteger, formatMicros, formatMillis, formatTime } from '@/lib/ui/format';
import { TraceValueText, ValueText } from '../ui/value-text';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import type { InputRow } from '@/lib/ui/script-form';
import { variablesAt, type StepAction } from '@/lib/ui/trace-stepper';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge } from '../ui/badges';
import { CalcStateControls, RunWarnings } from './calc-extras';
import { OverrideRow } from './override-row';
import { isOverridden, type OverrideFields } from '@/lib/ui/overrides';

export type RunTab = 'calculate' | 'debug' | 'benchmark' | 'tests';

export interface RunStatus<T> {
  running: boolean;
  result: T | null;
  error: string | null;
}

export interface DebugView extends RunStatus<DebugResult> {
  index: number;
  /** The code changed since this trace was taken. */
  stale: boolean;
  keepState: boolean;
}

interface RunPanelProps {
  tab: RunTab;
  onTab: (tab: RunTab) => void;
  inputs: readonly InputRow[];
  live: Record<string, TagValue | null>;
  overrides: Record<string, OverrideFields>;
  onOverride: (alias: string, change: Partial<OverrideFields>) => void;
  onClearOverrides: () => void;
  calc: RunStatus<CalcResult>;
  calcState: { keep: boolean; note: string | null };
  onCalcKeepState: (keep: boolean) => void;
  onResetState: () => void;
  debug: DebugView;
  bench: RunStatus<BenchmarkResult> & { durationMs: number };
  onCalculate: () => void;
  onDebug: () => void;
  onStep: (action: StepAction) => void;
  onStepTo: (index: number) => void;
  onKeepState: (keep: boolean) => void;
  onBenchmark: () => void;
  onBenchDuration: (ms: number) => void;
  onReveal: (diagnostic: Diagnostic) => void;
  shortcutCalc: string;
  /** The Tests tab's content (components/tests/tests-pane.tsx). */
  testsPane?: ReactNode;
}

const BENCH_DURATIONS = [500, 1000, 2000, 5000];

function DiagnosticLine({ diagnostic, onReveal }: { diagnostic: Diagnostic; onReveal: (d: Diagnostic) => void }) {
  const { t, locale } = useI18n();
  return (
    <div className="error-banner" role="alert" data-testid="run-error" data-code={diagnostic.code}>
      <span>
        <strong>{t('run.failed')}</strong> {diagnosticText(locale, diagnostic)}
      </span>
      {diagnostic.line !== undefined && diagnostic.source !== 'definition' && (
        <button type="button" className="button small" onClick={() => onReveal(diagnostic)}>
          {t('problems.goTo')}
        </button>
      )}
    </div>
  );
}

/** A table's one row saying it has none. */
function EmptyRow({ columns, children }: { columns: number; children: string }) {
  return (
    <tr>
      <td colSpan={columns} className="muted">
        {children}
      </td>
    </tr>
  );
}

function ResultTables({ result }: { result: CalcResult }) {
  const { t, locale } = useI18n();
  const statics = Object.entries(result.staticVars ?? {});
  return (
    <div className="result-grid">
      <div>
        <h3>{t('run.inputs')}</h3>
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">{t('inputs.alias')}</th>
              <th scope="col" className="num">{t('run.value')}</th>
              <th scope="col">{t('run.quality')}</th>
              <th scope="col">{t('run.time')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(result.inputs).map(([tag, input]) => (
              <tr key={tag}>
                <td title={tag}>
                  <code>{input.alias}</code> <span className="muted small">{tag}</span>
                </td>
                <td className="num">
                  <ValueText value={input.value} locale={locale} />
                </td>
                <td>
                  <QualityBadge quality={input.quality} />
                </td>
                <td className="small">{formatTime(locale, input.ts)}</td>
              </tr>
            ))}
            {Object.keys(result.inputs).length === 0 && (
              <EmptyRow columns={4}>{t('run.noInputs')}</EmptyRow>
            )}
          </tbody>
        </table>
      </div>
      <div>
        <h3>{t('run.outputs')}</h3>
        <table className="data-table compact" data-testid="calc-outputs">
          <thead>
            <tr>
              <th scope="col">{t('outputs.tag')}</th>
              <th scope="col" className="num">{t('run.value')}</th>
              <th scope="col">{t('run.quality')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(result.outputs).map(([tag, output]) => (
              <tr key={tag}>
                <td>{tag}</td>
                <td className="num output-value">
                  <ValueText value={output.value} locale={locale} testId="output-value" />
                </td>
                <td>
                  <QualityBadge quality={output.quality} />
                </td>
              </tr>
            ))}
            {Object.keys(result.outputs).length === 0 && (
              <EmptyRow columns={3}>{t('run.noOutputs')}</EmptyRow>
            )}
          </tbody>
        </table>
        <h3>{t('run.staticVars')}</h3>
        {statics.length === 0 ? (
          <p className="muted small">{t('run.noStaticVars')}</p>
        ) : (
          <table className="data-table compact">
            <tbody>
              {statics.map(([name, value]) => (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td className="num">
                    <TraceValueText value={value} locale={locale} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

export function RunPanel(props: RunPanelProps) {
  const { t, locale } = useI18n();
  const { tab, onTab, inputs, live, overrides, calc, debug, bench } = props;
  const overrideCount = inputs.filter((input) => isOverridden(overrides[input.alias])).length;
  const tabs: Array<{ id: RunTab; label: string }> = [
    { id: 'calculate', label: t('run.tabCalculate') },
    { id: 'debug', label: t('run.tabDebug') },
    { id: 'benchmark', label: t('run.tabBenchmark') },
    ...(props.testsPane ? [{ id: 'tests' as const, label: t('run.tabTests') }] : []),
  ];

  const trace = debug.result?.trace ?? [];
  const step = trace[debug.index];
  const rows = variablesAt(trace, debug.index);

  return (
    <section className="run-panel panel" aria-labelledby="run-title">
      <div className="run-head">
        <h2 id="run-title" className="panel-title">
          {t('run.title')}
        </h2>
        <div role="tablist" aria-label={t('run.title')} className="tabs">
          {tabs.map((item) => (
            <button
              key={item.id}
              type="button"
              role="tab"
              id={`run-tab-${item.id}`}
              aria-selected={tab === item.id}
              aria-controls={`run-pane-${item.id}`}
              className={`tab${tab === item.id ? ' active' : ''}`}
              onClick={() => onTab(item.id)}
              data-testid={`run-tab-${item.id}`}
            >
              {item.label}
            </button>
          ))}
        </div>
      </div>

      <details className="overrides">
        <summary>
          {t('run.overrides')}
          {overrideCount > 0 && <span className="badge info">{t('run.overridesActive', { count: overrideCount })}</span>}
        </summary>
        {inputs.length === 0 ? (
          <p className="muted small">{t('run.overridesNone')}</p>
        ) : (
          <div className="override-grid">
            <p className="hint">{t('run.overridesHint')}</p>
            <p className="hint">{t('run.overridesHintMore')}</p>
            {inputs.map((input) => (
              <OverrideRow key={input.key} input={input} live={live[input.tag]} fields={overrides[input.alias]} onChange={(change) => props.onOverride(input.alias, change)} />
            ))}
            {overrideCount > 0 && (
              <button type="button" className="button small ghost" onClick={props.onClearOverrides}>
                {t('run.clearOverrides')}
              </button>
            )}
          </div>
        )}
      </details>

      {tab === 'calculate' && (
        <div role="tabpanel" id="run-pane-calculate" aria-labelledby="run-tab-calculate" className="run-pane">
          <div className="run-actions">
            <button type="button" className="button primary" onClick={props.onCalculate} disabled={calc.running} data-testid="calculate" title={props.shortcutCalc}>
              {calc.running ? t('run.calculating') : t('run.calculate')}
              <kbd>{props.shortcutCalc}</kbd>
            </button>
            {calc.result && (
              <span className="muted small" data-testid="calc-summary">
                {t('run.calculatedAt', { time: formatDateTime(locale, calc.result.calcAt), duration: formatMillis(locale, calc.result.durationMs) })}
              </span>
            )}
            <CalcStateControls keep={props.calcState.keep} note={props.calcState.note} disabled={calc.running} onKeep={props.onCalcKeepState} onReset={props.onResetState} />
          </div>
          {calc.error && (
            <div className="error-banner" role="alert">
              {calc.error}
            </div>
          )}
          {calc.result?.error && <DiagnosticLine diagnostic={calc.result.error} onReveal={props.onReveal} />}
          {calc.result && <RunWarnings result={calc.result} />}
          {calc.result && <ResultTables result={calc.result} />}
          {!calc.result && !calc.error && <p className="muted">{t('run.calculateHint')}</p>}
        </div>
      )}

      {tab === 'debug' && (
        <div role="tabpanel" id="run-pane-debug" aria-labelledby="run-tab-debug" className="run-pane">
          <div className="run-actions">
            <button type="button" className="button primary" onClick={props.onDebug} disabled={debug.running} data-testid="debug-run">
              {debug.running ? t('run.debugging') : debug.result ? t('run.debugAgain') : t('run.debugStart')}
            </button>
            <label className="checkbox small">
              <input type="checkbox" checked={debug.keepState} onChange={(event) => props.onKeepState(event.target.checked)} />
              {t('run.keepState')}
            </label>
          </div>
          {debug.error && (
            <div className="error-banner" role="alert">
              {debug.error}
            </div>
          )}
          {!debug.result && !debug.error && <p className="muted">{t('run.debugHint')}</p>}
          {debug.result && (
            <>
              {debug.result.error && <DiagnosticLine diagnostic={debug.result.error} onReveal={props.onReveal} />}
              {debug.stale && <p className="warning-text small">{t('run.traceStale')}</p>}
              {debug.result.truncated && <p className="warning-text small">{t('run.truncated', { count: formatInteger(locale, trace.length) })}</p>}
              {trace.length === 0 ? (
                <p className="muted">{t('run.noTrace')}</p>
              ) : (
                <>
                  <div className="stepper" role="group" aria-label={t('run.stepper')}>
                    <button type="button" className="button small" onClick={() => props.onStep('first')} disabled={debug.index === 0} aria-label={t('run.first')} title={t('run.first')}>
                      «
                    </button>
                    <button type="button" className="button small" onClick={() => props.onStep('previous')} disabled={debug.index === 0} data-testid="step-previous" title="Shift+F10">
                      ◀ {t('run.previous')}
                    </button>
                    <button type="button" className="button small primary" onClick={() => props.onStep('next')} disabled={debug.index >= trace.length - 1} data-testid="step-next" title="F10">
                      {t('run.next')} ▶ <kbd>F10</kbd>
                    </button>
                    <button type="button" className="button small" onClick={() => props.onStep('last')} disabled={debug.index >= trace.length - 1} aria-label={t('run.last')} title={t('run.last')}>
                      »
                    </button>
                    <input
                      type="range"
                      min={0}
                      max={Math.max(0, trace.length - 1)}
                      value={debug.index}
                      onChange={(event) => props.onStepTo(Number(event.target.value))}
                      aria-label={t('run.slider')}
                      aria-valuetext={t('run.position', { n: debug.index + 1, total: trace.length, part: '', line: step?.line ?? '' })}
                      className="step-slider"
                      data-testid="step-slider"
                    />
                    <span className="step-position" data-testid="step-position">
                      {step &&
                        t('run.position', {
                          n: formatInteger(locale, debug.index + 1),
                          total: formatInteger(locale, trace.length),
                          part: t(step.source === 'init' ? 'editor.initCode' : 'editor.calcCode'),
                          line: step.line,
                        })}
                    </span>
                  </div>
                  <div className="result-grid">
                    <div>
                      <h3>{t('run.variables')}</h3>
                      {rows.length === 0 ? (
                        <p className="muted small">{t('run.noVariables')}</p>
                      ) : (
                        <table className="data-table compact vars-table" data-testid="debug-vars">
                          <thead>
                            <tr>
                              <th scope="col">{t('run.variable')}</th>
                              <th scope="col">{t('run.value')}</th>
                              <th scope="col">{t('run.before')}</th>
                            </tr>
                          </thead>
                          <tbody>
                            {rows.map((row) => (
                              <tr key={row.name} className={row.changed ? 'changed' : undefined} data-changed={row.changed ? 'true' : 'false'}>
                                <td>
                                  <code>{row.name}</code>
                                  {row.changed && (
                                    <span className="badge changed-badge" title={t('run.changedHint')}>
                                      {row.added ? t('run.new') : t('run.changed')}
                                    </span>
                                  )}
                                </td>
                                <td className="mono">
                                  <TraceValueText value={row.value} locale={locale} />
                                </td>
                                <td className="mono muted">{row.changed && !row.added && debug.index > 0 ? <TraceValueText value={row.previous} locale={locale} /> : ''}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      )}
                    </div>
                    <div>
                      <h3>{t('run.logs')}</h3>
                      {debug.result.logs.length === 0 ? (
                        <p className="muted small">{t('run.noLogs')}</p>
                      ) : (
                        <ul className="logs" data-testid="debug-logs">
                          {debug.result.logs.map((log, index) => (
                            <li key={index} className={`log ${log.level}`}>
                              {log.line !== undefined && log.line > 0 && (
                                <span className="muted small">
                                  {log.source === 'init' ? `${t('editor.initCode')}, ` : ''}
                                  {t('run.logLine', { line: log.line })}
                                </span>
                              )}
                              <span className="mono">{log.message}</span>
                            </li>
                          ))}
                        </ul>
                      )}
                      <h3>{t('run.outputs')}</h3>
                      <table className="data-table compact">
                        <tbody>
                          {Object.entries(debug.result.outputs).map(([tag, output]) => (
                            <tr key={tag}>
                              <td>{tag}</td>
                              <td className="num">
                                <ValueText value={output.value} locale={locale} />
                              </td>
                              <td>
                                <QualityBadge quality={output.quality} />
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </div>
                </>
              )}
            </>
          )}
        </div>
      )}

      {tab === 'tests' && props.testsPane}

      {tab === 'benchmark' && (
        <div role="tabpanel" id="run-pane-benchmark" aria-labelledby="run-tab-benchmark" className="run-pane">
          <div className="run-actions">
            <label className="inline-field">
              {t('run.benchFor')}
              <select value={bench.durationMs} onChange={(event) => props.onBenchDuration(Number(event.target.value))}>
                {BENCH_DURATIONS.map((ms) => (
                  <option key={ms} value={ms}>
                    {t('run.seconds', { n: formatNumberPlain(ms / 1000) })}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="button primary" onClick={props.onBenchmark} disabled={bench.running} data-testid="benchmark-run">
              {bench.running ? t('run.benchRunning') : t('run.benchStart')}
            </button>
          </div>
          {bench.error && (
            <div className="error-banner" role="alert">
              {bench.error}
            </div>
          )}
          {!bench.result && !bench.error && <p className="muted">{t('run.benchHint')}</p>}
          {bench.result && (
            <dl className="bench-stats" data-testid="benchmark-result">
              <div>
                <dt>{t('run.iterations')}</dt>
                <dd>{formatInteger(locale, bench.result.iterations)}</dd>
              </div>
              <div>
                <dt>{t('run.avg')}</dt>
                <dd>{formatMicros(locale, bench.result.avgMicros)}</dd>
              </div>
              <div>
                <dt>p50</dt>
                <dd>{formatMicros(locale, bench.result.p50Micros)}</dd>
              </div>
              <div>
                <dt>p99</dt>
                <dd>{formatMicros(locale, bench.result.p99Micros)}</dd>
              </div>
              <div>
                <dt>{t('run.max')}</dt>
                <dd>{formatMicros(locale, bench.result.maxMicros)}</dd>
              </div>
              <div>
                <dt>{t('run.total')}</dt>
                <dd>{formatMillis(locale, bench.result.totalMs)}</dd>
              </div>
            </dl>
          )}
          {bench.result && (bench.result.errors ?? 0) > 0 && (
            <p className="warning-text" role="alert">
              {t('run.benchErrors', { count: formatInteger(locale, bench.result.errors ?? 0) })}
            </p>
          )}
          {bench.result && <p className="muted small">{t('run.benchNote', { rate: formatInteger(locale, bench.result.avgMicros > 0 ? 1_000_000 / bench.result.avgMicros : 0) })}</p>}
        </div>
      )}
    </section>
  );
}

function formatNumberPlain(n: number): string {
  return String(n);
}
