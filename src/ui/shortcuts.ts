// Page-wide keyboard shortcuts: which key presses a page may take for itself, and which belong to what has focus.

/** Elements Space already activates or types into (a button, a link, a check box, a field...). */
const SPACE_TAKERS = 'button, a[href], summary, input, select, textarea, [contenteditable=""], [contenteditable="true"], [role="button"], [role="checkbox"], [role="radio"], [role="switch"]';
/** Inputs that take no text: a letter pressed on them is free for the page. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** Typing into `el` ("s" in the seed field must stay an "s"). */
function takesText(el: Element): boolean {
  if (el instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(el.type);
  return el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement || (el instanceof HTMLElement && el.isContentEditable);
}

/**
 * The shortcut `e` asks for ('Space' or the character typed), or null when the key is not the page's: a modifier
 * (the browser's and the system's shortcuts), a held-down key, typing in a field, or Space on something it activates.
 */
export function shortcutKey(e: KeyboardEvent): string | null {
  if (e.altKey || e.ctrlKey || e.metaKey || e.repeat || e.defaultPrevented) return null;
  const target = e.target instanceof Element ? e.target : null;
  if (target && takesText(target)) return null;
  if (e.key === ' ') return target?.closest(SPACE_TAKERS) ? null : 'Space';
  return e.key;
}
