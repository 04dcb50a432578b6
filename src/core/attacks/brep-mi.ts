// Label-only BREP-MI (Kahla et al. 2022): the attacker sees only the target's top-1 label. Per attacked class it
// starts from a GAN latent the target already labels y, then repeatedly probes `probes` points on a sphere of
// radius R around it, moves away from the probes that fall outside the class (z += R * mean(s_i u_i), s_i = +1
// inside, -1 outside; accepted only if the new point is still labelled y) and grows R (x growth) when almost all
// probes are inside. A growing sphere means the point is deep inside the class region: a confident, typical
// example. Latents are clamped to [-clamp, clamp]. One step = one round of probes for every class. With a query budget
// on the oracle, a round it cannot pay for in full is the last: its probes are shared out across the classes, each
// class that gets any also getting its check, so the run ends at exactly the budget.
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

/**
 * What a round asks: `probes` probes and one check per class when the budget `left` pays for that (k * (probes + 1)
 * queries); otherwise the last round, its probes shared out a class at a time, each class that gets one also keeping a
 * query for its check. A single query left buys one unchecked probe (no move).
 */
export function roundPlan(classes: number, probes: number, left: number): { probes: number[]; checked: boolean[]; partial: boolean } {
  if (left >= classes * (probes + 1)) return { probes: Array(classes).fill(probes), checked: Array(classes).fill(true), partial: false };
  const counts: number[] = Array(classes).fill(0);
  for (let progress = true; progress;) {
    progress = false;
    for (let c = 0; c < classes; c++) {
      const cost = counts[c] === 0 ? 2 : 1;
      if (counts[c] < probes && left >= cost) { counts[c]++; left -= cost; progress = true; }
    }
  }
  const checked = counts.map((n) => n > 0);
  const spare = counts.findIndex((n) => n < probes);
  if (left > 0 && spare >= 0) counts[spare]++;
  return { probes: counts, checked, partial: true };
}

/** Index of class c's first answer when each class sends `counts[c]` probes (class after class). */
function offsetOf(counts: number[], c: number): number {
  let at = 0;
  for (let i = 0; i < c; i++) at += counts[i];
  return at;
}

/** The first counts[c] of each class's `probes` latents, class after class. */
function gatherProbes(points: Float32Array, counts: number[], probes: number, dim: number): Float32Array {
  const out = new Float32Array(counts.reduce((a, b) => a + b, 0) * dim);
  let at = 0;
  counts.forEach((n, c) => { out.set(points.subarray(c * probes * dim, (c * probes + n) * dim), at); at += n * dim; });
  return out;
}

/** The latents of rows `rows`, in that order. */
function gatherRows(z: Float32Array, rows: number[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(z.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
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
    for (let round = 0; round < 64 && found.includes(false) && s.oracle.remaining > 0; round++) {
      const batch = sampleLatents(64, rng, options.clamp, s.dim).subarray(0, Math.min(64, s.oracle.remaining) * s.dim);
      const labels = await labelsOf(s, batch);
      labels.forEach((label, i) => {
        const c = outputs.indexOf(label);
        if (c >= 0 && !found[c]) { found[c] = true; s.z.set(batch.subarray(i * s.dim, (i + 1) * s.dim), c * s.dim); }
      });
    }
    const missing = classes.filter((_, c) => !found[c]);
    if (missing.length && s.oracle.remaining <= 0) {
      throw new Error(`BREP-MI: the query budget (${s.oracle.budget} queries) ran out before the target labelled a random latent ${missing.join(', ')}; raise the budget`);
    }
    if (missing.length) throw new Error(`BREP-MI: no latent the target labels ${missing.join(', ')} in ${64 * 64} random samples`);
    return s;
  },

  async step(s) {
    const { probes, growth, growWhenInside, maxRadius, clamp, steps } = s.options;
    if (s.stepCount >= steps || s.oracle.remaining <= 0) return { step: s.stepCount, done: true };
    const active = s.classes.map((_, c) => s.radius[c] <= maxRadius);
    const k = s.classes.length;
    const plan = roundPlan(k, probes, s.oracle.remaining);
    const dirs = new Float32Array(k * probes * s.dim);
    const points = new Float32Array(k * probes * s.dim);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < probes; j++) {
        const u = unitVector(s.rng, s.dim), at = (c * probes + j) * s.dim;
        dirs.set(u, at);
        for (let g = 0; g < s.dim; g++) points[at + g] = Math.max(-clamp, Math.min(clamp, s.z[c * s.dim + g] + s.radius[c] * u[g]));
      }
    }
    // The probes this round pays for: the first plan.probes[c] of each class (all of them within the budget).
    const sent = plan.partial ? gatherProbes(points, plan.probes, probes, s.dim) : points;
    const answers = await labelsOf(s, sent);
    const inside = (c: number, j: number) => answers[offsetOf(plan.probes, c) + j] === s.outputs[c];
    if (!plan.partial) {
      s.lastProbes = points; s.lastInside = Uint8Array.from(answers, (l, i) => Number(l === s.outputs[Math.floor(i / probes)]));
    } else {
      // The grid shows each slot's latest answered probe: this round's where it was asked, else the last round's
      // (or, in a first round, the current point, which the target labels with its digit).
      const shownProbes = s.lastProbes.length ? s.lastProbes.slice() : Float32Array.from({ length: k * probes * s.dim }, (_, i) => s.z[Math.floor(i / (probes * s.dim)) * s.dim + i % s.dim]);
      const shownInside = s.lastInside.length ? s.lastInside.slice() : new Uint8Array(k * probes).fill(1);
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < plan.probes[c]; j++) {
          const at = (c * probes + j) * s.dim;
          shownProbes.set(points.subarray(at, at + s.dim), at);
          shownInside[c * probes + j] = Number(inside(c, j));
        }
      }
      s.lastProbes = shownProbes; s.lastInside = shownInside;
    }
    const proposal = s.z.slice();
    for (let c = 0; c < k; c++) {
      // Only a class whose move the round can check moves (a lone unchecked probe only shows in the grid).
      const asked = plan.probes[c];
      if (!active[c] || !plan.checked[c]) continue;
      let inCount = 0;
      const move = new Float32Array(s.dim);
      for (let j = 0; j < asked; j++) {
        const sign = inside(c, j) ? 1 : -1;
        if (sign > 0) inCount++;
        for (let g = 0; g < s.dim; g++) move[g] += (sign * dirs[(c * probes + j) * s.dim + g]) / asked;
      }
      s.outside[c] = 1 - inCount / asked;
      for (let g = 0; g < s.dim; g++) proposal[c * s.dim + g] = Math.max(-clamp, Math.min(clamp, s.z[c * s.dim + g] + s.radius[c] * move[g]));
      if (inCount / asked >= growWhenInside) s.radius[c] *= growth;
    }
    // Keep a move only where the new point is still in the class.
    const checked = s.classes.map((_, c) => c).filter((c) => plan.checked[c]);
    const check = checked.length ? await labelsOf(s, gatherRows(proposal, checked, s.dim)) : new Int32Array(0);
    checked.forEach((c, r) => { if (active[c] && check[r] === s.outputs[c]) s.z.set(proposal.subarray(c * s.dim, (c + 1) * s.dim), c * s.dim); });
    s.stepCount++;
    const done = s.stepCount >= steps || s.radius.every((r) => r > maxRadius) || s.oracle.remaining <= 0;
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
