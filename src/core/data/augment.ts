// Differentiable geometric augmentation for 28x28 images: a random affine warp (rotation, zoom-in crop, shift) with
// bilinear sampling. Each output pixel reads four source pixels (its taps), so a warp is a sparse 784x784 matrix:
// `randomWarp` / `warpPerStream` apply it on a GPU as a product with the dense matrix (`x_aug = x @ A^T`, one
// dispatch), on wasm / cpu as a loop over the taps (kernels/warp-taps.ts); `randomAffineBatch` / `applyAffine`
// give the dense matrices to the callers that stack many warps of one batch. Gradients flow through all of them
// (Trap-MID's trigger step needs d/dK of T(aug(x~))).
import * as tf from '@tensorflow/tfjs';
import { unaryOp } from '../kernels/custom-grad.ts';
import { WARP_TAPS, type WarpTapsAttrs, warpTaps } from '../kernels/warp-taps.ts';

const N = 28;
const PIXELS = N * N;

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

/** One warp's parameters: rotation (degrees), zoom (source pixels per output pixel) and shift (pixels). */
interface Affine { angle: number; scale: number; dx: number; dy: number }

/** A random warp within `range` (four draws from `rng`, always in this order: run records replay them). */
function drawAffine(rng: () => number, range: AffineRange): Affine {
  return { angle: (rng() * 2 - 1) * range.rotate, scale: range.minScale + rng() * (1 - range.minScale), dx: (rng() * 2 - 1) * range.shift, dy: (rng() * 2 - 1) * range.shift };
}

/**
 * The bilinear taps of a warp: output pixel p reads source pixel index[4p + t] with weight weight[4p + t] (t < 4);
 * a tap outside the image reads pixel 0 with weight 0 (the border is black).
 */
function affineTaps({ angle, scale, dx, dy }: Affine): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(PIXELS * 4), weight = new Float32Array(PIXELS * 4);
  const a = (angle * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a), mid = (N - 1) / 2;
  for (let r = 0; r < N; r++) {
    for (let q = 0; q < N; q++) {
      // Output pixel (r, q) looks at source (sy, sx): rotate and scale about the centre, then shift.
      const u = q - mid - dx, v = r - mid - dy;
      const sx = scale * (c * u + s * v) + mid, sy = scale * (-s * u + c * v) + mid;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const taps = [[y0, x0, (1 - fx) * (1 - fy)], [y0, x0 + 1, fx * (1 - fy)], [y0 + 1, x0, (1 - fx) * fy], [y0 + 1, x0 + 1, fx * fy]] as const;
      taps.forEach(([yy, xx, w], t) => {
        if (w > 0 && yy >= 0 && yy < N && xx >= 0 && xx < N) { index[(r * N + q) * 4 + t] = yy * N + xx; weight[(r * N + q) * 4 + t] = w; }
      });
    }
  }
  return { index, weight };
}

/** A [784, 784] matrix M with (M x)[p] = bilinear sample of x at the affine pre-image of output pixel p. */
export function affineMatrix(angleDeg: number, scale: number, dx: number, dy: number): Float32Array {
  const m = new Float32Array(PIXELS * PIXELS);
  const { index, weight } = affineTaps({ angle: angleDeg, scale, dx, dy });
  for (let k = 0; k < PIXELS * 4; k++) m[(k >> 2) * PIXELS + index[k]] += weight[k];
  return m;
}

/** Random warps for `chunks` chunks of a batch, as one [chunks, 784, 784] tensor (transposed for x @ A^T). */
export function randomAffineBatch(chunks: number, rng: () => number, range: AffineRange = DEFAULT_AUGMENT): tf.Tensor3D {
  return denseWarps(Array.from({ length: chunks }, () => affineTaps(drawAffine(rng, range))));
}

type Taps = ReturnType<typeof affineTaps>;

/** Each chunk's warp matrix A, stored as A^T so that rows of x (pixels as a row vector) multiply directly. */
function denseWarps(chunks: Taps[]): tf.Tensor3D {
  const all = new Float32Array(chunks.length * PIXELS * PIXELS);
  chunks.forEach(({ index, weight }, k) => {
    for (let t = 0; t < PIXELS * 4; t++) all[k * PIXELS * PIXELS + index[t] * PIXELS + (t >> 2)] += weight[t];
  });
  return tf.tensor3d(all, [chunks.length, PIXELS, PIXELS]);
}

/** One warp per chunk: where the taps kernel is registered (cpu, wasm) a loop over the taps, else the dense matrices. */
function affineWarp(draws: Affine[]): Warp {
  const taps = draws.map(affineTaps);
  if (tf.getKernel(WARP_TAPS, tf.getBackend())) return tapsWarp(taps);
  const warps = denseWarps(taps);
  return { apply: (x) => applyAffine(x, warps), dispose: () => warps.dispose() };
}

/**
 * The warp as the taps kernel: each output pixel's four taps forward, and each source pixel's taps (the transpose,
 * padded with weight-0 taps to the largest fan-in) for the gradient. On wasm about ten times faster than building the
 * dense 784 x 784 matrices and multiplying (README, "Warps as gathers").
 */
function tapsWarp(chunks: Taps[]): Warp {
  const incoming: { out: number; w: number }[][] = Array.from({ length: chunks.length * PIXELS }, () => []);
  chunks.forEach(({ index, weight }, k) => {
    for (let t = 0; t < PIXELS * 4; t++) if (weight[t] > 0) incoming[k * PIXELS + index[t]].push({ out: t >> 2, w: weight[t] });
  });
  const forward: WarpTapsAttrs = { chunks: chunks.length, taps: 4, index: new Int32Array(chunks.length * PIXELS * 4), weight: new Float32Array(chunks.length * PIXELS * 4) };
  chunks.forEach(({ index, weight }, k) => { forward.index.set(index, k * PIXELS * 4); forward.weight.set(weight, k * PIXELS * 4); });
  const fan = Math.max(1, ...incoming.map((l) => l.length));
  const back: WarpTapsAttrs = { chunks: chunks.length, taps: fan, index: new Int32Array(incoming.length * fan), weight: new Float32Array(incoming.length * fan) };
  incoming.forEach((list, src) => list.forEach(({ out, w }, j) => { back.index[src * fan + j] = out; back.weight[src * fan + j] = w; }));
  const warp = unaryOp((x) => ({ value: warpTaps(x, forward), gradFunc: (dy) => warpTaps(dy, back) }));
  return {
    apply: (x) => {
      if (x.shape[0] % chunks.length !== 0) throw new Error(`batch ${x.shape[0]} is not divisible into ${chunks.length} augmentation chunks`);
      return warp(x) as tf.Tensor4D;
    },
    dispose: () => undefined,
  };
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
  if (side === N) return affineWarp(Array.from({ length: chunks }, () => drawAffine(rng, range)));
  return shiftFlipWarp(Array.from({ length: chunks }, () => shiftFlipDraw(rng, range)));
}

/**
 * One warp per chunk of a batch, chunk k drawn from `rngs[k]` (several seeds in one batch, each seed's draws from its
 * own stream, as its separate run would draw them).
 */
export function warpPerStream(side: number, rngs: (() => number)[], range: AffineRange = DEFAULT_AUGMENT): Warp {
  if (side !== N) return shiftFlipWarp(rngs.map((rng) => shiftFlipDraw(rng, range)));
  return affineWarp(rngs.map((rng) => drawAffine(rng, range)));
}

interface ShiftFlip { dy: number; dx: number; flip: boolean }

function shiftFlipDraw(rng: () => number, range: AffineRange): ShiftFlip {
  // No shift allowed means no augmentation at all (Trap-MID's strength 0): no mirror image either.
  return { dy: Math.round((rng() * 2 - 1) * range.shift), dx: Math.round((rng() * 2 - 1) * range.shift), flip: range.shift > 0 && rng() < 0.5 };
}

function shiftFlipWarp(draws: ShiftFlip[]): Warp {
  return {
    apply: (x) => tf.tidy(() => {
      const b = x.shape[0], chunks = draws.length;
      if (b % chunks !== 0) throw new Error(`batch ${b} is not divisible into ${chunks} augmentation chunks`);
      // Slices, not tf.split: tfjs's split gradient fails on a single chunk (it gets one tensor, not a list).
      const m = b / chunks;
      const parts = draws.map(({ dy, dx, flip }, k) => {
        const shifted = shiftEdge(shiftEdge(tf.slice(x, [k * m, 0, 0, 0], [m, -1, -1, -1]), dy, 1), dx, 2);
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

/**
 * DiffAugment (Zhao et al., NeurIPS 2020), for GANs on a few hundred images: the discriminator sees real and fake
 * images through the same kind of random, differentiable augmentation (so it cannot memorise the training set, and
 * the generator's gradient flows back through it). Grey-scale version of its three policies, drawn per image:
 * brightness (+U(-0.5, 0.5)), contrast (about the image's mean, x U(0.5, 1.5)), translation (up to 1/8 of the side,
 * zero fill; per chunk of the batch, not per image, to keep it to a few slices) and cutout (a zeroed square of half
 * the side). Saturation, the colour policy's third part, has no grey analogue.
 */
export function diffAugment(x: tf.Tensor4D, rng: () => number, chunks = 4): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, side] = x.shape;
    const perImage = (f: () => number) => tf.tensor4d(Float32Array.from({ length: n }, f), [n, 1, 1, 1]);
    let h = tf.add(x, perImage(() => rng() - 0.5));
    const mean = tf.mean(h, [1, 2, 3], true);
    h = tf.add(tf.mul(tf.sub(h, mean), perImage(() => 0.5 + rng())), mean);
    // Translation: each chunk moved by up to side/8 in both directions, the vacated border zero.
    const max = Math.floor(side / 8), k = n % chunks === 0 ? chunks : 1;
    // Slices, not tf.split (see randomWarp).
    const m = n / k;
    const moved = Array.from({ length: k }, (_, c) => {
      const dy = Math.round((rng() * 2 - 1) * max), dx = Math.round((rng() * 2 - 1) * max);
      return shiftZero(shiftZero(tf.slice(h, [c * m, 0, 0, 0], [m, -1, -1, -1]) as tf.Tensor4D, dy, 1), dx, 2);
    });
    h = tf.concat(moved, 0) as tf.Tensor4D;
    // Cutout: a square of half the side at a random centre (clipped at the border), per image.
    const half = Math.floor(side / 2), mask = new Float32Array(n * side * side).fill(1);
    for (let i = 0; i < n; i++) {
      const cy = Math.floor(rng() * side), cx = Math.floor(rng() * side);
      for (let r = Math.max(0, cy - half / 2); r < Math.min(side, cy + half / 2); r++) {
        mask.fill(0, i * side * side + r * side + Math.max(0, cx - half / 2), i * side * side + r * side + Math.min(side, cx + half / 2));
      }
    }
    return tf.mul(h, tf.tensor4d(mask, [n, side, side, 1])) as tf.Tensor4D;
  });
}

/** `x` moved by `d` pixels along `axis` (1: rows, 2: columns), the vacated border zero. */
function shiftZero(x: tf.Tensor4D, d: number, axis: 1 | 2): tf.Tensor4D {
  if (d === 0) return x;
  const pad: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
  pad[axis] = d > 0 ? [d, 0] : [0, -d];
  const padded = tf.pad(x, pad);
  const start = [0, 0, 0, 0];
  start[axis] = d > 0 ? 0 : -d;
  return tf.slice(padded, start, x.shape) as tf.Tensor4D;
}
