// One figure of a run for RunStats (a plain module, so that .ts code can build the figures and tsc still sees the type).

/** A run's figure: a small caption over its value. */
export interface RunStat {
  /** The caption. */
  label: string;
  value: string;
  /** What the figure means (the caption's tooltip). */
  title?: string;
  testid?: string;
  /** Attributes of the value for tests, e.g. { 'data-step': 12 }. */
  data?: Record<`data-${string}`, string | number>;
}
