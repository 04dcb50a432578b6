// FID (Heusel et al. 2017): the Frechet distance between Gaussian fits of two feature sets,
//   |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)).
// tfjs has no matrix square root, so this runs in float64 JS on ml-matrix's symmetric eigendecomposition:
// tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of S1^(1/2) S2 S1^(1/2)) (same eigenvalues as S1 S2, and symmetric).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Feature vectors, one row per image (number[][], Float32Array[], ...). */
export type FeatureRows = ArrayLike<ArrayLike<number>>;

/** Rows over a flat n * dim array (views, no copy), the layout `featuresOf` returns. */
export function rowsOf(values: Float32Array | Float64Array, dim: number): (Float32Array | Float64Array)[] {
  if (dim < 1 || values.length % dim !== 0) throw new Error(`rowsOf: ${values.length} values do not split into rows of ${dim}`);
  return Array.from({ length: values.length / dim }, (_, i) => values.subarray(i * dim, (i + 1) * dim));
}

/** Dimension shared by every row; throws on an empty set or ragged rows. */
export function dimensionOf(rows: FeatureRows, what = 'feature set'): number {
  if (rows.length === 0) throw new Error(`${what} is empty`);
  const d = rows[0].length;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].length !== d) throw new Error(`${what}: row ${i} has ${rows[i].length} values, row 0 has ${d}`);
  }
  return d;
}

/** Mean and unbiased (n - 1) covariance of the rows, in float64. Needs at least 2 rows. */
export function meanAndCovariance(rows: FeatureRows): { mean: Float64Array; cov: Matrix } {
  const n = rows.length;
  if (n < 2) throw new Error(`a covariance needs at least 2 samples, got ${n}`);
  const d = dimensionOf(rows);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += rows[i][k];
  for (let k = 0; k < d; k++) mean[k] /= n;
  const acc = Array.from({ length: d }, () => new Float64Array(d));
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) c[k] = rows[i][k] - mean[k];
    for (let a = 0; a < d; a++) {
      const ca = c[a], row = acc[a];
      if (ca !== 0) for (let b = a; b < d; b++) row[b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) { acc[a][b] /= n - 1; acc[b][a] = acc[a][b]; }
  const cov = new Matrix(acc);
  return { mean, cov };
}

/** Eigenvalues and eigenvectors of a symmetric matrix (symmetrised first, so rounding cannot make it "non-symmetric"). */
function symmetricEig(m: Matrix): { values: number[]; vectors: Matrix } {
  const s = m.clone().add(m.transpose()).mul(0.5);
  const evd = new EigenvalueDecomposition(s, { assumeSymmetric: true });
  return { values: evd.realEigenvalues, vectors: evd.eigenvectorMatrix };
}

/**
 * Frechet distance between N(mu1, s1) and N(mu2, s2). Covariances of sample sets are positive semi-definite but
 * rounding (or fewer samples than dimensions) leaves tiny negative eigenvalues: they are clamped to 0 before every
 * square root, so singular covariances give a finite value, never NaN. The result is clamped to >= 0 for the same
 * reason (a set against itself gives 0, not -1e-13). No regulariser is added to the diagonal.
 */
export function frechetDistance(mu1: ArrayLike<number>, s1: Matrix, mu2: ArrayLike<number>, s2: Matrix): number {
  const d = mu1.length;
  if (mu2.length !== d || s1.rows !== d || s1.columns !== d || s2.rows !== d || s2.columns !== d) {
    throw new Error(`Frechet distance: dimensions differ (means ${d} and ${mu2.length}, covariances ${s1.rows}x${s1.columns} and ${s2.rows}x${s2.columns})`);
  }
  let meanTerm = 0;
  for (let k = 0; k < d; k++) meanTerm += (mu1[k] - mu2[k]) ** 2;
  // S1^(1/2) = V diag(sqrt(max(l, 0))) V^T
  const e1 = symmetricEig(s1);
  const root = e1.vectors.clone();
  for (let j = 0; j < d; j++) {
    const r = Math.sqrt(Math.max(e1.values[j], 0));
    for (let i = 0; i < d; i++) root.set(i, j, root.get(i, j) * r);
  }
  const s1Half = root.mmul(e1.vectors.transpose());
  const inner = symmetricEig(s1Half.mmul(s2).mmul(s1Half));
  let traceRoot = 0;
  for (const l of inner.values) traceRoot += Math.sqrt(Math.max(l, 0));
  const value = meanTerm + s1.trace() + s2.trace() - 2 * traceRoot;
  return Math.max(value, 0);
}

/**
 * FID between two feature sets (rows). Each side needs at least 2 samples; both need the same dimension. Symmetric.
 * When one side has no more samples than dimensions (a few reconstructions against a few hundred private images),
 * its covariance is S = X^T X / (n - 1) with X its centred rows, and S_big S has the same non-zero eigenvalues as
 * the small symmetric n x n matrix X S_big X^T / (n - 1): no d x d square root needed (milliseconds instead of about
 * a second for d = 256). Otherwise it is `frechetDistance` of the two fits.
 */
export function fid(a: FeatureRows, b: FeatureRows): number {
  if (a.length < 2 || b.length < 2) throw new Error(`FID needs at least 2 samples per side (got ${a.length} and ${b.length})`);
  const da = dimensionOf(a, 'first feature set'), db = dimensionOf(b, 'second feature set');
  if (da !== db) throw new Error(`FID: feature dimensions differ (${da} vs ${db})`);
  const [big, small] = a.length >= b.length ? [a, b] : [b, a];
  const n = small.length, d = da;
  const fb = meanAndCovariance(big);
  if (n - 1 >= d) {
    const fs = meanAndCovariance(small);
    return frechetDistance(fs.mean, fs.cov, fb.mean, fb.cov);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += small[i][k] / n;
  const x = new Matrix(n, d);
  let meanTerm = 0, traceSmall = 0;
  for (let k = 0; k < d; k++) meanTerm += (mean[k] - fb.mean[k]) ** 2;
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) {
    const c = small[i][k] - mean[k];
    x.set(i, k, c);
    traceSmall += (c * c) / (n - 1);
  }
  const inner = symmetricEig(x.mmul(fb.cov).mmul(x.transpose()).div(n - 1));
  let traceRoot = 0;
  for (const l of inner.values) traceRoot += Math.sqrt(Math.max(l, 0)); // clamped as in frechetDistance
  return Math.max(meanTerm + fb.cov.trace() + traceSmall - 2 * traceRoot, 0);
}
