// What a black-box or label-only attacker gets: an API that answers queries about images, never the model.
// Answers come back as plain numbers (read back from the device), so no gradient of the target can reach the
// attacker. Output-side defenses transform the answers before the attacker sees them.
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.ts';
import { formatOutputDefense, needsGuard, type OutputDefense } from './output-defense.ts';

// The defense's type and its URL / CLI form live in a module without tfjs, which the pages import.
export { ADV_NOISE_MAX, formatOutputDefense, needsGuard, parseOutputDefense, type OutputDefense } from './output-defense.ts';

/**
 * A defense that needs a network the defender trained (a purifier, a mimic inversion model): applied to the target's
 * probabilities inside the oracle's tidy, before any host-side defense. `images` are the queried images (the defender
 * sees them), `probs` the target's exact answers; returns the defended answers, rows that sum to 1.
 */
export interface OutputGuard {
  defend(images: tf.Tensor4D, probs: tf.Tensor2D): tf.Tensor2D;
}

/**
 * The label keeper of both guards (Yang et al.'s "label swapper", Wen et al.'s "label modifier"): where a defended
 * row's top-1 differs from the exact answer's, the two scores trade places, so the API's label, hence the target's
 * accuracy, never changes.
 */
export function keepLabels(defended: tf.Tensor2D, original: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const k = original.shape[1];
    const want = tf.oneHot(tf.argMax(original, 1), k).toFloat();
    const got = tf.oneHot(tf.argMax(defended, 1), k).toFloat();
    // Scores at the two positions: the wanted one gets the top score, the top one gets the wanted one's score.
    const top = tf.sum(tf.mul(defended, got), 1, true);
    const atWanted = tf.sum(tf.mul(defended, want), 1, true);
    const rest = tf.mul(defended, tf.sub(1, tf.maximum(want, got)));
    // (Rows already right: `want` equals `got`, the top score goes back where it was and the second term is 0.)
    return tf.add(rest, tf.add(tf.mul(want, top), tf.mul(tf.mul(got, tf.sub(1, want)), atWanted))) as tf.Tensor2D;
  });
}

export const NO_DEFENSE: OutputDefense = { kind: 'none' };

/** One draw of standard Laplace noise (inverse CDF; the open end clamped so that a draw of exactly 0 stays finite). */
function laplace(rng: () => number): number {
  const u = rng();
  return -Math.sign(u - 0.5) * Math.log(Math.max(1 - 2 * Math.abs(u - 0.5), 1e-300));
}

/** Class indices from the largest score to the smallest (ties: the lower index first, as a stable sort puts them). */
export function ranking(p: ArrayLike<number>): number[] {
  return Array.from({ length: p.length }, (_, j) => j).sort((a, b) => p[b] - p[a] || a - b);
}

/**
 * Ye et al.'s mechanism on one vector, in place. Only the abstract of the paper could be read here, so the noise is
 * the one its privacy budget names: Laplace of scale 1 / epsilon per score (a score lies in [0, 1], so its
 * sensitivity is 1). What follows is post-processing, which spends no privacy: the noisy values, sorted, are handed
 * out in the model's ranking (so the top-1 class, hence accuracy, never changes); lifted so that none is negative
 * (only as far as the smallest needs: with little noise the answer stays close to the truth) and divided by their sum.
 */
function dpConfidences(out: Float32Array, epsilon: number, rng: () => number): void {
  const k = out.length;
  const rank = ranking(out);
  const noisy = Array.from(out, (v) => v + laplace(rng) / epsilon).sort((a, b) => b - a);
  const lift = Math.max(0, -noisy[k - 1]);
  const total = noisy.reduce((s, v) => s + v + lift, 0);
  rank.forEach((j, r) => { out[j] = total > 0 ? (noisy[r] + lift) / total : 1 / k; });
  // Rounding to float32 can merge two close values; the ranking must survive it, so such a value steps one ulp down.
  for (let r = 1; r < k; r++) {
    const j = rank[r], above = out[rank[r - 1]];
    if (out[j] >= above) out[j] = Math.fround(above * (1 - 2 ** -23));
  }
}

/** Applies `defense` to one probability vector (a new array; `rng` drives the noise defenses). */
export function defendOutput(p: ArrayLike<number>, defense: OutputDefense, rng: () => number): Float32Array {
  const k = p.length;
  const out = Float32Array.from(p);
  const argmax = () => { let b = 0; for (let j = 1; j < k; j++) if (out[j] > out[b]) b = j; return b; };
  const renormalise = () => {
    let s = 0; for (let j = 0; j < k; j++) s += out[j];
    if (s > 0) for (let j = 0; j < k; j++) out[j] /= s; else out.fill(1 / k);
  };
  switch (defense.kind) {
    case 'none': return out;
    case 'round': {
      const f = 10 ** defense.decimals;
      for (let j = 0; j < k; j++) out[j] = Math.round(out[j] * f) / f;
      return out;
    }
    case 'top-k': {
      const keep = Array.from(out, (v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).slice(0, defense.k).map(([, j]) => j);
      for (let j = 0; j < k; j++) if (!keep.includes(j)) out[j] = 0;
      renormalise();
      return out;
    }
    case 'label-only': {
      const b = argmax();
      out.fill(0); out[b] = 1;
      return out;
    }
    case 'gaussian':
    case 'laplace': {
      for (let j = 0; j < k; j++) {
        const noise = defense.kind === 'gaussian'
          ? Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
          : laplace(rng);
        out[j] = Math.max(0, out[j] + defense.scale * noise);
      }
      renormalise();
      return out;
    }
    case 'dp':
      dpConfidences(out, defense.epsilon, rng);
      return out;
    case 'purifier':
    case 'adv-noise':
      // The oracle's guard has already re-written the answer (these defenses need the defender's network).
      return out;
  }
}

/** A query batch refused because it would pass the oracle's query budget (nothing of it was answered). */
export class QueryBudgetExhausted extends Error {
  constructor(readonly budget: number, readonly used: number, readonly asked: number) {
    super(`query budget exhausted: ${used} of ${budget} queries used, ${asked} more asked`);
    this.name = 'QueryBudgetExhausted';
  }
}

/**
 * The query API in front of a target: counts queries, applies the output defense, returns plain numbers. With a
 * `budget` (images that may be queried: the MIBench authors' "limit how often each user can access") it refuses a
 * batch that would pass it; the attacks ask `remaining` first and stop at exactly the budget.
 */
export class QueryOracle {
  queries = 0;
  private readonly rng: () => number;

  constructor(
    private readonly target: tf.LayersModel, readonly numClasses: number, readonly defense: OutputDefense = NO_DEFENSE, seed = 1,
    readonly budget = Infinity,
    private readonly guard?: OutputGuard,
  ) {
    if (needsGuard(defense) && !guard) throw new Error(`output defense '${formatOutputDefense(defense)}' needs the defender's network for this target`);
    if (!(budget >= 1) || (budget !== Infinity && !Number.isInteger(budget))) throw new Error(`query budget must be a whole number of at least 1 (got ${budget})`);
    this.rng = makeRng(seed ^ 0x5eed);
  }

  /** Images that may still be queried (Infinity without a budget). */
  get remaining(): number {
    return this.budget - this.queries;
  }

  /** Defended probability vectors of `images` ([n, 28, 28, 1]), n * numClasses values. */
  async probabilities(images: tf.Tensor4D): Promise<Float32Array> {
    const n = images.shape[0], k = this.numClasses;
    if (n > this.remaining) throw new QueryBudgetExhausted(this.budget, this.queries, n);
    const probs = tf.tidy(() => {
      const exact = tf.softmax(this.target.predict(images) as tf.Tensor2D) as tf.Tensor2D;
      return this.guard && needsGuard(this.defense) ? this.guard.defend(images, exact) : exact;
    });
    const raw = await probs.data() as Float32Array;
    probs.dispose();
    this.queries += n;
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) out.set(defendOutput(raw.subarray(i * k, (i + 1) * k), this.defense, this.rng), i * k);
    return out;
  }

  /** Top-1 labels only (output index) of `images`: the label-only threat model. */
  async labels(images: tf.Tensor4D): Promise<Int32Array> {
    const p = await this.probabilities(images);
    const k = this.numClasses;
    return Int32Array.from({ length: images.shape[0] }, (_, i) => {
      let b = 0; for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + b]) b = j;
      return b;
    });
  }
}
