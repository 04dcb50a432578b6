// Label smoothing, and negative label smoothing (NegLS, Struppek et al. 2024): train on (1 - a) y + a / K with
// a < 0, which pushes the target's confidence beyond one-hot and leaves less for an attack to exploit. The negative
// factor is ramped in after the first half of training, for stability.

import * as tf from '@tensorflow/tfjs';
import { meanClassLoss } from '../kernels/attack-losses.ts';

/** NegLS's factor in the paper. */
export const NEGLS_ALPHA = -0.05;

/**
 * Cross-entropy of logits against (possibly smoothed, even negative) target distributions, mean over the batch. With
 * `floor` > 0, log-probabilities are clamped at log(floor): a negative target stops rewarding a wrong class once its
 * probability is below the floor, which bounds NegLS's loss (and the logits) from below.
 */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, floor = 0): tf.Scalar {
  // Without a floor, the fused loss kernel (one forward, one backward; tfjs's composed ops where it is missing).
  if (floor === 0) return meanClassLoss(logits, targets, 'cross-entropy');
  return tf.tidy(() => {
    const logP = tf.maximum(tf.logSoftmax(logits), Math.log(floor));
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, logP), 1))) as tf.Scalar;
  });
}

/**
 * The shipped NegLS target's floor: wrong classes are pushed down to a probability of 1e-4 (a logit margin of about 9)
 * and no further. Unbounded (0, the paper's loss) the logits grow without limit once NegLS ramps in, and cost 3.6
 * points of accuracy here (README, "NegLS, bounded").
 */
export const NEGLS_FLOOR = 1e-4;

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
