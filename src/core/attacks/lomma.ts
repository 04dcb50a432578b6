// LOMMA (Nguyen et al. 2023), a plug-in for GAN-based white-box attacks (GMI, KED-MI): replace the identity loss by
//     mean over {target, students} of -o_y(G(z))  +  (lambda_f / lambda) * mean((f_T(G(z)) - mu_public)^2)
// -o_y is the raw logit (it keeps pushing after the softmax saturates); the students, distilled from the target on
// public data, are model augmentation (the attack must fool models that share the target's knowledge, not its quirks);
// the feature term pulls the target's penultimate features towards those of real public digits.
import * as tf from '@tensorflow/tfjs';
import { withFeatures } from '../nets/architectures.ts';
import { classLoss } from '../kernels/attack-losses.ts';
import { infer } from '../nets/fused-chain.ts';
import { scaledAugment, warpPerStream, type Warp } from '../data/augment.ts';

export interface LommaOptions {
  /** Weight of the public-feature regulariser (paper ~1). */
  featureWeight: number;
  /** Mean penultimate feature of the target on public images. */
  publicFeatureMean: Float32Array;
}

/** The identity loss of an attack, plain (cross-entropy on the target) or LOMMA's. */
export interface IdentityLoss {
  /** Per-candidate identity term; `labels` one-hot over the target's outputs. */
  of(img: tf.Tensor4D, labels: tf.Tensor2D): tf.Tensor1D;
  dispose(): void;
}

export function identityLoss(target: tf.LayersModel, lambda: number, lomma?: LommaOptions, students: tf.LayersModel[] = []): IdentityLoss {
  if (!lomma) {
    return {
      of: (img, labels) => classLoss(infer(target, img) as tf.Tensor2D, labels, 'cross-entropy'),
      dispose: () => {},
    };
  }
  const models = [target, ...students];
  const features = withFeatures(target);
  const publicMean = tf.tensor1d(lomma.publicFeatureMean);
  return {
    of(img, labels) {
      const logit = models.map((m) => tf.neg(tf.sum(tf.mul(infer(m, img), labels), 1)));
      const f = (features.apply(img, { training: false }) as tf.Tensor[])[0] as tf.Tensor2D;
      const pull = tf.mul(tf.mean(tf.square(tf.sub(f, publicMean)), 1), lomma.featureWeight / lambda);
      return tf.add(tf.div(tf.addN(logit), models.length), pull) as tf.Tensor1D;
    },
    dispose: () => publicMean.dispose(),
  };
}

/** Two random warps of strength `augment` for this step, one per seed's stream (none when 0 or absent: no draws, so a
 *  run without warps replays as before). PLG-MI's recipe, offered to GMI and KED-MI's identity term. */
export function stepWarps(target: tf.LayersModel, rngs: (() => number)[], augment = 0): Warp[] {
  if (!(augment > 0)) return [];
  const side = target.inputs[0].shape[1] as number;
  return [0, 1].map(() => warpPerStream(side, rngs, scaledAugment(augment)));
}

/** The identity term averaged over the warped candidates (the plain term when there are no warps). */
export function warpedIdentity(identity: IdentityLoss, img: tf.Tensor4D, labels: tf.Tensor2D, warps: Warp[]): tf.Tensor1D {
  if (warps.length === 0) return identity.of(img, labels);
  return tf.div(tf.addN(warps.map((w) => identity.of(w.apply(img), labels))), warps.length) as tf.Tensor1D;
}
