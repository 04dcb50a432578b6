// Black-box genetic latent search (Mirror-b style): the attacker only gets the target's (possibly defended)
// probabilities through a QueryOracle, never its gradients. Per attacked class, a population of GAN latents
// evolves: fitness = the answered probability of the class; the best `elite` survive unchanged, the rest are
// children of fitness-proportional parents by uniform crossover, then Gaussian mutation (each gene with
// probability `mutationRate`); latents stay in [-clamp, clamp]. One generation = one step.
import * as tf from '@tensorflow/tfjs';
import { type Attack, type CandidateSnapshot, type PopulationSearch, type Reconstructions, keptOf, outputIndices, populationSnapshot } from './attack.ts';
import { makeRng } from '../data/rng.ts';
import { generate, latentDim, sampleLatents } from '../nets/gan.ts';

export interface GeneticOptions {
  classes?: number[];
  population: number;
  /** Generations. */
  steps: number;
  elite: number;
  mutationRate: number;
  /** Standard deviation of a mutation. */
  mutationScale: number;
  clamp: number;
  seed: number;
}

export interface GeneticState extends PopulationSearch {
  options: GeneticOptions;
}

export const GENETIC_DEFAULTS: Omit<GeneticOptions, 'seed' | 'classes'> = {
  population: 16, steps: 60, elite: 2, mutationRate: 0.1, mutationScale: 0.5, clamp: 2,
};
/** A larger search, closer to Mirror's budget. */
export const GENETIC_PAPER = { population: 64, steps: 200 };

/**
 * The candidates the oracle can still answer: all of them, or near its query budget as many as are left, taken slot by
 * slot across the classes (slot 0 of every class, then slot 1, ...) so that the classes share what is left.
 */
function answerable(s: GeneticState): number[] {
  const n = s.candidateClasses.length, p = s.options.population, classes = s.classes.length;
  const left = Math.min(n, s.oracle.remaining);
  return Array.from({ length: left }, (_, r) => (r % classes) * p + Math.floor(r / classes));
}

/**
 * Images and fitness of the current population: one batch of queries. Past the query budget, a candidate left
 * unanswered goes back to its slot's previous latent, fitness and image (`previous`), or at the start, having none,
 * keeps fitness 0: every candidate's fitness is then one the oracle really answered, or none.
 */
async function evaluate(s: GeneticState, previous?: { z: Float32Array; fitness: Float32Array; pixels: Float32Array }): Promise<void> {
  const n = s.candidateClasses.length, k = s.oracle.numClasses;
  const asked = answerable(s);
  const img = tf.tidy(() => generate(s.prior.generator, tf.tensor2d(s.z, [n, s.dim])));
  try {
    if (asked.length === n) {
      const probs = await s.oracle.probabilities(img);
      s.pixels = new Float32Array(await img.data() as Float32Array);
      for (let i = 0; i < n; i++) s.fitness[i] = probs[i * k + s.outputs[Math.floor(i / s.options.population)]];
      return;
    }
    // Near the budget: only the answerable candidates are sent.
    const pixels = new Float32Array(await img.data() as Float32Array), px = pixels.length / n;
    const sent = asked.length ? tf.tidy(() => tf.gather(img, tf.tensor1d(asked, 'int32'))) as tf.Tensor4D : null;
    let probs: Float32Array = new Float32Array(0);
    try {
      if (sent) probs = await s.oracle.probabilities(sent);
    } finally {
      sent?.dispose();
    }
    const fitness = previous ? previous.fitness.slice() : new Float32Array(n);
    const z = previous ? previous.z.slice() : s.z;
    const isAsked = new Uint8Array(n);
    asked.forEach((i, r) => { isAsked[i] = 1; fitness[i] = probs[r * k + s.outputs[Math.floor(i / s.options.population)]]; });
    for (let i = 0; i < n && previous; i++) {
      if (isAsked[i]) z.set(s.z.subarray(i * s.dim, (i + 1) * s.dim), i * s.dim);
      else pixels.set(previous.pixels.subarray(i * px, (i + 1) * px), i * px);
    }
    s.z = z; s.fitness = fitness; s.pixels = pixels;
  } finally {
    img.dispose();
  }
}

/** Index drawn with probability proportional to fitness (uniform when all are 0). */
function pickParent(fitness: Float32Array, from: number, count: number, rng: () => number): number {
  let total = 0;
  for (let j = 0; j < count; j++) total += fitness[from + j];
  if (total <= 0) return from + Math.floor(rng() * count);
  let r = rng() * total;
  for (let j = 0; j < count; j++) { r -= fitness[from + j]; if (r <= 0) return from + j; }
  return from + count - 1;
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export const genetic = {
  id: 'genetic',

  async init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('the genetic search needs an unconditional GAN prior');
    if (!ctx.oracle) throw new Error('the genetic search is black-box: it needs a query oracle');
    if (options.elite >= options.population) throw new Error(`elite (${options.elite}) must be smaller than the population (${options.population})`);
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const candidateClasses = classes.flatMap((d) => Array.from({ length: options.population }, () => d));
    const rng = makeRng(options.seed);
    const s: GeneticState = {
      options, dim: latentDim(ctx.prior.generator), oracle: ctx.oracle, prior: ctx.prior, classes, outputs, candidateClasses,
      z: sampleLatents(candidateClasses.length, rng, options.clamp, latentDim(ctx.prior.generator)), fitness: new Float32Array(candidateClasses.length), rng, stepCount: 0,
      pixels: new Float32Array(0),
    };
    await evaluate(s);
    return s;
  },

  async step(s) {
    const { population: p, elite, mutationRate, mutationScale, clamp, steps } = s.options;
    if (s.stepCount >= steps || s.oracle.remaining <= 0) return { step: s.stepCount, done: true };
    const next = new Float32Array(s.z.length);
    for (let c = 0; c < s.classes.length; c++) {
      const from = c * p;
      const order = Array.from({ length: p }, (_, j) => from + j).sort((a, b) => s.fitness[b] - s.fitness[a]);
      for (let j = 0; j < p; j++) {
        const dst = (from + j) * s.dim;
        if (j < elite) { next.set(s.z.subarray(order[j] * s.dim, (order[j] + 1) * s.dim), dst); continue; }
        const a = pickParent(s.fitness, from, p, s.rng) * s.dim, b = pickParent(s.fitness, from, p, s.rng) * s.dim;
        for (let g = 0; g < s.dim; g++) {
          let v = s.rng() < 0.5 ? s.z[a + g] : s.z[b + g];
          if (s.rng() < mutationRate) v += mutationScale * gaussian(s.rng);
          next[dst + g] = Math.max(-clamp, Math.min(clamp, v));
        }
      }
    }
    const previous = { z: s.z, fitness: s.fitness, pixels: s.pixels };
    s.z = next;
    s.fitness = new Float32Array(s.fitness.length);
    await evaluate(s, previous);
    s.stepCount++;
    // The search ends at the query budget; a generation it could not pay for in full was answered as far as it went.
    return { step: s.stepCount, done: s.stepCount >= steps || s.oracle.remaining <= 0 };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    return populationSnapshot(s);
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose() { /* host arrays only */ },
} satisfies Attack<GeneticOptions, GeneticState>;
