// PPA, Plug & Play Attacks (Struppek, Hintersdorf, De Almeida Correia, Adler and Kersting, ICML 2022, "Plug & Play
// Attacks: Towards Robust and Flexible Model Inversion Attacks"), white-box. Its point: the GAN is not trained for the
// target. One unconditional GAN trained on public data (here `gan-disjoint`, public digits 5-9, or the "other
// writers" prior) serves every target as it is; only the attack's three stages look at the target:
//
//   (a) initial selection: sample a pool of latents, score each by the target's softmax confidence for each attacked
//       class, averaged over a few random augmentations of its image, and start each class from its best `restarts`;
//   (b) optimisation: Adam on the latents, minimising the Poincaré loss between the target's normalised logits of a
//       randomly augmented image and the class's one-hot vector (a fresh augmentation every step);
//   (c) final selection: score every optimised candidate by its mean confidence over N random augmentations and keep
//       the candidates whose confidence survives them best.
//
// The Poincaré loss (as the authors' code computes it): with u = logits / ||logits||_1 (so u lies in the unit ball) and v the
// one-hot vector whose 1 is lowered to 1 - xi (xi = 1e-4, so that v lies inside the ball too),
//     d(u, v) = arccosh(1 + 2 ||u - v||^2 / ((1 - ||u||^2)(1 - ||v||^2))),
// the hyperbolic distance in the Poincaré ball. Near the ball's edge distances grow without bound, so the gradient
// keeps pushing towards the class long after a cross-entropy would have flattened out (the motivation for it: CE's
// gradient vanishes once the class probability is near 1, which a GAN-prior attack reaches early).
//
// What follows the paper (its abstract and its authors' public code, read for the algorithm and the constants; the
// full text was not at hand): the pool is shared by all attacked classes
// (scored once, each class takes its own top candidates, distinct within a class); the loss and its constants; Adam
// with betas (0.1, 0.1) and the paper's learning rate 0.005; 70 optimisation steps; a fresh
// random resized crop of the whole batch each step; final selection by the mean softmax confidence over 100 random
// transformations; no discriminator term (the paper's default weight is 0) and no latent clamp.
//
// Where we deviate, and why:
// - The prior is our 28 x 28 DCGAN, searched in its z space (N(0, 1), 100-d); the paper searches StyleGAN2's W space
//   with truncation psi 0.5. Our DCGAN has no mapping network, so there is no W to search and no truncation.
// - Augmentations are the project's differentiable affine warps (augment.ts: zoom-in crop about the centre, shift,
//   rotation), never flips: digits are not mirror-symmetric, where the paper flips faces. During the initial
//   selection the image itself and 3 random warps are averaged (the paper: a centre crop and its mirror image). The
//   optimisation uses the project's standard warp (rotation up to 10 degrees, zoom 0.85-1, shift 2 px; the paper's
//   crop keeps 90-100% of the area); the final selection a stronger one (rotation 10, zoom 0.75-1, shift 3 px: the
//   paper crops to 50-90% of the area, at aspect ratios 0.8-1.2, which our isotropic warp cannot do).
// - Final selection keeps one candidate per digit (the paper keeps 50 per class): the judges, the CLI and the
//   benchmark score one reconstruction per private digit for every attack. Before the run is done the outlined
//   candidate is the one with the lowest Poincaré loss on its plain image (cheap, for the live grid); at the last
//   step the final selection replaces it. Ties of the mean confidence (a float32 softmax saturates at 1 for a very
//   sure target) are broken by the mean log-confidence over the same warps.
// - The browser budget: a pool of 1,000 latents (the paper: 5,000 for hundreds of classes) and 8 candidates per digit
//   (the paper: 200); the paper's 70 steps and learning rate. Larger rates did not help here: on target-none, seeds
//   1-5, evaluator top-1 0.56 at lr 0.005, 0.44 at 0.02, 0.56 at 0.05, 0.48 at 0.1 (25 reconstructions each).
//   On MNIST the two selections carry the attack: with 1 step instead of 70 (seeds 1-10, target-none) top-1 is 0.54
//   against 0.52; the Poincaré steps raise the target's confidence more than they change what the judges read.
// - Denominators are floored (||logits||_1 at 1e-12, 1 - ||u||^2 at 1e-7): logits that are all zero, or exactly one
//   non-zero logit (u on the ball's edge), would otherwise give NaN or an infinite loss. Neither changes any finite value.
//
// Seeds run one at a time (no `batchesSeeds`, unlike GMI): Adam with betas (0.1, 0.1) is close to a sign step, so a
// gradient coordinate near 0 takes a full step one way or the other on float rounding alone. A batch of seeds sums
// in another order than a run of one, and the two part ways: on the shipped target, seeds 1-3 batched against seed
// 1 alone (lr 0.05) agree to 3e-5 in z after 8 steps, but differ by 0.2 in z and by 0.97 in some pixel after 20. A
// batch would not reproduce what the lab shows for the same seed, so the CLI and the benchmark run each seed alone.
// The run draws its pool, its selection warps and one warp per step from the seed's stream, and its final-selection
// warps from a second stream of the seed's (so a snapshot never moves the step stream).
import * as tf from '@tensorflow/tfjs';
import { infer } from '../nets/fused-chain.ts';
import { adam } from '../kernels/adam.ts';
import {
  type Attack, type CandidateSnapshot, type GanPrior, type Reconstructions, keepBest, keptOf, outputIndices,
} from './attack.ts';
import { type AffineRange, DEFAULT_AUGMENT, applyAffine, randomAffineBatch, randomWarp } from '../data/augment.ts';
import { makeRng } from '../data/rng.ts';
import { generate, latentDim, sampleLatents } from '../nets/gan.ts';

/** PPA runs on the 28 x 28 digits (its warps are the digits' affine ones). */
const N_SIDE = 28;

/** The paper's xi: the one-hot target's 1 becomes 1 - xi, inside the unit ball. */
export const POINCARE_XI = 1e-4;
/** Adam's moment decay rates in the paper's code: (0.1, 0.1), short memories (close to a sign step of size lr). */
export const PPA_BETAS: readonly [number, number] = [0.1, 0.1];
/** Views averaged in the initial selection: the image itself and this many random warps minus one. */
export const INITIAL_VIEWS = 4;
/** The final selection's warps: stronger than the optimisation's (the paper: crops of 50-90% of the area). */
export const FINAL_AUGMENT: AffineRange = { rotate: 10, minScale: 0.75, shift: 3 };
/** The final selection's warps come from a stream of their own (seed ^ salt): snapshots never move the step stream. */
const FINAL_SALT = 0x5e1ec7;
/** Latents scored per forward pass in the initial selection, and final-selection warps per pass. */
const POOL_CHUNK = 500;
const WARPS_PER_PASS = 10;

export interface PpaOptions {
  seed: number;
  classes?: number[];
  /** Optimised candidates per attacked class (the paper: 200). */
  restarts: number;
  /** Latents sampled and scored in the initial selection, shared by all attacked classes (the paper: 5,000). */
  pool: number;
  steps: number;
  /** Adam's step on the latents (the paper: 0.005, betas 0.1 / 0.1). */
  learningRate: number;
  /** Random augmentations each candidate's confidence is averaged over in the final selection (the paper: 100). */
  finalAugmentations: number;
}

export interface PpaState {
  options: PpaOptions;
  target: tf.LayersModel;
  prior: GanPrior;
  classes: number[];
  /** Candidates class-major, then restart. */
  candidateClasses: number[];
  z: tf.Variable<tf.Rank.R2>;
  labels: tf.Tensor2D;
  optimizer: tf.Optimizer;
  /** The seed's stream: the pool, the selection warps, then one warp per step. */
  rng: () => number;
  /** Each candidate's initial-selection score (mean confidence over the selection's views). */
  initialScore: number[];
  /** The final selection's kept candidates (and robust scores), computed once when the run is done. */
  final?: { kept: number[]; score: Float32Array };
  stepCount: number;
}

export const PPA_DEFAULTS: Omit<PpaOptions, 'seed' | 'classes'> = {
  restarts: 8, pool: 1000, steps: 70, learningRate: 0.005, finalAugmentations: 100,
};
/** The paper's budget (its CelebA / FaceScrub attacks against StyleGAN2 FFHQ). */
export const PPA_PAPER = { restarts: 200, pool: 5000, steps: 70, learningRate: 0.005, finalAugmentations: 100 };

/**
 * The hyperbolic distance between rows of u and v in the Poincaré ball (every row inside the unit ball):
 * arccosh(1 + 2 ||u - v||^2 / ((1 - ||u||^2)(1 - ||v||^2))), written as log(1 + d + sqrt(d (d + 2))).
 */
export function poincareDistance(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const uu = tf.sum(tf.square(u), 1), vv = tf.sum(tf.square(v), 1), dd = tf.sum(tf.square(tf.sub(u, v)), 1);
    const edge = (n: tf.Tensor) => tf.maximum(tf.sub(1, n), 1e-7);
    const delta = tf.div(tf.mul(dd, 2), tf.mul(edge(uu), edge(vv)));
    return tf.log(tf.add(tf.add(delta, 1), tf.sqrt(tf.mul(delta, tf.add(delta, 2))))) as tf.Tensor1D;
  });
}

/** PPA's identity loss per row: the Poincaré distance of the L1-normalised logits to the one-hot (1 -> 1 - xi). */
export function poincareLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D, xi = POINCARE_XI): tf.Tensor1D {
  return tf.tidy(() => {
    const u = tf.div(logits, tf.maximum(tf.sum(tf.abs(logits), 1, true), 1e-12)) as tf.Tensor2D;
    return poincareDistance(u, tf.mul(oneHot, 1 - xi) as tf.Tensor2D);
  });
}

/**
 * The initial selection's scores: for each latent of `z` ([n, dim]), the target's softmax over all its outputs,
 * averaged over the plain image and each of `warps` ([w, 784, 784], may be null). Returned as [n, outputs] values.
 */
export async function poolScores(generator: tf.LayersModel, target: tf.LayersModel, z: Float32Array, dim: number, warps: tf.Tensor3D | null): Promise<Float32Array> {
  const n = z.length / dim;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += POOL_CHUNK) {
    const rows = Math.min(POOL_CHUNK, n - start);
    const mean = tf.tidy(() => {
      const img = generate(generator, tf.tensor2d(z.subarray(start * dim, (start + rows) * dim), [rows, dim]));
      const views = warps ? tf.split(warps, warps.shape[0], 0).map((w) => applyAffine(img, w as tf.Tensor3D)) : [];
      const probs = [img, ...views].map((x) => tf.softmax(infer(target, x) as tf.Tensor2D));
      return tf.div(tf.addN(probs), probs.length);
    });
    parts.push(new Float32Array(await mean.data() as Float32Array));
    mean.dispose();
  }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * For each attacked class (its output index in `outputs`), the `perClass` pool rows with the largest score in that
 * output, best first (distinct within a class; two classes may pick the same latent, as in the paper).
 */
export function topPerClass(scores: Float32Array, numOutputs: number, outputs: number[], perClass: number): number[][] {
  const n = scores.length / numOutputs;
  if (perClass > n) throw new Error(`the initial pool (${n} latents) is smaller than the candidates per digit (${perClass})`);
  return outputs.map((k) => Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => scores[b * numOutputs + k] - scores[a * numOutputs + k] || a - b)
    .slice(0, perClass));
}

/** Each candidate's final-selection score: the mean confidence (and mean log-confidence) in its class over N warps. */
async function robustScores(s: PpaState): Promise<{ mean: Float32Array; meanLog: Float32Array }> {
  const count = s.candidateClasses.length, n = s.options.finalAugmentations;
  const mean = new Float32Array(count), meanLog = new Float32Array(count);
  const rng = makeRng(s.options.seed ^ FINAL_SALT);
  const img = tf.tidy(() => generate(s.prior.generator, s.z));
  try {
    for (let done = 0; done < n; done += WARPS_PER_PASS) {
      const g = Math.min(WARPS_PER_PASS, n - done);
      const warps = randomWarp(N_SIDE, g, rng, FINAL_AUGMENT);
      // g copies of the candidates, copy j warped by warp j (the warp's chunks); the confidence in each one's class.
      const [p, lp] = tf.tidy(() => {
        const logits = infer(s.target, warps.apply(tf.tile(img, [g, 1, 1, 1]) as tf.Tensor4D)) as tf.Tensor2D;
        const y = tf.tile(s.labels, [g, 1]);
        const own = (t: tf.Tensor2D) => tf.sum(tf.reshape(tf.sum(tf.mul(t, y), 1), [g, count]), 0);
        return [own(tf.softmax(logits)), own(tf.logSoftmax(logits))];
      });
      warps.dispose();
      const [pv, lv] = await Promise.all([p.data(), lp.data()]);
      tf.dispose([p, lp]);
      for (let j = 0; j < count; j++) { mean[j] += pv[j] / n; meanLog[j] += lv[j] / n; }
    }
  } finally {
    img.dispose();
  }
  return { mean, meanLog };
}

/** Per attacked class (candidates grouped `perClass` at a time): the largest mean, ties broken by the mean log. */
export function keepRobust(mean: ArrayLike<number>, meanLog: ArrayLike<number>, classes: number, perClass: number): number[] {
  return Array.from({ length: classes }, (_, c) => {
    let best = c * perClass;
    for (let j = best + 1; j < (c + 1) * perClass; j++) {
      if (mean[j] > mean[best] || (mean[j] === mean[best] && meanLog[j] > meanLog[best])) best = j;
    }
    return best;
  });
}

export const ppa = {
  id: 'ppa',

  async init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('PPA needs an unconditional GAN prior (one GAN for every target)');
    if (options.pool < options.restarts) throw new Error(`PPA: the initial pool (${options.pool}) must hold at least the candidates per digit (${options.restarts})`);
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rng = makeRng(options.seed);
    const dim = latentDim(ctx.prior.generator);
    const k = ctx.targetClasses.length;
    // (a) Initial selection: the pool and its selection warps from the seed's stream, scored once for every class.
    const pool = sampleLatents(options.pool, rng, Infinity, dim);
    const warps = INITIAL_VIEWS > 1 ? randomAffineBatch(INITIAL_VIEWS - 1, rng) : null;
    let scores: Float32Array;
    try {
      scores = await poolScores(ctx.prior.generator, ctx.target, pool, dim, warps);
    } finally {
      warps?.dispose();
    }
    const picked = topPerClass(scores, k, outputs, options.restarts);
    const chosen = new Float32Array(classes.length * options.restarts * dim);
    const initialScore: number[] = [];
    picked.flat().forEach((i, row) => chosen.set(pool.subarray(i * dim, (i + 1) * dim), row * dim));
    picked.forEach((best, c) => { for (const i of best) initialScore.push(scores[i * k + outputs[c]]); });
    const start = tf.tensor2d(chosen, [classes.length * options.restarts, dim]);
    const z = tf.variable(start, true, `ppa-z-${Math.random().toString(36).slice(2)}`) as tf.Variable<tf.Rank.R2>;
    start.dispose();
    const rows = outputs.flatMap((o) => Array.from({ length: options.restarts }, () => o));
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(rows, 'int32'), k).toFloat()) as tf.Tensor2D;
    const state: PpaState = {
      options, target: ctx.target, prior: ctx.prior, classes,
      candidateClasses: classes.flatMap((d) => Array.from({ length: options.restarts }, () => d)),
      z, labels, optimizer: adam(options.learningRate, PPA_BETAS[0], PPA_BETAS[1]), rng, initialScore, stepCount: 0,
    };
    return state;
  },

  step(s) {
    if (s.stepCount >= s.options.steps) return { step: s.stepCount, done: true };
    // (b) One random warp per step for the whole batch (the paper crops the whole batch alike).
    const warp = randomWarp(N_SIDE, 1, s.rng, DEFAULT_AUGMENT);
    tf.tidy(() => {
      s.optimizer.minimize(() => {
        const img = warp.apply(generate(s.prior.generator, s.z));
        const loss = poincareLoss(infer(s.target, img) as tf.Tensor2D, s.labels);
        return tf.mean(loss) as tf.Scalar;
      }, false, [s.z]);
    });
    warp.dispose();
    s.stepCount++;
    return { step: s.stepCount, done: s.stepCount >= s.options.steps };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    const t = tf.tidy(() => {
      const img = generate(s.prior.generator, s.z);
      const logits = infer(s.target, img) as tf.Tensor2D;
      return [img, poincareLoss(logits, s.labels), tf.sum(tf.mul(tf.softmax(logits), s.labels), 1)];
    });
    const [pixels, loss, conf] = await Promise.all(t.map((x) => x.data()));
    tf.dispose(t);
    const groups = s.classes.length;
    // (c) Final selection once the run is done (computed once: z no longer moves); until then the lowest loss.
    if (s.stepCount >= s.options.steps && !s.final) {
      const { mean, meanLog } = await robustScores(s);
      s.final = { kept: keepRobust(mean, meanLog, groups, s.options.restarts), score: mean };
    }
    return {
      step: s.stepCount, classes: [...s.candidateClasses], pixels: new Float32Array(pixels as Float32Array),
      targetConfidence: Array.from(conf), loss: Array.from(loss),
      kept: s.final ? [...s.final.kept] : keepBest(Array.from(loss, (v) => -v), groups, s.options.restarts),
      attacked: [...s.classes],
    };
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose(s) {
    tf.dispose([s.z, s.labels]);
    s.optimizer.dispose();
  },
} satisfies Attack<PpaOptions, PpaState>;
