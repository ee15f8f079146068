/**
 * The editor's keyboard shortcuts: Ctrl/Cmd+S save, Ctrl/Cmd+Enter calculate, F10 next debug step
 * (Shift+F10 previous). One mapping, used by the page and by the code editors (which see the keys first).
 */

export type ShortcutAction = 'save' | 'calculate' | 'debugNext' | 'debugPrevious';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function shortcutFor(event: KeyLike): ShortcutAction | null {
  const mod = event.ctrlKey || event.metaKey;
  if (mod && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 's') return 'save';
  if (mod && !event.altKey && event.key === 'Enter') return 'calculate';
  if (event.key === 'F10' && !mod && !event.altKey) return event.shiftKey ? 'debugPrevious' : 'debugNext';
  return null;
}

/** How a shortcut is written on this platform, for button titles. */
export function shortcutLabel(action: ShortcutAction, isMac: boolean): string {
  const mod = isMac ? '⌘' : 'Ctrl+';
  switch (action) {
    case 'save':
      return `${mod}S`;
    case 'calculate':
      return `${mod}Enter`;
    case 'debugNext':
      return 'F10';
    case 'debugPrevious':
      return 'Shift+F10';
  }
}
