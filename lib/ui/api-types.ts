import type { Quality, TagScalar, ValueReason } from '../model/tag-value';
import type { Diagnostic } from '../model/diagnostic';
import type { ScriptDraft } from '../model/script-schema';
import type { ErrorCode } from '../model/errors';
import type { CalcResult } from '../editor-runs/calculate-script';
import type { DebugResult } from '../editor-runs/debug-script';

/**
 * The shapes of the HTTP API (api.md) as the browser sees them: the server's own types where it has
 * them (imported as types only, so the client bundle carries no validation code), and the JSON
 * shapes of the answers (timestamps as ISO strings) here.
 */

export type { Quality, TagScalar, ValueReason } from '../model/tag-value';
export type { Diagnostic, DiagnosticKind, DiagnosticSource } from '../model/diagnostic';
export type { ScriptDraft, ScriptInput, ScriptOutput, Trigger } from '../model/script-schema';
export type { Script, ScriptState, ScriptStatus } from '../model/script';
export type { ErrorCode } from '../model/errors';
export type { CalcResult } from '../editor-runs/calculate-script';
export type { DebugResult } from '../editor-runs/debug-script';
export type { InputOverride } from '../editor-runs/resolve-run-target';

export type CalcInput = CalcResult['inputs'][string];

export interface ValidateResponse {
  ok: boolean;
  diagnostics: Diagnostic[];
  result: CalcResult | null;
}

export type DebugStep = DebugResult['trace'][number];
export type DebugLog = DebugResult['logs'][number];

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
  /** When the server reports it: bad points are drawn as gaps, uncertain ones as amber marks. */
  quality?: Quality;
  reason?: string;
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
  /** Why the value reports a failure or a stop (messages.md); absent otherwise. */
  reason?: ValueReason;
  /** Tag metadata (product.md item 7); null or absent when not known. */
  description?: string | null;
  unit?: string | null;
  lo?: number | null;
  hi?: number | null;
}

export interface ScriptRef {
  id: string;
  name: string;
}

/** Whether DELETE /api/tags/{tag} would remove the tag now, and why not. */
export type TagRemoval =
  | { allowed: true }
  | {
      allowed: false;
      code: 'produced' | 'read' | 'recent';
      message: string;
      script?: ScriptRef;
      scripts?: ScriptRef[];
      source?: 'raw' | 'script';
      lastValueAt?: string;
      removableAt?: string;
      retentionDays?: number;
    };

export interface TagDetail extends TagValue {
  removal?: TagRemoval;
}

export interface TagMeta {
  tag: string;
  description: string | null;
  unit: string | null;
  lo: number | null;
  hi: number | null;
}

export interface HistoryPoint {
  ts: string;
  value: TagScalar;
  quality: Quality;
  reason?: string;
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
