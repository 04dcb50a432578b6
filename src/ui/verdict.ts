// Honest verdicts: what the evaluator's reading of a reconstruction is worth. A faint image the evaluator reads right
// with low confidence, or an image with almost no ink (an empty 28x28 square still gets *some* answer, usually "1"),
// must not earn the same plain tick as a clear digit. Pure functions: the pages and the tour's claims test share them.

/** The evaluator counts as sure at this confidence or above (the pages state it). */
export const CLEAR_CONFIDENCE = 0.5;
/** An image whose brightest pixel is below this share of full ink shows (almost) nothing. */
export const BLANK_PEAK = 0.1;

/** clear: the evaluator reads the attacked digit and is sure; barely: it reads it but is unsure; wrong: it reads
 * another digit; blank: the image is (almost) empty, whatever the evaluator says. */
export type VerdictKind = 'clear' | 'barely' | 'wrong' | 'blank';

export const VERDICT_TEXT: Record<VerdictKind, string> = {
  clear: 'clearly right',
  barely: 'right, but barely',
  wrong: 'wrong digit',
  blank: 'nearly blank',
};

/** A verdict in words for a class called `noun` ("wrong person" on the faces). */
export function verdictText(kind: VerdictKind, noun = 'digit'): string {
  return kind === 'wrong' ? `wrong ${noun}` : VERDICT_TEXT[kind];
}

/** The brightest of `n` pixels from `offset`. */
export function peakOf(pixels: ArrayLike<number>, offset = 0, n = 784): number {
  let peak = 0;
  for (let i = offset; i < offset + n; i++) if (pixels[i] > peak) peak = pixels[i];
  return peak;
}

export function verdictOf(digit: number, predicted: number, confidence: number, peak: number): VerdictKind {
  if (!(peak >= BLANK_PEAK)) return 'blank';
  if (predicted !== digit) return 'wrong';
  return confidence >= CLEAR_CONFIDENCE ? 'clear' : 'barely';
}

/** What a run's reconstructions add up to (the shape of an attack snapshot's fields). */
export interface JudgedRun {
  classes: number[];
  pixels: ArrayLike<number>;
  evaluator: { predicted: number[]; confidence: number[] };
}

/** The verdict of each reconstruction of a run, in its candidates' order (each image is its share of the pixels: 784 a digit, 4096 a face). */
export function verdictsOf(run: JudgedRun): VerdictKind[] {
  const n = run.classes.length ? run.pixels.length / run.classes.length : 784;
  return run.classes.map((d, k) => verdictOf(d, run.evaluator.predicted[k], run.evaluator.confidence[k], peakOf(run.pixels, k * n, n)));
}

/** How many reconstructions got each verdict. */
export function countVerdicts(kinds: VerdictKind[]): Record<VerdictKind, number> {
  const counts: Record<VerdictKind, number> = { clear: 0, barely: 0, wrong: 0, blank: 0 };
  for (const k of kinds) counts[k]++;
  return counts;
}
