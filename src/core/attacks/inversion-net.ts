// The inversion network (Yang, Zhang, Chang and Liang, CCS 2019, "Neural network inversion in adversarial setting via
// background knowledge alignment"): a black-box, training-based attack. The attacker queries the target with its own
// public images (the "background knowledge": here digits 5-9), and trains a decoder that maps the target's answer, a
// confidence vector, back to the image that was asked about. It then decodes whatever answer it gets hold of: a
// victim's answer to a private image reconstructs that image, and a one-hot vector (the answer "surely digit d")
// reconstructs what the target takes for a typical d, its prototype.
//
// What follows the paper (and its public code's defaults):
// - The decoder is a stack of transposed convolutions ending in a sigmoid, trained on the mean squared error between
//   its reconstruction and the queried image, with Adam (beta1 0.5). The target is used through its answers only.
// - Alignment ("truncation"): the attacker keeps only the k largest scores of each answer and sets the rest to 0,
//   when it trains and when it decodes, so that a decoder trained on full public answers still applies to the partial
//   answers a victim's API may give. The kept scores enter as logarithms plus a constant c (the paper's c = 50):
//   probabilities span many orders of magnitude, and ln p + c keeps that information where p itself would be ~0.
//
// Where we deviate, and why:
// - Size: dense -> 7x7x64 -> 14x14x32 -> 28x28x1 (about 52,000 weights, like our GAN generator), without batch
//   normalisation, where the paper's decoder for 64 x 64 faces has five transposed convolutions with batch norm and
//   tanh. It has to train in minutes on WASM, and live fine-tuning on small batches would drag batch-norm
//   statistics about. Tanh between the layers, as in the paper.
// - Encoding: each kept score becomes max(0, ln p + c) / c, i.e. floored at 0 one score at a time and scaled into
//   [0, 1]. The paper's code adds c and then lifts the whole vector by its smallest value when that is negative; a
//   lift that depends on the smallest score makes the input of one answer shift with a probability that is ~1e-30
//   (float32 underflow), so we floor instead. The division by c only rescales the decoder's first layer.
// - No AMSGrad (the project's fused Adam has none) and a larger learning rate for the shipped decoders (1e-3 instead
//   of 2e-4, fewer epochs: the browser budget); the live fine-tuning uses the paper's 2e-4.
// - Queries are paid once per public image: an answer already received is reused in later epochs (the attacker can
//   cache it; re-asking would only cost more, and with a noisy output defense would average the noise away).
//
// The attack as a state machine: the decoder trained for this target ships as a prior (scripts/lib/prior-recipes.ts,
// `inv-<target>-<knowledge>`, trained by this file's DecoderTrainer through a QueryOracle). A run copies it (the
// engine's cached model stays as shipped) and each step fine-tunes the copy on one more batch of public digits, asked
// through the run's oracle: so the output defense and the query budget of the run apply, and a decoder trained on
// exact answers re-aligns to rounded, truncated or noisy ones. The candidates are the decoded one-hot prototypes
// (one per digit, what the CLI and the benchmark judge); after each step the attacker also asks the target about
// its prototypes (counted) to show how sure the target is of them. Victims: a few private test images whose answers
// the attacker intercepted (the victim's own queries, not the attacker's: not counted), decoded at every snapshot
// and compared with the originals (MSE, SSIM), beside the SSIM of random public digits to them.
import * as tf from '@tensorflow/tfjs';
import { type Attack, type CandidateSnapshot, type Reconstructions, keptOf, outputIndices } from './attack.ts';
import type { QueryOracle } from './oracle.ts';
import { type DigitSet, imagesToTensor } from '../data/mnist.ts';
import { BatchCursor } from '../data/batches.ts';
import { makeRng } from '../data/rng.ts';
import { adam } from '../kernels/adam.ts';
import { mse, ssim } from '../metrics/image-quality.ts';

/** Yang et al.'s constant c: a kept score enters as ln p + c (here floored at 0 and divided by c). */
export const LOG_OFFSET = 50;
/** Adam's beta1 in Yang et al.'s code. */
export const DECODER_BETA1 = 0.5;
const SIDE = 28, PX = SIDE * SIDE;

/**
 * Yang et al.'s alignment of answers (n rows of `numClasses` probabilities, host-side): in each row the `k` largest
 * scores (ties: the lower index first) become max(0, ln p + c) / c, the others 0. A new array.
 */
export function alignAnswers(answers: ArrayLike<number>, numClasses: number, k: number, c = LOG_OFFSET): Float32Array {
  if (!(k >= 1) || !Number.isInteger(k)) throw new Error(`truncation k must be a whole number of at least 1 (got ${k})`);
  const n = answers.length / numClasses;
  if (!Number.isInteger(n)) throw new Error(`${answers.length} scores are not rows of ${numClasses}`);
  const out = new Float32Array(answers.length);
  const order = Array.from({ length: numClasses }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    order.sort((a, b) => answers[row + b] - answers[row + a] || a - b);
    for (let r = 0; r < Math.min(k, numClasses); r++) {
      const j = order[r], p = answers[row + j];
      out[row + j] = p > 0 ? Math.max(0, Math.log(p) + c) / c : 0;
    }
  }
  return out;
}

/** The answer "surely digit d" for each output index: one-hot rows (their alignment is the same one-hot for every k). */
export function oneHotAnswers(outputs: number[], numClasses: number): Float32Array {
  const out = new Float32Array(outputs.length * numClasses);
  outputs.forEach((j, i) => { out[i * numClasses + j] = 1; });
  return out;
}

/** The decoder: aligned answer [n, numClasses] -> image [n, 28, 28, 1] in [0, 1]. */
export function buildInversionDecoder(numClasses: number, seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const answer = tf.input({ shape: [numClasses], name: 'answer' });
  let h = tf.layers.dense({ units: 7 * 7 * 64, activation: 'tanh', kernelInitializer: init(seed), name: 'project' }).apply(answer) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [7, 7, 64], name: 'grid' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2dTranspose({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init(seed + 1), name: 'up1' }).apply(h) as tf.SymbolicTensor;
  const img = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(seed + 2), name: 'image' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ name: 'inversion_decoder', inputs: answer, outputs: img });
}

/** A fresh decoder with `source`'s weights (copied: training the copy leaves the source as it was). */
export function copyDecoder(source: tf.LayersModel): tf.LayersModel {
  const numClasses = source.inputs[0].shape[1] as number;
  const copy = buildInversionDecoder(numClasses, 1);
  const weights = source.getWeights();
  if (weights.length !== copy.getWeights().length) throw new Error('the shipped decoder does not have the inversion decoder\'s layers');
  copy.setWeights(weights);
  return copy;
}

/** Mean squared error of the decoder's reconstructions of `images` from their aligned answers `inputs` (the paper's loss). */
export function decoderLoss(decoder: tf.LayersModel, inputs: tf.Tensor2D, images: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(decoder.apply(inputs, { training: true }) as tf.Tensor4D, images)) as tf.Scalar);
}

/** Decodes aligned answers (n rows of numClasses) into a host copy of the n images. */
export async function decode(decoder: tf.LayersModel, inputs: Float32Array, numClasses: number): Promise<Float32Array> {
  const n = inputs.length / numClasses;
  if (n === 0) return new Float32Array(0);
  const img = tf.tidy(() => decoder.apply(tf.tensor2d(inputs, [n, numClasses]), { training: false }) as tf.Tensor4D);
  try {
    return new Float32Array(await img.data() as Float32Array);
  } finally {
    img.dispose();
  }
}

export interface DecoderTrainerOptions {
  batchSize: number;
  learningRate: number;
  /** The attacker's truncation k (all scores: the number of classes). */
  truncation: number;
  seed: number;
  /** The public images it may use (indices into the set; default all). */
  pool?: ArrayLike<number>;
}

/**
 * Trains a decoder on the attacker's public images, one batch per step, asking the oracle for each image's answer the
 * first time the image comes up (answers are kept: later epochs cost no queries). Near the oracle's query budget a
 * batch keeps the images already answered and as many new ones as the budget allows; a step that can have none
 * trains on nothing and reports it.
 */
export class DecoderTrainer {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly cursor: BatchCursor;
  private readonly pool: Int32Array;
  private readonly answers: Float32Array;
  private readonly answered: Uint8Array;
  readonly numClasses: number;

  constructor(readonly decoder: tf.LayersModel, readonly publicSet: DigitSet, readonly oracle: QueryOracle, readonly options: DecoderTrainerOptions) {
    this.numClasses = oracle.numClasses;
    if ((decoder.inputs[0].shape[1] as number) !== this.numClasses) {
      throw new Error(`the decoder reads ${decoder.inputs[0].shape[1]} scores, the target answers ${this.numClasses}`);
    }
    this.pool = Int32Array.from(options.pool ?? Array.from({ length: publicSet.count }, (_, i) => i));
    if (this.pool.length === 0) throw new Error('the decoder needs at least one public image');
    this.cursor = new BatchCursor(this.pool.length, Math.min(options.batchSize, this.pool.length), options.seed);
    this.answers = new Float32Array(this.pool.length * this.numClasses);
    this.answered = new Uint8Array(this.pool.length);
    this.optimizer = adam(options.learningRate, DECODER_BETA1);
  }

  get epoch(): number { return this.cursor.epoch; }
  get batchesPerEpoch(): number { return this.cursor.batchesPerEpoch; }
  /** Public images answered so far (each queried once). */
  get answeredCount(): number { return this.answered.reduce((a, b) => a + b, 0); }

  /** One batch: the answers it still lacks are asked for, then one Adam step on the MSE. Its loss, and the images it used. */
  async step(): Promise<{ loss: number; images: number }> {
    const slots = Array.from(this.cursor.next());
    this.cursor.advance();
    const missing = slots.filter((p) => !this.answered[p]);
    const asked = missing.slice(0, Math.max(0, Math.min(missing.length, this.oracle.remaining)));
    if (asked.length) {
      const x = imagesToTensor(this.publicSet, asked.map((p) => this.pool[p]));
      try {
        const probs = await this.oracle.probabilities(x);
        asked.forEach((p, r) => { this.answers.set(probs.subarray(r * this.numClasses, (r + 1) * this.numClasses), p * this.numClasses); this.answered[p] = 1; });
      } finally {
        x.dispose();
      }
    }
    const used = slots.filter((p) => this.answered[p]);
    if (used.length === 0) return { loss: NaN, images: 0 };
    const k = this.numClasses;
    const raw = new Float32Array(used.length * k);
    used.forEach((p, r) => raw.set(this.answers.subarray(p * k, (p + 1) * k), r * k));
    const inputs = tf.tensor2d(alignAnswers(raw, k, this.options.truncation), [used.length, k]);
    const images = imagesToTensor(this.publicSet, used.map((p) => this.pool[p]));
    try {
      const vars = this.decoder.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = this.optimizer.minimize(() => decoderLoss(this.decoder, inputs, images), true, vars)!;
      const value = (await loss.data())[0];
      loss.dispose();
      return { loss: value, images: used.length };
    } finally {
      tf.dispose([inputs, images]);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Private test images whose answers the attacker intercepted (one per attacked digit in the lab and the CLI). */
export interface Victims {
  digits: number[];
  /** The originals, digits.length * 784 values in [0, 1] (to score the reconstructions; the attack never reads them). */
  pixels: Float32Array;
  /** What the attacker received for each: the target's (defended) answer, digits.length * numClasses values. */
  answers: Float32Array;
}

export interface InversionNetOptions {
  classes?: number[];
  /** Fine-tuning steps (one batch of public digits each). */
  steps: number;
  batchSize: number;
  truncation: number;
  learningRate: number;
  seed: number;
  /** The attacker's public images (what it fine-tunes on). */
  publicSet: DigitSet;
  victims?: Victims;
  /** Random public digits whose SSIM to each victim is the "no information" baseline. */
  baselineDigits?: number;
}

/** The victims part of a snapshot: originals, what was received, the reconstructions and their scores. */
export interface VictimSnapshot {
  digits: number[];
  pixels: Float32Array;
  /** The answers as received (before the attacker's truncation), digits.length rows of numClasses. */
  received: number[][];
  /** The attacker's truncation k: the k largest scores of each answer are what the decoder read. */
  truncation: number;
  /** What the decoder read of each answer: its alignment (the k largest as max(0, ln p + c) / c, the rest 0). */
  read: number[][];
  reconstructions: Float32Array;
  mse: number[];
  ssim: number[];
  /** Mean SSIM of random public digits to each victim: what an image that knows nothing of it scores. */
  publicSsim: number[];
}

export interface InversionNetState {
  options: InversionNetOptions;
  oracle: QueryOracle;
  decoder: tf.LayersModel;
  trainer: DecoderTrainer;
  classes: number[];
  outputs: number[];
  numClasses: number;
  stepCount: number;
  /** The loss of the last fine-tuning batch (before any step: the loss of the decoder as shipped on the first batch is unknown: NaN). */
  lastLoss: number;
  /** The target's answers to the prototypes, asked after each step (the attacked digit's score per prototype). */
  confidence: number[];
  /** The victims' SSIM baseline (computed once: it does not change). */
  publicSsim: number[];
}

/** Each victim's mean SSIM to `count` random public digits (the seed's own draw; the split attack's baseline too). */
export function publicBaseline(victims: Pick<Victims, 'digits' | 'pixels'>, pub: DigitSet, count: number, seed: number): number[] {
  const rng = makeRng(seed ^ 0x55a1);
  const picks = Array.from({ length: count }, () => Math.floor(rng() * pub.count));
  const images = picks.map((i) => Float32Array.from(pub.images.subarray(i * PX, (i + 1) * PX), (v) => v / 255));
  return victims.digits.map((_, v) => {
    const x = victims.pixels.subarray(v * PX, (v + 1) * PX);
    return images.reduce((s, im) => s + ssim(im, x), 0) / Math.max(1, images.length);
  });
}

/** Asks the oracle about the decoded prototypes (counted), as far as the query budget allows; keeps the old answers otherwise. */
async function checkPrototypes(s: InversionNetState): Promise<void> {
  const n = s.classes.length;
  if (s.oracle.remaining < n) return;
  const x = tf.tidy(() => s.decoder.apply(tf.tensor2d(oneHotAnswers(s.outputs, s.numClasses), [n, s.numClasses]), { training: false }) as tf.Tensor4D);
  try {
    const p = await s.oracle.probabilities(x);
    s.confidence = s.outputs.map((j, i) => p[i * s.numClasses + j]);
  } finally {
    x.dispose();
  }
}

export const inversionNet = {
  id: 'inversion-net',

  async init(ctx, options) {
    if (!ctx.oracle) throw new Error('the inversion network is black-box: it needs a query oracle');
    if (!ctx.prior) throw new Error('the inversion network needs the decoder trained for this target (its prior)');
    if (options.truncation > ctx.oracle.numClasses) throw new Error(`truncation k (${options.truncation}) is more than the target's ${ctx.oracle.numClasses} scores`);
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const decoder = copyDecoder(ctx.prior.generator);
    let trainer: DecoderTrainer;
    try {
      trainer = new DecoderTrainer(decoder, options.publicSet, ctx.oracle, { batchSize: options.batchSize, learningRate: options.learningRate, truncation: options.truncation, seed: options.seed });
    } catch (e) {
      decoder.dispose();
      throw e;
    }
    const s: InversionNetState = {
      options, oracle: ctx.oracle, decoder, trainer, classes, outputs, numClasses: ctx.oracle.numClasses, stepCount: 0, lastLoss: NaN,
      confidence: classes.map(() => NaN),
      publicSsim: options.victims ? publicBaseline(options.victims, options.publicSet, options.baselineDigits ?? 20, options.seed) : [],
    };
    await checkPrototypes(s);
    return s;
  },

  async step(s) {
    if (s.stepCount >= s.options.steps || s.oracle.remaining <= 0) return { step: s.stepCount, done: true };
    const { loss, images } = await s.trainer.step();
    if (images > 0) s.lastLoss = loss;
    s.stepCount++;
    await checkPrototypes(s);
    return { step: s.stepCount, done: s.stepCount >= s.options.steps || s.oracle.remaining <= 0 };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    const n = s.classes.length, k = s.numClasses;
    const pixels = await decode(s.decoder, oneHotAnswers(s.outputs, k), k);
    const snap: CandidateSnapshot = {
      step: s.stepCount, classes: [...s.classes], pixels, targetConfidence: [...s.confidence], loss: s.classes.map(() => s.lastLoss),
      kept: Array.from({ length: n }, (_, i) => i), attacked: [...s.classes], queries: s.oracle.queries,
    };
    const v = s.options.victims;
    if (v) {
      const read = alignAnswers(v.answers, k, s.options.truncation);
      const recon = await decode(s.decoder, read, k);
      const at = (a: Float32Array, i: number) => a.subarray(i * PX, (i + 1) * PX);
      snap.victims = {
        digits: [...v.digits], pixels: v.pixels.slice(), truncation: s.options.truncation,
        received: v.digits.map((_, i) => Array.from(v.answers.subarray(i * k, (i + 1) * k))),
        read: v.digits.map((_, i) => Array.from(read.subarray(i * k, (i + 1) * k))),
        reconstructions: recon,
        mse: v.digits.map((_, i) => mse(at(recon, i), at(v.pixels, i))),
        ssim: v.digits.map((_, i) => ssim(at(recon, i), at(v.pixels, i))),
        publicSsim: [...s.publicSsim],
      };
    }
    return snap;
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose(s) {
    s.trainer.dispose();
    s.decoder.dispose();
  },
} satisfies Attack<InversionNetOptions, InversionNetState>;
