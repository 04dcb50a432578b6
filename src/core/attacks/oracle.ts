// What a black-box or label-only attacker gets: an API that answers queries about images, never the model.
// Answers come back as plain numbers (read back from the device), so no gradient of the target can reach the
// attacker. Output-side defenses transform the answers before the attacker sees them.
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.ts';

/** Output-side defenses (DESIGN.md section 4), applied to the probability vector the API returns. */
export type OutputDefense =
  | { kind: 'none' }
  /** Probabilities rounded to `decimals` places. */
  | { kind: 'round'; decimals: number }
  /** Only the k largest probabilities are returned (the rest are 0), renormalised. */
  | { kind: 'top-k'; k: number }
  /** Only the predicted label (a one-hot vector). */
  | { kind: 'label-only' }
  /** Gaussian or Laplace noise of scale `scale` on each probability, clipped at 0 and renormalised. */
  | { kind: 'gaussian' | 'laplace'; scale: number };

export const NO_DEFENSE: OutputDefense = { kind: 'none' };

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
        const u = rng();
        const noise = defense.kind === 'gaussian'
          ? Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * rng())
          : -Math.sign(u - 0.5) * Math.log(1 - 2 * Math.abs(u - 0.5));
        out[j] = Math.max(0, out[j] + defense.scale * noise);
      }
      renormalise();
      return out;
    }
  }
}

/** Parses 'none', 'round:2', 'top-k:1', 'label-only', 'gaussian:0.1', 'laplace:0.1' (URL and CLI form). */
export function parseOutputDefense(raw: string): OutputDefense {
  const [kind, arg] = raw.split(':');
  const n = Number(arg);
  switch (kind) {
    case 'none': return NO_DEFENSE;
    case 'label-only': return { kind: 'label-only' };
    case 'round': if (Number.isInteger(n) && n >= 0 && n <= 6) return { kind, decimals: n }; break;
    case 'top-k': if (Number.isInteger(n) && n >= 1) return { kind, k: n }; break;
    case 'gaussian': case 'laplace': if (Number.isFinite(n) && n >= 0 && n <= 1) return { kind, scale: n }; break;
  }
  throw new Error(`output defense '${raw}': use none, round:<0-6 decimals>, top-k:<k>, label-only, gaussian:<scale 0-1> or laplace:<scale 0-1>`);
}

export function formatOutputDefense(d: OutputDefense): string {
  switch (d.kind) {
    case 'none': case 'label-only': return d.kind;
    case 'round': return `round:${d.decimals}`;
    case 'top-k': return `top-k:${d.k}`;
    default: return `${d.kind}:${d.scale}`;
  }
}

/** The query API in front of a target: counts queries, applies the output defense, returns plain numbers. */
export class QueryOracle {
  queries = 0;
  private readonly rng: () => number;

  constructor(private readonly target: tf.LayersModel, readonly numClasses: number, readonly defense: OutputDefense = NO_DEFENSE, seed = 1) {
    this.rng = makeRng(seed ^ 0x5eed);
  }

  /** Defended probability vectors of `images` ([n, 28, 28, 1]), n * numClasses values. */
  async probabilities(images: tf.Tensor4D): Promise<Float32Array> {
    const probs = tf.tidy(() => tf.softmax(this.target.predict(images) as tf.Tensor2D));
    const raw = await probs.data() as Float32Array;
    probs.dispose();
    const n = images.shape[0], k = this.numClasses;
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
