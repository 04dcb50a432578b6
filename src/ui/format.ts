// Number formats shared by the components.

/** Whole percents, but one decimal near certainty (never rounded up to 100%). */
export function pct(v: number): string {
  return v >= 0.99 && v < 1 ? `${(Math.floor(v * 1000) / 10).toFixed(1)}%` : `${Math.round(100 * v)}%`;
}

/** Whole percents, plainly rounded (0.996 reads 100%). */
export function wholePct(v: number): string {
  return `${Math.round(100 * v)}%`;
}

/** "4.2 s", "37 s", "3 min 05 s", "1 h 02 min": a duration as a person reads it. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "12.3", "456.7", "12,345": milliseconds with enough digits for a figure, no more. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const digits = ms < 10 ? 2 : ms < 1000 ? 1 : 0;
  return ms.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
