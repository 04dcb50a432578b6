// C2FMI, coarse-to-fine model inversion (Ye, Luo, Naseem et al., IEEE TDSC 2023, "C2FMI: Corse-to-Fine Black-box
// Model Inversion Attack"): a black-box attack in two stages over the public GAN prior the genetic search uses.
//   Stage 1 (coarse): an inverse network learns to map the target's prediction vector back to where the image came
//   from. The attacker samples latents of its own GAN, generates images, asks the target (through a QueryOracle, so
//   the queries are counted and an output defense applies) and trains the network on (answer -> latent). For an
//   attacked digit d it then reads the answer "surely d" (one-hot) and a few perturbed answers ("d, with a little of
//   the others"): their latents are a coarse guess at what the target takes for a d, found without a single query.
//   Stage 2 (fine): those latents seed a differential evolution (DE/rand/1/bin) per digit whose fitness is the target's
//   answered probability of the digit: each member i gets a mutant a + F (b - c) of three other members, crossed with
//   it coordinate by coordinate (rate CR, one coordinate always from the mutant), clamped to the prior's range; the
//   trial replaces the member only if the target answers it with a strictly higher probability. One generation = one
//   step = one query per member and digit; the search stops at the query budget exactly, as the genetic search does.
//
// What follows the paper: the two stages and their order (inverse network on the target's answers to GAN images,
// then a gradient-free DE in the GAN's latent space seeded from it), DE with binomial crossover and greedy
// one-to-one selection, a strictly fitter trial only, and its fitness (the target's softmax probability of the digit).
//
// Where we deviate, and why (the paper's text could not be read here; its authors' code, MiLabHITSZ/2022YeC2FMI, was):
// - The inverse network maps the answer straight to the GAN latent, trained with MSE on the latent, where the paper's
//   maps it to the features of a public face-embedding model and stage 1 then fits the latent by gradient descent
//   through the attacker's own generator and embedding model until the image's features match. We have no public
//   embedding model of digits, and with the GAN's latents as the training targets the network gives the latent in one
//   pass: same information (the target's answers only), no second white-box model. MSE on the latent (not on the
//   regenerated image's features) keeps the training free of generator gradients, so it trains in minutes on WASM.
// - Its input is the answer aligned as the inversion network's (inversion-net.ts alignAnswers: every score as
//   max(0, ln p + 50) / 50): probabilities of a confident target span tens of orders of magnitude, logs keep them.
// - The latents it trains on are the prior's, N(0, 1) clamped to [-2, 2] (the genetic search's range), where the
//   paper's are StyleGAN's mapped w; 20,000 GAN images, each asked once and its answer reused in later epochs.
// - DE/rand/1/bin as the paper describes it, with F 0.5 and CR 0.5 (its code's crossover rate) by default; the
//   authors' code runs a current-to-best variant (x_i + 0.02 (x_best - x_i) + 0.1 sum of four differences), 32
//   members, 500 generations, and re-queries the parents every generation; we keep each member's answer (a fixed
//   target answers the same image the same way; with a noisy output defense this keeps the first, lucky or not,
//   answer, as the genetic search does) so a generation costs one query per member.
// - The seeds: the one-hot answer and population - 1 perturbed answers (the digit's probability 1 - eps, eps from
//   1e-8 to 0.1 log-uniformly, the rest spread at random over the other classes) whose latents get Gaussian noise of
//   `seedSpread` (the paper's code draws its stage-1 batch from random StyleGAN latents and keeps the 10 best).
// - The browser budget (16 members, 60 generations: 4,880 queries for five digits) is the genetic search's, so the
//   two compare at equal queries; the paper's code: 32 members, 500 generations.
import * as tf from '@tensorflow/tfjs';
import { type Attack, type CandidateSnapshot, type PopulationSearch, type Reconstructions, keptOf, outputIndices, populationSnapshot } from './attack.ts';
import type { QueryOracle } from './oracle.ts';
import { alignAnswers } from './inversion-net.ts';
import { BatchCursor } from '../data/batches.ts';
import { makeRng } from '../data/rng.ts';
import { adam } from '../kernels/adam.ts';
import { generate, latentDim, sampleLatents } from '../nets/gan.ts';

/** The prior's latent range (the genetic search's clamp). */
export const C2F_CLAMP = 2;

// ---------------------------------------------------------------------------------------------------------------
// Stage 1: the inverse network, answer -> latent.

/** The inverse network: aligned answer [n, numClasses] -> GAN latent [n, dim] (linear output; clamp when used). */
export function buildInverseNetwork(numClasses: number, dim: number, seed: number, hidden = 128): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const answer = tf.input({ shape: [numClasses], name: 'answer' });
  let h = tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(seed), name: 'h1' }).apply(answer) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(seed + 1), name: 'h2' }).apply(h) as tf.SymbolicTensor;
  const z = tf.layers.dense({ units: dim, kernelInitializer: init(seed + 2), name: 'latent' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ name: 'c2f_inverse', inputs: answer, outputs: z });
}

/** The latents the inverse network gives for raw answers (n rows of numClasses probabilities), clamped to [-clamp, clamp]. */
export async function inverseLatents(net: tf.LayersModel, answers: Float32Array, numClasses: number, clamp = C2F_CLAMP): Promise<Float32Array> {
  const n = answers.length / numClasses;
  if (n === 0) return new Float32Array(0);
  const z = tf.tidy(() => tf.clipByValue(net.apply(tf.tensor2d(alignAnswers(answers, numClasses, numClasses), [n, numClasses]), { training: false }) as tf.Tensor2D, -clamp, clamp));
  try {
    return new Float32Array(await z.data() as Float32Array);
  } finally {
    z.dispose();
  }
}

export interface InverseTrainerOptions {
  /** GAN latents sampled (each image asked once). */
  samples: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  clamp?: number;
}

/**
 * Trains an inverse network on the attacker's GAN images: `samples` latents drawn from the prior, one batch per step,
 * each image asked of the oracle the first time it comes up (answers are kept). Near the query budget a batch keeps
 * what was already answered; a step with nothing answered trains on nothing. Loss: MSE between the network's latent
 * for the answer and the latent that drew the image.
 */
export class InverseTrainer {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly cursor: BatchCursor;
  readonly latents: Float32Array;
  private readonly answers: Float32Array;
  private readonly answered: Uint8Array;
  readonly dim: number;
  readonly numClasses: number;

  constructor(readonly net: tf.LayersModel, readonly generator: tf.LayersModel, readonly oracle: QueryOracle, readonly options: InverseTrainerOptions) {
    this.numClasses = oracle.numClasses;
    this.dim = latentDim(generator);
    if ((net.inputs[0].shape[1] as number) !== this.numClasses) throw new Error(`the inverse network reads ${net.inputs[0].shape[1]} scores, the target answers ${this.numClasses}`);
    if ((net.outputs[0].shape[1] as number) !== this.dim) throw new Error(`the inverse network gives ${net.outputs[0].shape[1]} latents, the GAN reads ${this.dim}`);
    if (!(options.samples >= 1)) throw new Error('the inverse network needs at least one GAN sample');
    this.latents = sampleLatents(options.samples, makeRng(options.seed ^ 0xc2f), options.clamp ?? C2F_CLAMP, this.dim);
    this.answers = new Float32Array(options.samples * this.numClasses);
    this.answered = new Uint8Array(options.samples);
    this.cursor = new BatchCursor(options.samples, Math.min(options.batchSize, options.samples), options.seed);
    this.optimizer = adam(options.learningRate);
  }

  get epoch(): number { return this.cursor.epoch; }

  /** One batch: the answers it lacks are asked for, then one Adam step on the latent MSE. Its loss and the samples used. */
  async step(): Promise<{ loss: number; samples: number }> {
    const slots = Array.from(this.cursor.next());
    this.cursor.advance();
    const missing = slots.filter((i) => !this.answered[i]);
    const asked = missing.slice(0, Math.max(0, Math.min(missing.length, this.oracle.remaining)));
    if (asked.length) {
      const x = tf.tidy(() => generate(this.generator, tf.tensor2d(this.rows(this.latents, asked, this.dim), [asked.length, this.dim])));
      try {
        const probs = await this.oracle.probabilities(x);
        asked.forEach((i, r) => { this.answers.set(probs.subarray(r * this.numClasses, (r + 1) * this.numClasses), i * this.numClasses); this.answered[i] = 1; });
      } finally {
        x.dispose();
      }
    }
    const used = slots.filter((i) => this.answered[i]);
    if (used.length === 0) return { loss: NaN, samples: 0 };
    const k = this.numClasses;
    const inputs = tf.tensor2d(alignAnswers(this.rows(this.answers, used, k), k, k), [used.length, k]);
    const z = tf.tensor2d(this.rows(this.latents, used, this.dim), [used.length, this.dim]);
    try {
      const vars = this.net.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = this.optimizer.minimize(() => tf.tidy(() => tf.mean(tf.squaredDifference(this.net.apply(inputs, { training: true }) as tf.Tensor2D, z)) as tf.Scalar), true, vars)!;
      const value = (await loss.data())[0];
      loss.dispose();
      return { loss: value, samples: used.length };
    } finally {
      tf.dispose([inputs, z]);
    }
  }

  private rows(a: Float32Array, idx: number[], width: number): Float32Array {
    const out = new Float32Array(idx.length * width);
    idx.forEach((i, r) => out.set(a.subarray(i * width, (i + 1) * width), r * width));
    return out;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * The answers that seed a digit's population: the one-hot "surely this digit" first, then `count - 1` perturbed ones:
 * the digit's probability 1 - eps (eps log-uniform in [1e-8, 0.1]), eps spread at random over the other classes.
 */
export function seedAnswers(output: number, numClasses: number, count: number, rng: () => number): Float32Array {
  const out = new Float32Array(count * numClasses);
  for (let i = 0; i < count; i++) {
    const row = i * numClasses;
    if (i === 0 || numClasses === 1) { out[row + output] = 1; continue; }
    const eps = 10 ** (-1 - 7 * rng());
    const w = Array.from({ length: numClasses }, (_, j) => (j === output ? 0 : -Math.log(1 - rng())));
    const total = w.reduce((a, b) => a + b, 0);
    for (let j = 0; j < numClasses; j++) out[row + j] = j === output ? 1 - eps : eps * w[j] / total;
  }
  return out;
}

/**
 * The population's starting latents from the inverse network's (`dim` values each, `population` a digit): each is
 * scaled to the prior's typical length sqrt(dim) (the network's MSE-trained latents are conditional means, shorter than
 * any sample, and draw a blur of all the digits that fit), then mixed with fresh prior noise: sqrt(1 - s^2) of it plus
 * s N(0, 1), s = `spread` (the first member of each digit, the one-hot answer's, has none), clamped.
 */
export function seedLatents(latents: Float32Array, dim: number, population: number, spread: number, clamp: number, rng: () => number): Float32Array {
  const out = new Float32Array(latents.length);
  const s = Math.min(1, Math.max(0, spread));
  for (let i = 0; i < latents.length / dim; i++) {
    const row = latents.subarray(i * dim, (i + 1) * dim);
    const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0)) || 1;
    const keep = i % population === 0 ? 1 : Math.sqrt(1 - s * s), noise = i % population === 0 ? 0 : s;
    for (let j = 0; j < dim; j++) out[i * dim + j] = Math.max(-clamp, Math.min(clamp, keep * row[j] * Math.sqrt(dim) / norm + noise * gaussian(rng)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Stage 2: differential evolution, DE/rand/1/bin, per digit.

export interface DeSettings {
  population: number;
  dim: number;
  /** F, the differential weight. */
  differentialWeight: number;
  /** CR, the binomial crossover rate. */
  crossover: number;
  clamp: number;
  /** Rescale every trial to the prior's typical length sqrt(dim) before clamping. */
  shell?: boolean;
}

/**
 * One DE/rand/1/bin generation of trials for populations stored group after group (`groups` digits of `population`
 * members, `dim` values each): for member i of a group, a mutant a + F (b - c) of three distinct other members of its
 * group, crossed with it (each coordinate from the mutant with probability CR, one random coordinate always), clamped.
 */
export function deTrials(z: Float32Array, groups: number, s: DeSettings, rng: () => number): Float32Array {
  const { population: p, dim, differentialWeight: f, crossover: cr, clamp } = s;
  if (p < 4) throw new Error(`differential evolution needs at least 4 members per digit (got ${p})`);
  const trials = new Float32Array(z.length);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < p; i++) {
      const pick = (not: number[]) => { let r: number; do r = Math.floor(rng() * p); while (not.includes(r)); return r; };
      const a = pick([i]), b = pick([i, a]), c = pick([i, a, b]);
      const [xi, xa, xb, xc] = [i, a, b, c].map((m) => (g * p + m) * dim);
      const jrand = Math.floor(rng() * dim);
      let sq = 0;
      for (let j = 0; j < dim; j++) {
        const v = rng() < cr || j === jrand ? z[xa + j] + f * (z[xb + j] - z[xc + j]) : z[xi + j];
        trials[xi + j] = v; sq += v * v;
      }
      // Back onto the prior's shell (a + F (b - c) is longer than a prior sample by a factor sqrt(1 + 2 F^2)), then the box.
      const scale = s.shell && sq > 0 ? Math.sqrt(dim / sq) : 1;
      for (let j = 0; j < dim; j++) trials[xi + j] = Math.max(-clamp, Math.min(clamp, trials[xi + j] * scale));
    }
  }
  return trials;
}

/**
 * DE's one-to-one selection, in place: member i takes its trial (latent, fitness, image) only where the trial was
 * answered and is strictly fitter. Returns how many were replaced.
 */
export function deSelect(
  pop: { z: Float32Array; fitness: Float32Array; pixels: Float32Array },
  trials: { z: Float32Array; fitness: Float32Array; pixels: Float32Array; answered: Uint8Array },
): number {
  const n = pop.fitness.length, dim = pop.z.length / n, px = pop.pixels.length / n;
  let replaced = 0;
  for (let i = 0; i < n; i++) {
    if (!trials.answered[i] || !(trials.fitness[i] > pop.fitness[i])) continue;
    pop.z.set(trials.z.subarray(i * dim, (i + 1) * dim), i * dim);
    pop.pixels.set(trials.pixels.subarray(i * px, (i + 1) * px), i * px);
    pop.fitness[i] = trials.fitness[i];
    replaced++;
  }
  return replaced;
}

// ---------------------------------------------------------------------------------------------------------------
// The attack.

export interface C2fmiOptions {
  classes?: number[];
  /** Members per digit. */
  population: number;
  /** Generations. */
  steps: number;
  differentialWeight: number;
  crossover: number;
  /** Share s of fresh prior noise in the perturbed seeds' latents, in [0, 1] (seedLatents; the one-hot seed has none). */
  seedSpread: number;
  clamp: number;
  seed: number;
  /** Stage 1's inverse network trained for this target (the shipped prior 'c2f-<target>-<knowledge>'). */
  inverse: tf.LayersModel;
}

/** A population search (attack.ts); a member never answered has fitness 0. */
export interface C2fmiState extends PopulationSearch {
  options: C2fmiOptions;
  /** Members replaced by a fitter trial in the last generation. */
  replaced: number;
}

export const C2FMI_DEFAULTS: Omit<C2fmiOptions, 'seed' | 'classes' | 'inverse'> = {
  population: 16, steps: 60, differentialWeight: 0.5, crossover: 0.5, seedSpread: 0.5, clamp: C2F_CLAMP,
};

/** Candidate indices the oracle can still answer, slot by slot across the digits (as the genetic search shares them). */
function answerable(n: number, population: number, groups: number, remaining: number): number[] {
  const left = Math.min(n, remaining);
  return Array.from({ length: left }, (_, r) => (r % groups) * population + Math.floor(r / groups));
}

/** Images of latents `z` and the target's answers for those the budget allows (fitness of the digit; `answered` marks them). */
async function evaluate(s: C2fmiState, z: Float32Array): Promise<{ fitness: Float32Array; pixels: Float32Array; answered: Uint8Array }> {
  const n = s.candidateClasses.length, k = s.oracle.numClasses, p = s.options.population;
  // All of them in their own order, or near the budget the answerable ones, slot by slot across the digits.
  const asked = s.oracle.remaining >= n ? Array.from({ length: n }, (_, i) => i) : answerable(n, p, s.classes.length, s.oracle.remaining);
  const fitness = new Float32Array(n), answered = new Uint8Array(n);
  const img = tf.tidy(() => generate(s.prior.generator, tf.tensor2d(z, [n, s.dim])));
  try {
    const pixels = new Float32Array(await img.data() as Float32Array);
    if (asked.length) {
      const sent = asked.length === n ? img : tf.tidy(() => tf.gather(img, tf.tensor1d(asked, 'int32'))) as tf.Tensor4D;
      try {
        const probs = await s.oracle.probabilities(sent);
        asked.forEach((i, r) => { fitness[i] = probs[r * k + s.outputs[Math.floor(i / p)]]; answered[i] = 1; });
      } finally {
        if (sent !== img) sent.dispose();
      }
    }
    return { fitness, pixels, answered };
  } finally {
    img.dispose();
  }
}

export const c2fmi = {
  id: 'c2fmi',

  async init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('C2FMI needs an unconditional GAN prior');
    if (!ctx.oracle) throw new Error('C2FMI is black-box: it needs a query oracle');
    if (options.population < 4) throw new Error(`C2FMI's differential evolution needs at least 4 members per digit (got ${options.population})`);
    const dim = latentDim(ctx.prior.generator), k = ctx.oracle.numClasses;
    if ((options.inverse.inputs[0].shape[1] as number) !== k || (options.inverse.outputs[0].shape[1] as number) !== dim) {
      throw new Error(`the inverse network maps ${options.inverse.inputs[0].shape[1]} scores to ${options.inverse.outputs[0].shape[1]} latents; ` +
        `this target answers ${k} scores and the GAN reads ${dim} latents`);
    }
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const p = options.population;
    const rng = makeRng(options.seed);
    // Stage 1: the coarse latents (the attacker's own network: no queries).
    const answers = new Float32Array(classes.length * p * k);
    outputs.forEach((o, c) => answers.set(seedAnswers(o, k, p, rng), c * p * k));
    const z = seedLatents(await inverseLatents(options.inverse, answers, k, Infinity), dim, p, options.seedSpread, options.clamp, rng);
    const s: C2fmiState = {
      options, dim, oracle: ctx.oracle, prior: ctx.prior, classes, outputs, candidateClasses: classes.flatMap((d) => Array.from({ length: p }, () => d)),
      z, fitness: new Float32Array(classes.length * p), pixels: new Float32Array(0), rng, stepCount: 0, replaced: 0,
    };
    const first = await evaluate(s, z);
    s.fitness = first.fitness; s.pixels = first.pixels;
    return s;
  },

  async step(s) {
    const { steps } = s.options;
    if (s.stepCount >= steps || s.oracle.remaining <= 0) return { step: s.stepCount, done: true };
    const z = deTrials(s.z, s.classes.length, { population: s.options.population, dim: s.dim, differentialWeight: s.options.differentialWeight, crossover: s.options.crossover, clamp: s.options.clamp, shell: true }, s.rng);
    const t = await evaluate(s, z);
    s.replaced = deSelect(s, { z, ...t });
    s.stepCount++;
    return { step: s.stepCount, done: s.stepCount >= steps || s.oracle.remaining <= 0 };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    return populationSnapshot(s);
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose() { /* host arrays only; the inverse network and the GAN belong to the engine's cache */ },
} satisfies Attack<C2fmiOptions, C2fmiState>;
