// PLG-MI++, the trapdoor-aware attacker (the Trap-MID paper's adaptive attack, its Table 4). The authors publish no
// code for it, so this is our design. The attacker knows Trap-MID is there and knows the defender's published recipe
// (the injection and its strength alpha, from the target's model card), but not the triggers, which the defender
// keeps; it has the target (white-box) and its own public digits.
//  1. Reverse-engineer the triggers (as Neural Cleanse does for backdoors): for each class c, a trigger t_c of the
//     recipe's shape, optimised so that public digits injected with it (same injection, same alpha) are classified
//     c. Where a trapdoor exists, the easiest such trigger is the trapdoor's own shortcut.
//  2. Estimate the signatures as the defender computes them (metrics/trapdoor.ts): the normalised mean feature of
//     public digits injected with t_c, in the target's penultimate features standardised by the clean public
//     digits' statistics; the attacker's threshold is the 95th percentile of clean public digits' cosines.
//  3. Attack as PLG-MI, plus lambda * max(0, cos(f(G(z, y)), s_y) - threshold) per candidate: a candidate that drifts
//     into the trapdoor's direction pays for it, one that stays below the threshold pays nothing.
//  4. Final selection drops candidates above the threshold (keeps the surest of the rest; if all are above, the
//     least flagged).
// It searches PLG-MI's own conditional GAN for the target: the penalty and the filter act at attack time only (a GAN
// trained with the same penalty was not needed, README). The estimate is seeded on its own (not by the attack's
// seed), so seeds batch as in PLG-MI and each seed's slice equals its separate run.
import * as tf from '@tensorflow/tfjs';
import { infer } from '../nets/fused-chain.ts';
import { adam } from '../kernels/adam.ts';
import { blendTriggers, triggerImages, triggerShape, type Injection } from '../defenses/trap-mid.ts';
import { withFeatures } from '../nets/architectures.ts';
import { makeRng } from '../data/rng.ts';
import type { Attack, AttackContext, CandidateSnapshot } from './attack.ts';
import { plgMi, type CandidateCheck, type PlgMiOptions, type PlgMiState } from './plg-mi.ts';

/** What the defender publishes of its recipe: the trigger family and its strength. */
export interface TrapdoorRecipe { injection: Injection; alpha: number }

export interface EstimateOptions {
  /** Adam steps of the trigger reverse-engineering. */
  steps: number;
  learningRate: number;
  /** Public images per class in each step's batch. */
  batch: number;
  seed: number;
}

export const ESTIMATE_DEFAULTS: EstimateOptions = { steps: 100, learningRate: 0.1, batch: 32, seed: 1 };

/** The attacker's estimate of a target's trapdoor (owns its tensors: dispose it). */
export interface TrapdoorEstimate {
  featureModel: tf.LayersModel;
  /** The reverse-engineered triggers (shaped as the recipe's: trap-mid.ts triggerShape). */
  triggers: tf.Tensor4D;
  /** One unit row per target output [k, d]: the estimated signatures in standardised feature space. */
  signatures: tf.Tensor2D;
  mean: tf.Tensor1D;
  std: tf.Tensor1D;
  /** 95th percentile of the clean public images' cosines with the signature of their predicted class. */
  threshold: number;
  /** Per class: the share of public images its trigger sends to that class (how well the trigger was recovered). */
  triggerSuccess: number[];
  dispose(): void;
}

/** A trigger's parameters -> the trigger: warp fields are squashed inside the injection, the rest live in [0, 1]. */
function triggerOf(w: tf.Tensor4D, injection: Injection): tf.Tensor4D {
  return injection === 'warp' ? w : tf.sigmoid(w);
}

/** Cosine of each row's standardised feature with the signature of its class (`oneHot` over the outputs). */
export function signatureCosine(est: Pick<TrapdoorEstimate, 'signatures' | 'mean' | 'std'>, features: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const u = tf.div(tf.sub(features, est.mean), est.std);
    const unit = tf.div(u, tf.add(tf.norm(u, 'euclidean', 1, true), 1e-8));
    return tf.sum(tf.mul(unit, tf.matMul(oneHot, est.signatures)), 1) as tf.Tensor1D;
  });
}

/**
 * Steps 1 and 2 above, on `publicImages` [n, side, side, 1] (the attacker's own digits; a few hundred suffice).
 * Every step optimises all k triggers at once on a random batch of `batch` public images per class.
 */
export async function estimateTrapdoor(target: tf.LayersModel, publicImages: tf.Tensor4D, recipe: TrapdoorRecipe,
  options: Partial<EstimateOptions> = {}): Promise<TrapdoorEstimate> {
  const o = { ...ESTIMATE_DEFAULTS, ...options };
  const k = (target.outputs[0].shape as number[])[1];
  const n = publicImages.shape[0], side = publicImages.shape[1];
  const rng = makeRng(o.seed);
  const start = tf.tidy(() => tf.mul(tf.randomNormal(triggerShape(recipe.injection, k, side), 0, 1, 'float32', o.seed), recipe.injection === 'warp' ? 0.1 : 1));
  const w = tf.variable(start, true, `aware-w-${Math.random().toString(36).slice(2)}`) as tf.Variable<tf.Rank.R4>;
  start.dispose();
  const optimizer = adam(o.learningRate);
  const classOfRow = Array.from({ length: k * o.batch }, (_, i) => Math.floor(i / o.batch));
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(classOfRow, 'int32'), k).toFloat()) as tf.Tensor2D;
  for (let step = 0; step < o.steps; step++) {
    const idx = tf.tensor1d(Array.from({ length: k * o.batch }, () => Math.floor(rng() * n)), 'int32');
    tf.tidy(() => {
      const x = tf.gather(publicImages, idx) as tf.Tensor4D;
      optimizer.minimize(() => {
        const logits = infer(target, blendTriggers(x, triggerOf(w, recipe.injection), oneHot, recipe.alpha, recipe.injection)) as tf.Tensor2D;
        return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
      }, false, [w]);
    });
    idx.dispose();
    if (step % 10 === 9) await tf.nextFrame(); // the search takes seconds: let the worker answer messages meanwhile
  }
  optimizer.dispose();
  oneHot.dispose();
  const triggers = tf.tidy(() => triggerOf(w, recipe.injection).clone()) as tf.Tensor4D;
  w.dispose();

  const featureModel = withFeatures(target);
  // Clean statistics and threshold, then each class's mean injected feature (the defender's recipe, our data).
  const [clean, predicted] = tf.tidy(() => {
    const [f, logits] = featureModel.apply(publicImages, { training: false }) as tf.Tensor[];
    return [f as tf.Tensor2D, tf.argMax(logits, 1)];
  });
  const { mean, variance } = tf.moments(clean, 0);
  const std = tf.tidy(() => {
    const s = tf.sqrt(variance);
    return tf.where(tf.greater(s, 0), s, tf.onesLike(s)) as tf.Tensor1D; // a dead unit: scale 1, as featureScale
  });
  variance.dispose();
  const rows: tf.Tensor1D[] = [];
  const success: number[] = [];
  for (let c = 0; c < k; c++) {
    const [row, hits] = tf.tidy(() => {
      const hot = tf.oneHot(tf.fill([n], c, 'int32') as tf.Tensor1D, k).toFloat() as tf.Tensor2D;
      const [f, logits] = featureModel.apply(blendTriggers(publicImages, triggers, hot, recipe.alpha, recipe.injection), { training: false }) as tf.Tensor[];
      const m = tf.mean(tf.div(tf.sub(f, mean), std), 0);
      return [tf.div(m, tf.add(tf.norm(m), 1e-8)) as tf.Tensor1D, tf.mean(tf.equal(tf.argMax(logits, 1), c).toFloat())];
    });
    rows.push(row);
    success.push((await hits.data())[0]);
    hits.dispose();
  }
  const signatures = tf.stack(rows) as tf.Tensor2D;
  tf.dispose(rows);
  const est = { signatures, mean: mean as tf.Tensor1D, std };
  const cos = tf.tidy(() => signatureCosine(est, clean, tf.oneHot(predicted as tf.Tensor1D, k).toFloat() as tf.Tensor2D));
  const scores = Array.from(await cos.data()).sort((a, b) => a - b);
  tf.dispose([cos, clean, predicted]);
  const threshold = scores[Math.min(scores.length - 1, Math.floor(0.95 * scores.length))];
  return {
    featureModel, triggers, signatures, mean: mean as tf.Tensor1D, std, threshold, triggerSuccess: success,
    dispose: () => tf.dispose([triggers, signatures, mean, std]),
  };
}

/** Step 3's per-candidate penalty and step 4's flag, as PLG-MI's candidate check. */
export function awareCheck(est: TrapdoorEstimate, weight: number): CandidateCheck {
  const cosine = (img: tf.Tensor4D, labels: tf.Tensor2D) => tf.tidy(() => {
    const f = (est.featureModel.apply(img, { training: false }) as tf.Tensor[])[0] as tf.Tensor2D;
    return signatureCosine(est, f, labels);
  });
  return {
    score: cosine,
    threshold: est.threshold,
    penalty: (img, labels) => tf.tidy(() => tf.mul(tf.relu(tf.sub(cosine(img, labels), est.threshold)), weight) as tf.Tensor1D),
  };
}

export interface PlgMiAdaptiveOptions extends PlgMiOptions {
  /** Weight of the trapdoor penalty. */
  trapdoorWeight: number;
  /** The defender's published recipe. */
  recipe: TrapdoorRecipe;
  /** The attacker's public images, for the estimate. */
  publicImages: tf.Tensor4D;
  estimate?: Partial<EstimateOptions>;
}

export interface PlgMiAdaptiveState extends PlgMiState {
  estimate: TrapdoorEstimate;
  recipe: TrapdoorRecipe;
  /** The estimate as the lab shows it (read back once). */
  shown?: TrapdoorEstimateSnapshot;
}

/** What the attacker estimated, for the lab: its triggers as images, how often each fired, and its threshold. */
export interface TrapdoorEstimateSnapshot {
  /** k images of side x side in [0, 1] (trap-mid.ts triggerImages). */
  triggers: Float32Array;
  success: number[];
  threshold: number;
  /** The recipe it assumed (the defender's published one, or Trap-MID's default). */
  recipe: TrapdoorRecipe;
}

export const PLG_MI_ADAPTIVE_DEFAULTS = { trapdoorWeight: 20, reverseSteps: ESTIMATE_DEFAULTS.steps };

export const plgMiAdaptive = {
  id: 'plg-mi-adaptive',
  batchesSeeds: true,

  async init(ctx: AttackContext, options: PlgMiAdaptiveOptions): Promise<PlgMiAdaptiveState> {
    const estimate = await estimateTrapdoor(ctx.target, options.publicImages, options.recipe, options.estimate);
    const state = plgMi.init(ctx, { ...options, check: awareCheck(estimate, options.trapdoorWeight) });
    return { ...state, estimate, recipe: options.recipe };
  },
  step: (s: PlgMiAdaptiveState) => plgMi.step(s),
  async snapshot(s: PlgMiAdaptiveState): Promise<CandidateSnapshot> {
    if (!s.shown) {
      const side = s.estimate.featureModel.inputs[0].shape[1]!;
      const images = triggerImages(s.estimate.triggers, s.recipe.injection, s.recipe.alpha, side);
      s.shown = { triggers: new Float32Array(await images.data() as Float32Array), success: s.estimate.triggerSuccess, threshold: s.estimate.threshold, recipe: s.recipe };
      images.dispose();
    }
    return { ...(await plgMi.snapshot(s)), estimate: s.shown };
  },
  async result(s: PlgMiAdaptiveState) { return plgMi.result(s); },
  dispose(s: PlgMiAdaptiveState) {
    plgMi.dispose(s);
    s.estimate.dispose();
  },
} satisfies Attack<PlgMiAdaptiveOptions, PlgMiAdaptiveState>;
