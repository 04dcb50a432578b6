// Number formats shared by the components.

/** Whole percents, but one decimal near certainty (never rounded up to 100%). */
export function pct(v: number): string {
  return v >= 0.99 && v < 1 ? `${(Math.floor(v * 1000) / 10).toFixed(1)}%` : `${Math.round(100 * v)}%`;
}
