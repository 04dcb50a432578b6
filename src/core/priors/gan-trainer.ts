// Training the GAN priors as a step machine (one batch per `step()`), shared by `npm run train` and any page.
//  - GMI's prior: an unconditional DCGAN on the public digits. DESIGN.md asks for WGAN-GP, but its gradient
//    penalty needs second-order gradients that tfjs lacks through leaky ReLU, so we use the non-saturating GAN
//    loss (softplus form); the discriminator's realness logit is the attack's prior term.
//  - PLG-MI's prior: a class-conditional GAN (projection discriminator, hinge loss) on public images
//    pseudo-labelled by the target, whose generator also minimises `inversionWeight * max-margin(T(aug(G(z, y))), y)`.
//  - KED-MI's prior: a semi-supervised GAN whose discriminator has one logit per target class and learns the
//    target's soft labels on public images (L_sup) beside real vs fake (L_unsup, realness = Z / (Z + 1),
//    Z = sum exp(logits)); the generator matches the discriminator's mean features on real images.
import * as tf from '@tensorflow/tfjs';
import { diffAugment, randomWarp } from '../data/augment.ts';
import { BatchCursor } from '../data/batches.ts';
import { type DigitSet, imagesToTensor, sideOf } from '../data/mnist.ts';
import { buildDiscriminator, buildGenerator, kedLogReal, sampleLatents, Z_DIM } from '../nets/gan.ts';
import { softCrossEntropy } from '../defenses/negls.ts';
import { adam } from '../kernels/adam.ts';
import { meanClassLoss } from '../kernels/attack-losses.ts';
import { infer } from '../nets/fused-chain.ts';

export interface GanConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Adam's beta1 (0.5, as in DCGAN). */
  beta1: number;
  seed: number;
  /** 'gan' (GMI), 'cgan' (PLG-MI: conditional on numClasses classes, labels read with `classOf`) or 'ked' (KED-MI). */
  kind: 'gan' | 'cgan' | 'ked';
  numClasses: number;
  classOf?: (label: number) => number;
  /** KED-MI: the target whose soft labels the discriminator learns. */
  knowledgeTarget?: tf.LayersModel;
  /** PLG-MI: the target steers the generator (max-margin on augmented fakes). */
  inversion?: { target: tf.LayersModel; weight: number };
  /** A generator of another shape than nets/gan.ts's (the faces' eigenface-space one); its frozen layers stay frozen. */
  generator?: tf.LayersModel;
  /** Continue training these networks (same architecture) instead of fresh ones: `npm run train -- --resume`. */
  init?: { generator: tf.LayersModel; discriminator: tf.LayersModel };
  /**
   * Spectral normalisation of the discriminator (SN-GAN; PLG-MI's reference discriminator uses it): after each
   * discriminator step every kernel is rescaled to largest singular value 1. Off unless asked for.
   */
  spectralNorm?: boolean;
  /**
   * DiffAugment: the discriminator sees real and fake images through random differentiable augmentations
   * (data/augment.ts), the remedy for a GAN on a few hundred images (the 200 public faces). Off unless asked for.
   */
  diffAugment?: boolean;
  /**
   * KED-MI: the authors' variant of the semi-supervised GAN (their k+1_gan.py): the unsupervised real/fake term at half
   * weight, and the generator matching the mean discriminator feature by L1 (ours: squared) plus 1e-4 x the summed
   * entropy of D's class output on the fakes. Off unless asked for.
   */
  kedAuthors?: boolean;
}

export interface GanStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  losses: { discriminator: number; generator: number; inversion: number } | null;
  done: boolean;
}

export class GanTrainer {
  readonly generator: tf.LayersModel;
  readonly discriminator: tf.LayersModel;
  private readonly gOpt: tf.Optimizer;
  private readonly dOpt: tf.Optimizer;
  private readonly batches: BatchCursor;

  /** KED-MI: the discriminator's feature layer (for feature matching). */
  private readonly dFeatures?: tf.LayersModel;
  /** Spectral norm: the power iteration's left singular vector estimate per discriminator kernel (by weight index). */
  private readonly snU = new Map<number, tf.Tensor2D>();

  constructor(readonly data: DigitSet, readonly config: GanConfig) {
    if (config.kind === 'ked' && !config.knowledgeTarget) throw new Error('a KED-MI GAN needs the target whose soft labels it learns');
    const side = sideOf(data);
    this.generator = config.init?.generator ?? config.generator ?? buildGenerator(config.seed, config.kind === 'cgan' ? config.numClasses : 0, side);
    this.discriminator = config.init ? config.init.discriminator : config.kind === 'ked'
      ? buildDiscriminator(config.seed + 10, config.numClasses, 'classes', side)
      : buildDiscriminator(config.seed + 10, config.kind === 'cgan' ? config.numClasses : 0, 'realness', side);
    if (config.kind === 'ked') {
      this.dFeatures = tf.model({ inputs: this.discriminator.inputs, outputs: this.discriminator.getLayer('features').output as tf.SymbolicTensor });
    }
    this.gOpt = adam(config.learningRate, config.beta1);
    this.dOpt = adam(config.learningRate, config.beta1);
    this.batches = new BatchCursor(data.count, config.batchSize, config.seed);
  }

  get epoch(): number { return this.batches.epoch; }
  get done(): boolean { return this.epoch >= this.config.epochs; }

  async step(wantLosses = false): Promise<GanStats> {
    if (this.done) return this.stats(null);
    const { numClasses, kind, inversion } = this.config;
    const rng = this.batches.rng;
    const idx = this.batches.next();
    const n = idx.length;
    const conditional = kind === 'cgan';
    const oneHot = (labels: number[]) => tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D);
    const real = imagesToTensor(this.data, idx);
    const yReal = conditional ? oneHot(Array.from(idx, (i) => this.config.classOf!(this.data.labels[i]))) : undefined;
    const yFake = conditional ? oneHot(Array.from({ length: n }, () => Math.floor(rng() * numClasses))) : undefined;
    const z = tf.tensor2d(sampleLatents(n, rng), [n, Z_DIM]);
    const warp = inversion ? randomWarp(sideOf(this.data), 1, rng) : undefined; // one warp per batch, as the shipped priors were trained
    const soft = kind === 'ked' ? tf.tidy(() => tf.softmax(this.config.knowledgeTarget!.predict(real) as tf.Tensor2D)) as tf.Tensor2D : undefined;
    const G = (zz: tf.Tensor2D) => this.generator.apply(conditional ? [zz, yFake!] : zz, { training: true }) as tf.Tensor4D;
    const seen = (x: tf.Tensor4D) => this.config.diffAugment ? diffAugment(x, rng) : x;
    const D = (x: tf.Tensor4D, y?: tf.Tensor2D) => tf.reshape(this.discriminator.apply(y ? [seen(x), y] : seen(x), { training: true }) as tf.Tensor, [-1]);
    const logitsOf = (x: tf.Tensor4D) => this.discriminator.apply(x, { training: true }) as tf.Tensor2D;
    const dVars = this.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
    const gVars = this.generator.trainableWeights.map((w) => w.read() as tf.Variable);

    // (a) discriminator: real up, fake down.
    const fixedFake = tf.tidy(() => G(z)); // outside the tape: this step trains D only
    const dLoss = this.dOpt.minimize(() => {
      const fake = fixedFake;
      if (kind === 'ked') {
        const lr = logitsOf(real), lf = logitsOf(fake);
        const unsup = tf.add(tf.neg(tf.mean(kedLogReal(lr))), tf.mean(tf.softplus(tf.logSumExp(lf, 1))));
        return tf.add(softCrossEntropy(lr, soft!), this.config.kedAuthors ? tf.mul(unsup, 0.5) : unsup) as tf.Scalar;
      }
      const dr = D(real, yReal), df = D(fake, yFake);
      return (kind === 'cgan'
        ? tf.add(tf.mean(tf.relu(tf.sub(1, dr))), tf.mean(tf.relu(tf.add(1, df))))
        : tf.add(tf.mean(tf.softplus(tf.neg(dr))), tf.mean(tf.softplus(df)))) as tf.Scalar;
    }, wantLosses, dVars);
    if (this.config.spectralNorm) this.normaliseDiscriminator();

    // (b) generator: fool D (and, for PLG-MI, make the target sure of the class).
    let invValue: tf.Scalar | undefined;
    const gLoss = this.gOpt.minimize(() => {
      const fake = G(z);
      if (kind === 'ked') {
        // Feature matching: the mean discriminator feature of fakes should be that of real images.
        const fr = tf.mean(this.dFeatures!.apply(real, { training: true }) as tf.Tensor2D, 0);
        const ff = tf.mean(this.dFeatures!.apply(fake, { training: true }) as tf.Tensor2D, 0);
        if (!this.config.kedAuthors) return tf.mean(tf.square(tf.sub(fr, ff))) as tf.Scalar;
        const p = tf.logSoftmax(logitsOf(fake));
        const entropy = tf.neg(tf.sum(tf.mul(tf.exp(p), p)));
        return tf.add(tf.mean(tf.abs(tf.sub(fr, ff))), tf.mul(entropy, 1e-4)) as tf.Scalar;
      }
      const df = D(fake, yFake);
      let total = (kind === 'cgan' ? tf.neg(tf.mean(df)) : tf.mean(tf.softplus(tf.neg(df)))) as tf.Scalar;
      if (inversion) {
        // PLG-MI's identity loss -o_y + max_{k != y} o_k on the frozen target (fused where the backend can).
        const inv = meanClassLoss(infer(inversion.target, warp!.apply(fake)) as tf.Tensor2D, yFake!, 'max-margin');
        if (wantLosses) invValue = tf.keep(inv.clone());
        total = tf.add(total, tf.mul(inv, inversion.weight));
      }
      return total;
    }, wantLosses, gVars);

    tf.dispose([real, yReal, yFake, z, fixedFake, soft]);
    warp?.dispose();
    let losses: GanStats['losses'] = null;
    if (dLoss && gLoss) {
      const [d, g, inv] = await Promise.all([dLoss.data(), gLoss.data(), invValue?.data()]);
      losses = { discriminator: d[0], generator: g[0], inversion: inv ? inv[0] : 0 };
      tf.dispose([dLoss, gLoss, invValue]);
    }
    this.batches.advance();
    return this.stats(losses);
  }

  /**
   * Spectral normalisation as a projection: W <- W / sigma(W) for every discriminator kernel (conv kernels read as
   * [kh*kw*cin, cout], dense kernels as they are, the projection discriminator's class embedding included; biases
   * are left alone). sigma comes from one power iteration per step on a persistent u (15 when u is first drawn, as
   * PyTorch's parametrised spectral_norm does), so the estimate follows the slowly moving weights.
   * Why not SN-GAN's reparametrisation W / sigma(W) inside the forward pass: tfjs's optimizers (ours and
   * `minimize`) update the variables directly and bypass layer constraints, and a layer wrapper would change the
   * saved architecture. The difference: here the gradient step is taken on the normalised W and then projected back,
   * so no gradient flows through sigma, Adam's moments refer to the unprojected step, and the saved weights are
   * themselves the normalised ones (no hidden scale to export).
   */
  private normaliseDiscriminator(): void {
    const weights = this.discriminator.trainableWeights;
    weights.forEach((w, i) => {
      if (w.shape.length < 2) return; // biases
      const n = w.shape[w.shape.length - 1] as number;
      const m = (w.shape as number[]).reduce((a, b) => a * b, 1) / n;
      let u = this.snU.get(i);
      const first = !u;
      if (!u) u = tf.tidy(() => tf.randomNormal([1, m], 0, 1, 'float32', this.config.seed + 1000 + i) as tf.Tensor2D);
      const next = tf.tidy(() => {
        const variable = w.read() as tf.Variable;
        const W = tf.reshape(variable, [m, n]) as tf.Tensor2D;
        const unit = (t: tf.Tensor2D) => tf.div(t, tf.add(tf.norm(t), 1e-12)) as tf.Tensor2D;
        let uu = unit(u!), v = unit(tf.matMul(uu, W)); // v = W^T u / |W^T u|, as a row
        for (let k = 1; k < (first ? 15 : 1); k++) { uu = unit(tf.matMul(v, W, false, true)); v = unit(tf.matMul(uu, W)); }
        uu = unit(tf.matMul(v, W, false, true)); // u = W v / |W v|
        const sigma = tf.sum(tf.mul(tf.matMul(uu, W), v)); // u^T W v
        variable.assign(tf.div(variable, tf.maximum(sigma, 1e-12)));
        return uu;
      });
      u.dispose();
      this.snU.set(i, next);
    });
  }

  private stats(losses: GanStats['losses']): GanStats {
    return { epoch: this.batches.epoch, batch: this.batches.batch, batchesPerEpoch: this.batches.batchesPerEpoch, losses, done: this.done };
  }

  dispose(): void {
    this.gOpt.dispose(); this.dOpt.dispose();
    for (const u of this.snU.values()) u.dispose();
    this.snU.clear();
  }
}

/**
 * PLG-MI's pseudo-labels: the target labels every public image, and the `perClass` images it is most confident
 * about for each of its classes are kept, labelled with that class's output index.
 */
export async function pseudoLabel(target: tf.LayersModel, pub: DigitSet, perClass: number, batchSize = 500): Promise<DigitSet & { confidence: Float32Array }> {
  const k = (target.outputs[0].shape as number[])[1];
  const probs = new Float32Array(pub.count * k);
  for (let start = 0; start < pub.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, pub.count - start) }, (_, i) => start + i);
    const p = tf.tidy(() => tf.softmax(target.predict(imagesToTensor(pub, idx)) as tf.Tensor2D));
    probs.set(await p.data(), start * k);
    p.dispose();
  }
  const chosen: { i: number; c: number; p: number }[] = [];
  for (let c = 0; c < k; c++) {
    // Each image goes to its predicted class only.
    const mine = [];
    for (let i = 0; i < pub.count; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
      if (best === c) mine.push({ i, c, p: probs[i * k + c] });
    }
    mine.sort((a, b) => b.p - a.p);
    chosen.push(...mine.slice(0, perClass));
  }
  const px = sideOf(pub) ** 2;
  const images = new Uint8Array(chosen.length * px), labels = new Uint8Array(chosen.length);
  chosen.forEach(({ i, c }, j) => { images.set(pub.images.subarray(i * px, (i + 1) * px), j * px); labels[j] = c; });
  return { count: chosen.length, images, labels, ...(pub.side ? { side: pub.side } : {}), confidence: Float32Array.from(chosen, (x) => x.p) };
}
