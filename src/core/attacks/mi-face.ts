// Pixel-space gradient inversion (Fredrikson et al. 2015, "MI-Face"): start from a blank (or noise) image per
// attacked class and descend `CE(T(x), y) + tv * TV(x) + l2 * ||x||^2` in pixel space with Adam, clipping x to
// [0, 1] after each step. All classes are one batch. The stopping rule (no improvement of the cost over a window)
// is checked at snapshots, so a step never reads back from the device. Several seeds run as one batch (`seeds`,
// see Seeded in attack.ts): the cost is a sum over candidates, so each seed's gradients are those of its own run.
import * as tf from '@tensorflow/tfjs';
import { adam } from '../kernels/adam.ts';
import { classLoss, pixelPrior } from '../kernels/attack-losses.ts';
import { infer } from '../nets/fused-chain.ts';
import {
  type Attack, type AttackContext, type CandidateSnapshot, type Reconstructions, type Seeded, drawPerSeed, keptOf, outputIndices, repeatPerSeed,
  seedStreams,
} from './attack.ts';

/** 'noise' starts are uniform in [0, NOISE_AMPLITUDE]. */
export const NOISE_AMPLITUDE = 0.25;

export interface MiFaceOptions extends Seeded {
  /** Attacked digits (default: every class of the target). */
  classes?: number[];
  steps: number;
  learningRate: number;
  tv: number;
  l2: number;
  init: 'zeros' | 'noise';
  /** Stop when the best cost of every candidate has not improved for this many steps (0 = never; one seed only). */
  patience?: number;
}

export interface MiFaceState {
  ctx: AttackContext;
  options: MiFaceOptions;
  classes: number[];
  /** Seeds in the batch (the candidates are `classes` once per seed). */
  seeds: number;
  x: tf.Variable<tf.Rank.R4>;
  labels: tf.Tensor2D;
  optimizer: tf.Optimizer;
  stepCount: number;
  best: number[];
  lastImprovement: number;
}

/** Per-candidate loss (identity + priors) and the identity term alone (its exp(-ce) is the target's confidence). */
function lossTerms(state: MiFaceState, x: tf.Tensor4D): { perCandidate: tf.Tensor1D; ce: tf.Tensor1D } {
  const ce = classLoss(infer(state.ctx.target, x) as tf.Tensor2D, state.labels, 'cross-entropy');
  const { tv, l2 } = state.options;
  return { perCandidate: tv > 0 || l2 > 0 ? tf.add(ce, pixelPrior(x, tv, l2)) : ce, ce };
}

export const miFace = {
  id: 'mi-face',
  batchesSeeds: true,

  init(ctx, options) {
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rngs = seedStreams(options);
    // Patience stops the whole batch, which a seed's own run might not do at the same step.
    if (rngs.length > 1 && (options.patience ?? 0) > 0) throw new Error('MI-Face: patience needs one seed per run (not several seeds in one batch)');
    const n = classes.length, b = n * rngs.length;
    // The image shape is the target's input: 28 x 28 digits, 64 x 64 faces.
    const [h, w, ch] = ctx.target.inputs[0].shape.slice(1) as number[];
    let start: tf.Tensor4D;
    if (options.init === 'noise') {
      // Faint noise: a different start per seed that the prior can still smooth away.
      start = tf.tensor4d(drawPerSeed(rngs, (rng) => Float32Array.from({ length: n * h * w * ch }, () => NOISE_AMPLITUDE * rng())), [b, h, w, ch]);
    } else {
      start = tf.zeros([b, h, w, ch]);
    }
    const x = tf.variable(start, true, `mi-face-x-${Math.random().toString(36).slice(2)}`) as tf.Variable<tf.Rank.R4>;
    start.dispose();
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(repeatPerSeed(outputs, rngs.length), 'int32'), ctx.targetClasses.length).toFloat()) as tf.Tensor2D;
    return {
      ctx, options, classes, seeds: rngs.length, x, labels, optimizer: adam(options.learningRate), stepCount: 0,
      best: Array.from({ length: b }, () => Infinity), lastImprovement: 0,
    };
  },

  step(state) {
    if (isDone(state)) return { step: state.stepCount, done: true };
    tf.tidy(() => {
      state.optimizer.minimize(() => lossTerms(state, state.x).perCandidate.sum() as tf.Scalar, false, [state.x]);
      state.x.assign(tf.clipByValue(state.x, 0, 1));
    });
    state.stepCount++;
    return { step: state.stepCount, done: isDone(state) };
  },

  async snapshot(state): Promise<CandidateSnapshot> {
    const { perCandidate, confidence } = tf.tidy(() => {
      const t = lossTerms(state, state.x);
      return { perCandidate: t.perCandidate, confidence: tf.exp(tf.neg(t.ce)) };
    });
    const [pixels, loss, conf] = await Promise.all([state.x.data(), perCandidate.data(), confidence.data()]);
    perCandidate.dispose(); confidence.dispose();
    const lossArr = Array.from(loss);
    // Patience: only improvements of the best cost count.
    if (lossArr.some((l, i) => l < state.best[i] - 1e-4)) state.lastImprovement = state.stepCount;
    state.best = state.best.map((b, i) => Math.min(b, lossArr[i]));
    const classes = repeatPerSeed(state.classes, state.seeds);
    return {
      step: state.stepCount, classes, pixels: new Float32Array(pixels as Float32Array),
      targetConfidence: Array.from(conf), loss: lossArr, kept: classes.map((_, i) => i), attacked: [...classes],
    };
  },

  async result(state): Promise<Reconstructions> {
    return keptOf(await this.snapshot(state));
  },

  dispose(state) {
    state.x.dispose(); state.labels.dispose(); state.optimizer.dispose();
  },
} satisfies Attack<MiFaceOptions, MiFaceState>;

function isDone(state: MiFaceState): boolean {
  const p = state.options.patience ?? 0;
  return state.stepCount >= state.options.steps || (p > 0 && state.stepCount - state.lastImprovement >= p);
}
