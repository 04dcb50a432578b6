// Adversarial output noise (Wen, Yiu and Hui, IEEE CSR 2021, "Defending against model inversion attack by adversarial
// examples"), an output-side defense: the defender trains an inversion model of its own that mimics the attacker's
// (a decoder from answers to images), and turns each answer into an adversarial example against it: a few signed
// gradient steps on the answer that make the mimic's reconstruction of the queried image as wrong as possible, within
// a budget; a label modifier then keeps the answer's label, so accuracy is unchanged. The attacker's own inversion
// model, trained on other data, is fooled by transfer, as image classifiers are by adversarial images.
//
// Where we deviate, and why:
// - The noise lives on the log-scores: q = softmax(ln p + delta), |delta_j| <= budget nats. Every q is a probability
//   vector by construction, and the attacker reads answers as log-scores (max(0, ln p + c) / c, the inversion
//   network's alignment), so this is where a small change in probability is a large one in what it reads. The paper
//   bounds the change of the probabilities; we report it (the L1 distortion) beside each budget instead.
// - The mimic is the attacker's architecture (attacks/inversion-net.ts) trained on the defender's own private
//   training digits (the defender has them; the attacker trains on public digits), the paper's setting of a defender
//   who knows the kind of attack but not the attacker's model.
// - Projected sign-gradient ascent of NOISE_STEPS steps of 2.5 * budget / steps (PGD's usual step), from delta = 0.
import * as tf from '@tensorflow/tfjs';
import { keepLabels, type OutputGuard } from '../attacks/oracle.ts';
import { encodeAnswers } from './purifier.ts';

/** Signed gradient steps per answer. */
export const NOISE_STEPS = 5;

/**
 * The noise on the log-scores, |delta| <= budget: projected sign-gradient ascent of the mimic's squared error (summed
 * per image, so one image's noise does not depend on the others') on reconstructing `images` from the answers.
 */
export function adversarialDelta(mimic: tf.LayersModel, images: tf.Tensor4D, probs: tf.Tensor2D, budget: number, steps = NOISE_STEPS): tf.Tensor2D {
  return tf.tidy(() => {
    const logp = tf.log(tf.maximum(probs, 1e-30));
    const error = (delta: tf.Tensor) => tf.sum(tf.squaredDifference(
      mimic.apply(encodeAnswers(tf.softmax(tf.add(logp, delta)) as tf.Tensor2D), { training: false }) as tf.Tensor4D, images));
    const grad = tf.grad(error);
    const size = 2.5 * budget / steps;
    let delta: tf.Tensor = tf.zerosLike(logp);
    for (let s = 0; s < steps; s++) {
      const next = tf.clipByValue(tf.add(delta, tf.mul(tf.sign(grad(delta)), size)), -budget, budget);
      delta.dispose();
      delta = next;
    }
    return delta as tf.Tensor2D;
  });
}

/** Answers [n, k] pushed against `mimic` (aligned answer -> image), then the label modifier. */
export function adversarialAnswers(mimic: tf.LayersModel, images: tf.Tensor4D, probs: tf.Tensor2D, budget: number, steps = NOISE_STEPS): tf.Tensor2D {
  return tf.tidy(() => {
    const noisy = tf.softmax(tf.add(tf.log(tf.maximum(probs, 1e-30)), adversarialDelta(mimic, images, probs, budget, steps))) as tf.Tensor2D;
    return keepLabels(noisy, probs);
  });
}

/** The guard the query oracle runs for 'adv-noise:<budget>'. */
export function adversarialNoiseGuard(mimic: tf.LayersModel, budget: number): OutputGuard {
  return { defend: (images, probs) => adversarialAnswers(mimic, images, probs, budget) };
}
