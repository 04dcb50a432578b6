// Label smoothing, and negative label smoothing (NegLS, Struppek et al. 2024): train on (1 - a) y + a / K with
// a < 0, which pushes the target's confidence beyond one-hot and leaves less for an attack to exploit. The negative
// factor is ramped in after the first half of training, for stability.

import * as tf from '@tensorflow/tfjs';

/** NegLS's factor in the paper. */
export const NEGLS_ALPHA = -0.05;

/** Cross-entropy of logits against (possibly smoothed, even negative) target distributions, mean over the batch. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Label smoothing with factor a (negative for NegLS): (1 - a) y + a / K. */
export function smoothLabels(oneHot: tf.Tensor2D, a: number): tf.Tensor2D {
  if (a === 0) return oneHot.clone();
  const k = oneHot.shape[1];
  return tf.tidy(() => tf.add(tf.mul(oneHot, 1 - a), a / k) as tf.Tensor2D);
}

/** The smoothing factor at `progress` (0..1 of training): 0 for the first half, then `alpha`. */
export function neglsSchedule(alpha: number, progress: number): number {
  return progress < 0.5 ? 0 : alpha;
}
