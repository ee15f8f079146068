/**
 * When leaving the editor must ask first: the decisions behind the browser's "leave site?" prompt,
 * the confirmation of in-app links, and Back (a guard entry in the history that Back pops first).
 */

export interface LeaveState {
  /** The form differs from what was opened or last saved. */
  changed: boolean;
  /** The user already said yes to leaving. */
  leaving: boolean;
}

export function mustAsk(state: LeaveState): boolean {
  return state.changed && !state.leaving;
}

export interface ClickLike {
  defaultPrevented: boolean;
  button: number;
  metaKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface AnchorLike {
  href: string;
  target: string;
  download: boolean;
}

/**
 * The in-app address a click on this link goes to when that leaves the page (to ask first), or null
 * when the click stays (same page), opens elsewhere (new tab, download, other site) or is not a plain click.
 */
export function leavingLink(click: ClickLike, anchor: AnchorLike | null, currentHref: string): string | null {
  if (!anchor || click.defaultPrevented || click.button !== 0 || click.metaKey || click.ctrlKey || click.shiftKey || click.altKey) return null;
  if (anchor.download || (anchor.target !== '' && anchor.target !== '_self')) return null;
  const current = new URL(currentHref);
  let url: URL;
  try {
    url = new URL(anchor.href, current);
  } catch {
    return null;
  }
  if (url.origin !== current.origin) return null;
  if (url.pathname === current.pathname && url.search === current.search) return null;
  return url.pathname + url.search + url.hash;
}

const GUARD_MARK = '__scriptServerLeaveGuard';

/** The history state of the guard entry: the current entry's state (the router's) with a mark. */
export function guardState(state: unknown): Record<string, unknown> {
  const base = state && typeof state === 'object' ? (state as Record<string, unknown>) : {};
  return { ...base, [GUARD_MARK]: true };
}

export function isGuardState(state: unknown): boolean {
  return !!state && typeof state === 'object' && (state as Record<string, unknown>)[GUARD_MARK] === true;
}
