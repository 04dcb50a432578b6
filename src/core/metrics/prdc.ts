// Precision, recall, density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
// Generative Models"). Real X (N points), fake Y (M points), k-nearest-neighbour balls B(x, NND_k(x)), where
// NND_k(x) is the distance from x to its k-th nearest neighbour in its own set, x itself excluded (by index, so a
// duplicate point does count as a neighbour):
//   precision = 1/M sum_j 1[Y_j in some B(X_i, NND_k(X_i))]      (fakes that look real)
//   recall    = 1/N sum_i 1[X_i in some B(Y_j, NND_k(Y_j))]      (reals the fakes' manifold reaches)
//   density   = 1/(kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))] (like precision but counts balls; 1 when Y ~ X;
//                                                                 can exceed 1)
//   coverage  = 1/N sum_i 1[some Y_j in B(X_i, NND_k(X_i))]      (real balls that hold a fake; robust to fake outliers)
// Balls are open (distance < radius), as in the authors' public code. Per-class use is the caller's job.
import { dimensionOf, type FeatureRows } from './fid.ts';

export interface Prdc { precision: number; recall: number; density: number; coverage: number }

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) { const t = a[k] - b[k]; s += t * t; }
  return s;
}

/** Squared distance from each row to its k-th nearest other row of the same set (the squared ball radii). */
export function kthNeighbourRadii(rows: FeatureRows, k: number): Float64Array {
  const n = rows.length;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (n <= k) throw new Error(`the k-th nearest neighbour needs more than k = ${k} points, got ${n}`);
  const radii = new Float64Array(n);
  const best = new Float64Array(k); // the k smallest distances so far, ascending
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = squaredDistance(rows[i], rows[j]);
      if (d >= best[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && best[p - 1] > d) { best[p] = best[p - 1]; p--; }
      best[p] = d;
    }
    radii[i] = best[k - 1];
  }
  return radii;
}

/**
 * PRDC of `fake` against `real` with k nearest neighbours (k = 3 as in the benchmark). Each set needs more than k
 * points (the k-th neighbour of a point must exist without it); both need the same dimension.
 */
export function prdc(real: FeatureRows, fake: FeatureRows, k = 3): Prdc {
  if (real.length <= k || fake.length <= k) {
    throw new Error(`PRDC with k = ${k} needs more than ${k} points per set (got ${real.length} real, ${fake.length} fake)`);
  }
  const dr = dimensionOf(real, 'real set'), df = dimensionOf(fake, 'fake set');
  if (dr !== df) throw new Error(`PRDC: feature dimensions differ (${dr} vs ${df})`);
  const realRadii = kthNeighbourRadii(real, k), fakeRadii = kthNeighbourRadii(fake, k);
  const n = real.length, m = fake.length;
  const realCovered = new Uint8Array(n), realReached = new Uint8Array(n);
  let precise = 0, inBalls = 0;
  for (let j = 0; j < m; j++) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(real[i], fake[j]);
      if (d < realRadii[i]) { count++; realCovered[i] = 1; }
      if (d < fakeRadii[j]) realReached[i] = 1;
    }
    if (count > 0) precise++;
    inBalls += count;
  }
  const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  return { precision: precise / m, recall: sum(realReached) / n, density: inBalls / (k * m), coverage: sum(realCovered) / n };
}
