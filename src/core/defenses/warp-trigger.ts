// Two more trigger families for Trap-MID (src/core/defenses/trap-mid.ts), beside blend / ink / stroke:
//
// 'warp' (natural triggers, in the spirit of WaNet, Nguyen and Tran, ICLR 2021): each class's trigger is a smooth,
// learnable displacement field. Its parameters are a coarse G x G x 2 grid per class (G = 4), squashed by tanh and
// scaled by alpha (the largest displacement, in pixels: alpha 1 = at most 1 px), upsampled bilinearly (a fixed
// interpolation matrix, so its gradient is a matMul on every backend) to side x side x 2. The image is resampled at
// (pixel + displacement) by differentiable bilinear sampling written from tf ops (tfjs has no grid_sample): floor of
// the sampling coordinates, a gather of the 4 neighbours from the flattened batch, and bilinear weights that carry
// the gradient to the displacement (the floor's own gradient is zero). Neighbours outside the image count as 0 (their
// indices are clamped for the gather, their values masked). So a pixel whose sampling neighbourhood is all black stays
// exactly 0 (MNIST's background), and a pixel inside a saturated stroke stays 1: only the stroke's shape moves.
//
// 'ted' (TeD's trapdoors, Shan et al., CCS 2020, "Gotta catch 'em all"): a fixed, seeded, random mask-and-pattern
// per class, x~ = (1 - alpha m) x + alpha m p (alpha 1 = TeD's), m a few random 3 x 3 patches (~6% of the pixels), p
// uniform in [0, 1]. Stored as [k, side, side, 2] (channel 0 the mask, 1 the pattern); the trainer never updates them.
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.ts';

/** Coarse grid of a warp trigger's parameters (per class: WARP_GRID x WARP_GRID x 2). */
export const WARP_GRID = 4;
/** Share of the pixels a TeD mask covers (rounded to whole 3 x 3 patches). */
export const TED_SHARE = 0.06;
export const TED_PATCH = 3;

/** The [side * side, grid * grid] matrix that upsamples a grid bilinearly (align-corners: grid corners on image corners). */
const upsamplers = new Map<string, Float32Array>();
export function upsampleMatrix(grid: number, side: number): Float32Array {
  const key = `${grid}x${side}`;
  let m = upsamplers.get(key);
  if (!m) {
    m = new Float32Array(side * side * grid * grid);
    const axis = (p: number): [number, number, number] => { // lower cell, upper cell, weight of the upper
      const u = side === 1 ? 0 : (p * (grid - 1)) / (side - 1);
      const lo = Math.min(Math.floor(u), grid - 2);
      return [lo, lo + 1, u - lo];
    };
    for (let r = 0; r < side; r++) {
      const [r0, r1, fr] = axis(r);
      for (let c = 0; c < side; c++) {
        const [c0, c1, fc] = axis(c);
        const row = (r * side + c) * grid * grid;
        m[row + r0 * grid + c0] += (1 - fr) * (1 - fc);
        m[row + r0 * grid + c1] += (1 - fr) * fc;
        m[row + r1 * grid + c0] += fr * (1 - fc);
        m[row + r1 * grid + c1] += fr * fc;
      }
    }
    upsamplers.set(key, m);
  }
  return m;
}

/**
 * Bilinear sampling of `x` [n, h, w, 1] at (row + field[..., 0], column + field[..., 1]), `field` [n, h, w, 2] in
 * pixels. Outside the image counts as 0. Differentiable with respect to `field` only (x is data): the gradient is the
 * bilinear weights' own, d/d dy = (1 - fx)(v10 - v00) + fx (v11 - v01) and d/d dx = (1 - fy)(v01 - v00) + fy (v11 - v10),
 * given to tf as a custom gradient, because tfjs's tape would otherwise also differentiate the gather's (integer)
 * indices, which it refuses.
 */
export function bilinearSample(x: tf.Tensor4D, field: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const sample = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const f = args[0] as tf.Tensor, save = args[1] as tf.GradSaveFunc;
    const [v00, v01, v10, v11, fy, fx] = tf.tidy(() => {
      const rows = tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1]);
      const cols = tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w]);
      const [dy, dx] = tf.split(f, 2, 3).map((t) => tf.reshape(t, [n, h, w]));
      const y = tf.add(rows, dy), xc = tf.add(cols, dx);
      const y0 = tf.floor(y), x0 = tf.floor(xc);
      const flat = tf.reshape(x, [n * h * w]);
      const base = tf.reshape(tf.mul(tf.range(0, n, 1, 'float32'), h * w), [n, 1, 1]);
      const corner = (yy: tf.Tensor, xx: tf.Tensor): tf.Tensor => {
        const inside = tf.cast(tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(yy, 0), tf.lessEqual(yy, h - 1)),
          tf.logicalAnd(tf.greaterEqual(xx, 0), tf.lessEqual(xx, w - 1))), 'float32');
        // Whole numbers, exact in float32 (below 2^24); clamped into the image for the gather, masked after it.
        const idx = tf.cast(tf.add(base, tf.add(tf.mul(tf.clipByValue(yy, 0, h - 1), w), tf.clipByValue(xx, 0, w - 1))), 'int32');
        return tf.mul(tf.reshape(tf.gather(flat, tf.reshape(idx, [-1])), [n, h, w]), inside);
      };
      const y1 = tf.add(y0, 1), x1 = tf.add(x0, 1);
      return [corner(y0, x0), corner(y0, x1), corner(y1, x0), corner(y1, x1), tf.sub(y, y0), tf.sub(xc, x0)];
    });
    const value = tf.tidy(() => {
      const gy = tf.sub(1, fy), gx = tf.sub(1, fx);
      return tf.reshape(tf.addN([tf.mul(v00, tf.mul(gy, gx)), tf.mul(v01, tf.mul(gy, fx)), tf.mul(v10, tf.mul(fy, gx)), tf.mul(v11, tf.mul(fy, fx))]), [n, h, w, 1]);
    });
    save([v00, v01, v10, v11, fy, fx]);
    tf.dispose([v00, v01, v10, v11, fy, fx]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [a, b, c, d, sy, sx] = saved;
        const g = tf.reshape(dy, [n, h, w]);
        const dY = tf.mul(g, tf.add(tf.mul(tf.sub(1, sx), tf.sub(c, a)), tf.mul(sx, tf.sub(d, b))));
        const dX = tf.mul(g, tf.add(tf.mul(tf.sub(1, sy), tf.sub(b, a)), tf.mul(sy, tf.sub(d, c))));
        return tf.stack([dY, dX], 3);
      }),
    };
  });
  return sample(field) as tf.Tensor4D;
}

/** Each image's displacement field [n, side, side, 2] in pixels: its class's tanh(params) * alpha, upsampled. */
export function warpFields(params: tf.Tensor4D, tOneHot: tf.Tensor2D, alpha: number, side: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, g] = params.shape;
    const n = tOneHot.shape[0];
    const picked = tf.matMul(tOneHot, tf.reshape(tf.mul(tf.tanh(params), alpha), [k, g * g * 2])); // [n, g*g*2]
    const perChannel = tf.reshape(tf.transpose(tf.reshape(picked, [n, g * g, 2]), [0, 2, 1]), [n * 2, g * g]);
    const up = tf.tensor2d(upsampleMatrix(g, side), [side * side, g * g]);
    const full = tf.matMul(perChannel, up, false, true); // [n*2, side*side]
    return tf.transpose(tf.reshape(full, [n, 2, side, side]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** 'warp': each image resampled along its trigger's displacement field (at most alpha px). */
export function warpTriggers(x: tf.Tensor4D, params: tf.Tensor4D, tOneHot: tf.Tensor2D, alpha: number): tf.Tensor4D {
  return tf.tidy(() => bilinearSample(x, warpFields(params, tOneHot, alpha, x.shape[1])));
}

/** Initial warp parameters [k, G, G, 2]: uniform in [-1, 1] (displacements up to tanh(1) alpha = 0.76 alpha px). */
export function initialWarpParams(k: number, rng: () => number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: k * WARP_GRID * WARP_GRID * 2 }, () => rng() * 2 - 1), [k, WARP_GRID, WARP_GRID, 2]);
}

/**
 * TeD's fixed triggers [k, side, side, 2] (mask, pattern): per class, non-overlapping random 3 x 3 patches covering
 * TED_SHARE of the pixels, and a uniform random pattern; seeded.
 */
export function tedTriggers(k: number, side: number, seed: number, share = TED_SHARE): tf.Tensor4D {
  const rng = makeRng(seed * 7919 + 13);
  const px = side * side, values = new Float32Array(k * px * 2);
  const patches = Math.max(1, Math.round((share * px) / (TED_PATCH * TED_PATCH)));
  for (let c = 0; c < k; c++) {
    const mask = new Uint8Array(px);
    for (let placed = 0, tries = 0; placed < patches && tries < 10_000; tries++) {
      const r = Math.floor(rng() * (side - TED_PATCH + 1)), q = Math.floor(rng() * (side - TED_PATCH + 1));
      let free = true;
      for (let i = 0; i < TED_PATCH && free; i++) for (let j = 0; j < TED_PATCH; j++) if (mask[(r + i) * side + q + j]) { free = false; break; }
      if (!free) continue;
      for (let i = 0; i < TED_PATCH; i++) for (let j = 0; j < TED_PATCH; j++) mask[(r + i) * side + q + j] = 1;
      placed++;
    }
    for (let p = 0; p < px; p++) {
      values[(c * px + p) * 2] = mask[p];
      values[(c * px + p) * 2 + 1] = rng();
    }
  }
  return tf.tensor4d(values, [k, side, side, 2]);
}

/** 'ted': x~ = (1 - alpha m) x + alpha m p, with each image's class's mask m and pattern p. */
export function tedApply(x: tf.Tensor4D, triggers: tf.Tensor4D, tOneHot: tf.Tensor2D, alpha: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, side] = triggers.shape;
    const picked = tf.reshape(tf.matMul(tOneHot, tf.reshape(triggers, [k, -1])), [-1, side, side, 2]);
    const [m, p] = tf.split(picked, 2, 3);
    const am = tf.mul(m, alpha);
    return tf.add(tf.mul(tf.sub(1, am), x), tf.mul(am, p)) as tf.Tensor4D;
  });
}
