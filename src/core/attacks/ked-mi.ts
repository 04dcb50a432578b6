// KED-MI (Chen et al. 2021), knowledge-enriched distributional model inversion: instead of one latent per
// restart, learn a Gaussian N(mu_y, diag(exp(logvar_y))) over the latents of each attacked class, by Adam on
//     E_eps[ prior(G(mu + sigma * eps)) + lambda * CE(T(G(mu + sigma * eps)), y) ]
// with a fresh batch of eps every step (the reparameterisation trick). The prior is the KED-MI GAN's
// semi-supervised discriminator: -log D(x), D = Z / (Z + 1), Z = sum exp(class logits). The result is a
// distribution: the page shows samples from it (fixed eps, so they move smoothly), the most confident one kept.
// `augment` > 0 takes the identity term on two warped copies per step, as GMI's can (gmi.ts).
// LOMMA plugs in as the identity loss (see lomma.ts). Several seeds run as one batch (`seeds`, see Seeded in
// attack.ts): one distribution per class and seed, each seed's start and per-step noise from its own stream.
import * as tf from '@tensorflow/tfjs';
import { adam } from '../kernels/adam.ts';
import {
  type Attack, type CandidateSnapshot, type GanPrior, type Reconstructions, type Seeded, discriminatorOf, drawPerSeed, keepBest, keptOf,
  outputIndices, repeatPerSeed, seedMeans, seedStreams,
} from './attack.ts';
import { generate, kedLogReal, sampleLatents, Z_DIM } from '../nets/gan.ts';
import { infer } from '../nets/fused-chain.ts';
import { identityLoss, stepWarps, warpedIdentity, type IdentityLoss, type LommaOptions } from './lomma.ts';
import type { Warp } from '../data/augment.ts';

export interface KedMiOptions extends Seeded {
  classes?: number[];
  /** Samples per class drawn each step (and shown). */
  samples: number;
  steps: number;
  learningRate: number;
  lambda: number;
  /** Sampled latents are clamped to [-clamp, clamp]. */
  clamp: number;
  lomma?: LommaOptions;
  /** Strength of two random warps the identity term sees each step (scaledAugment; 0 or absent: none, the paper's). */
  augment?: number;
}

export interface KedMiState {
  options: KedMiOptions;
  target: tf.LayersModel;
  prior: GanPrior;
  identity: IdentityLoss;
  classes: number[];
  /** Candidates of the batch: seed-major, then class, then sample. */
  candidateClasses: number[];
  /** One row per seed and class (seed-major). */
  mu: tf.Variable<tf.Rank.R2>;
  logVar: tf.Variable<tf.Rank.R2>;
  /** Row i of the sample batch belongs to mu's row[i] (a one-hot [n, rows of mu] matrix: repeats mu without gather). */
  expand: tf.Tensor2D;
  labels: tf.Tensor2D;
  /** The fixed noise of the shown samples. */
  shownEps: tf.Tensor2D;
  optimizer: tf.Optimizer;
  /** One stream per seed of the batch. */
  rngs: (() => number)[];
  stepCount: number;
}

function sampleZ(s: KedMiState, eps: tf.Tensor2D): tf.Tensor2D {
  const mu = tf.matMul(s.expand, s.mu), std = tf.exp(tf.mul(tf.matMul(s.expand, s.logVar), 0.5));
  return tf.clipByValue(tf.add(mu, tf.mul(std, eps)), -s.options.clamp, s.options.clamp) as tf.Tensor2D;
}

function terms(s: KedMiState, z: tf.Tensor2D, warps: Warp[] = []) {
  const img = generate(s.prior.generator, z);
  const prior = tf.neg(kedLogReal(infer(discriminatorOf(s.prior, 'KED-MI'), img) as tf.Tensor2D));
  const identity = warpedIdentity(s.identity, img, s.labels, warps);
  return { img, prior: prior as tf.Tensor1D, identity: identity as tf.Tensor1D, total: tf.add(prior, tf.mul(identity, s.options.lambda)) as tf.Tensor1D };
}

export const kedMi = {
  id: 'ked-mi',
  batchesSeeds: true,

  init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('KED-MI needs its unconditional GAN prior');
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rngs = seedStreams(options);
    const seeds = rngs.length, k = classes.length, n = k * options.samples;
    const candidateClasses = repeatPerSeed(classes.flatMap((d) => Array.from({ length: options.samples }, () => d)), seeds);
    // Sample row -> row of mu (seed s, class c: s * k + c).
    const rows = Array.from({ length: seeds }, (_, s) => classes.flatMap((_, c) => Array.from({ length: options.samples }, () => s * k + c))).flat();
    // Each seed draws as its own run does: the shown samples' noise first (here), then its means (below).
    const [expand, labels, shownEps] = tf.tidy(() => [
      tf.oneHot(tf.tensor1d(rows, 'int32'), k * seeds).toFloat() as tf.Tensor2D,
      tf.oneHot(tf.tensor1d(rows.map((r) => outputs[r % k]), 'int32'), ctx.targetClasses.length).toFloat() as tf.Tensor2D,
      tf.tensor2d(drawPerSeed(rngs, (rng) => sampleLatents(n, rng)), [n * seeds, Z_DIM]),
    ]);
    const suffix = Math.random().toString(36).slice(2);
    // Start: mu at a random point (seeded), unit variance (KED-MI starts from the standard normal).
    const mu0 = tf.tensor2d(drawPerSeed(rngs, (rng) => sampleLatents(k, rng, options.clamp)), [k * seeds, Z_DIM]);
    const mu = tf.variable(mu0, true, `ked-mu-${suffix}`) as tf.Variable<tf.Rank.R2>;
    mu0.dispose();
    const lv0 = tf.zeros([k * seeds, Z_DIM]);
    const logVar = tf.variable(lv0, true, `ked-logvar-${suffix}`) as tf.Variable<tf.Rank.R2>;
    lv0.dispose();
    return { options, target: ctx.target, prior: ctx.prior, identity: identityLoss(ctx.target, options.lambda, options.lomma, ctx.students), classes, candidateClasses, mu, logVar, expand, labels, shownEps, optimizer: adam(options.learningRate), rngs, stepCount: 0 };
  },

  step(s) {
    if (s.stepCount >= s.options.steps) return { step: s.stepCount, done: true };
    const n = s.candidateClasses.length, seeds = s.rngs.length;
    const eps = tf.tensor2d(drawPerSeed(s.rngs, (rng) => sampleLatents(n / seeds, rng)), [n, Z_DIM]);
    const warps = stepWarps(s.target, s.rngs, s.options.augment);
    tf.tidy(() => { s.optimizer.minimize(() => seedMeans(terms(s, sampleZ(s, eps), warps).total, seeds), false, [s.mu, s.logVar]); });
    eps.dispose();
    warps.forEach((w) => w.dispose());
    s.stepCount++;
    return { step: s.stepCount, done: s.stepCount >= s.options.steps };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    const t = tf.tidy(() => {
      const { img, prior, identity, total } = terms(s, sampleZ(s, s.shownEps));
      const logits = infer(s.target, img) as tf.Tensor2D;
      return [img, prior, identity, total, tf.sum(tf.mul(logits, s.labels), 1), tf.sum(tf.mul(tf.softmax(logits), s.labels), 1)];
    });
    const [pixels, prior, identity, total, own, conf] = await Promise.all(t.map((x) => x.data()));
    tf.dispose(t);
    return {
      step: s.stepCount, classes: [...s.candidateClasses], pixels: new Float32Array(pixels as Float32Array),
      targetConfidence: Array.from(conf), loss: Array.from(total), terms: { identity: Array.from(identity), prior: Array.from(prior) },
      kept: keepBest(own, s.classes.length * s.rngs.length, s.options.samples), attacked: repeatPerSeed(s.classes, s.rngs.length),
    };
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose(s) {
    tf.dispose([s.mu, s.logVar, s.expand, s.labels, s.shownEps]);
    s.identity.dispose();
    s.optimizer.dispose();
  },
} satisfies Attack<KedMiOptions, KedMiState>;
