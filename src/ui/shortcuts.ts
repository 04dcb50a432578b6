// Page-wide keyboard shortcuts: which key presses a page may take for itself, which belong to what has focus, and the
// page's list of shortcuts (what ShortcutHelp.svelte shows in its dialog and runs on a key press).

/** One shortcut of a page. */
export interface Shortcut {
  /** The keys that do it, as the event names them ('Space' for the space bar, 's', 'ArrowLeft'), in the order shown. */
  keys: string[];
  /** What it does, as the help dialog says it. */
  action: string;
  /** Does it; false when there is nothing to do now (the key is then left to the browser). */
  run: () => boolean;
}

/** Elements Space already activates or types into (a button, a link, a check box, a field...). */
const SPACE_TAKERS = 'button, a[href], summary, input, select, textarea, [contenteditable=""], [contenteditable="true"], [role="button"], [role="checkbox"], [role="radio"], [role="switch"]';
/** Elements the arrow keys move inside (a slider, a radio group, a list box, a text caret...). */
const ARROW_TAKERS = 'input, select, textarea, [contenteditable=""], [contenteditable="true"], [role="slider"], [role="radio"], [role="radiogroup"], [role="tab"], [role="tablist"], [role="listbox"], [role="menu"], [role="menubar"], [role="tree"], [role="grid"]';
/** Inputs that take no text: a letter pressed on them is free for the page. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** Typing into `el` ("s" in the seed field must stay an "s"). */
function takesText(el: Element): boolean {
  if (el instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(el.type);
  return el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement || (el instanceof HTMLElement && el.isContentEditable);
}

/**
 * The shortcut `e` asks for ('Space' or the key's name: 's', '?', 'ArrowLeft'), or null when the key is not the
 * page's: a modifier (the browser's and the system's shortcuts), a held-down key, typing in a field, Space on something
 * it activates, or an arrow key on something it moves in.
 */
export function shortcutKey(e: KeyboardEvent): string | null {
  if (e.altKey || e.ctrlKey || e.metaKey || e.repeat || e.defaultPrevented) return null;
  const target = e.target instanceof Element ? e.target : null;
  if (target && takesText(target)) return null;
  if (e.key === ' ') return target?.closest(SPACE_TAKERS) ? null : 'Space';
  if (e.key.startsWith('Arrow') && target?.closest(ARROW_TAKERS)) return null;
  return e.key;
}

/**
 * Runs the shortcut of `shortcuts` that `e` asks for, if any and if it has something to do; then the browser's own
 * action (Space scrolls the page, an arrow key scrolls it too) is prevented. Returns whether a shortcut ran.
 */
export function runShortcut(e: KeyboardEvent, shortcuts: readonly Shortcut[]): boolean {
  const key = shortcutKey(e);
  const shortcut = key === null ? undefined : shortcuts.find((s) => s.keys.includes(key));
  if (!shortcut?.run()) return false;
  e.preventDefault();
  return true;
}

const KEY_LABELS: Record<string, string> = { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', Escape: 'Esc' };

/** A key as the help dialog shows it ('ArrowLeft' is "←"). */
export function keyLabel(key: string): string {
  return KEY_LABELS[key] ?? key;
}


/** A shortcut's `run` for an action that may not apply now: starts `f` (not awaited) when `can`; returns `can`. */
export function doIf(can: boolean, f: () => unknown): boolean {
  if (can) void f();
  return can;
}
