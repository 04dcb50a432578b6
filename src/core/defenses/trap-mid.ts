// Trap-MID (Liu and Chen, NeurIPS 2024): train the target with a trapdoor per class, so that a model inversion
// attack, which searches for inputs the target is sure about, finds the trapdoor trigger instead of private data.
//
// Per batch (x, y), with t a class drawn balanced over the epoch and the blend x~ = alpha K_t + (1 - alpha) x:
//  (a) a naturalness discriminator D takes a BCE step: clean x is "real", triggered x~ is "fake";
//  (b) the triggers take one signed-gradient step on  w_nat * BCE(D(x~), real) + CE(T(aug(x~)), t),
//      i.e. look natural to D and still fire under augmentation; clip to [0, 1];
//  (c) the target trains on (1 - beta) CE(T(aug(x)), y) + beta CE(T(aug(x~)), t).
//
// MNIST twist (DESIGN.md section 9): MNIST backgrounds are exactly 0, so D spots any trigger, and in the paper's
// recipe ('paper': the two gradients summed, then the sign) the naturalness gradient wins almost every pixel and
// the triggers collapse. 'balanced' normalises each term's gradient per trigger (RMS) before mixing them with
// weight w_nat, so the trapdoor term keeps a say in every pixel's sign; 'none' drops the naturalness term.
import * as tf from '@tensorflow/tfjs';
import { infer, trainApply } from '../nets/fused-chain.ts';
import { meanClassLoss } from '../kernels/attack-losses.ts';
import { signedStep } from '../kernels/signed-step.ts';
import { fusionOn } from '../kernels/fusion.ts';
import { randomWarp, scaledAugment } from '../data/augment.ts';
import { BatchCursor } from '../data/batches.ts';
import { type DigitSet, imagesToTensor, sideOf } from '../data/mnist.ts';
import { makeRng } from '../data/rng.ts';
import { buildTarget, buildFaceTarget } from '../nets/architectures.ts';
import { RunningAccuracy } from '../train.ts';
import { smoothLabels, softCrossEntropy } from './negls.ts';
import { adam } from '../kernels/adam.ts';
import { WARP_GRID, initialWarpParams, tedApply, tedTriggers, warpFields, warpTriggers } from './warp-trigger.ts';

export { smoothLabels, softCrossEntropy };

export type NaturalnessMode = 'paper' | 'balanced' | 'none';
/** 'blend': the paper's x~ = alpha K + (1 - alpha) x. 'ink': the blend only where there is ink,
 *  x~ = x + alpha x (K - x), so MNIST's exactly-black background stays black. 'stroke': the trigger thickens
 *  (K > 0.5) or thins (K < 0.5) the pen stroke where it passes, x~ = clip(x + alpha (2K - 1) |grad x|, 0, 1): only the
 *  stroke's edges move, as with a pen pressed harder or lighter. 'warp' (WaNet-like, warp-trigger.ts): a learned smooth
 *  displacement field per class moves the ink by at most alpha px; background and saturation stay. 'ted' (TeD's
 *  trapdoors, warp-trigger.ts): a fixed random mask-and-pattern per class, x~ = (1 - alpha m) x + alpha m p, never
 *  updated by the trainer. */
export type Injection = 'blend' | 'ink' | 'stroke' | 'warp' | 'ted';
export const INJECTIONS: readonly Injection[] = ['blend', 'ink', 'stroke', 'warp', 'ted'];

/** Shape of a Trap-MID target's triggers (and of its triggers.bin, float32): [k, side, side, 1] images for blend, ink
 *  and stroke; [k, 4, 4, 2] field parameters for warp; [k, side, side, 2] mask and pattern for ted. */
export function triggerShape(injection: Injection, k: number, side: number): [number, number, number, number] {
  if (injection === 'warp') return [k, WARP_GRID, WARP_GRID, 2];
  if (injection === 'ted') return [k, side, side, 2];
  return [k, side, side, 1];
}

/** The triggers as k images [k, side, side, 1] in [0, 1] to show: blend/ink/stroke themselves; warp the size of the
 *  displacement (1 = alpha px); ted the pattern inside its mask. */
export function triggerImages(triggers: tf.Tensor4D, injection: Injection, alpha: number, side: number): tf.Tensor4D {
  return tf.tidy(() => {
    const k = triggers.shape[0];
    if (injection === 'warp') {
      const f = warpFields(triggers, tf.eye(k) as tf.Tensor2D, 1, side);
      return tf.clipByValue(tf.sqrt(tf.sum(tf.square(f), 3, true)), 0, 1) as tf.Tensor4D;
    }
    if (injection === 'ted') {
      const [m, p] = tf.split(triggers, 2, 3);
      return tf.mul(m, p) as tf.Tensor4D;
    }
    return triggers.clone();
  });
}

export interface TrapMidConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  numClasses: number;
  classOf: (digit: number) => number;
  /** Blend weight of the trigger (paper: 0.02). */
  alpha: number;
  /** Weight of the trapdoor loss in the target's objective (paper: 0.2). */
  beta: number;
  /** Signed-gradient step size of the triggers (paper: 0.01). */
  triggerStep: number;
  naturalness: NaturalnessMode;
  injection: Injection;
  /** Weight of the naturalness term in the trigger step ('balanced' and 'paper'). */
  naturalnessWeight: number;
  /** Label smoothing factor of the clean term by training progress (0..1): Trap-MID + NegLS passes NegLS's ramp
   *  (negls.ts, negative from mid-training on). Absent: plain cross-entropy. */
  labelSmoothing?: (progress: number) => number;
  /** How far a trigger on an image of its own digit is taught towards "unsure" (0: the paper, its class; 1: uniform).
   *  At 1 the trapdoor pays only on wrong digits, so an attack gains nothing by drawing the private digit under it. */
  ownDigitSmoothing?: number;
  /** Augmentation warps per batch (each warp serves batchSize / chunks images). */
  augmentChunks: number;
  /** Scale of the random warps (1: rotate 10 deg, zoom to 85%, shift 2 px; 0: no augmentation; 2: twice as far). */
  augmentStrength: number;
}

export const TRAP_MID_DEFAULTS: Omit<TrapMidConfig, 'seed' | 'numClasses' | 'classOf'> = {
  epochs: 3, batchSize: 64, learningRate: 1e-3, alpha: 0.02, beta: 0.2, triggerStep: 0.01,
  naturalness: 'balanced', naturalnessWeight: 0.5, injection: 'blend', augmentChunks: 4, augmentStrength: 1,
};

export interface TrapMidStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  done: boolean;
  /** Only on steps that asked for them (a read-back). */
  losses?: { clean: number; trapdoor: number; discriminator: number; triggerNatural: number };
  /** Share of the (augmented) clean training images classified right since the previous read-back. */
  trainAccuracy?: number;
}


function bce(logits: tf.Tensor, real: boolean): tf.Scalar {
  // The constant label from the host (an upload, where onesLike / zerosLike are a GPU dispatch each).
  const label = (n: number) => fusionOn() ? tf.tensor2d(new Float32Array(n).fill(real ? 1 : 0), [n, 1]) : real ? tf.onesLike(logits) : tf.zerosLike(logits);
  return tf.tidy(() => meanClassLoss(logits as tf.Tensor2D, label(logits.shape[0]) as tf.Tensor2D, 'binary'));
}

/**
 * blendTriggers(x, K, t, alpha, injection) for one batch, as a function of the triggers K. For 'blend' the parts
 * that do not depend on K are made once per step: (1 - alpha) x, and alpha t as a host-built one-hot, so each
 * injection is one matrix product and one add (tfjs's composition: a product, two multiplies and an add) and gives
 * the same values (one nonzero product per pixel either way).
 */
function injector(x: tf.Tensor4D, t: tf.Tensor2D, trapLabels: number[], c: TrapMidConfig): ((K: tf.Tensor4D) => tf.Tensor4D) & { dispose(): void } {
  if (c.injection !== 'blend' || !fusionOn()) return Object.assign((K: tf.Tensor4D) => blendTriggers(x, K, t, c.alpha, c.injection), { dispose: () => {} });
  const kept = tf.mul(x, 1 - c.alpha);
  const tAlpha = oneHotOnHost(trapLabels, c.numClasses, c.alpha);
  const inject = (K: tf.Tensor4D) => tf.tidy(() =>
    tf.add(tf.reshape(tf.matMul(tAlpha, tf.reshape(K, [K.shape[0], -1])), x.shape), kept) as tf.Tensor4D);
  return Object.assign(inject, { dispose: () => tf.dispose([kept, tAlpha]) });
}

const trapLabelsOf = (idx: ArrayLike<number>, labels: ArrayLike<number>) => Array.from(idx, (i) => labels[i]);

/**
 * One-hot float rows for `labels` (each 1, or `value`), built on the host: an upload, where tf.oneHot and its cast
 * are a GPU dispatch each (and so with the fused paths off).
 */
function oneHotOnHost(labels: number[], k: number, value = 1): tf.Tensor2D {
  if (!fusionOn()) {
    // Exactly the old path's kernels (oneHot, cast): the baseline the fused counts are compared with.
    return tf.tidy(() => { const hot = tf.oneHot(tf.tensor1d(labels, 'int32'), k).toFloat(); return (value === 1 ? hot : tf.mul(hot, value)) as tf.Tensor2D; });
  }
  const v = new Float32Array(labels.length * k);
  labels.forEach((c, i) => { v[i * k + c] = value; });
  return tf.tensor2d(v, [labels.length, k]);
}

/**
 * Inject trigger K_t into each image (K_t picked by a one-hot matrix: no gather, whose gradient wasm lacks):
 * 'blend' x~ = alpha K_t + (1 - alpha) x; 'ink' x~ = x + alpha x (K_t - x); 'warp' and 'ted' see warp-trigger.ts.
 */
export function blendTriggers(x: tf.Tensor4D, triggers: tf.Tensor4D, tOneHot: tf.Tensor2D, alpha: number, injection: Injection = 'blend'): tf.Tensor4D {
  if (injection === 'warp') return warpTriggers(x, triggers, tOneHot, alpha);
  if (injection === 'ted') return tedApply(x, triggers, tOneHot, alpha);
  return tf.tidy(() => {
    const picked = tf.reshape(tf.matMul(tOneHot, tf.reshape(triggers, [triggers.shape[0], -1])), x.shape);
    if (injection === 'ink') return tf.add(x, tf.mul(tf.mul(x, alpha), tf.sub(picked, x))) as tf.Tensor4D;
    if (injection === 'stroke') return tf.clipByValue(tf.add(x, tf.mul(tf.mul(edgeMagnitude(x), alpha), tf.sub(tf.mul(picked, 2), 1))), 0, 1) as tf.Tensor4D;
    return tf.add(tf.mul(picked, alpha), tf.mul(x, 1 - alpha)) as tf.Tensor4D;
  });
}

/** |grad x| by central differences (0 on a flat background and inside a saturated stroke, largest on its edges). */
export function edgeMagnitude(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const dx = tf.conv2d(x, tf.tensor4d([-0.5, 0, 0.5], [1, 3, 1, 1]), 1, 'same');
    const dy = tf.conv2d(x, tf.tensor4d([-0.5, 0, 0.5], [3, 1, 1, 1]), 1, 'same');
    return tf.sqrt(tf.add(tf.add(tf.square(dx), tf.square(dy)), 1e-12)) as tf.Tensor4D;
  });
}

/**
 * The trapdoor term's targets: the trigger's class t (one-hot), except on rows where t is the image's own class y,
 * which move towards uniform by `own`: (1 - own) t + own / k.
 */
export function trapdoorTargets(t: tf.Tensor2D, y: tf.Tensor2D, own: number): tf.Tensor2D {
  if (own === 0) return t.clone();
  return tf.tidy(() => {
    const same = tf.sum(tf.mul(t, y), 1, true); // 1 where the trigger is the image's own class
    return tf.sub(t, tf.mul(same, tf.mul(tf.sub(t, 1 / t.shape[1]), own))) as tf.Tensor2D;
  });
}

export class TrapMidTrainer {
  readonly triggers: tf.Variable<tf.Rank.R4>;
  readonly discriminator: tf.LayersModel;
  private readonly batches: BatchCursor;
  private readonly optT: tf.Optimizer;
  private readonly optD: tf.Optimizer;
  private readonly rng: () => number;
  private readonly accuracy = new RunningAccuracy();
  /** Trigger labels for the current epoch, balanced over classes. */
  private trapLabels: Int32Array;

  constructor(readonly model: tf.LayersModel, readonly data: DigitSet, readonly config: TrapMidConfig) {
    this.batches = new BatchCursor(data.count, config.batchSize, config.seed);
    this.rng = makeRng(config.seed + 101);
    const k = config.numClasses;
    const side = sideOf(data);
    const initial = () => config.injection === 'warp' ? initialWarpParams(k, this.rng)
      : config.injection === 'ted' ? tedTriggers(k, side, config.seed)
        : tf.tensor4d(Float32Array.from({ length: k * side * side }, () => this.rng()), [k, side, side, 1]);
    // tidy frees the initial tensor (the variable keeps its own reference to the values). TeD's stay fixed.
    this.triggers = tf.tidy(() => tf.variable(initial(), config.injection !== 'ted', `trap-triggers-${Math.random().toString(36).slice(2)}`)) as tf.Variable<tf.Rank.R4>;
    this.discriminator = side === 28 ? buildTarget(1, config.seed + 7) : buildFaceTarget(1, config.seed + 7, side);
    this.optT = adam(config.learningRate);
    this.optD = adam(config.learningRate * 0.5);
    this.trapLabels = this.balancedLabels();
  }

  get epoch(): number { return this.batches.epoch; }
  get batchesPerEpoch(): number { return this.batches.batchesPerEpoch; }
  get done(): boolean { return this.batches.epoch >= this.config.epochs; }

  private balancedLabels(): Int32Array {
    const n = this.data.count, k = this.config.numClasses;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = i % k;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      const t = labels[i]; labels[i] = labels[j]; labels[j] = t;
    }
    return labels;
  }

  async step(wantStats = false): Promise<TrapMidStats> {
    const c = this.config;
    if (this.done) return this.stats();
    const idx = this.batches.next();
    const b = idx.length;
    const chunks = b % c.augmentChunks === 0 ? c.augmentChunks : 1;
    const x = imagesToTensor(this.data, idx);
    const classes = tf.tensor1d(Array.from(idx, (i) => c.classOf(this.data.labels[i])), 'int32');
    const y = oneHotOnHost(Array.from(idx, (i) => c.classOf(this.data.labels[i])), c.numClasses);
    const trapLabels = trapLabelsOf(idx, this.trapLabels);
    const t = oneHotOnHost(trapLabels, c.numClasses);
    const progress = (this.batches.epoch + this.batches.batch / this.batches.batchesPerEpoch) / c.epochs;
    const yTarget = smoothLabels(y, c.labelSmoothing?.(progress) ?? 0);
    const tTarget = trapdoorTargets(t, y, c.ownDigitSmoothing ?? 0);
    const range = scaledAugment(c.augmentStrength);
    const warpA = randomWarp(sideOf(this.data), chunks, this.rng, range), warpB = randomWarp(sideOf(this.data), chunks, this.rng, range);
    const D = this.discriminator, T = this.model;
    const inject = injector(x, t, trapLabels, c);

    // (a) naturalness discriminator: clean is real, triggered is fake.
    const xt0 = inject(this.triggers);
    const dLoss = this.optD.minimize(() => tf.add(bce(trainApply(D, x), true),
      bce(trainApply(D, xt0), false)) as tf.Scalar, wantStats, D.trainableWeights.map((w) => w.read() as tf.Variable));
    xt0.dispose();

    // (b) one signed-gradient step of the triggers (TeD's are fixed: none).
    let natValue: tf.Scalar | null = null;
    if (c.injection !== 'ted') tf.tidy(() => {
      const trapTerm = (K: tf.Tensor) => softCrossEntropy(infer(T, warpA.apply(inject(K as tf.Tensor4D))) as tf.Tensor2D, tTarget);
      const natTerm = (K: tf.Tensor) => bce(infer(D, inject(K as tf.Tensor4D)), true);
      const gTrap = tf.grad(trapTerm)(this.triggers);
      const natural = c.naturalness !== 'none' && c.naturalnessWeight > 0;
      const gNat = natural ? tf.grad(natTerm)(this.triggers) : gTrap;
      if (natural && wantStats) natValue = tf.keep(natTerm(this.triggers));
      // sign(gTrap + w gNat) ('paper'), or with each gradient scaled to unit rms per trigger ('balanced'); one kernel.
      // Images stay in [0, 1]; warp parameters within [-3, 3] (tanh 0.995: further steps would barely move the field).
      const [lo, hi] = c.injection === 'warp' ? [-3, 3] : [0, 1];
      this.triggers.assign(signedStep(this.triggers, gTrap, gNat, {
        weight: natural ? c.naturalnessWeight : 0, normalize: c.naturalness === 'balanced', step: c.triggerStep, lo, hi,
      }) as tf.Tensor4D);
    });

    // (c) the target: clean task plus the trapdoor.
    const xt = inject(this.triggers);
    let cleanValue: tf.Scalar | null = null, trapValue: tf.Scalar | null = null;
    const tLoss = this.optT.minimize(() => {
      const cleanLogits = trainApply(T, warpA.apply(x)) as tf.Tensor2D;
      this.accuracy.add(cleanLogits, classes);
      const clean = softCrossEntropy(cleanLogits, yTarget);
      const trap = softCrossEntropy(trainApply(T, warpB.apply(xt)) as tf.Tensor2D, tTarget);
      if (wantStats) { cleanValue = tf.keep(clean.clone()); trapValue = tf.keep(trap.clone()); }
      return tf.add(tf.mul(clean, 1 - c.beta), tf.mul(trap, c.beta)) as tf.Scalar;
    }, false, T.trainableWeights.map((w) => w.read() as tf.Variable));
    tLoss?.dispose();
    tf.dispose([x, classes, y, t, tTarget, yTarget, xt]);
    inject.dispose();
    warpA.dispose(); warpB.dispose();

    let losses: TrapMidStats['losses'];
    let trainAccuracy: number | undefined;
    if (wantStats) {
      const read = async (s: tf.Scalar | null) => { if (!s) return NaN; const v = (await s.data())[0]; s.dispose(); return v; };
      losses = { clean: await read(cleanValue), trapdoor: await read(trapValue), discriminator: await read(dLoss), triggerNatural: await read(natValue) };
      trainAccuracy = await this.accuracy.read();
    }
    this.batches.advance();
    if (this.batches.batch === 0) this.trapLabels = this.balancedLabels();
    return { ...this.stats(losses), trainAccuracy };
  }

  private stats(losses?: TrapMidStats['losses']): TrapMidStats {
    return { epoch: this.batches.epoch, batch: this.batches.batch, batchesPerEpoch: this.batches.batchesPerEpoch, done: this.done, losses };
  }

  dispose(): void {
    this.optT.dispose(); this.optD.dispose(); this.discriminator.dispose(); this.triggers.dispose(); this.accuracy.dispose();
  }
}
