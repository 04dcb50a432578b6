// The "quality" record of one attack result, from plain arrays: for each reconstruction the nearest private image
// of its class in evaluator-feature space (KNN distance) and PSNR / SSIM to that image; for the whole set FID and
// PRDC against a reference sample of private images. Feature extraction (tfjs) stays with the caller.
import { fid, type FeatureRows } from './fid.ts';
import { psnr, ssim } from './image-quality.ts';
import { knnDistance } from './knn.ts';
import { prdc, type Prdc } from './prdc.ts';

/** Labelled images with their evaluator features, all flat: image i is pixels[i*side*side..], features[i*dim..]. */
export interface FeaturedImages {
  pixels: ArrayLike<number>;
  /** Image side (absent: 28, MNIST). */
  side?: number;
  digits: ArrayLike<number>;
  features: ArrayLike<number>;
  dim: number;
  /** Factor that brings `pixels` to [0, 1] (1 / 255 for MNIST bytes); 1 when omitted. */
  pixelScale?: number;
}

export interface QualityOptions {
  /**
   * Indices of the private images that form the real set of FID and PRDC (a few hundred: PRDC is quadratic in
   * it). All private images when omitted. The nearest-image search always uses every private image.
   */
  reference?: ArrayLike<number>;
  /** PRDC's k (3). */
  k?: number;
}

export interface ReconstructionQuality { digit: number; nearestPrivateIndex: number; knnDistance: number; psnr: number; ssim: number }

/** A metric that could not be computed is null, with the reason beside it. */
export interface MaybePrdc { prdc: Prdc | null; reason?: string }

export interface AttackQuality {
  perImage: ReconstructionQuality[];
  /** Means over reconstructions. */
  knnDistance: number;
  psnr: number;
  ssim: number;
  fid: number | null;
  fidReason?: string;
  /** PRDC of each attacked class's reconstructions against the reference images of that class. */
  prdcPerClass: ({ digit: number } & MaybePrdc)[];
  /** PRDC of all reconstructions against the whole reference sample (all classes together). */
  prdcPooled: MaybePrdc;
}

const pixelsOf = (set: FeaturedImages) => (set.side ?? 28) ** 2;

function imageOf(set: FeaturedImages, i: number): Float32Array {
  const scale = set.pixelScale ?? 1, px = pixelsOf(set);
  const out = new Float32Array(px);
  for (let p = 0; p < px; p++) out[p] = set.pixels[i * px + p] * scale;
  return out;
}

function featureRows(set: FeaturedImages, indices: ArrayLike<number>): ArrayLike<number>[] {
  const f = set.features, d = set.dim;
  return Array.from(indices, (i) => (ArrayBuffer.isView(f) ? (f as Float32Array).subarray(i * d, (i + 1) * d) : Array.from({ length: d }, (_, k) => f[i * d + k])));
}

function count(set: FeaturedImages, what: string): number {
  const n = set.digits.length;
  const side = set.side ?? 28;
  if (set.pixels.length !== n * side * side) throw new Error(`${what}: ${set.pixels.length} pixel values for ${n} images of ${side} x ${side}`);
  if (set.dim < 1 || set.features.length !== n * set.dim) throw new Error(`${what}: ${set.features.length} feature values for ${n} images of dimension ${set.dim}`);
  return n;
}

function tryPrdc(real: FeatureRows, fake: FeatureRows, k: number): MaybePrdc {
  if (fake.length <= k) return { prdc: null, reason: `${fake.length} reconstruction(s): PRDC with k = ${k} needs more than ${k}` };
  if (real.length <= k) return { prdc: null, reason: `${real.length} reference image(s): PRDC with k = ${k} needs more than ${k}` };
  return { prdc: prdc(real, fake, k) };
}

/** The quality record of a set of reconstructions against the private images. */
export function attackQuality(reconstructions: FeaturedImages, privateSet: FeaturedImages, options: QualityOptions = {}): AttackQuality {
  const k = options.k ?? 3;
  const m = count(reconstructions, 'reconstructions'), n = count(privateSet, 'private images');
  const side = reconstructions.side ?? 28;
  if ((privateSet.side ?? 28) !== side) throw new Error(`image sizes differ (${side} vs ${privateSet.side ?? 28})`);
  if (m === 0) throw new Error('quality of an empty set of reconstructions');
  if (reconstructions.dim !== privateSet.dim) throw new Error(`feature dimensions differ (${reconstructions.dim} vs ${privateSet.dim})`);
  const knn = knnDistance(reconstructions.features, reconstructions.digits, privateSet.features, privateSet.digits, privateSet.dim);
  const perImage = Array.from({ length: m }, (_, i): ReconstructionQuality => {
    const recon = imageOf(reconstructions, i), nearest = imageOf(privateSet, knn.nearest[i]);
    return { digit: reconstructions.digits[i], nearestPrivateIndex: knn.nearest[i], knnDistance: knn.distance[i], psnr: psnr(recon, nearest), ssim: ssim(recon, nearest, side, side) };
  });
  const mean = (f: (r: ReconstructionQuality) => number) => perImage.reduce((s, r) => s + f(r), 0) / m;

  const reference = options.reference ? Array.from(options.reference) : Array.from({ length: n }, (_, i) => i);
  for (const i of reference) if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`reference index ${i} is not a private image (0..${n - 1})`);
  const fakeRows = featureRows(reconstructions, Array.from({ length: m }, (_, i) => i));
  const realRows = featureRows(privateSet, reference);
  let fidValue: number | null = null, fidReason: string | undefined;
  if (m < 2) fidReason = `${m} reconstruction: FID needs at least 2`;
  else if (realRows.length < 2) fidReason = `${realRows.length} reference image(s): FID needs at least 2`;
  else fidValue = fid(fakeRows, realRows);

  const digits = [...new Set(Array.from(reconstructions.digits))].sort((a, b) => a - b);
  const prdcPerClass = digits.map((digit) => ({
    digit,
    ...tryPrdc(
      realRows.filter((_, r) => privateSet.digits[reference[r]] === digit),
      fakeRows.filter((_, i) => reconstructions.digits[i] === digit), k),
  }));
  return {
    perImage, knnDistance: mean((r) => r.knnDistance), psnr: mean((r) => r.psnr), ssim: mean((r) => r.ssim),
    fid: fidValue, ...(fidReason ? { fidReason } : {}),
    prdcPerClass, prdcPooled: tryPrdc(realRows, fakeRows, k),
  };
}
