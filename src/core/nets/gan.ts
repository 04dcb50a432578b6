// The GAN priors' architectures: a small DCGAN generator (z -> 7x7 -> 14x14 -> 28x28, sigmoid pixels) and its
// discriminator (two strided convs -> one realness logit). With `numClasses` > 0 both are class-conditional, as
// PLG-MI needs: the generator sees the one-hot class beside z, and the discriminator is a projection
// discriminator (realness logit + <embed(y), features>). On 64 x 64 faces both have two more stride-2 stages
// (z -> 4x4 -> ... -> 64x64; 64 -> ... -> 4x4), the DCGAN paper's shape at an eighth of its width.
import * as tf from '@tensorflow/tfjs';
import { infer } from './fused-chain.ts';

/** Latent size of every generator (as in GMI). */
export const Z_DIM = 100;

const init = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed });

/** The stages of each image side: the generator's first grid and channel widths up to the image (the discriminator's, reversed). */
const LAYOUT: Record<number, { grid: number; widths: number[] }> = {
  28: { grid: 7, widths: [64, 32] },
  64: { grid: 4, widths: [128, 64, 32, 16] },
};

function layoutOf(side: number) {
  const l = LAYOUT[side];
  if (!l) throw new Error(`no GAN architecture for ${side} x ${side} images (available: ${Object.keys(LAYOUT).join(', ')})`);
  return l;
}

/** G(z[, y]) -> [n, side, side, 1] in [0, 1]; `wider` replaces the layout's channel widths (a wider generator). */
export function buildGenerator(seed: number, numClasses = 0, side = 28, wider?: number[]): tf.LayersModel {
  const { grid, widths: stock } = layoutOf(side);
  const widths = wider ?? stock;
  if (widths.length !== stock.length) throw new Error(`a ${side} x ${side} generator has ${stock.length} widths, not ${widths.length}`);
  const z = tf.input({ shape: [Z_DIM], name: 'z' });
  const y = numClasses > 0 ? tf.input({ shape: [numClasses], name: 'y' }) : undefined;
  const head = y ? tf.layers.concatenate({ name: 'zy' }).apply([z, y]) as tf.SymbolicTensor : z;
  let h = tf.layers.dense({ units: grid * grid * widths[0], kernelInitializer: init(seed), name: 'project' }).apply(head) as tf.SymbolicTensor;
  h = tf.layers.leakyReLU({ alpha: 0.2, name: 'project_act' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [grid, grid, widths[0]], name: 'grid' }).apply(h) as tf.SymbolicTensor;
  // 28: up1 (32); 64: up1 (128), up2 (64), up3 (32); then the image.
  widths.slice(1).forEach((filters, i) => {
    h = tf.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(seed + 1 + i), name: `up${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.2, name: `up${i + 1}_act` }).apply(h) as tf.SymbolicTensor;
  });
  const img = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(seed + widths.length), name: 'image' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ name: numClasses > 0 ? 'cgenerator' : 'generator', inputs: y ? [z, y] : [z], outputs: img });
}

/**
 * D(x[, y]) -> [n, 1] realness logit. With `head: 'classes'` (KED-MI's semi-supervised discriminator) the output is
 * instead `numClasses` class logits l_k, whose log-sum-exp is the realness: D(x) = Z / (Z + 1), Z = sum exp(l_k).
 */
export function buildDiscriminator(seed: number, numClasses = 0, head: 'realness' | 'classes' = 'realness', side = 28): tf.LayersModel {
  const { grid, widths } = layoutOf(side);
  const filters = [...widths].reverse(); // 28: 32, 64; 64: 32, 64, 128, 256
  const x = tf.input({ shape: [side, side, 1], name: 'x' });
  let h = x;
  filters.forEach((f, i) => {
    h = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(seed + i), name: `conv${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.2, name: `conv${i + 1}_act` }).apply(h) as tf.SymbolicTensor;
  });
  const features = tf.layers.flatten({ name: 'features' }).apply(h) as tf.SymbolicTensor;
  // The heads' seeds follow the convs' (28: seed + 2, + 3, as they always were).
  const next = seed + filters.length;
  if (head === 'classes') {
    const logits = tf.layers.dense({ units: numClasses, kernelInitializer: init(next), name: 'class_logits' }).apply(features) as tf.SymbolicTensor;
    return tf.model({ name: 'ked_discriminator', inputs: x, outputs: logits });
  }
  const real = tf.layers.dense({ units: 1, kernelInitializer: init(next), name: 'realness' }).apply(features) as tf.SymbolicTensor;
  if (numClasses === 0) return tf.model({ name: 'discriminator', inputs: x, outputs: real });
  const y = tf.input({ shape: [numClasses], name: 'y' });
  const embed = tf.layers.dense({ units: grid * grid * filters.at(-1)!, useBias: false, kernelInitializer: init(next + 1), name: 'class_embed' }).apply(y) as tf.SymbolicTensor;
  const projection = tf.layers.dot({ axes: 1, name: 'projection' }).apply([embed, features]) as tf.SymbolicTensor;
  const out = tf.layers.add({ name: 'logit' }).apply([real, projection]) as tf.SymbolicTensor;
  return tf.model({ name: 'cdiscriminator', inputs: [x, y], outputs: out });
}

/** Standard normal latents [n, dim] from a seeded generator (Box-Muller), optionally clamped to [-c, c]. */
export function sampleLatents(n: number, rng: () => number, clamp = Infinity, dim = Z_DIM): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng())), t = 2 * Math.PI * rng();
    out[i] = Math.max(-clamp, Math.min(clamp, r * Math.cos(t)));
    if (i + 1 < out.length) out[i + 1] = Math.max(-clamp, Math.min(clamp, r * Math.sin(t)));
  }
  return out;
}

/** Run a generator on latents (and one-hot classes for a conditional one). */
/** Latent size of a generator (Z_DIM for the GANs, k for the eigenface prior). */
export function latentDim(g: tf.LayersModel): number {
  return g.inputs[0].shape[1] as number;
}

export function generate(g: tf.LayersModel, z: tf.Tensor2D, y?: tf.Tensor2D): tf.Tensor4D {
  return infer(g, y ? [z, y] : z) as tf.Tensor4D;
}

/** Realness logit of a discriminator (conditional ones also take one-hot classes). */
export function realness(d: tf.LayersModel, x: tf.Tensor4D, y?: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(infer(d, y ? [x, y] : x), [-1]) as tf.Tensor1D;
}

/** KED-MI's realness from class logits: log D(x) = lse(l) - softplus(lse(l)), per row. */
export function kedLogReal(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const lse = tf.logSumExp(logits, 1);
    return tf.sub(lse, tf.softplus(lse)) as tf.Tensor1D;
  });
}
