/**
 * Keeping a code editor and the form's copy of its text in step without ever writing a stale copy
 * back over what the user is typing. The editor's model is the source of truth: every change it makes
 * is sent up (and remembered here); a text coming back down is either one of those echoes, late or
 * not (ignored), or a change made elsewhere — a loaded script, a restored draft, an alias renamed —
 * which is applied to the model as the smallest edit.
 */

export class EditorEchoes {
  private readonly sent: string[] = [];

  constructor(private readonly limit = 500) {}

  /** The editor changed its text to `text` and sent it up. */
  sentUp(text: string): void {
    this.sent.push(text);
    if (this.sent.length > this.limit) this.sent.shift();
  }

  /**
   * `text` came down from the form while the model holds `modelText`: true when it must be written into
   * the model (a change made outside the editor), false when it is the model's own text or an echo of
   * a text the editor sent up (the form catching up, perhaps with an older text than the model's).
   */
  mustApply(text: string, modelText: string): boolean {
    const index = this.sent.lastIndexOf(text);
    if (index >= 0) {
      // The form has caught up to this text: older ones cannot come back as echoes.
      this.sent.splice(0, index + 1);
      return false;
    }
    if (text === modelText) return false;
    this.sent.length = 0;
    return true;
  }
}

export interface TextEdit {
  /** Offsets in the old text. */
  start: number;
  end: number;
  text: string;
}

/** The smallest single replacement turning `before` into `after` (common start and end kept), or null when equal. */
export function minimalEdit(before: string, after: string): TextEdit | null {
  if (before === after) return null;
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start += 1;
  let tail = 0;
  while (tail < shortest - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail += 1;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}
