// Differentiable geometric augmentation for 28x28 images: a random affine warp (rotation, zoom-in crop, shift)
// written as a 784x784 bilinear resampling matrix, so `x_aug = x @ A^T` is a plain matrix product that gradients
// flow through (Trap-MID's trigger step needs d/dK of T(aug(x~))). One warp per chunk of the batch keeps it cheap.
import * as tf from '@tensorflow/tfjs';

const N = 28;

export interface AffineRange {
  /** Max rotation, degrees (either way). No flips: digits are not mirror-symmetric. */
  rotate: number;
  /** Zoom factor range [min, 1]: 0.85 crops to 85% of the side (a random resized crop). */
  minScale: number;
  /** Max shift, pixels (either way). */
  shift: number;
}

export const DEFAULT_AUGMENT: AffineRange = { rotate: 10, minScale: 0.85, shift: 2 };

/** DEFAULT_AUGMENT with every range times `strength` (0: the identity; the zoom never below 10%). */
export function scaledAugment(strength: number): AffineRange {
  return { rotate: DEFAULT_AUGMENT.rotate * strength, minScale: Math.max(0.1, 1 - (1 - DEFAULT_AUGMENT.minScale) * strength), shift: DEFAULT_AUGMENT.shift * strength };
}

/** A [784, 784] matrix M with (M x)[p] = bilinear sample of x at the affine pre-image of output pixel p. */
export function affineMatrix(angleDeg: number, scale: number, dx: number, dy: number): Float32Array {
  const m = new Float32Array(N * N * N * N);
  const a = (angleDeg * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a), mid = (N - 1) / 2;
  for (let r = 0; r < N; r++) {
    for (let q = 0; q < N; q++) {
      // Output pixel (r, q) looks at source (sy, sx): rotate and scale about the centre, then shift.
      const u = q - mid - dx, v = r - mid - dy;
      const sx = scale * (c * u + s * v) + mid, sy = scale * (-s * u + c * v) + mid;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const row = (r * N + q) * N * N;
      for (const [yy, xx, w] of [[y0, x0, (1 - fx) * (1 - fy)], [y0, x0 + 1, fx * (1 - fy)], [y0 + 1, x0, (1 - fx) * fy], [y0 + 1, x0 + 1, fx * fy]] as const) {
        if (w > 0 && yy >= 0 && yy < N && xx >= 0 && xx < N) m[row + yy * N + xx] += w;
      }
    }
  }
  return m;
}

/** Random warps for `chunks` chunks of a batch, as one [chunks, 784, 784] tensor (transposed for x @ A^T). */
export function randomAffineBatch(chunks: number, rng: () => number, range: AffineRange = DEFAULT_AUGMENT): tf.Tensor3D {
  const all = new Float32Array(chunks * N * N * N * N);
  for (let k = 0; k < chunks; k++) {
    const m = affineMatrix((rng() * 2 - 1) * range.rotate, range.minScale + rng() * (1 - range.minScale),
      (rng() * 2 - 1) * range.shift, (rng() * 2 - 1) * range.shift);
    // Store A^T so that rows of x (pixels as a row vector) multiply directly.
    const off = k * N * N * N * N;
    for (let i = 0; i < N * N; i++) for (let j = 0; j < N * N; j++) all[off + j * N * N + i] = m[i * N * N + j];
  }
  return tf.tensor3d(all, [chunks, N * N, N * N]);
}

/** Warp a [B, 28, 28, 1] batch with `warps` ([chunks, 784, 784]); B must be divisible by chunks. */
export function applyAffine(x: tf.Tensor4D, warps: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const chunks = warps.shape[0], b = x.shape[0];
    if (b % chunks !== 0) throw new Error(`batch ${b} is not divisible into ${chunks} augmentation chunks`);
    const rows = tf.reshape(x, [chunks, b / chunks, N * N]);
    return tf.reshape(tf.matMul(rows, warps), [b, N, N, 1]) as tf.Tensor4D;
  });
}

/** One random augmentation of a batch, drawn once and applied to several batches alike (Trap-MID warps a clean batch
 *  and its triggered copy the same way), differentiable with respect to its input. */
export interface Warp {
  apply(x: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/**
 * A warp for images of `side` pixels: on 28 x 28 digits the affine warps above (one per chunk); on larger images (the
 * faces, where a 4096 x 4096 matrix per warp would not fit) a shift of up to `range.shift` pixels with the edge pixels
 * repeated, and a mirror image half of the time, per chunk: faces are (nearly) mirror-symmetric, digits are not.
 */
export function randomWarp(side: number, chunks: number, rng: () => number, range: AffineRange = DEFAULT_AUGMENT): Warp {
  if (side === N) {
    const warps = randomAffineBatch(chunks, rng, range);
    return { apply: (x) => applyAffine(x, warps), dispose: () => warps.dispose() };
  }
  const draws = Array.from({ length: chunks }, () => ({
    // No shift allowed means no augmentation at all (Trap-MID's strength 0): no mirror image either.
    dy: Math.round((rng() * 2 - 1) * range.shift), dx: Math.round((rng() * 2 - 1) * range.shift), flip: range.shift > 0 && rng() < 0.5,
  }));
  return {
    apply: (x) => tf.tidy(() => {
      const b = x.shape[0];
      if (b % chunks !== 0) throw new Error(`batch ${b} is not divisible into ${chunks} augmentation chunks`);
      const parts = tf.split(x, chunks, 0).map((part, k) => {
        const { dy, dx, flip } = draws[k];
        const shifted = shiftEdge(shiftEdge(part as tf.Tensor4D, dy, 1), dx, 2);
        return flip ? tf.reverse(shifted, 2) : shifted;
      });
      return tf.concat(parts, 0) as tf.Tensor4D;
    }),
    dispose: () => undefined,
  };
}

/** `x` moved by `d` pixels along `axis` (1: rows, 2: columns), the vacated border filled with the edge pixels. */
function shiftEdge(x: tf.Tensor4D, d: number, axis: 1 | 2): tf.Tensor4D {
  if (d === 0) return x;
  const size = x.shape[axis];
  const take = (start: number, len: number) => axis === 1 ? x.slice([0, start, 0, 0], [-1, len, -1, -1]) : x.slice([0, 0, start, 0], [-1, -1, len, -1]);
  const reps = (t: tf.Tensor4D, n: number) => tf.tile(t, axis === 1 ? [1, n, 1, 1] : [1, 1, n, 1]);
  return d > 0
    ? tf.concat([reps(take(0, 1), d), take(0, size - d)], axis) as tf.Tensor4D
    : tf.concat([take(-d, size + d), reps(take(size - 1, 1), -d)], axis) as tf.Tensor4D;
}
