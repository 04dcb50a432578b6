// The benchmark metrics as pure functions, checked against values worked out by hand or in closed form:
// FID, PRDC, PSNR / SSIM, KNN distance, and the per-attack quality record built from them.
import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { makeRng } from '../../src/core/data/rng.ts';
import { fid, frechetDistance, meanAndCovariance, rowsOf } from '../../src/core/metrics/fid.ts';
import { PSNR_CAP_DB, psnr, ssim } from '../../src/core/metrics/image-quality.ts';
import { knnDistance } from '../../src/core/metrics/knn.ts';
import { prdc } from '../../src/core/metrics/prdc.ts';
import { attackQuality, type FeaturedImages } from '../../src/core/metrics/quality.ts';

/** Standard normal samples (Box-Muller on the project's seeded PRNG). */
function normals(rng: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

function randomImage(rng: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: 784 }, () => rng() * scale);
}

describe('FID', () => {
  it('of a set with itself is 0', () => {
    const rng = makeRng(1);
    const rows = Array.from({ length: 50 }, () => normals(rng, 8));
    expect(fid(rows, rows)).toBeLessThan(1e-9);
  });

  it('in 1-D is (mu1 - mu2)^2 + (s1 - s2)^2 with unbiased standard deviations', () => {
    // [0, 1, 2, 3]: mean 1.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3. [10, 14]: mean 12, variance 8.
    const expected = 10.5 ** 2 + (Math.sqrt(5 / 3) - Math.sqrt(8)) ** 2;
    expect(fid([[0], [1], [2], [3]], [[10], [14]])).toBeCloseTo(expected, 10);
    expect(fid([[10], [14]], [[0], [1], [2], [3]])).toBeCloseTo(expected, 10);
  });

  it('matches the closed form for non-commuting 2x2 covariances', () => {
    // For 2x2 PSD matrices tr(M^(1/2)) = sqrt(tr M + 2 sqrt(det M)). S1 S2 = [[2, 3], [1, 6]]: trace 8, det 3 * 3 = 9,
    // so tr((S1 S2)^(1/2)) = sqrt(14); FID = |(1, 2)|^2 + tr S1 + tr S2 - 2 sqrt(14) = 5 + 4 + 4 - 2 sqrt(14).
    const s1 = new Matrix([[2, 1], [1, 2]]), s2 = new Matrix([[1, 0], [0, 3]]);
    expect(frechetDistance([0, 0], s1, [1, 2], s2)).toBeCloseTo(13 - 2 * Math.sqrt(14), 10);
    expect(frechetDistance([1, 2], s2, [0, 0], s1)).toBeCloseTo(13 - 2 * Math.sqrt(14), 10);
  });

  it('of samples from two Gaussians is close to the closed form', () => {
    // N(0, I) vs N(m, diag(1, 4, 9)): |m|^2 + sum_k (1 - sigma_k)^2 = (1 + 4 + 0.25) + (0 + 1 + 4) = 10.25;
    // N(0, I) vs N(m, I): |m|^2 = 5.25.
    const rng = makeRng(7), n = 20000, m = [1, -2, 0.5], sd = [1, 2, 3];
    const a = Array.from({ length: n }, () => normals(rng, 3));
    const b = Array.from({ length: n }, () => normals(rng, 3).map((z, k) => m[k] + sd[k] * z));
    const c = Array.from({ length: n }, () => normals(rng, 3).map((z, k) => m[k] + z));
    expect(Math.abs(fid(a, b) - 10.25)).toBeLessThan(0.2);
    expect(Math.abs(fid(a, c) - 5.25)).toBeLessThan(0.15);
  });

  it('with a singular covariance (one dimension constant) is finite and equals the FID of the other dimensions', () => {
    const a = [[0, 5], [1, 5], [2, 5], [3, 5]], b = [[10, 5], [14, 5]];
    expect(fid(a, b)).toBeCloseTo(fid(a.map((r) => [r[0]]), b.map((r) => [r[0]])), 8);
    // Fewer samples than dimensions: rank-deficient on both sides, still a finite non-negative number.
    const rng = makeRng(3);
    const v = fid(Array.from({ length: 3 }, () => normals(rng, 10)), Array.from({ length: 4 }, () => normals(rng, 10)));
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
    // Through the full square root: S1 = [[1, 1], [1, 1]] (rank 1) and S2 = diag(0, 4): S1 S2 = [[0, 4], [0, 4]] has
    // eigenvalues 0 and 4, so FID = 2 + 4 - 2 * 2 = 2 (to ~1e-8: the square root of a rounding-sized eigenvalue).
    expect(frechetDistance([0, 0], new Matrix([[1, 1], [1, 1]]), [0, 0], new Matrix([[0, 0], [0, 4]]))).toBeCloseTo(2, 6);
  });

  it('takes the small-side shortcut (fewer samples than dimensions) with the same value as the full square root', () => {
    // Closed form: small side (0, 0), (2, 0): mean (1, 0), covariance diag(2, 0). Big side (+-1, 0), (0, +-1): mean 0,
    // covariance diag(2/3, 2/3). S1 S2 = diag(4/3, 0): FID = 1 + 2 + 4/3 - 2 * 2 / sqrt(3).
    const small = [[0, 0], [2, 0]], big = [[1, 0], [-1, 0], [0, 1], [0, -1]];
    expect(fid(small, big)).toBeCloseTo(1 + 2 + 4 / 3 - 4 / Math.sqrt(3), 10);
    expect(fid(big, small)).toBeCloseTo(1 + 2 + 4 / 3 - 4 / Math.sqrt(3), 10);
    const rng = makeRng(12);
    const a = Array.from({ length: 5 }, () => normals(rng, 16)), b = Array.from({ length: 60 }, () => normals(rng, 16).map((z) => z * 2 + 1));
    const fa = meanAndCovariance(a), fb = meanAndCovariance(b);
    expect(fid(a, b)).toBeCloseTo(frechetDistance(fa.mean, fa.cov, fb.mean, fb.cov), 6);
  });

  it('reads flat feature arrays and uses the unbiased covariance', () => {
    const rows = rowsOf(Float32Array.from([1, 2, 3, 6]), 2); // (1, 2), (3, 6)
    const { mean, cov } = meanAndCovariance(rows);
    expect(Array.from(mean)).toEqual([2, 4]);
    expect(cov.to2DArray()).toEqual([[2, 4], [4, 8]]); // deviations (-1, -2), (1, 2); sums / (2 - 1)
  });

  it('refuses sets of fewer than 2 samples and mismatched dimensions', () => {
    expect(() => fid([[1, 2]], [[1, 2], [3, 4]])).toThrow(/at least 2 samples per side/);
    expect(() => fid([], [[1], [2]])).toThrow(/at least 2 samples/);
    expect(() => fid([[1, 2], [3, 4]], [[1], [2]])).toThrow(/dimensions differ/);
  });
});

describe('PRDC (k = 3)', () => {
  // Two clusters of real points. k-th (3rd) neighbour distances, self excluded:
  // 0 -> {1, 2, 3}: 3;  1 -> {1, 1, 2}: 2;  2 -> {1, 1, 2}: 2;  3 -> {1, 2, 3}: 3; the same for 20..23.
  // Open balls: 0 (-3, 3), 1 (-1, 3), 2 (0, 4), 3 (0, 6), 20 (17, 23), 21 (19, 23), 22 (20, 24), 23 (20, 26).
  const real = [[0], [1], [2], [3], [20], [21], [22], [23]];

  it('on a 1-D example with an outlier fake: recall is fooled, coverage is not', () => {
    // Fakes 0.5, 2.5, 5.5, 100. Real balls holding each: 0.5 -> 4 (0, 1, 2, 3); 2.5 -> 4; 5.5 -> 1 (ball of 3); 100 -> 0.
    // precision = 3/4; density = (4 + 4 + 1 + 0) / (3 * 4) = 0.75; coverage = 4 of 8 real balls hold a fake = 0.5.
    // Fake radii (3rd neighbour among fakes): 0.5 -> 99.5, ... so B(0.5, 99.5) holds every real point: recall = 1.
    const r = prdc(real, [[0.5], [2.5], [5.5], [100]], 3);
    expect(r.precision).toBeCloseTo(0.75, 12);
    expect(r.density).toBeCloseTo(0.75, 12);
    expect(r.coverage).toBeCloseTo(0.5, 12);
    expect(r.recall).toBe(1);
  });

  it('on a 1-D example where fakes cover one cluster only', () => {
    // Fakes 0.5, 1.5, 2.5, 3.5. Real balls holding each: 0.5 -> 4; 1.5 -> 4; 2.5 -> 4; 3.5 -> 2 (balls of 2 and 3).
    // precision = 1; density = 14 / 12 = 7/6 (density is not bounded by 1); coverage = 4/8.
    // Fake radii: 0.5 -> 3, 1.5 -> 2, 2.5 -> 2, 3.5 -> 3: union (-2.5, 6.5) holds 0..3, not 20..23: recall = 0.5.
    const r = prdc(real, [[0.5], [1.5], [2.5], [3.5]], 3);
    expect(r).toEqual({ precision: 1, recall: 0.5, density: expect.closeTo(7 / 6, 12), coverage: 0.5 });
  });

  it('on a 2-D example', () => {
    // Real: unit-square corners; each corner's 3rd neighbour is the opposite corner, radius sqrt(2) ~ 1.414.
    // Fakes: (0.5, 0.5) is 0.707 from all 4 corners -> 4 balls; (3, 3) -> 0; (1, 2.2) is 1.2 from (1, 1) and
    // 1.56 from (0, 1) -> 1; (0, -1.3) is 1.3 from (0, 0), 1.64 from (1, 0) -> 1.
    // precision 3/4, density (4 + 0 + 1 + 1) / 12 = 0.5, coverage 1 (every corner's ball holds (0.5, 0.5)).
    // The fake (0.5, 0.5) has 3rd-neighbour radius |(3, 3) - (0.5, 0.5)| = 3.54 > 0.707: recall 1.
    const r = prdc([[0, 0], [1, 0], [0, 1], [1, 1]], [[0.5, 0.5], [3, 3], [1, 2.2], [0, -1.3]]);
    expect(r.precision).toBeCloseTo(0.75, 12);
    expect(r.density).toBeCloseTo(0.5, 12);
    expect(r.coverage).toBe(1);
    expect(r.recall).toBe(1);
  });

  it('of a set against itself is 1 for all four (distinct points)', () => {
    // Each open ball holds its centre and the k - 1 nearer neighbours, so density = kN / (kN) = 1 too.
    const rng = makeRng(11);
    const rows = Array.from({ length: 30 }, () => normals(rng, 4));
    expect(prdc(rows, rows)).toEqual({ precision: 1, recall: 1, density: 1, coverage: 1 });
  });

  it('refuses sets of k points or fewer and mismatched dimensions', () => {
    expect(() => prdc([[0], [1], [2]], [[0], [1], [2], [3]])).toThrow(/more than 3 points/);
    expect(() => prdc(real, [[0], [1], [2]])).toThrow(/more than 3 points/);
    expect(() => prdc(real, [[0], [1]], 1)).not.toThrow();
    expect(() => prdc(real, [[0, 1], [1, 1], [2, 1], [3, 1]])).toThrow(/dimensions differ/);
    expect(() => prdc(real, real, 0)).toThrow(/positive integer/);
  });
});

describe('PSNR and SSIM', () => {
  it('of identical images: PSNR capped at 100 dB, SSIM 1', () => {
    const x = randomImage(makeRng(2));
    expect(psnr(x, x)).toBe(PSNR_CAP_DB);
    expect(ssim(x, x)).toBeCloseTo(1, 12);
    const blank = new Float32Array(784);
    expect(ssim(blank, blank)).toBe(1); // (C1 / C1) * (C2 / C2) in every window
  });

  it('PSNR of a constant offset of 0.1 is 20 dB; one pixel off by 1 is 10 log10(784)', () => {
    const x = randomImage(makeRng(4), 0.9);
    const y = x.map((v) => v + 0.1);
    expect(psnr(x, y)).toBeCloseTo(20, 4); // MSE 0.01
    const z = new Float32Array(784); z[100] = 1;
    expect(psnr(new Float32Array(784), z)).toBeCloseTo(10 * Math.log10(784), 10);
  });

  it('SSIM of two flat images is the luminance term (2ab + C1) / (a^2 + b^2 + C1)', () => {
    const C1 = 0.01 ** 2;
    expect(ssim(new Float32Array(784).fill(0.25), new Float32Array(784).fill(0.75))).toBeCloseTo((2 * 0.25 * 0.75 + C1) / (0.25 ** 2 + 0.75 ** 2 + C1), 6);
  });

  it('SSIM of a checkerboard against its negative is the closed form, close to -1', () => {
    // Every 7x7 window holds 25 of one colour and 24 of the other: means 25/49 and 24/49 (or swapped), equal variances
    // v = 25 * 24 / 49^2, covariance -v. SSIM = (2 ma mb + C1)(C2 - 2v) / ((ma^2 + mb^2 + C1)(2v + C2)).
    const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
    const board = Float32Array.from({ length: 784 }, (_, i) => ((i % 28) + Math.floor(i / 28)) % 2);
    const negative = board.map((v) => 1 - v);
    const ma = 25 / 49, mb = 24 / 49, v = (25 * 24) / 49 ** 2;
    const expected = ((2 * ma * mb + C1) * (C2 - 2 * v)) / ((ma * ma + mb * mb + C1) * (2 * v + C2));
    expect(ssim(board, negative)).toBeCloseTo(expected, 10);
    expect(expected).toBeLessThan(-0.99);
    // A random image against its negative: low too.
    const x = randomImage(makeRng(5));
    expect(ssim(x, x.map((p) => 1 - p))).toBeLessThan(0);
  });

  it('is symmetric and refuses images of different sizes', () => {
    const rng = makeRng(6);
    const a = randomImage(rng), b = randomImage(rng);
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 12);
    expect(psnr(a, b)).toBeCloseTo(psnr(b, a), 12);
    expect(ssim(a, b)).toBeLessThan(0.2);
    expect(() => psnr(a, new Float32Array(783))).toThrow(/differ in size/);
    expect(() => ssim(a, new Float32Array(783))).toThrow(/differ in size/);
  });
});

describe('KNN distance', () => {
  it('of private images against their own set is 0, with each image its own nearest', () => {
    const rng = makeRng(8), n = 12, dim = 5;
    const features = Float32Array.from({ length: n * dim }, () => rng());
    const digits = Array.from({ length: n }, (_, i) => i % 3);
    const r = knnDistance(features, digits, features, digits, dim);
    expect(r.distance).toEqual(new Array(n).fill(0));
    expect(r.nearest).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('looks only at images of the same digit and returns the index of the nearest', () => {
    // Query (0, 0) of digit 1: reference 0 (digit 0) is closer but of the wrong digit; of the digit-1 references
    // (3, 4) is 25 away and (1, 1) is 2 away.
    const r = knnDistance([0, 0], [1], [0.1, 0, 3, 4, 1, 1], [0, 1, 1], 2);
    expect(r).toEqual({ distance: [2], nearest: [2] });
    expect(() => knnDistance([0, 0], [7], [0, 0], [1], 2)).toThrow(/no reference image of digit 7/);
  });
});

describe('attack quality record', () => {
  // A private set of 10 images per digit 0 and 1, bytes like MNIST, with random 6-D "evaluator features".
  const rng = makeRng(9), n = 20, dim = 6;
  const privateSet: FeaturedImages = {
    pixels: Uint8Array.from({ length: n * 784 }, () => Math.floor(rng() * 256)),
    digits: Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1)),
    features: Float32Array.from({ length: n * dim }, () => rng()),
    dim, pixelScale: 1 / 255,
  };
  /** Reconstructions that are exact copies of the given private images (pixels in [0, 1], same features). */
  const copies = (idx: number[]): FeaturedImages => ({
    pixels: Float32Array.from(idx.flatMap((i) => Array.from(privateSet.pixels as Uint8Array).slice(i * 784, (i + 1) * 784).map((b) => b / 255))),
    digits: idx.map((i) => privateSet.digits[i]),
    features: Float32Array.from(idx.flatMap((i) => Array.from(privateSet.features).slice(i * dim, (i + 1) * dim))),
    dim,
  });

  it('finds each copy as its own nearest private image: KNN 0, PSNR at the cap, SSIM 1; FID 0 against the same images', () => {
    const idx = [2, 5, 7, 9, 12];
    const q = attackQuality(copies(idx), privateSet, { reference: idx });
    expect(q.perImage.map((r) => r.nearestPrivateIndex)).toEqual(idx);
    expect(q.perImage.map((r) => r.digit)).toEqual([0, 0, 0, 0, 1]);
    expect(q.knnDistance).toBe(0);
    expect(q.psnr).toBe(PSNR_CAP_DB);
    expect(q.ssim).toBeCloseTo(1, 10);
    expect(q.fid).toBeLessThan(1e-9);
    // Digit 0 has 4 reconstructions against 4 reference images of digit 0: both more than k = 3, identical sets.
    expect(q.prdcPerClass[0]).toEqual({ digit: 0, prdc: { precision: 1, recall: 1, density: 1, coverage: 1 } });
    expect(q.prdcPerClass[1]).toMatchObject({ digit: 1, prdc: null, reason: expect.stringMatching(/1 reconstruction/) });
    expect(q.prdcPooled.prdc).toEqual({ precision: 1, recall: 1, density: 1, coverage: 1 });
  });

  it('matches the metric functions on non-copies and reports null with a reason for too few reconstructions', () => {
    const recon = copies([3, 14]);
    (recon.pixels as Float32Array).forEach((v, i, a) => { a[i] = Math.min(1, v + 0.05); });
    (recon.features as Float32Array)[0] += 0.5;
    const q = attackQuality(recon, privateSet);
    expect(q.fid).toBeGreaterThan(0); // 2 reconstructions against all 20 private images
    const one = attackQuality(copies([3]), privateSet);
    expect(one.fid).toBeNull();
    expect(one.fidReason).toMatch(/FID needs at least 2/);
    expect(one.prdcPooled.prdc).toBeNull();
    // The pooled reference here is all 20 images; 2 fakes are too few for PRDC either way.
    expect(q.prdcPooled).toMatchObject({ prdc: null, reason: expect.stringMatching(/2 reconstruction/) });
    const nearest = q.perImage[1].nearestPrivateIndex;
    expect(privateSet.digits[nearest]).toBe(1);
    const priv = Float32Array.from((privateSet.pixels as Uint8Array).slice(nearest * 784, (nearest + 1) * 784), (b) => b / 255);
    const mine = (recon.pixels as Float32Array).slice(784);
    expect(q.perImage[1].psnr).toBeCloseTo(psnr(mine, priv), 6);
    expect(q.perImage[1].ssim).toBeCloseTo(ssim(mine, priv), 6);
  });

  it('refuses inconsistent inputs', () => {
    expect(() => attackQuality({ ...copies([1]), dim: 5 }, privateSet)).toThrow(/feature values/);
    expect(() => attackQuality(copies([1, 2]), privateSet, { reference: [0, 99] })).toThrow(/reference index 99/);
  });
});
