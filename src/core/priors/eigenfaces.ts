// The eigenface prior (Turk and Pentland 1991): PCA of the attacker's public faces. An image is the mean face plus a
// weighted sum of the top-k principal components; an attack searches the k weights, standardised so that the public
// faces' weights are N(0, 1), under a Gaussian penalty ||z||^2 / 2 (the log-density of that Gaussian). It trains in a
// second, and it is a generator like a GAN's: z -> image, a dense layer, so the GAN attacks run on it unchanged.
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { type ImageSet, sideOf } from '../data/mnist.ts';

export interface Eigenfaces {
  side: number;
  /** Mean face, side * side values in [0, 1]. */
  mean: Float32Array;
  /** k unit-norm components, k * side * side values, in order of variance. */
  components: Float32Array;
  /** Standard deviation of the public faces' weight on each component. */
  sigmas: Float32Array;
  /** Share of the public faces' pixel variance the k components explain. */
  explained: number;
}

/**
 * PCA of `set` through the n x n Gram matrix (n images << side^2 pixels): its eigenvectors v give the components
 * X^T v / ||X^T v||, with the same eigenvalues.
 */
export function fitEigenfaces(set: ImageSet, k: number): Eigenfaces {
  const n = set.count, side = sideOf(set), p = side * side;
  if (k < 1 || k >= n) throw new Error(`eigenfaces: k must be in 1..${n - 1} for ${n} images (got ${k})`);
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += set.images[i * p + j] / 255 / n;
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) X[i * p + j] = set.images[i * p + j] / 255 - mean[j];
  const gram = Matrix.zeros(n, n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += X[a * p + j] * X[b * p + j];
      gram.set(a, b, s); gram.set(b, a, s);
    }
  }
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const values = evd.realEigenvalues, vectors = evd.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const total = values.reduce((s, v) => s + Math.max(v, 0), 0);
  const components = new Float32Array(k * p), sigmas = new Float32Array(k);
  let kept = 0;
  order.slice(0, k).forEach((col, c) => {
    const u = new Float64Array(p);
    for (let i = 0; i < n; i++) { const w = vectors.get(i, col); for (let j = 0; j < p; j++) u[j] += w * X[i * p + j]; }
    const norm = Math.hypot(...u) || 1;
    // Fix each component's sign (positive pixel sum) so that a refit gives the same prior.
    const sign = u.reduce((s, v) => s + v, 0) < 0 ? -1 : 1;
    for (let j = 0; j < p; j++) components[c * p + j] = (sign * u[j]) / norm;
    sigmas[c] = Math.sqrt(Math.max(values[col], 0) / (n - 1));
    kept += Math.max(values[col], 0);
  });
  return { side, mean: Float32Array.from(mean), components, sigmas, explained: kept / total };
}

/** The prior as a generator: z [n, k] -> clip(mean + sum_c z_c sigma_c u_c, 0, 1) as [n, side, side, 1]. */
export function eigenGenerator(e: Eigenfaces): tf.LayersModel {
  const k = e.sigmas.length, p = e.side * e.side;
  const kernel = new Float32Array(k * p);
  for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) kernel[c * p + j] = e.sigmas[c] * e.components[c * p + j];
  const model = tf.sequential({
    name: 'eigenfaces',
    layers: [
      tf.layers.dense({ inputShape: [k], units: p, name: 'project' }),
      tf.layers.reLU({ maxValue: 1, name: 'clip' }),
      tf.layers.reshape({ targetShape: [e.side, e.side, 1], name: 'image' }),
    ],
  });
  const w = tf.tensor2d(kernel, [k, p]), b = tf.tensor1d(e.mean);
  model.getLayer('project').setWeights([w, b]);
  tf.dispose([w, b]);
  return model;
}

/** The Gaussian prior's penalty per candidate: ||z||^2 / 2. */
export function gaussianPenalty(z: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.sum(tf.square(z), 1), 0.5) as tf.Tensor1D);
}

/**
 * A conditional generator in eigenface space, for PLG-MI on faces: (z, one-hot y) -> MLP -> k standardised eigenface
 * weights -> the eigenface prior's frozen projection (mean face + weighted components, clipped). A conv generator of
 * our size did not learn to draw faces from the 200 public photos in a CPU session (README, "Faces"); this one draws
 * nothing but mean-plus-eigenface images, so the GAN training only learns which weights (which face) each class
 * gets and how z varies it.
 */
export function eigenConditionalGenerator(e: Eigenfaces, numClasses: number, seed: number, hidden = 256): tf.LayersModel {
  const k = e.sigmas.length;
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const z = tf.input({ shape: [100], name: 'z' });
  const y = tf.input({ shape: [numClasses], name: 'y' });
  let h = tf.layers.concatenate({ name: 'zy' }).apply([z, y]) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: hidden, kernelInitializer: init(seed), name: 'hidden' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.leakyReLU({ alpha: 0.2, name: 'hidden_act' }).apply(h) as tf.SymbolicTensor;
  const weights = tf.layers.dense({ units: k, kernelInitializer: init(seed + 1), name: 'weights' }).apply(h) as tf.SymbolicTensor;
  const basis = eigenGenerator(e);
  // The eigenface projection, frozen: its layers reused (same weights), not trained.
  let img = weights;
  for (const layer of basis.layers) { layer.trainable = false; img = layer.apply(img) as tf.SymbolicTensor; }
  return tf.model({ name: 'eigen_cgenerator', inputs: [z, y], outputs: img });
}
