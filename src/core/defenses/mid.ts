// MID (Wang et al. 2021): a variational information bottleneck before the last layer. The feature layer predicts
// (mu, std = softplus(s - 5)); training samples z = mu + std * eps and classifies z, with loss
// CE + beta * KL(N(mu, std^2) || N(0, I)), so the last layer sees as little about the input as the task allows.
// The shipped (inference) model classifies mu: deterministic, and in plain tfjs layers format.
import * as tf from '@tensorflow/tfjs';
import type { LossParts } from '../train.ts';
import { softCrossEntropy } from './negls.ts';

/** The shipped target-mid's beta (the paper sweeps 0.003-0.01 on MNIST). */
export const MID_BETA = 0.01;

export interface MidModel {
  /** input -> ... -> features -> mu -> logits: what is saved and attacked. */
  model: tf.LayersModel;
  /** input -> [mu, s]: the training graph (shares every layer with `model`, plus the std head). */
  trainGraph: tf.LayersModel;
  logitsLayer: tf.layers.Layer;
}

export function buildMidTarget(numClasses: number, seed: number, bottleneck = 32): MidModel {
  const he = (k: number) => tf.initializers.heNormal({ seed: seed + k });
  const input = tf.input({ shape: [28, 28, 1] });
  let h = tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: he(0), name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: he(1), name: 'conv2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.25, seed, name: 'drop' }).apply(h) as tf.SymbolicTensor;
  const features = tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(2), name: 'features' }).apply(h) as tf.SymbolicTensor;
  const mu = tf.layers.dense({ units: bottleneck, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }), name: 'mid_mu' }).apply(features) as tf.SymbolicTensor;
  const s = tf.layers.dense({ units: bottleneck, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), name: 'mid_s' }).apply(features) as tf.SymbolicTensor;
  const logitsLayer = tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }), name: 'logits' });
  const logits = logitsLayer.apply(mu) as tf.SymbolicTensor;
  return {
    model: tf.model({ inputs: input, outputs: logits, name: 'target_mid' }),
    trainGraph: tf.model({ inputs: input, outputs: [mu, s], name: 'target_mid_train' }),
    logitsLayer,
  };
}

/** KL(N(mu, std^2) || N(0, I)) summed over the bottleneck, mean over the batch. */
export function gaussianKl(mu: tf.Tensor2D, std: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.square(mu), tf.square(std)), tf.add(tf.mul(2, tf.log(tf.add(std, 1e-8))), 1)), 1))) as tf.Scalar);
}

/** The MID training loss for one batch (and its two terms); `seed` makes the bottleneck's noise reproducible. */
export function midLoss(m: MidModel, beta: number, x: tf.Tensor4D, targets: tf.Tensor2D, seed?: number): LossParts {
  const [mu, s] = m.trainGraph.apply(x, { training: true }) as tf.Tensor2D[];
  const std = tf.softplus(tf.sub(s, 5)) as tf.Tensor2D;
  const z = tf.add(mu, tf.mul(std, tf.randomNormal(mu.shape, 0, 1, 'float32', seed))) as tf.Tensor2D;
  const logits = m.logitsLayer.apply(z) as tf.Tensor2D;
  const ce = softCrossEntropy(logits, targets), kl = gaussianKl(mu, std);
  return { loss: tf.add(ce, tf.mul(beta, kl)) as tf.Scalar, logits, terms: { ce, kl } };
}

/** Every variable MID trains (the inference model's and the std head's). */
export function midVariables(m: MidModel): tf.Variable[] {
  const seen = new Set<string>();
  return [...m.trainGraph.trainableWeights, ...m.model.trainableWeights]
    .filter((w) => !seen.has(w.name) && seen.add(w.name))
    .map((w) => w.read() as tf.Variable);
}
