import type { Quality, TagScalar } from '../tags/tag-value';
import type { Diagnostic, DiagnosticSource } from '../compiler/diagnostic';
import type { ScriptDraft } from '../scripts/script-schema';
import type { ErrorCode } from '../errors';

/**
 * The shapes of the HTTP API (api.md) as the browser sees them: the server's own types where it has
 * them (imported as types only, so the client bundle carries no validation code), and the JSON
 * shapes of the answers (timestamps as ISO strings) here.
 */

export type { Quality, TagScalar } from '../tags/tag-value';
export type { Diagnostic, DiagnosticKind, DiagnosticSource } from '../compiler/diagnostic';
export type { ScriptDraft, ScriptInput, ScriptOutput, Trigger } from '../scripts/script-schema';
export type { Script, ScriptState, ScriptStatus } from '../scripts/script';
export type { ErrorCode } from '../errors';

export interface CalcInput {
  alias: string;
  value: TagScalar;
  ts: string | null;
  quality: Quality;
}

export interface CalcResult {
  scriptId: string | null;
  name: string | null;
  inputs: Record<string, CalcInput>;
  outputs: Record<string, { value: TagScalar; quality: Quality }>;
  staticVars: Record<string, unknown>;
  calcAt: string;
  durationMs: number;
  error: Diagnostic | null;
}

export interface ValidateResponse {
  ok: boolean;
  diagnostics: Diagnostic[];
  result: CalcResult | null;
}

export interface DebugStep {
  step: number;
  source: 'init' | 'calc';
  line: number;
  column: number;
  vars: Record<string, unknown>;
}

export interface DebugLog {
  level: 'log' | 'warn' | 'error';
  message: string;
  line?: number;
  source?: DiagnosticSource;
}

export interface DebugResult extends CalcResult {
  trace: DebugStep[];
  logs: DebugLog[];
  truncated?: boolean;
}

export interface DebugSession {
  id: string;
  expiresAt: string;
}

export interface BenchmarkResult {
  iterations: number;
  totalMs: number;
  avgMicros: number;
  p50Micros: number;
  p99Micros: number;
  maxMicros: number;
  /** Evaluations that failed (timed like the others). */
  errors?: number;
}

export interface PlotPoint {
  ts: string;
  value: TagScalar;
}

export interface PlotSeries {
  tag: string;
  alias?: string;
  role: 'input' | 'output';
  points: PlotPoint[];
}

export interface PlotResponse {
  series: PlotSeries[];
  evaluations: number;
  errors: number;
  /** The first failed evaluation, or why the replay stopped early. */
  error?: Diagnostic | null;
}

export interface TagValue {
  tag: string;
  value: TagScalar;
  ts: string;
  quality: Quality;
  source: 'raw' | 'script';
}

export interface HistoryPoint {
  ts: string;
  value: TagScalar;
  quality: Quality;
}

export interface HistoryResponse {
  tag: string;
  points: HistoryPoint[];
}

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** What a run (validate, calculate, debug, benchmark, plot) is given: an editor draft or a saved script. */
export type RunTarget = { script: Partial<ScriptDraft> & Omit<ScriptDraft, 'name'> } | { scriptId: string };
