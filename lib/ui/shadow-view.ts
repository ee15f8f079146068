import { ApiError } from './api-client';
import type { Diagnostic, Script, ScriptDraft } from './api-types';
import { plottable, type ChartRow } from './plot-data';
import type { ShadowOutputJson, ShadowPointJson } from './shadow-api';

/**
 * The IDE's side of a shadow run (changes.md "Shadow runs") without React: how often the candidate
 * differs, the rows of the diff plot, what a refused request means for the manager, whether the
 * editor still holds the draft the shadow runs, and a refresh that pauses while the tab is hidden.
 */

/** Share of the comparisons that differed, in percent; null before the first comparison. */
export function differingPercent(output: Pick<ShadowOutputJson, 'compared' | 'differing'>): number | null {
  return output.compared > 0 ? (output.differing / output.compared) * 100 : null;
}

/**
 * The draft a shadow is started with: the editor's, with the saved script's regression tests when the
 * editor does not carry them — promoting saves the candidate as the next version, which must not
 * drop the tests (and they must pass, as on any update).
 */
export function shadowCandidate(draft: ScriptDraft, saved: Pick<Script, 'tests'>): ScriptDraft {
  if ('tests' in draft || !saved.tests) return draft;
  return { ...draft, tests: saved.tests };
}

/** Keys of the diff plot's rows. */
export const LIVE_KEY = 'live';
export const SHADOW_KEY = 'shadow';
export const DIFFERENCE_KEY = 'difference';

function addPoints(rows: Map<number, ChartRow>, key: string, points: readonly ShadowPointJson[]): void {
  for (const point of points) {
    const ts = Date.parse(point.ts);
    if (Number.isNaN(ts)) continue;
    let row = rows.get(ts);
    if (!row) {
      row = { ts } as ChartRow;
      rows.set(ts, row);
    }
    // A bad value is a gap in the line, as in the trends.
    row[key] = point.quality === 'bad' ? null : plottable(point.value);
  }
}

const sortedRows = (rows: Map<number, ChartRow>) => [...rows.values()].sort((a, b) => a.ts - b.ts);

/** The rows of the two charts of one output: live and shadow on one, their difference (shadow − live) on the other. */
export function shadowChartRows(series: { live: readonly ShadowPointJson[]; shadow: readonly ShadowPointJson[]; difference: readonly ShadowPointJson[] } | undefined): {
  values: ChartRow[];
  difference: ChartRow[];
} {
  const values = new Map<number, ChartRow>();
  const difference = new Map<number, ChartRow>();
  if (series) {
    addPoints(values, LIVE_KEY, series.live);
    addPoints(values, SHADOW_KEY, series.shadow);
    addPoints(difference, DIFFERENCE_KEY, series.difference);
  }
  return { values: sortedRows(values), difference: sortedRows(difference) };
}

/** What a refused shadow request means for the manager. */
export type ShadowProblem =
  | { kind: 'notRegistered' }
  | { kind: 'invalid'; diagnostics: Diagnostic[] }
  | { kind: 'testsFailed'; failing: string[]; message: string }
  | { kind: 'gone' }
  | { kind: 'other'; error: unknown };

export function shadowProblem(error: unknown): ShadowProblem {
  if (error instanceof ApiError) {
    if (error.status === 409 && error.code === 'CONFLICT' && error.details.state === 'unregistered') return { kind: 'notRegistered' };
    if (error.status === 422 && error.code === 'TESTS_FAILED') {
      const results = Array.isArray(error.details.results) ? (error.details.results as Array<{ name?: unknown; ok?: unknown }>) : [];
      return { kind: 'testsFailed', failing: results.filter((result) => result.ok === false).map((result) => String(result.name)), message: error.message };
    }
    if (error.status === 422 && error.diagnostics.length > 0) return { kind: 'invalid', diagnostics: error.diagnostics };
    if (error.status === 404 && error.code === 'NOT_FOUND') return { kind: 'gone' };
  }
  return { kind: 'other', error };
}

/**
 * Which draft a shadow runs: the browser remembers the fingerprint of the draft it started for each
 * shadow id (a reload or another tab still knows). `unknown` when the shadow was started elsewhere.
 */
export type DraftRelation = 'same' | 'changed' | 'unknown';

const STORAGE_KEY = 'script-server.shadow-drafts';
const REMEMBERED = 20;

type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

function readRemembered(storage: StorageLike): Array<[string, string]> {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((entry): entry is [string, string] => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberShadowDraft(storage: StorageLike, shadowId: string, fingerprint: string): void {
  const kept = readRemembered(storage).filter(([id]) => id !== shadowId);
  kept.push([shadowId, fingerprint]);
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(kept.slice(-REMEMBERED)));
  } catch {
    // storage full or refused: the panel then says it does not know which draft runs
  }
}

export function draftRelation(storage: StorageLike, shadowId: string, currentFingerprint: string): DraftRelation {
  const started = readRemembered(storage).find(([id]) => id === shadowId)?.[1];
  if (started === undefined) return 'unknown';
  return started === currentFingerprint ? 'same' : 'changed';
}

/** The page's visibility, as `pollWhileVisible` needs it (the document in the browser). */
export interface PageVisibility {
  hidden(): boolean;
  onChange(listener: () => void): () => void;
}

export interface Timers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * Calls `tick` now and every `intervalMs` while the page is visible; a hidden tab asks nothing, and
 * coming back asks at once. Returns the function that stops it.
 */
export function pollWhileVisible(page: PageVisibility, intervalMs: number, tick: () => void, timers: Timers): () => void {
  let handle: unknown = null;
  const start = () => {
    if (handle !== null) return;
    tick();
    handle = timers.setInterval(tick, intervalMs);
  };
  const pause = () => {
    if (handle === null) return;
    timers.clearInterval(handle);
    handle = null;
  };
  const unsubscribe = page.onChange(() => (page.hidden() ? pause() : start()));
  if (!page.hidden()) start();
  return () => {
    unsubscribe();
    pause();
  };
}

/** The browser's document as a `PageVisibility`. */
export function documentVisibility(doc: Document): PageVisibility {
  return {
    hidden: () => doc.visibilityState === 'hidden',
    onChange(listener) {
      doc.addEventListener('visibilitychange', listener);
      return () => doc.removeEventListener('visibilitychange', listener);
    },
  };
}
