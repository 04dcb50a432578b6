// The purifier (Yang & Shao 2020, "Defending model inversion and membership inference attacks via prediction
// purification"), an output-side defense: the API answers with a re-written confidence vector. An autoencoder,
// trained by the defender on the target's answers, squeezes every answer through a narrow code and rebuilds it:
// what survives is what answers of that kind share (the class, how sure), and the detail an inversion model reads
// an image from (the exact sizes of the small scores) is reduced: "less dispersion". Its training is specialised
// against inversion, as the paper's adversarial variant: an inversion model of the defender's learns to rebuild the
// queried images from purified answers, and the purifier learns to keep answers close to the target's while making
// that model's error large. The label swapper (oracle.ts keepLabels) keeps every answer's label, so the target's
// accuracy does not change.
//
// Where we deviate, and why:
// - The paper's purifier reads the (sorted) confidence vector; ours reads it in the inversion attacker's encoding,
//   max(0, ln p + c) / c (attacks/inversion-net.ts): the small scores an attacker exploits are ~1e-10 in p and would
//   be invisible to a network reading p itself.
// - Closeness is the KL divergence from the target's answer to the purified one (the paper's reconstruction loss is
//   a distance between the vectors); it weighs each score by the target's own probability, so the large scores that
//   make the answer useful stay and the small ones are free to move.
// - Trained on public digits 5-9 (the data: the defender has no separate reference set of private digits).
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor } from '../data/mnist.ts';
import { BatchCursor } from '../data/batches.ts';
import { adam } from '../kernels/adam.ts';
import { LOG_OFFSET, buildInversionDecoder, DECODER_BETA1 } from '../attacks/inversion-net.ts';
import { keepLabels, type OutputGuard } from '../attacks/oracle.ts';

/** Width of the purifier's code (the paper's bottleneck is a few units: fewer than the 5 scores, so detail is lost). */
export const PURIFIER_CODE = 3;
/** Weight of the inversion term against the KL term (chosen so that the KL stays ~0.05 nats on public digits). */
export const PURIFIER_INVERSION_WEIGHT = 0.5;

/** The attacker's encoding of answers, as a tensor op (all k scores): max(0, ln p + c) / c. Differentiable in p. */
export function encodeAnswers(p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.relu(tf.add(tf.log(tf.maximum(p, 1e-30)), LOG_OFFSET)), LOG_OFFSET) as tf.Tensor2D);
}

/** The purifier: answer [n, k] (encoded) -> dense 32 relu -> code -> dense 32 relu -> k logits (softmax outside). */
export function buildPurifier(numClasses: number, seed: number, code = PURIFIER_CODE): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    name: 'purifier',
    layers: [
      tf.layers.dense({ inputShape: [numClasses], units: 32, activation: 'relu', kernelInitializer: init(seed), name: 'encode' }),
      tf.layers.dense({ units: code, kernelInitializer: init(seed + 1), name: 'code' }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(seed + 2), name: 'decode' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: init(seed + 3), name: 'logits' }),
    ],
  });
}

/** Purified answers (before the label swapper): softmax of the purifier's logits on the encoded answers. */
export function purify(purifier: tf.LayersModel, probs: tf.Tensor2D, training = false): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(purifier.apply(encodeAnswers(probs), { training }) as tf.Tensor2D) as tf.Tensor2D);
}

/** The guard the query oracle runs: purify, then keep each answer's label. */
export function purifierGuard(purifier: tf.LayersModel): OutputGuard {
  return { defend: (_images, probs) => keepLabels(purify(purifier, probs), probs) };
}

/** KL(p || q) per row, averaged: how far the purified answers q moved from the target's p (nats). */
export function klDivergence(p: tf.Tensor2D, q: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.mul(p, tf.sub(tf.log(tf.maximum(p, 1e-30)), tf.log(tf.maximum(q, 1e-30)))), 1)) as tf.Scalar);
}

export interface PurifierTrainerOptions {
  batchSize: number;
  learningRate: number;
  /** Weight of the inversion term (0: a plain autoencoder, no adversarial specialisation). */
  inversionWeight: number;
  seed: number;
}

/**
 * Trains a purifier on the target's answers to `images` (the defender's data), alternating as the paper's adversarial
 * variant: one step of the defender's inversion model on purified answers, one step of the purifier on
 * KL(target || purified) - weight * that model's MSE.
 */
export class PurifierTrainer {
  readonly inverter: tf.LayersModel;
  private readonly cursor: BatchCursor;
  private readonly purifierOpt: tf.AdamOptimizer;
  private readonly inverterOpt: tf.AdamOptimizer;

  constructor(readonly purifier: tf.LayersModel, readonly target: tf.LayersModel, readonly images: DigitSet, readonly options: PurifierTrainerOptions) {
    const k = purifier.outputs[0].shape[1] as number;
    this.inverter = buildInversionDecoder(k, options.seed + 17);
    this.cursor = new BatchCursor(images.count, Math.min(options.batchSize, images.count), options.seed);
    this.purifierOpt = adam(options.learningRate);
    this.inverterOpt = adam(1e-3, DECODER_BETA1);
  }

  get epoch(): number { return this.cursor.epoch; }

  /** One batch of each; the terms of the purifier's loss. */
  async step(): Promise<{ kl: number; inversionMse: number }> {
    const idx = this.cursor.next();
    this.cursor.advance();
    const x = imagesToTensor(this.images, idx);
    const p = tf.tidy(() => tf.softmax(this.target.predict(x) as tf.Tensor2D) as tf.Tensor2D);
    try {
      const invVars = this.inverter.trainableWeights.map((w) => w.read() as tf.Variable);
      const invMse = (q: tf.Tensor2D) => tf.mean(tf.squaredDifference(this.inverter.apply(encodeAnswers(q), { training: true }) as tf.Tensor4D, x)) as tf.Scalar;
      this.inverterOpt.minimize(() => invMse(purify(this.purifier, p, true)), false, invVars);
      const purVars = this.purifier.trainableWeights.map((w) => w.read() as tf.Variable);
      let terms: tf.Tensor[] = [];
      const loss = this.purifierOpt.minimize(() => {
        const q = purify(this.purifier, p, true);
        const kl = klDivergence(p, q), mse = invMse(q);
        terms = [tf.keep(kl.clone()), tf.keep(mse.clone())];
        return tf.sub(kl, tf.mul(mse, this.options.inversionWeight)) as tf.Scalar;
      }, true, purVars)!;
      const [kl, mse] = await Promise.all(terms.map(async (t) => (await t.data())[0]));
      tf.dispose([loss, ...terms]);
      return { kl, inversionMse: mse };
    } finally {
      tf.dispose([x, p]);
    }
  }

  dispose(): void {
    this.purifierOpt.dispose();
    this.inverterOpt.dispose();
    this.inverter.dispose();
  }
}
