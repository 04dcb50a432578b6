// Label-only BREP-MI (Kahla et al. 2022): the attacker sees only the target's top-1 label. Per attacked class it
// starts from a GAN latent the target already labels y, then repeatedly probes `probes` points on a sphere of
// radius R around it, moves away from the probes that fall outside the class (z += R * mean(s_i u_i), s_i = +1
// inside, -1 outside; accepted only if the new point is still labelled y) and grows R (x growth) when almost all
// probes are inside. A growing sphere means the point is deep inside the class region: a confident, typical
// example. Latents are clamped to [-clamp, clamp]. One step = one round of probes for every class.
import * as tf from '@tensorflow/tfjs';
import { type Attack, type CandidateSnapshot, type GanPrior, type Reconstructions, keptOf, outputIndices } from './attack.ts';
import type { QueryOracle } from './oracle.ts';
import { makeRng } from '../data/rng.ts';
import { generate, latentDim, sampleLatents } from '../nets/gan.ts';

export interface BrepMiOptions {
  classes?: number[];
  steps: number;
  /** Points probed on the sphere per class and step. */
  probes: number;
  initialRadius: number;
  /** Radius factor when at least `growWhenInside` of the probes are inside. */
  growth: number;
  growWhenInside: number;
  /** Stop growing (and moving) a class once its radius passes this. */
  maxRadius: number;
  clamp: number;
  seed: number;
}

export interface BrepMiState {
  options: BrepMiOptions;
  /** Latent size of the prior (a GAN's 100, the eigenfaces' k). */
  dim: number;
  oracle: QueryOracle;
  prior: GanPrior;
  classes: number[];
  outputs: number[];
  /** Current point per class. */
  z: Float32Array;
  radius: number[];
  /** Share of the last probes outside the class, per class. */
  outside: number[];
  /** The last probes (latents), `probes` per class, for the population grid. */
  lastProbes: Float32Array;
  lastInside: Uint8Array;
  rng: () => number;
  stepCount: number;
}

export const BREP_MI_DEFAULTS: Omit<BrepMiOptions, 'seed' | 'classes'> = {
  steps: 40, probes: 32, initialRadius: 2, growth: 1.3, growWhenInside: 0.9, maxRadius: 8, clamp: 1.5,
};
export const BREP_MI_PAPER = { steps: 200 };

/** Probes shown per class on the page (the first few of each round). */
export const BREP_SHOWN_PROBES = 7;

function unitVector(rng: () => number, dim: number): Float32Array {
  const u = sampleLatents(1, rng, Infinity, dim);
  const norm = Math.hypot(...u) || 1;
  for (let i = 0; i < u.length; i++) u[i] /= norm;
  return u;
}

async function labelsOf(s: BrepMiState, z: Float32Array): Promise<Int32Array> {
  const n = z.length / s.dim;
  const img = tf.tidy(() => generate(s.prior.generator, tf.tensor2d(z, [n, s.dim])));
  try {
    return await s.oracle.labels(img);
  } finally {
    img.dispose();
  }
}

export const brepMi = {
  id: 'brep-mi',

  async init(ctx, options) {
    if (!ctx.prior || ctx.prior.conditional) throw new Error('BREP-MI needs an unconditional GAN prior');
    if (!ctx.oracle) throw new Error('BREP-MI is label-only: it needs a query oracle');
    const classes = options.classes ?? ctx.targetClasses;
    const outputs = outputIndices(ctx.targetClasses, classes);
    const rng = makeRng(options.seed);
    const s: BrepMiState = {
      options, dim: latentDim(ctx.prior.generator), oracle: ctx.oracle, prior: ctx.prior, classes, outputs, z: new Float32Array(classes.length * latentDim(ctx.prior.generator)),
      radius: classes.map(() => options.initialRadius), outside: classes.map(() => 1),
      lastProbes: new Float32Array(0), lastInside: new Uint8Array(0), rng, stepCount: 0,
    };
    // Starting points: random latents until the target labels one of them with each attacked class.
    const found = classes.map(() => false);
    for (let round = 0; round < 64 && found.includes(false); round++) {
      const batch = sampleLatents(64, rng, options.clamp, s.dim);
      const labels = await labelsOf(s, batch);
      labels.forEach((label, i) => {
        const c = outputs.indexOf(label);
        if (c >= 0 && !found[c]) { found[c] = true; s.z.set(batch.subarray(i * s.dim, (i + 1) * s.dim), c * s.dim); }
      });
    }
    const missing = classes.filter((_, c) => !found[c]);
    if (missing.length) throw new Error(`BREP-MI: no latent the target labels ${missing.join(', ')} in ${64 * 64} random samples`);
    return s;
  },

  async step(s) {
    const { probes, growth, growWhenInside, maxRadius, clamp, steps } = s.options;
    if (s.stepCount >= steps) return { step: s.stepCount, done: true };
    const active = s.classes.map((_, c) => s.radius[c] <= maxRadius);
    const k = s.classes.length;
    const dirs = new Float32Array(k * probes * s.dim);
    const points = new Float32Array(k * probes * s.dim);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < probes; j++) {
        const u = unitVector(s.rng, s.dim), at = (c * probes + j) * s.dim;
        dirs.set(u, at);
        for (let g = 0; g < s.dim; g++) points[at + g] = Math.max(-clamp, Math.min(clamp, s.z[c * s.dim + g] + s.radius[c] * u[g]));
      }
    }
    const labels = await labelsOf(s, points);
    s.lastProbes = points; s.lastInside = Uint8Array.from(labels, (l, i) => Number(l === s.outputs[Math.floor(i / probes)]));
    const proposal = s.z.slice();
    for (let c = 0; c < k; c++) {
      if (!active[c]) continue;
      let inside = 0;
      const move = new Float32Array(s.dim);
      for (let j = 0; j < probes; j++) {
        const sign = s.lastInside[c * probes + j] ? 1 : -1;
        if (sign > 0) inside++;
        for (let g = 0; g < s.dim; g++) move[g] += (sign * dirs[(c * probes + j) * s.dim + g]) / probes;
      }
      s.outside[c] = 1 - inside / probes;
      for (let g = 0; g < s.dim; g++) proposal[c * s.dim + g] = Math.max(-clamp, Math.min(clamp, s.z[c * s.dim + g] + s.radius[c] * move[g]));
      if (inside / probes >= growWhenInside) s.radius[c] *= growth;
    }
    // Keep a move only where the new point is still in the class.
    const check = await labelsOf(s, proposal);
    for (let c = 0; c < k; c++) if (active[c] && check[c] === s.outputs[c]) s.z.set(proposal.subarray(c * s.dim, (c + 1) * s.dim), c * s.dim);
    s.stepCount++;
    const done = s.stepCount >= steps || s.radius.every((r) => r > maxRadius);
    return { step: s.stepCount, done };
  },

  async snapshot(s): Promise<CandidateSnapshot> {
    // Candidates per class: the current point, then the first few probes of the last round (the attacker's own
    // generator draws them: no extra queries).
    const k = s.classes.length, shown = s.lastProbes.length ? Math.min(BREP_SHOWN_PROBES, s.options.probes) : 0;
    const per = 1 + shown;
    const z = new Float32Array(k * per * s.dim);
    const inside: number[] = [];
    for (let c = 0; c < k; c++) {
      z.set(s.z.subarray(c * s.dim, (c + 1) * s.dim), c * per * s.dim);
      inside.push(1);
      for (let j = 0; j < shown; j++) {
        const src = (c * s.options.probes + j) * s.dim;
        z.set(s.lastProbes.subarray(src, src + s.dim), (c * per + 1 + j) * s.dim);
        inside.push(s.lastInside[c * s.options.probes + j]);
      }
    }
    const img = tf.tidy(() => generate(s.prior.generator, tf.tensor2d(z, [k * per, s.dim])));
    const pixels = new Float32Array(await img.data() as Float32Array);
    img.dispose();
    return {
      step: s.stepCount, classes: s.classes.flatMap((d) => Array.from({ length: per }, () => d)), pixels,
      targetConfidence: inside, loss: s.classes.flatMap((_, c) => Array.from({ length: per }, () => s.outside[c])),
      kept: s.classes.map((_, c) => c * per), attacked: [...s.classes], queries: s.oracle.queries, radius: [...s.radius],
    };
  },

  async result(s): Promise<Reconstructions> {
    return keptOf(await this.snapshot(s));
  },

  dispose() { /* host arrays only */ },
} satisfies Attack<BrepMiOptions, BrepMiState>;
