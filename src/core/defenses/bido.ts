// BiDO (Peng et al., KDD 2022): bilateral dependency optimisation. Model inversion works because the target's hidden
// layers carry a lot about the input; BiDO trains with
//   CE + sum over hidden layers h of ( lambda_x Dep(h, x) - lambda_y Dep(h, y) ),
// i.e. each layer should depend as little as possible on the image x and as much as possible on the label y.
// Dep is a kernel dependence measure estimated on the batch (n images), with K~ = H K H the centred kernel matrix
// (H = I - 11^T / n):
//  - HSIC, as BiDO's code computes it (and tuned its weights for): the normalised estimator tr(R_K R_L) with
//    R = K~ (K~ + n eps I)^-1, eps = 1e-5. The textbook biased estimator tr(K H L H) / (n - 1)^2 is here too
//    (`hsicEstimator: 'biased'`), but on MNIST it is ~1e-4, so lambda = (2, 20) would leave training unchanged;
//  - COCO: sqrt(lambda_max(K~ L~)) / n, the largest kernel covariance between the two.
// Kernels: Gaussian on the flattened image and on each hidden layer, linear on the one-hot label. As in BiDO's code,
// the Gaussian's squared distance is divided by the dimension too: exp(-|a - b|^2 / (2 sigma^2 d)). Without that,
// a 21,632-unit conv layer puts every pair of images ~e^-60 apart and the kernel (and its gradient) is the identity.
// Everything is tfjs ops on batch x batch matrices (64 x 64; the inverse by Newton-Schulz, the top eigenvalue by power
// iteration), so the loss differentiates.
import * as tf from '@tensorflow/tfjs';
import type { LossParts } from '../train.ts';
import { softCrossEntropy } from './negls.ts';

export type Dependence = 'hsic' | 'coco';

export interface BidoConfig {
  /** Weight of the layers' dependence on the image (pushed down). */
  lambdaX: number;
  /** Weight of the layers' dependence on the label (pushed up). */
  lambdaY: number;
  /** Gaussian kernel width (per dimension, see above). */
  sigma: number;
  dependence: Dependence;
  /** HSIC only: BiDO's code's normalised estimator (default) or the textbook biased one. */
  hsicEstimator?: 'normalised' | 'biased';
}

/** BiDO's MNIST values: (lambda_x, lambda_y) = (2, 20) with HSIC (DESIGN.md section 4), sigma 5 as in its code. */
export const BIDO_DEFAULTS: BidoConfig = { lambdaX: 2, lambdaY: 20, sigma: 5, dependence: 'hsic' };
/** ...and with COCO (the measure of BiDO's released MNIST model): (1, 50). */
export const BIDO_COCO_WEIGHTS = { lambdaX: 1, lambdaY: 50 };

/** The target's hidden layers BiDO constrains: both conv blocks and the dense(128) feature layer. */
export const BIDO_LAYERS = ['conv1', 'conv2', 'features'] as const;

/** Rows flattened: [n, ...] -> [n, d]. */
const flat = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [t.shape[0], -1]);

/** Pairwise squared distances of the rows, |a_i|^2 + |a_j|^2 - 2 a_i.a_j (one matmul), clamped at 0 against rounding. */
export function squaredDistances(a: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const r = tf.sum(tf.square(a), 1, true);
    return tf.relu(tf.sub(tf.add(r, tf.transpose(r)), tf.mul(2, tf.matMul(a, a, false, true)))) as tf.Tensor2D;
  });
}

/**
 * Gaussian kernel matrix of the rows of `a` (any shape [n, ...]), distances scaled by the dimension. `minusOne` gives
 * K - 1 instead (expm1): the same once centred, and without rounding 1 - 1e-4 in float32 (entries are that close to 1).
 */
export function gaussianKernel(a: tf.Tensor, sigma: number, minusOne = false): tf.Tensor2D {
  return tf.tidy(() => {
    const x = flat(a);
    const t = tf.div(squaredDistances(x), -2 * sigma * sigma * x.shape[1]);
    return (minusOne ? tf.expm1(t) : tf.exp(t)) as tf.Tensor2D;
  });
}

/** Linear kernel matrix (for one-hot labels: 1 where two images share a label). */
export function linearKernel(a: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => { const x = flat(a); return tf.matMul(x, x, false, true) as tf.Tensor2D; });
}

/** H K H: subtract row and column means, add back the grand mean (no n x n matrix products). */
export function centre(k: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.sub(tf.sub(k, tf.mean(k, 0, true)), tf.mean(k, 1, true)), tf.mean(k)) as tf.Tensor2D);
}

// The iterative parts below (Newton-Schulz, power iteration) are tf.customGrad ops: what runs inside a custom op's
// forward pass stays off the gradient tape, so backprop costs one formula instead of going back through every
// iteration. (One matrix at a time: tfjs-wasm's batched matMul is ~10x slower than separate ones at 64 x 64.)

/** Newton-Schulz iterations of spdInverse: enough for a condition number of ~1e5 (|A X - I| ~ 1e-6 on MNIST layers). */
const INVERSE_STEPS = 20;

/**
 * A^-1 for a symmetric positive definite A by Newton-Schulz, X <- 2X - X A X from X = I / |A|_F: matmuls only, and it
 * converges as every eigenvalue of A X0 is in (0, 1]. Gradient: d(A^-1) = -X dA X.
 */
export const spdInverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const a = args[0] as tf.Tensor2D, save = args[1] as tf.GradSaveFunc;
  let x = tf.div(tf.eye(a.shape[0]), tf.norm(a)) as tf.Tensor2D;
  for (let i = 0; i < INVERSE_STEPS; i++) x = tf.sub(tf.mul(x, 2), tf.matMul(tf.matMul(x, a), x));
  save([x]);
  return { value: x, gradFunc: (dy: tf.Tensor, [inv]: tf.Tensor[]) => tf.neg(tf.matMul(tf.matMul(inv, dy as tf.Tensor2D), inv)) };
}) as (a: tf.Tensor2D) => tf.Tensor2D;

/** The ridge of the normalised HSIC, per image (BiDO's code: 1e-5). */
const NOCCO_EPSILON = 1e-5;

/** R = K~ (K~ + n eps I)^-1 = I - n eps (K~ + n eps I)^-1, from a centred kernel. Eigenvalues l / (l + n eps), in [0, 1). */
function hatMatrix(kc: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = kc.shape[0], delta = n * NOCCO_EPSILON, eye = tf.eye(n);
    return tf.sub(eye, tf.mul(delta, spdInverse(tf.add(kc, tf.mul(delta, eye)) as tf.Tensor2D))) as tf.Tensor2D;
  });
}

/** Squarings of COCO's power iteration: v = M^(2^s) v0, so s = 7 is 128 plain iterations for 7 matmuls. */
const POWER_SQUARINGS = 7;

/**
 * lambda_max(M) for M = A B, A and B centred kernels (`b` is B, only to find the left eigenvector; its gradient here
 * is 0, as it reaches B through M). M is a product of two PSD matrices, so its eigenvalues are real and >= 0. Power
 * iteration by repeated squaring (normalised each time) gives the top eigenvector v, u = B v is the left one
 * (u^T A B = v^T B A B = lambda v^T B), and lambda = u^T M v / u^T v. Gradient: u v^T / (u^T v).
 */
const topEigenvalue = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const m = args[0] as tf.Tensor2D, b = args[1] as tf.Tensor2D, save = args[2] as tf.GradSaveFunc;
  const n = m.shape[0];
  let p = m;
  for (let s = 0; s < POWER_SQUARINGS; s++) {
    const q = tf.matMul(p, p);
    p = tf.div(q, tf.add(tf.norm(q), 1e-30));
  }
  // A start vector that is not constant (the constant vector is in every centred matrix's null space).
  const pv = tf.matMul(p, tf.reshape(tf.linspace(1, 2, n), [n, 1]));
  const v = tf.div(pv, tf.add(tf.norm(pv), 1e-30)) as tf.Tensor2D;
  const u = tf.matMul(b, v) as tf.Tensor2D;
  const uv = tf.add(tf.sum(tf.mul(u, v)), 1e-20);
  save([u, v, uv]);
  return {
    value: tf.div(tf.sum(tf.mul(u, tf.matMul(m, v))), uv) as tf.Scalar,
    gradFunc: (dy: tf.Tensor, [su, sv, suv]: tf.Tensor[]) => [tf.mul(dy, tf.div(tf.matMul(su, sv, false, true), suv)), tf.zerosLike(b)],
  };
}) as (m: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar;

/** sqrt(lambda_max(A B)) / n for centred A, B. */
function cocoCentred(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sqrt(tf.add(tf.relu(topEigenvalue(tf.matMul(a, b), b)), 1e-8)), a.shape[0]) as tf.Scalar);
}

/** How a measure compares kernel matrices: `prepare` each once (they are reused across pairs), then `between`. */
interface Measure {
  prepare(k: tf.Tensor2D): tf.Tensor2D;
  between(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar;
}

const MEASURES: Record<'hsic' | 'hsic-biased' | 'coco', Measure> = {
  hsic: { prepare: (k) => hatMatrix(centre(k)), between: (a, b) => tf.sum(tf.mul(a, b)) as tf.Scalar },
  // tr(K H L H) = tr((H K H) L) = sum((H K H) * (H L H)) for symmetric K, L (H is idempotent).
  'hsic-biased': { prepare: centre, between: (a, b) => tf.div(tf.sum(tf.mul(a, b)), (a.shape[0] - 1) ** 2) as tf.Scalar },
  coco: { prepare: centre, between: cocoCentred },
};

const measureOf = (c: Pick<BidoConfig, 'dependence' | 'hsicEstimator'>): Measure =>
  MEASURES[c.dependence === 'coco' ? 'coco' : c.hsicEstimator === 'biased' ? 'hsic-biased' : 'hsic'];

const pair = (m: Measure, k: tf.Tensor2D, l: tf.Tensor2D) => tf.tidy(() => m.between(m.prepare(k), m.prepare(l)));

/** Biased HSIC of two kernel matrices: tr(K H L H) / (n - 1)^2. */
export const hsic = (k: tf.Tensor2D, l: tf.Tensor2D): tf.Scalar => pair(MEASURES['hsic-biased'], k, l);
/** BiDO's code's normalised HSIC of two kernel matrices: tr(R_K R_L). */
export const normalisedHsic = (k: tf.Tensor2D, l: tf.Tensor2D): tf.Scalar => pair(MEASURES.hsic, k, l);
/** COCO of two kernel matrices: sqrt(lambda_max(K~ L~)) / n. */
export const coco = (k: tf.Tensor2D, l: tf.Tensor2D): tf.Scalar => pair(MEASURES.coco, k, l);

/** The target and its hidden layers, one model sharing every weight: input -> [conv1, conv2, features, logits]. */
export function withHiddenLayers(model: tf.LayersModel, layers: readonly string[] = BIDO_LAYERS): tf.LayersModel {
  const outputs = layers.map((name) => model.getLayer(name).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs: [...outputs, model.outputs[0]], name: `${model.name}_bido` });
}

/** Names of the two dependence terms in the stats. */
export const bidoTermNames = (c: Pick<BidoConfig, 'dependence'>): [string, string] =>
  c.dependence === 'coco' ? ['cocoX', 'cocoY'] : ['hsicX', 'hsicY'];

/**
 * The BiDO loss for one batch of `net` (withHiddenLayers): cross-entropy plus, summed over the hidden layers,
 * lambda_x Dep(h, x) - lambda_y Dep(h, y). Terms: `ce` and the two dependences summed over layers, unweighted.
 */
export function bidoLoss(net: tf.LayersModel, c: BidoConfig, x: tf.Tensor4D, targets: tf.Tensor2D): LossParts {
  const outs = net.apply(x, { training: true }) as tf.Tensor[];
  const logits = outs[outs.length - 1] as tf.Tensor2D;
  const ce = softCrossEntropy(logits, targets);
  const m = measureOf(c);
  const px = m.prepare(gaussianKernel(x, c.sigma, true)), py = m.prepare(linearKernel(targets));
  let depX: tf.Scalar = tf.scalar(0), depY: tf.Scalar = tf.scalar(0);
  for (const h of outs.slice(0, -1)) {
    const ph = m.prepare(gaussianKernel(h, c.sigma, true));
    depX = tf.add(depX, m.between(ph, px));
    depY = tf.add(depY, m.between(ph, py));
  }
  const loss = tf.add(ce, tf.sub(tf.mul(c.lambdaX, depX), tf.mul(c.lambdaY, depY))) as tf.Scalar;
  const [nx, ny] = bidoTermNames(c);
  return { loss, logits, terms: { ce, [nx]: depX, [ny]: depY } };
}
