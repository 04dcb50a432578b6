// Teacher links (`hide=backend,seed`): a page declares which of its controls a link may hide; the link names them,
// comma-separated, in any case. Unknown names are reported as a correction (like any bad value in a link) and ignored.
// Hiding is not a setting: no run depends on it, it only travels with the link so every rewrite keeps it.

/** The controls one page lets a link hide. */
export interface HideableControls {
  /** Every name `hide=` accepts (mostly the settings' URL parameter names). */
  readonly names: readonly string[];
  /** What the correction for an unknown name suggests instead ("attack, target, … or a knob's name"); unused when `names` is empty. */
  readonly hint: string;
}

/** The controls `hide=` names, each once, spelled as the page declares them; unknown names become one correction. */
export function readHidden(search: string, controls: HideableControls): { hidden: string[]; corrections: string[] } {
  const raw = new URLSearchParams(search).get('hide');
  const names = (raw ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const hidden: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const control = controls.names.find((c) => c.toLowerCase() === name.toLowerCase());
    if (!control) unknown.push(name);
    else if (!hidden.includes(control)) hidden.push(control);
  }
  if (unknown.length && !controls.names.length) return { hidden, corrections: ['Hide: this page has no controls a link can hide; ignored'] };
  const corrections = unknown.length
    ? [`Hide: ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length > 1 ? 'are not controls' : 'is not a control'} of this page (use ${controls.hint}); ignored`]
    : [];
  return { hidden, corrections };
}

/** `search` (a page's settings query string) with the hidden controls added, so the link keeps hiding them. */
export function withHidden(search: string, hidden: readonly string[]): string {
  if (!hidden.length) return search;
  const q = new URLSearchParams(search);
  q.set('hide', hidden.join(','));
  // Commas stay readable in a link a teacher edits by hand.
  return `?${q.toString().replace(/%2C/g, ',')}`;
}
