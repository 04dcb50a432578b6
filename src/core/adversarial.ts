// Adversarial examples under an L-inf budget: FGSM with a random start (Wong et al. 2020, "Fast is better than
// free") trains the second judge cheaply, and PGD (Madry et al. 2018) measures how robust it came out. Images stay
// in [0, 1]; the loss is cross-entropy against one-hot (or soft) targets.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor } from './data/mnist.ts';
import { softCrossEntropy } from './defenses/negls.ts';

export interface LinfBudget {
  /** Largest change of any pixel (images in [0, 1]). */
  eps: number;
  /** Size of one signed-gradient step. */
  stepSize: number;
  /** Signed-gradient steps (1 = FGSM). */
  steps: number;
}

/** The second judge's training budget: one FGSM step of 1.25 eps from a uniform random start (Wong et al.). */
export const FGSM_TRAINING = (eps: number): LinfBudget => ({ eps, stepSize: 1.25 * eps, steps: 1 });
/** The budget its robustness is measured under: 10 PGD steps of eps / 4 from a random start. */
export const PGD_CHECK = (eps: number): LinfBudget => ({ eps, stepSize: eps / 4, steps: 10 });

/**
 * An adversarial version of `x` for `model` (eval mode: the attack sees the network it fools): a uniform random start
 * inside the eps-ball, then `steps` signed-gradient ascents of the cross-entropy, each projected back into the
 * ball and [0, 1]. The result carries no gradient tape.
 */
export function linfAttack(model: tf.LayersModel, x: tf.Tensor4D, targets: tf.Tensor2D, budget: LinfBudget, seed: number): tf.Tensor4D {
  const lossOf = (xx: tf.Tensor) => softCrossEntropy(model.apply(xx, { training: false }) as tf.Tensor2D, targets);
  const gradient = tf.grad(lossOf);
  let adv = tf.tidy(() => tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -budget.eps, budget.eps, 'float32', seed)), 0, 1)) as tf.Tensor4D;
  for (let s = 0; s < budget.steps; s++) {
    const next = tf.tidy(() => {
      const stepped = tf.add(adv, tf.mul(tf.sign(gradient(adv) as tf.Tensor4D), budget.stepSize));
      const inBall = tf.minimum(tf.maximum(stepped, tf.sub(x, budget.eps)), tf.add(x, budget.eps));
      return tf.clipByValue(inBall, 0, 1) as tf.Tensor4D;
    });
    adv.dispose();
    adv = next;
  }
  return adv;
}

/** Top-1 accuracy on the first `count` images of `set` after a PGD attack with `budget` (the robustness figure). */
export async function robustAccuracy(model: tf.LayersModel, set: DigitSet, classOf: (d: number) => number, numClasses: number, budget: LinfBudget, count: number, seed: number, batchSize = 250): Promise<number> {
  let correct = 0, total = 0;
  for (let start = 0; start < Math.min(count, set.count); start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start, set.count - start) }, (_, k) => start + k);
    const labels = idx.map((i) => classOf(set.labels[i]));
    const x = imagesToTensor(set, idx);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat()) as tf.Tensor2D;
    const adv = linfAttack(model, x, y, budget, seed + start);
    const pred = tf.tidy(() => (model.predict(adv) as tf.Tensor).argMax(-1));
    const p = await pred.data();
    tf.dispose([x, y, adv, pred]);
    labels.forEach((c, k) => { total++; if (p[k] === c) correct++; });
  }
  return correct / total;
}
