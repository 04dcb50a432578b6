// LOKT, label-only model inversion via knowledge transfer (Nguyen, Chandrasegaran, Abdollahzadeh & Cheung, NeurIPS 2023,
// "Label-Only Model Inversion Attacks via Knowledge Transfer", arXiv 2310.19342). The attacker only ever reads the
// target's top-1 label. Instead of searching with labels (BREP-MI), it moves the target's knowledge into models of its
// own and then runs a white-box attack on those:
//   1. T-ACGAN, a target-assisted auxiliary-classifier GAN on the attacker's public images: a conditional generator
//      G(z, y) over the target's classes, and a discriminator with two heads, real/fake and a class head. The class
//      head learns the target's labels of the public images and, once the generator draws something, of generated
//      images (both asked of the target, label-only); the generator is trained to look real and to be classified as
//      its y by the class head. Every label comes through a QueryOracle, so each query is counted.
//   2. Surrogate classifiers trained on G's images labelled by the target (label queries again).
//   3. A white-box attack on the surrogates instead of the target: PLG-MI's (plg-mi.ts), per class y Adam on latents z
//      of G(z, y) with the max-margin loss under two random augmentations, on the surrogates' mean logits (one model).
//      The attack stage asks the target nothing; its snapshots report the queries that training spent (the prior's
//      manifest entry) as `queries`, so the lab's counter shows what the attack cost.
//
// What follows the paper: the three stages; T-ACGAN's two-headed discriminator whose class head learns the target's
// top-1 labels of real and of generated images; the generator's adversarial + class-head loss; surrogates trained on
// generated images labelled by the target; an ensemble of surrogates of different shapes; PLG-MI's attack with the
// T-ACGAN generator as the conditional prior, and no query during the attack.
//
// Where we deviate, and why (the paper's text could not be read here, no copy was found; this follows its method as
// we know it, and the sizes are ours, chosen for a 2-core CPU):
// - Networks: our small DCGAN (nets/gan.ts; the discriminator is the KED-MI one with 1 + k outputs: logit 0 is the
//   realness, logits 1..k the class head) where the paper builds T-ACGAN on PLG-MI's larger ResNet GAN for 64 x 64
//   faces; the non-saturating GAN loss (softplus). Two surrogates (our LOMMA student
//   shapes 0 and 1, 79k and 158k parameters) where the paper's surrogates are large ImageNet-style CNNs.
// - The class head uses the generated images' target labels only from `fakeLabelsFrom` steps on (a warm-up of our
//   choosing: before that the generator draws noise, whose labels say nothing and would only cost queries); after
//   that every step asks the labels of its batch of generated images, weighted `fakeClassWeight`.
// - The surrogates also learn the public images' labels, already paid for in stage 1 (no extra query), beside a fixed
//   set of generated images asked once each; 3 epochs with 1-pixel shifts.
// - Budgets: a few epochs of the public digits for T-ACGAN and 20,000 generated images for the surrogates (the
//   recipe's numbers, scripts/lib/prior-recipes.ts LOKT_RECIPES), far below the paper's GPU training.
// - The attack's browser budget is PLG-MI's (5 latents per digit, 150 Adam steps at lr 0.1; paper 600 steps). Its
//   snapshots' `targetConfidence` is the surrogates' (the attacker never sees the target's scores; the lab hides it
//   for label-only attacks), and the kept candidate is the one the surrogates score highest.
// Several seeds run as one batch (`seeds`, Seeded in attack.ts): each candidate's loss depends on itself only.
import * as tf from '@tensorflow/tfjs';
import { adam } from '../kernels/adam.ts';
import { type Attack, type CandidateSnapshot, type Reconstructions, type Seeded, keptOf } from './attack.ts';
import type { QueryOracle } from './oracle.ts';
import { plgMi, type PlgMiState } from './plg-mi.ts';
import { BatchCursor } from '../data/batches.ts';
import { type DigitSet, imagesToTensor } from '../data/mnist.ts';
import { makeRng } from '../data/rng.ts';
import { buildDiscriminator, buildGenerator, generate, sampleLatents, Z_DIM } from '../nets/gan.ts';
import { softCrossEntropy } from '../defenses/negls.ts';

// ---------------------------------------------------------------------------------------------------------------
// Stage 1: T-ACGAN.

/** T-ACGAN's discriminator: our DCGAN discriminator with 1 + k logits, [realness, class logits...]. */
export function buildAcganDiscriminator(seed: number, numClasses: number): tf.LayersModel {
  return buildDiscriminator(seed, numClasses + 1, 'classes');
}

/** The two heads of an ACGAN discriminator's output [n, 1 + k]: realness [n] and class logits [n, k]. */
export function acganHeads(out: tf.Tensor2D): { real: tf.Tensor1D; classes: tf.Tensor2D } {
  const k = out.shape[1] - 1;
  return { real: tf.reshape(tf.slice(out, [0, 0], [-1, 1]), [-1]) as tf.Tensor1D, classes: tf.slice(out, [0, 1], [-1, k]) as tf.Tensor2D };
}

/**
 * The class head's loss: cross-entropy of its logits against the target's labels (output indices), for the public
 * images and (weighted `fakeWeight`, when labelled) the generated ones.
 */
export function classHeadLoss(realLogits: tf.Tensor2D, realLabels: tf.Tensor2D, fakeLogits?: tf.Tensor2D, fakeLabels?: tf.Tensor2D, fakeWeight = 1): tf.Scalar {
  return tf.tidy(() => {
    const real = softCrossEntropy(realLogits, realLabels);
    if (!fakeLogits || !fakeLabels || fakeWeight === 0) return real;
    return tf.add(real, tf.mul(softCrossEntropy(fakeLogits, fakeLabels), fakeWeight)) as tf.Scalar;
  });
}

export interface TacganConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Adam's beta1 (0.5, as in DCGAN). */
  beta1: number;
  seed: number;
  /** The step from which the generated images' labels are asked and learned (0: from the first step). */
  fakeLabelsFrom: number;
  /** Weight of the generated images' class loss in the discriminator's objective. */
  fakeClassWeight: number;
  /** Weight of the class head's verdict on the generator's images in the generator's objective. */
  generatorClassWeight: number;
}

export interface TacganStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  losses: { adversarial: number; classHead: number; generator: number } | null;
  done: boolean;
}

/**
 * Trains T-ACGAN one batch per `step()`: the public images' labels are asked of the oracle the first time each comes up
 * (then kept), the generated batch's labels every step from `fakeLabelsFrom` on. `publicLabels` holds the answers
 * (-1: not asked yet).
 */
export class TacganTrainer {
  readonly generator: tf.LayersModel;
  readonly discriminator: tf.LayersModel;
  readonly publicLabels: Int32Array;
  private readonly gOpt: tf.Optimizer;
  private readonly dOpt: tf.Optimizer;
  private readonly batches: BatchCursor;
  private steps = 0;

  constructor(readonly data: DigitSet, readonly oracle: QueryOracle, readonly config: TacganConfig) {
    const k = oracle.numClasses;
    this.generator = buildGenerator(config.seed, k);
    this.discriminator = buildAcganDiscriminator(config.seed + 10, k);
    this.gOpt = adam(config.learningRate, config.beta1);
    this.dOpt = adam(config.learningRate, config.beta1);
    this.batches = new BatchCursor(data.count, Math.min(config.batchSize, data.count), config.seed);
    this.publicLabels = new Int32Array(data.count).fill(-1);
  }

  get epoch(): number { return this.batches.epoch; }
  get done(): boolean { return this.epoch >= this.config.epochs; }

  async step(wantLosses = false): Promise<TacganStats> {
    if (this.done) return this.stats(null);
    const k = this.oracle.numClasses, rng = this.batches.rng;
    const idx = Array.from(this.batches.next());
    const n = idx.length;
    // The public batch's labels: asked once per image.
    const missing = idx.filter((i) => this.publicLabels[i] < 0);
    if (missing.length) {
      const x = imagesToTensor(this.data, missing);
      try {
        const labels = await this.oracle.labels(x);
        missing.forEach((i, r) => { this.publicLabels[i] = labels[r]; });
      } finally {
        x.dispose();
      }
    }
    const oneHot = (labels: ArrayLike<number>) => tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), k).toFloat() as tf.Tensor2D);
    const real = imagesToTensor(this.data, idx);
    const yReal = oneHot(idx.map((i) => this.publicLabels[i]));
    const yCond = oneHot(Array.from({ length: n }, () => Math.floor(rng() * k)));
    const z = tf.tensor2d(sampleLatents(n, rng), [n, Z_DIM]);
    const G = () => this.generator.apply([z, yCond], { training: true }) as tf.Tensor4D;
    const D = (x: tf.Tensor4D) => acganHeads(this.discriminator.apply(x, { training: true }) as tf.Tensor2D);
    const fake = tf.tidy(G); // outside the tape: the discriminator's step trains D only
    const askFakes = this.steps >= this.config.fakeLabelsFrom && this.config.fakeClassWeight > 0;
    const yFake = askFakes ? oneHot(await this.oracle.labels(fake)) : undefined;
    const dVars = this.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
    const gVars = this.generator.trainableWeights.map((w) => w.read() as tf.Variable);

    let adv: tf.Scalar | undefined, cls: tf.Scalar | undefined;
    const dLoss = this.dOpt.minimize(() => {
      const r = D(real), f = D(fake);
      const a = tf.add(tf.mean(tf.softplus(tf.neg(r.real))), tf.mean(tf.softplus(f.real))) as tf.Scalar;
      const c = classHeadLoss(r.classes, yReal, f.classes, yFake, this.config.fakeClassWeight);
      if (wantLosses) { adv = tf.keep(a.clone()); cls = tf.keep(c.clone()); }
      return tf.add(a, c) as tf.Scalar;
    }, wantLosses, dVars);
    const gLoss = this.gOpt.minimize(() => {
      const f = D(G());
      return tf.add(tf.mean(tf.softplus(tf.neg(f.real))), tf.mul(softCrossEntropy(f.classes, yCond), this.config.generatorClassWeight)) as tf.Scalar;
    }, wantLosses, gVars);

    tf.dispose([real, yReal, yCond, z, fake, yFake]);
    let losses: TacganStats['losses'] = null;
    if (dLoss && gLoss && adv && cls) {
      const [a, c, g] = await Promise.all([adv.data(), cls.data(), gLoss.data()]);
      losses = { adversarial: a[0], classHead: c[0], generator: g[0] };
    }
    tf.dispose([dLoss ?? undefined, gLoss ?? undefined, adv, cls]);
    this.steps++;
    this.batches.advance();
    return this.stats(losses);
  }

  private stats(losses: TacganStats['losses']): TacganStats {
    return { epoch: this.batches.epoch, batch: this.batches.batch, batchesPerEpoch: this.batches.batchesPerEpoch, step: this.steps, losses, done: this.done };
  }

  /** The public images whose labels were asked, with those labels (output indices): free training data for the surrogates. */
  labelledPublic(): DigitSet {
    const asked = Array.from(this.publicLabels.keys()).filter((i) => this.publicLabels[i] >= 0);
    const images = new Uint8Array(asked.length * 784), labels = new Uint8Array(asked.length);
    asked.forEach((i, j) => { images.set(this.data.images.subarray(i * 784, (i + 1) * 784), j * 784); labels[j] = this.publicLabels[i]; });
    return { count: asked.length, images, labels };
  }

  dispose(): void {
    this.gOpt.dispose(); this.dOpt.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Stage 2: the surrogates' training data.

/**
 * `samples` images of G(z, y), y uniform over the generator's classes, each labelled by the target (one label query
 * each): a labelled image set (pixels rounded to bytes) whose labels are the target's output indices.
 */
export async function labelGenerated(generator: tf.LayersModel, oracle: QueryOracle, samples: number, seed: number, batchSize = 500): Promise<DigitSet> {
  const k = oracle.numClasses, rng = makeRng(seed ^ 0x10c7);
  const images = new Uint8Array(samples * 784), labels = new Uint8Array(samples);
  for (let start = 0; start < samples; start += batchSize) {
    const n = Math.min(batchSize, samples - start);
    const cls = Array.from({ length: n }, () => Math.floor(rng() * k));
    const x = tf.tidy(() => generate(generator, tf.tensor2d(sampleLatents(n, rng), [n, Z_DIM]), tf.oneHot(tf.tensor1d(cls, 'int32'), k).toFloat() as tf.Tensor2D));
    try {
      const answered = await oracle.labels(x);
      const px = await x.data();
      for (let i = 0; i < n * 784; i++) images[start * 784 + i] = Math.round(Math.min(1, Math.max(0, px[i])) * 255);
      labels.set(answered, start);
    } finally {
      x.dispose();
    }
  }
  return { count: samples, images, labels };
}

// ---------------------------------------------------------------------------------------------------------------
// Stage 3: the attack, PLG-MI's on the surrogates.

export interface LoktOptions extends Seeded {
  classes?: number[];
  /** Latents per attacked class. */
  restarts: number;
  steps: number;
  learningRate: number;
  /** The surrogate classifiers (output order: the target's classes). */
  surrogates: tf.LayersModel[];
  /** Label queries the prior's training spent (the manifest's `queries`): what the snapshots report. */
  trainingQueries: number;
}

export interface LoktState extends PlgMiState { trainingQueries: number }

export const LOKT_DEFAULTS: Omit<LoktOptions, 'seed' | 'seeds' | 'classes' | 'surrogates' | 'trainingQueries'> = { restarts: 5, steps: 150, learningRate: 0.1 };

/** One model whose logits are the surrogates' mean: PLG-MI attacks it as it would the target. */
export function surrogateEnsemble(surrogates: tf.LayersModel[]): tf.LayersModel {
  if (surrogates.length === 1) return surrogates[0];
  const input = tf.input({ shape: surrogates[0].inputs[0].shape.slice(1) as number[] });
  const logits = surrogates.map((m) => m.apply(input) as tf.SymbolicTensor);
  return tf.model({ inputs: input, outputs: tf.layers.average().apply(logits) as tf.SymbolicTensor });
}

export const lokt = {
  id: 'lokt',
  batchesSeeds: true,

  init(ctx, options) {
    if (!ctx.prior?.conditional) throw new Error('LOKT needs its T-ACGAN generator (conditional on the target\'s classes)');
    if (!options.surrogates.length) throw new Error('LOKT needs at least one surrogate classifier');
    const k = ctx.targetClasses.length;
    for (const s of options.surrogates) {
      if ((s.outputs[0].shape[1] as number) !== k) throw new Error(`a LOKT surrogate answers ${s.outputs[0].shape[1]} classes, the target ${k}`);
    }
    // The target is never touched: PLG-MI's attack runs on the surrogates' ensemble in its place.
    return { ...plgMi.init({ ...ctx, target: surrogateEnsemble(options.surrogates) }, options), trainingQueries: options.trainingQueries };
  },

  step: (s: LoktState) => plgMi.step(s),

  async snapshot(s: LoktState): Promise<CandidateSnapshot> {
    // Its confidences are the surrogates': the attacker never sees the target's scores (label-only).
    return { ...(await plgMi.snapshot(s)), queries: s.trainingQueries };
  },

  async result(s: LoktState): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose: (s: LoktState) => plgMi.dispose(s),
} satisfies Attack<LoktOptions, LoktState>;
