import type { ScriptDraft } from './api-types';
import { draftFingerprint } from './script-form';

/**
 * Unsaved editor contents kept in the browser's storage, one per script (or "new"), so a reload, a
 * crash or a closed tab does not lose a manager's work. Written as the user types (debounced by the
 * caller), offered back when the editor opens, removed when the script is saved or the draft discarded.
 */

export interface DraftStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StoredDraft {
  /** When it was written (ISO time). */
  savedAt: string;
  /** The version of the saved script it was edited from (null for a new script). */
  baseVersion: number | null;
  draft: ScriptDraft;
}

const PREFIX = 'script-server.draft.';

export function draftKey(scriptId: string | null): string {
  return `${PREFIX}${scriptId ?? 'new'}`;
}

function isStoredDraft(value: unknown): value is StoredDraft {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  const draft = record.draft as Record<string, unknown> | undefined;
  return (
    typeof record.savedAt === 'string' &&
    !Number.isNaN(Date.parse(record.savedAt)) &&
    (record.baseVersion === null || typeof record.baseVersion === 'number') &&
    !!draft &&
    typeof draft === 'object' &&
    typeof draft.name === 'string' &&
    typeof draft.calcCode === 'string' &&
    Array.isArray(draft.inputs) &&
    Array.isArray(draft.outputs)
  );
}

/** The draft kept for this script, or null (none, or unreadable — then it is removed). */
export function readDraft(store: DraftStore, scriptId: string | null): StoredDraft | null {
  const key = draftKey(scriptId);
  let text: string | null;
  try {
    text = store.getItem(key);
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isStoredDraft(parsed)) return parsed;
  } catch {
    // fall through: a damaged entry is of no use
  }
  clearDraft(store, scriptId);
  return null;
}

/** Keeps the draft; false when the browser refuses (storage full or disabled). */
export function writeDraft(store: DraftStore, scriptId: string | null, draft: ScriptDraft, baseVersion: number | null, now: Date): boolean {
  const stored: StoredDraft = { savedAt: now.toISOString(), baseVersion, draft };
  try {
    store.setItem(draftKey(scriptId), JSON.stringify(stored));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(store: DraftStore, scriptId: string | null): void {
  try {
    store.removeItem(draftKey(scriptId));
  } catch {
    // nothing kept, nothing to clear
  }
}

/**
 * What to do with a kept draft when the editor opens on `opened` (the saved script's contents, or
 * the new script's starting form): offer it when it differs, forget it when it is the same.
 */
export function draftToOffer(stored: StoredDraft | null, opened: ScriptDraft): StoredDraft | null {
  if (!stored) return null;
  return draftFingerprint(stored.draft) === draftFingerprint(opened) ? null : stored;
}
