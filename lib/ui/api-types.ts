/**
 * The shapes of the HTTP API (api.md) as the browser sees them. Kept here, apart from the server's zod
 * schemas, so the client bundle carries no validation code; the shapes follow the same document.
 */

export type Quality = 'good' | 'uncertain' | 'bad';
export type TagScalar = number | boolean | string | null;
export type DiagnosticSource = 'init' | 'calc' | 'definition';
export type DiagnosticKind = 'syntax' | 'reference' | 'runtime' | 'timeout' | 'memory' | 'output' | 'definition';

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  source: DiagnosticSource;
  line?: number;
  column?: number;
  kind: DiagnosticKind;
}

export interface ScriptInput {
  tag: string;
  alias: string;
}

export interface ScriptOutput {
  tag: string;
  variable: string;
  deadband?: number;
}

export type Trigger = { type: 'onChange'; inputs?: string[] } | { type: 'periodic'; intervalMs: number };

export interface ScriptDraft {
  name: string;
  description?: string;
  inputs: ScriptInput[];
  initCode?: string;
  calcCode: string;
  outputs: ScriptOutput[];
  trigger?: Trigger;
}

export type ScriptState = 'unregistered' | 'registered' | 'quarantined';

export interface ScriptStatus {
  state: ScriptState;
  lastError: Diagnostic | null;
  lastRunAt: string | null;
  evaluations: number;
  errors: number;
  avgMicros: number;
  missingInputs?: string[];
}

export interface Script extends ScriptDraft {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  status: ScriptStatus;
}

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

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'SCRIPT_INVALID'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** What a run (validate, calculate, debug, benchmark, plot) is given: an editor draft or a saved script. */
export type RunTarget = { script: Partial<ScriptDraft> & Omit<ScriptDraft, 'name'> } | { scriptId: string };
