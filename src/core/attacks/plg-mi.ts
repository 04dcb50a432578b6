// PLG-MI (Yuan et al. 2023): the conditional GAN was trained on public images pseudo-labelled by the target and
// already steered by the target's max-margin loss (priors/gan-trainer.ts). The attack then optimises, per class
// y, latents z of G(z, y) with Adam on the max-margin loss over two random augmentations (of strength `augment`):
//     min_z  sum_{a in 2 augmentations}  -o_y(T(a(G(z, y)))) + max_{k != y} o_k(T(a(G(z, y))))
// No discriminator term: the class-conditional generator is the prior. The candidate with the largest target logit
// on the un-augmented image is kept. A trapdoor-aware attacker (plg-mi-adaptive.ts) adds a per-candidate penalty to
// the loss and passes over the candidates its check flags (`check`). Several seeds run as one batch (`seeds`, see
// Seeded in attack.ts): each seed's latents and its two augmentations per step come from its own stream (one warp per
// seed: warpPerStream's chunks). On faces the augmentations are shifts and mirror images (data/augment.ts).
import * as tf from '@tensorflow/tfjs';
import { adam } from '../kernels/adam.ts';
import {
  type Attack, type CandidateSnapshot, type GanPrior, type Reconstructions, type Seeded, drawPerSeed, keepBest, keptOf, outputIndices,
  repeatPerSeed, seedMeans, seedStreams,
} from './attack.ts';
import { scaledAugment, warpPerStream } from '../data/augment.ts';
import { generate, sampleLatents, Z_DIM } from '../nets/gan.ts';
import { classLoss } from '../kernels/attack-losses.ts';
import { infer } from '../nets/fused-chain.ts';

export interface PlgMiOptions extends Seeded {
  classes?: number[];
  /** Latents per attacked class. */
  restarts: number;
  steps: number;
  learningRate: number;
  /** Strength of the two augmentations (scaledAugment: 1 is DEFAULT_AUGMENT, 0 none). */
  augment?: number;
  /** A trapdoor-aware attacker's extra term and final-selection flag (plg-mi-adaptive.ts); absent: plain PLG-MI. */
  check?: CandidateCheck;
}

/** A per-candidate penalty added to the loss, and a score whose candidates above `threshold` the final selection passes over. */
export interface CandidateCheck {
  penalty(img: tf.Tensor4D, labels: tf.Tensor2D): tf.Tensor1D;
  score(img: tf.Tensor4D, labels: tf.Tensor2D): tf.Tensor1D;
  threshold: number;
}

export interface PlgMiState {
  options: PlgMiOptions;
  target: tf.LayersModel;
  prior: GanPrior;
  classes: number[];
  candidateClasses: number[];
  z: tf.Variable<tf.Rank.R2>;
  labels: tf.Tensor2D;
  optimizer: tf.Optimizer;
  /** One stream per seed of the batch (candidates seed-major, then class, then restart). */
  rngs: (() => number)[];
  stepCount: number;
}

/** keepBest among the candidates whose score is at most `threshold`; a digit whose candidates all exceed it keeps its lowest-scoring one. */
export function keepBestUnflagged(own: ArrayLike<number>, score: ArrayLike<number>, threshold: number, classes: number, perClass: number): number[] {
  return Array.from({ length: classes }, (_, c) => {
    let best = -1, least = c * perClass;
    for (let j = c * perClass; j < (c + 1) * perClass; j++) {
      if (score[j] < score[least]) least = j;
      if (score[j] <= threshold && (best < 0 || own[j] > own[best])) best = j;
    }
    return best < 0 ? least : best;
  });
}

export const PLG_MI_DEFAULTS: Omit<PlgMiOptions, 'seed' | 'seeds' | 'classes'> = { restarts: 5, steps: 150, learningRate: 0.1, augment: 1 };
/** The paper's budget on digits: 600 iterations (the browser default runs 150) under warps half as strong again, in place
 *  of the paper's mirror images and jitter, which digits cannot take (README, "Stronger warps bring the 3s back"). */
export const PLG_MI_PAPER = { steps: 600, augment: 1.5 };

export const plgMi = {
  id: 'plg-mi',
  batchesSeeds: true,

  init(ctx, options) {
    if (!ctx.prior?.conditional) throw new Error('PLG-MI needs a conditional GAN prior (trained on the target\'s pseudo-labels)');
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rngs = seedStreams(options);
    const perRun = classes.flatMap((d) => Array.from({ length: options.restarts }, () => d));
    const candidateClasses = repeatPerSeed(perRun, rngs.length);
    const n = perRun.length;
    const start = tf.tensor2d(drawPerSeed(rngs, (rng) => sampleLatents(n, rng)), [n * rngs.length, Z_DIM]);
    const z = tf.variable(start, true, `plg-z-${Math.random().toString(36).slice(2)}`) as tf.Variable<tf.Rank.R2>;
    start.dispose();
    const rows = repeatPerSeed(outputs.flatMap((k) => Array.from({ length: options.restarts }, () => k)), rngs.length);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(rows, 'int32'), ctx.targetClasses.length).toFloat()) as tf.Tensor2D;
    return { options, target: ctx.target, prior: ctx.prior, classes, candidateClasses, z, labels, optimizer: adam(options.learningRate), rngs, stepCount: 0 };
  },

  step(s) {
    if (s.stepCount >= s.options.steps) return { step: s.stepCount, done: true };
    // Each seed draws its two warps from its own stream, in its own run's order; warp a of every seed in one Warp.
    const side = s.target.inputs[0].shape[1] as number;
    const range = scaledAugment(s.options.augment ?? 1);
    const warps = [0, 1].map(() => warpPerStream(side, s.rngs, range));
    tf.tidy(() => {
      s.optimizer.minimize(() => {
        const img = generate(s.prior.generator, s.z, s.labels);
        const losses = warps.map((w) => classLoss(infer(s.target, w.apply(img)) as tf.Tensor2D, s.labels, 'max-margin'));
        const check = s.options.check;
        const loss = tf.add(losses[0], losses[1]) as tf.Tensor1D;
        return seedMeans(check ? tf.add(loss, check.penalty(img, s.labels)) as tf.Tensor1D : loss, s.rngs.length);
      }, false, [s.z]);
    });
    warps.forEach((w) => w.dispose());
    s.stepCount++;
    return { step: s.stepCount, done: s.stepCount >= s.options.steps };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    const check = s.options.check;
    const t = tf.tidy(() => {
      const img = generate(s.prior.generator, s.z, s.labels);
      const logits = infer(s.target, img) as tf.Tensor2D;
      const out = [img, classLoss(logits, s.labels, 'max-margin'), tf.sum(tf.mul(logits, s.labels), 1), tf.sum(tf.mul(tf.softmax(logits), s.labels), 1)];
      return check ? [...out, check.penalty(img, s.labels), check.score(img, s.labels)] : out;
    });
    const [pixels, margin, own, conf, penalty, score] = await Promise.all(t.map((x) => x.data()));
    tf.dispose(t);
    const groups = s.classes.length * s.rngs.length;
    return {
      step: s.stepCount, classes: [...s.candidateClasses], pixels: new Float32Array(pixels as Float32Array),
      targetConfidence: Array.from(conf), loss: Array.from(margin, (m, i) => m + (penalty ? penalty[i] : 0)),
      terms: { identity: Array.from(margin), prior: Array.from(margin, (_, i) => (penalty ? penalty[i] : 0)) },
      kept: check ? keepBestUnflagged(own, score!, check.threshold, groups, s.options.restarts) : keepBest(own, groups, s.options.restarts),
      attacked: repeatPerSeed(s.classes, s.rngs.length),
    };
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose(s) {
    tf.dispose([s.z, s.labels]);
    s.optimizer.dispose();
  },
} satisfies Attack<PlgMiOptions, PlgMiState>;
