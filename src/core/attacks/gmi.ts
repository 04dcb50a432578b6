// GMI (Zhang et al. 2020), the generative model inversion attack: search the latent space of a GAN trained on
// public data for z whose image G(z) the target assigns to the attacked class, while the GAN's discriminator keeps
// G(z) looking like a real digit:
//     min_z  prior(G(z)) + lambda * identity(T(G(z)), y)        (momentum SGD, Nesterov; z clamped to [-c, c])
// prior = softplus(-D(G(z))) (our prior is a non-saturating GAN: see priors/gan-trainer.ts); identity = CE.
// On faces the prior may be eigenfaces (priors/eigenfaces.ts): G is PCA's linear map and prior = ||z||^2 / 2.
// Several restarts per class run in one batch; the restart with the largest target logit is kept.
// `augment` > 0 (not in the paper; PLG-MI's recipe) takes the identity term on two randomly warped copies per step,
// which keeps cross-entropy from saturating on public look-alikes (README, "The same warps lift GMI and KED-MI").
// LOMMA (Nguyen et al. 2023) plugs in as the identity loss (see lomma.ts). Several seeds run as one batch (`seeds`,
// see Seeded in attack.ts): each seed's restarts from its own stream, the cost each seed's mean.
import * as tf from '@tensorflow/tfjs';
import { infer } from '../nets/fused-chain.ts';
import {
  type Attack, type CandidateSnapshot, type GanPrior, type Reconstructions, type Seeded, drawPerSeed, keepBest, keptOf, outputIndices,
  repeatPerSeed, seedMeans, seedStreams,
} from './attack.ts';
import { generate, latentDim, realness, sampleLatents } from '../nets/gan.ts';
import { gaussianPenalty } from '../priors/eigenfaces.ts';
import { identityLoss, stepWarps, warpedIdentity, type IdentityLoss, type LommaOptions } from './lomma.ts';
import type { Warp } from '../data/augment.ts';

export type { LommaOptions };

export interface GmiOptions extends Seeded {
  classes?: number[];
  /** Latents per attacked class (GMI: 5). */
  restarts: number;
  steps: number;
  learningRate: number;
  momentum: number;
  /** Weight of the identity loss (GMI: 100). */
  lambda: number;
  /** Latents are clamped to [-clamp, clamp] (GMI: 1). */
  clamp: number;
  lomma?: LommaOptions;
  /** Strength of two random warps the identity term sees each step (scaledAugment; 0 or absent: none, the paper's). */
  augment?: number;
}

export interface GmiState {
  options: GmiOptions;
  target: tf.LayersModel;
  /** Cross-entropy, or LOMMA's logit + feature loss over the target and its students. */
  identity: IdentityLoss;
  prior: GanPrior;
  classes: number[];
  /** Seeds in the batch; candidates are seed-major, then class, then restart. */
  seeds: number;
  candidateClasses: number[];
  z: tf.Variable<tf.Rank.R2>;
  labels: tf.Tensor2D;
  optimizer: tf.Optimizer;
  /** One stream per seed (the warps' draws, after the starts). */
  rngs: (() => number)[];
  stepCount: number;
}

export const GMI_DEFAULTS: Omit<GmiOptions, 'seed' | 'seeds' | 'classes'> = {
  restarts: 5, steps: 300, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 1,
};
/** The paper's budget: 1500 iterations (the browser default runs 300). */
export const GMI_PAPER = { steps: 1500 };

function terms(s: GmiState, z: tf.Tensor2D, warps: Warp[] = []) {
  const img = generate(s.prior.generator, z);
  // A GAN's discriminator says how real G(z) looks; the eigenface prior's latents are N(0, 1): its log-density.
  const prior = s.prior.discriminator ? tf.softplus(tf.neg(realness(s.prior.discriminator, img))) : gaussianPenalty(z);
  const identity = warpedIdentity(s.identity, img, s.labels, warps);
  return { img, prior: prior as tf.Tensor1D, identity: identity as tf.Tensor1D, total: tf.add(prior, tf.mul(identity, s.options.lambda)) as tf.Tensor1D };
}

export const gmi = {
  id: 'gmi',
  batchesSeeds: true,

  init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('GMI needs an unconditional GAN prior');
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rngs = seedStreams(options);
    const perRun = classes.flatMap((d) => Array.from({ length: options.restarts }, () => d));
    const candidateClasses = repeatPerSeed(perRun, rngs.length);
    const n = perRun.length;
    const dim = latentDim(ctx.prior.generator);
    const start = tf.tensor2d(drawPerSeed(rngs, (rng) => sampleLatents(n, rng, options.clamp, dim)), [n * rngs.length, dim]);
    const z = tf.variable(start, true, `gmi-z-${Math.random().toString(36).slice(2)}`) as tf.Variable<tf.Rank.R2>;
    start.dispose();
    const rows = repeatPerSeed(outputs.flatMap((k) => Array.from({ length: options.restarts }, () => k)), rngs.length);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(rows, 'int32'), ctx.targetClasses.length).toFloat()) as tf.Tensor2D;
    const state: GmiState = {
      options, target: ctx.target, identity: identityLoss(ctx.target, options.lambda, options.lomma, ctx.students), prior: ctx.prior,
      classes, seeds: rngs.length, candidateClasses, z, labels, optimizer: tf.train.momentum(options.learningRate, options.momentum, true), rngs, stepCount: 0,
    };
    return state;
  },

  step(s) {
    if (s.stepCount >= s.options.steps) return { step: s.stepCount, done: true };
    const warps = stepWarps(s.target, s.rngs, s.options.augment);
    tf.tidy(() => {
      s.optimizer.minimize(() => seedMeans(terms(s, s.z, warps).total, s.seeds), false, [s.z]);
      s.z.assign(tf.clipByValue(s.z, -s.options.clamp, s.options.clamp));
    });
    warps.forEach((w) => w.dispose());
    s.stepCount++;
    return { step: s.stepCount, done: s.stepCount >= s.options.steps };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    const t = tf.tidy(() => {
      const { img, prior, identity, total } = terms(s, s.z);
      const logits = infer(s.target, img) as tf.Tensor2D;
      const own = tf.sum(tf.mul(logits, s.labels), 1);
      const conf = tf.sum(tf.mul(tf.softmax(logits), s.labels), 1);
      return [img, prior, identity, total, own, conf];
    });
    const [pixels, prior, identity, total, own, conf] = await Promise.all(t.map((x) => x.data()));
    tf.dispose(t);
    return {
      step: s.stepCount, classes: [...s.candidateClasses], pixels: new Float32Array(pixels as Float32Array),
      targetConfidence: Array.from(conf), loss: Array.from(total), terms: { identity: Array.from(identity), prior: Array.from(prior) },
      kept: keepBest(own, s.classes.length * s.seeds, s.options.restarts), attacked: repeatPerSeed(s.classes, s.seeds),
    };
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose(s) {
    tf.dispose([s.z, s.labels]);
    s.identity.dispose();
    s.optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() forgets the learning-rate scalar it inherits from SGD.
    (s.optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
  },
} satisfies Attack<GmiOptions, GmiState>;
