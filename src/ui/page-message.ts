// What MessageList shows: one notice of a page (in a plain module, so .ts code can build them too).
export interface PageMessage {
  key: string;
  kind: 'error' | 'warning' | 'info';
  title: string;
  detail?: string;
  /** Lines shown as a list under the detail. */
  items?: string[];
  /** Extra buttons: label and action. */
  actions?: { label: string; run: () => void; testid?: string }[];
}
