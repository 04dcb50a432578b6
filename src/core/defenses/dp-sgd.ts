// DP-SGD (Abadi et al., CCS 2016): each example's gradient is clipped to norm C, the clipped gradients are summed,
// Gaussian noise of standard deviation sigma * C is added, and the sum is divided by the expected batch size. Batches
// are Poisson samples (every image joins each batch with probability q), which is what the accountant
// (dp-accountant.ts, Renyi DP of the sampled Gaussian) assumes; it reports epsilon at delta 1e-5 as training goes.
//
// Per-example gradients without batches of one. One backward pass gives every layer's output gradient dZ for each
// example (the loss is a sum over examples, and dL/dz_i depends on example i alone). From dZ and each layer's input A:
//   dense:  g_i = a_i (outer) dz_i, so |g_i|^2 = |a_i|^2 |dz_i|^2, never materialised (the "ghost norm");
//   conv:   g_i = patches_i^T dz_i, a batched matrix product over the im2col patches of each example (the patches
//           come from a conv with a one-hot filter bank: the backend's own conv, no host loop).
// The clipped sum is then sum_i c_i g_i with c_i = min(1, C / |g_i|): for dense layers one product
// (A scaled by c)^T dZ, for convs a weighted sum of the per-example products. No second backward pass.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor } from '../data/mnist.ts';
import { makeRng } from '../data/rng.ts';
import { adam } from '../kernels/adam.ts';
import { RunningAccuracy, readScalars } from '../train.ts';
import { DP_DELTA, RdpAccountant } from './dp-accountant.ts';

export interface DpSgdConfig {
  epochs: number;
  /** Expected batch size: the sampling rate is q = batchSize / images. */
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Clipping norm C of each example's gradient (all layers together). */
  clipNorm: number;
  /** sigma: the noise's standard deviation is sigma * C. 0 is clipping alone (no privacy). */
  noiseMultiplier: number;
  classOf: (label: number) => number;
  numClasses: number;
  shift?: number;
  flip?: boolean;
  lrDecay?: number;
}

/** The shipped DP targets' clipping and batch (Abadi et al.'s MNIST settings are C = 4, lot 600; Opacus's example C = 1, 256). */
export const DP_SGD_DEFAULTS = { clipNorm: 1, noiseMultiplier: 1.1, batchSize: 256, learningRate: 1e-3 };

export interface DpSgdStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  done: boolean;
  /** Privacy spent so far (delta = DP_DELTA). Infinity with no noise. */
  epsilon: number;
  losses?: Record<string, number>;
  trainAccuracy?: number;
  /** Share of the batch's examples whose gradient was clipped (only with stats). */
  clippedShare?: number;
}

/** Batches padded to a multiple of this, so a GPU backend sees few distinct shapes (padding rows weigh 0). */
const PAD = 16;

type Linear = { kind: 'dense' | 'conv'; layer: tf.layers.Layer; kernel: tf.Variable; bias: tf.Variable | null };

/** The per-example pieces of one linear layer: its input and its output gradient. */
interface Trace { input: tf.Tensor; dz: tf.Tensor }

/**
 * A sequential model (conv2d, dense, flatten, dropout, pooling) trained by DP-SGD. `step()` is one Poisson batch.
 */
export class DpSgdTrainer {
  readonly batchesPerEpoch: number;
  readonly accountant: RdpAccountant;
  readonly q: number;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly rng: () => number;
  private readonly accuracy = new RunningAccuracy();
  private readonly linears: Linear[];
  /** One-hot filter banks that cut each conv's input into patches, built once per conv layer. */
  private readonly patchFilters = new Map<tf.layers.Layer, tf.Tensor4D>();
  private steps = 0;

  constructor(readonly model: tf.LayersModel, readonly data: DigitSet, readonly config: DpSgdConfig) {
    if (!(config.clipNorm > 0)) throw new Error(`DP-SGD: the clipping norm must be > 0 (got ${config.clipNorm})`);
    if (!(config.noiseMultiplier >= 0)) throw new Error(`DP-SGD: the noise multiplier must be >= 0 (got ${config.noiseMultiplier})`);
    this.q = Math.min(1, config.batchSize / data.count);
    this.batchesPerEpoch = Math.round(1 / this.q);
    this.accountant = new RdpAccountant(this.q, config.noiseMultiplier, DP_DELTA);
    this.optimizer = adam(config.learningRate);
    this.rng = makeRng(config.seed);
    this.linears = linearLayers(model);
  }

  get epoch(): number { return Math.floor(this.steps / this.batchesPerEpoch); }
  get batch(): number { return this.steps % this.batchesPerEpoch; }
  get done(): boolean { return this.epoch >= this.config.epochs; }
  /** Privacy spent so far. */
  epsilon(): number { return this.config.noiseMultiplier === 0 ? Infinity : this.accountant.epsilon().epsilon; }

  /** Every image joins with probability q; the batch is padded with zero-weight rows to a multiple of PAD. */
  private poissonBatch(): { idx: Int32Array; real: number } {
    const picked: number[] = [];
    for (let i = 0; i < this.data.count; i++) if (this.rng() < this.q) picked.push(i);
    const real = picked.length;
    const padded = Math.max(PAD, Math.ceil(real / PAD) * PAD);
    const idx = new Int32Array(padded);
    idx.set(picked);
    return { idx, real };
  }

  async step(wantStats = false): Promise<DpSgdStats> {
    if (this.done) return this.stats();
    const { idx, real } = this.poissonBatch();
    const c = this.config;
    const x = imagesToTensor(this.data, idx, c.shift ?? 0, this.rng, c.flip);
    const labels = tf.tensor1d(Array.from(idx, (i) => c.classOf(this.data.labels[i])), 'int32');
    const mask = tf.tensor1d(Array.from(idx, (_, k) => (k < real ? 1 : 0)), 'float32');
    const noiseSeed = Math.floor(this.rng() * 2 ** 31);
    const kept: Record<string, tf.Scalar> = {};
    tf.tidy(() => {
      const { logits, grads, norms } = this.clippedGradients(x, labels, mask);
      // Noise on the clipped sum, then the mean over the *expected* batch size (Poisson batches vary in size).
      const vars = this.variables;
      this.optimizer.applyGradients(grads.map((g, k) => {
        const noise = c.noiseMultiplier > 0 ? tf.randomNormal(g.shape, 0, c.noiseMultiplier * c.clipNorm, 'float32', noiseSeed + k) : tf.zerosLike(g);
        return { name: vars[k].name, tensor: tf.div(tf.add(g, noise), c.batchSize) };
      }));
      const realLogits = logits.slice([0, 0], [real, -1]) as tf.Tensor2D;
      this.accuracy.add(realLogits, labels.slice(0, real) as tf.Tensor1D);
      if (wantStats) {
        kept.ce = tf.keep(tf.losses.softmaxCrossEntropy(tf.oneHot(labels.slice(0, real), c.numClasses), realLogits) as tf.Scalar);
        kept.clipped = tf.keep(tf.div(tf.sum(tf.mul(tf.cast(tf.greater(norms, c.clipNorm), 'float32'), mask)), Math.max(real, 1)) as tf.Scalar);
      }
    });
    tf.dispose([x, labels, mask]);
    this.accountant.step();
    this.steps++;
    if (this.batch === 0 && c.lrDecay) (this.optimizer as unknown as { learningRate: number }).learningRate *= c.lrDecay;
    if (!wantStats) return this.stats();
    const { ce, clipped } = await readScalars(kept);
    return { ...this.stats(), losses: { ce }, trainAccuracy: await this.accuracy.read(), clippedShare: clipped };
  }

  /** The trained variables, in the order clippedGradients returns their gradients. */
  get variables(): tf.Variable[] {
    return this.linears.flatMap((l) => (l.bias ? [l.kernel, l.bias] : [l.kernel]));
  }

  /**
   * For a batch (`mask`: 1 for an example, 0 for a padding row): the clipped sum sum_i c_i g_i for each variable (in
   * `variables` order), each example's gradient norm before clipping, and the logits (dropout on). Call in a tidy.
   */
  clippedGradients(x: tf.Tensor4D, labels: tf.Tensor1D, mask: tf.Tensor1D): { logits: tf.Tensor2D; grads: tf.Tensor[]; norms: tf.Tensor1D } {
    const { logits, traces } = this.traced(x, labels);
    const { grads, norms } = this.clippedSum(traces, mask);
    const out = logits.clone();
    // Kept through the gradient's own tidy (see traced): freed here. x, the first input, is the caller's.
    tf.dispose([logits, ...traces.map((t) => t.input).filter((t) => t !== x)]);
    return { logits: out, grads, norms };
  }

  /**
   * The forward pass, layer by layer, with a zero "probe" added to each linear layer's output: the gradient of the
   * summed per-example loss with respect to a probe is that layer's dZ for every example.
   */
  private traced(x: tf.Tensor4D, labels: tf.Tensor1D): { logits: tf.Tensor2D; traces: Trace[] } {
    const inputs: tf.Tensor[] = [];
    const forward = (...probes: tf.Tensor[]) => {
      let h: tf.Tensor = x;
      let k = 0;
      inputs.length = 0;
      for (const layer of this.model.layers) {
        const lin = this.linears.find((l) => l.layer === layer);
        if (!lin) { h = layer.apply(h, { training: true }) as tf.Tensor; continue; }
        inputs.push(tf.keep(h)); // the gradient's forward runs in a tidy of its own
        h = activation(lin.layer, tf.add(linearForward(lin, h), probes[k++]));
      }
      return h as tf.Tensor2D;
    };
    const probes = probeShapes(this.linears, x.shape[0]).map((s) => tf.zeros(s));
    let logits: tf.Tensor2D | null = null;
    const dz = tf.grads((...p: tf.Tensor[]) => {
      const out = forward(...p);
      logits = tf.keep(out);
      const y = tf.oneHot(labels, this.config.numClasses);
      return tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(out))));
    })(probes);
    return { logits: logits as unknown as tf.Tensor2D, traces: inputs.map((input, k) => ({ input, dz: dz[k] })) };
  }

  /** Per-example gradient norms over all layers, and each layer's clipped sum sum_i c_i g_i (kernel, bias). */
  private clippedSum(traces: Trace[], mask: tf.Tensor1D): { grads: tf.Tensor[]; norms: tf.Tensor1D } {
    const n = mask.shape[0];
    const perExample: (tf.Tensor | null)[] = []; // conv layers' per-example kernel gradients [n, K, Cout]
    let sq: tf.Tensor1D = tf.zeros([n]);
    traces.forEach(({ input, dz }, k) => {
      const lin = this.linears[k];
      if (lin.kind === 'dense') {
        const a = input.reshape([n, -1]);
        const dzz = dz.reshape([n, -1]);
        const dz2 = tf.sum(tf.square(dzz), 1);
        sq = tf.add(sq, tf.mul(dz2, tf.add(tf.sum(tf.square(a), 1), lin.bias ? 1 : 0)));
        perExample.push(null);
      } else {
        const patches = this.patches(lin, input as tf.Tensor4D); // [n, P, K]
        const d = dz.reshape([n, -1, dz.shape[3]!]);              // [n, P, Cout]
        const g = tf.matMul(patches, d, true, false);              // [n, K, Cout]
        sq = tf.add(sq, tf.sum(tf.square(g), [1, 2]));
        if (lin.bias) sq = tf.add(sq, tf.sum(tf.square(tf.sum(d, 1)), 1));
        perExample.push(g);
      }
    });
    const norms = tf.sqrt(sq) as tf.Tensor1D;
    const scale = tf.mul(tf.minimum(1, tf.div(this.config.clipNorm, tf.add(norms, 1e-6))), mask) as tf.Tensor1D;
    const grads: tf.Tensor[] = [];
    traces.forEach(({ input, dz }, k) => {
      const lin = this.linears[k];
      if (lin.kind === 'dense') {
        const a = input.reshape([n, -1]);
        const dzz = dz.reshape([n, -1]);
        grads.push(tf.matMul(tf.mul(a, scale.reshape([n, 1])), dzz, true, false));
        if (lin.bias) grads.push(tf.sum(tf.mul(dzz, scale.reshape([n, 1])), 0));
      } else {
        const g = perExample[k]!;
        grads.push(tf.sum(tf.mul(g, scale.reshape([n, 1, 1])), 0).reshape(lin.kernel.shape));
        if (lin.bias) grads.push(tf.sum(tf.mul(tf.sum(dz, [1, 2]), scale.reshape([n, 1])), 0));
      }
    });
    return { grads, norms };
  }

  /** The im2col patches of a conv layer's input, [n, positions, kh * kw * cin], in the kernel's own order. */
  private patches(lin: Linear, input: tf.Tensor4D): tf.Tensor3D {
    const [kh, kw, cin] = lin.kernel.shape as number[];
    let filter = this.patchFilters.get(lin.layer);
    if (!filter) {
      // filter[i, j, c, (i * kw + j) * cin + c] = 1: output channel k copies tap (i, j) of input channel c.
      const K = kh * kw * cin;
      const bank = new Float32Array(K * K);
      for (let k = 0; k < K; k++) bank[k * K + k] = 1;
      filter = tf.keep(tf.tensor4d(bank, [kh, kw, cin, K]));
      this.patchFilters.set(lin.layer, filter);
    }
    const cfg = lin.layer.getConfig() as { strides: number | number[]; padding: 'valid' | 'same' };
    const p = tf.conv2d(input, filter, strides(cfg.strides), cfg.padding);
    return p.reshape([input.shape[0], -1, kh * kw * cin]);
  }

  private stats(): DpSgdStats {
    return { epoch: this.epoch, batch: this.batch, batchesPerEpoch: this.batchesPerEpoch, done: this.done, epsilon: this.epsilon() };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.accuracy.dispose();
    for (const f of this.patchFilters.values()) f.dispose();
    this.patchFilters.clear();
  }
}

/** The model's conv2d and dense layers, which hold every trainable weight (anything else is refused). */
function linearLayers(model: tf.LayersModel): Linear[] {
  const out: Linear[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    if (cls === 'Conv2D' || cls === 'Dense') {
      const cfg = layer.getConfig() as { dilationRate?: number | number[]; dataFormat?: string };
      if (cls === 'Conv2D' && ([cfg.dilationRate].flat().some((d) => d !== 1 && d !== undefined) || cfg.dataFormat === 'channelsFirst')) {
        throw new Error(`DP-SGD: conv layer '${layer.name}' is dilated or channels-first, which the per-example gradients do not handle`);
      }
      out.push({ kind: cls === 'Dense' ? 'dense' : 'conv', layer, kernel: weights[0], bias: weights[1] ?? null });
    } else if (weights.length) {
      throw new Error(`DP-SGD: layer '${layer.name}' (${cls}) has weights, and only conv2d and dense layers get per-example gradients`);
    }
  }
  return out;
}

function strides(s: number | number[]): [number, number] {
  return Array.isArray(s) ? [s[0], s[1] ?? s[0]] : [s, s];
}

/** z = x W + b (dense) or conv(x, W) + b, with the layer's own strides and padding. */
function linearForward(lin: Linear, h: tf.Tensor): tf.Tensor {
  if (lin.kind === 'dense') {
    const z = tf.matMul(h.reshape([h.shape[0], -1]), lin.kernel as tf.Tensor2D);
    return lin.bias ? tf.add(z, lin.bias) : z;
  }
  const cfg = lin.layer.getConfig() as { strides: number | number[]; padding: 'valid' | 'same' };
  const z = tf.conv2d(h as tf.Tensor4D, lin.kernel as tf.Tensor4D, strides(cfg.strides), cfg.padding);
  return lin.bias ? tf.add(z, lin.bias) : z;
}

/** The layer's own activation (relu, linear, ...). */
function activation(layer: tf.layers.Layer, z: tf.Tensor): tf.Tensor {
  const act = (layer as unknown as { activation?: { apply(x: tf.Tensor): tf.Tensor } }).activation;
  return act ? act.apply(z) : z;
}

/** The output shape of each linear layer for a batch of `n` (from the built model: nothing runs). */
function probeShapes(linears: Linear[], n: number): number[][] {
  return linears.map((l) => [n, ...(l.layer.outputShape as number[]).slice(1)]);
}
