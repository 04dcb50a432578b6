// The output defenses' type and their URL / CLI form ('dp:1', 'adv-noise:5'): no tfjs here, so the pages can check
// a value without loading it (oracle.ts applies them).

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
  | { kind: 'gaussian' | 'laplace'; scale: number }
  /**
   * Differentially private confidence vectors (Ye et al., IEEE TIFS 2022, "One Parameter Defense"): Laplace noise of
   * scale 1 / epsilon on every score, post-processed into a probability vector that ranks the classes as the model does.
   */
  | { kind: 'dp'; epsilon: number }
  /**
   * Yang & Shao's purifier (2020, "Defending model inversion and membership inference attacks via prediction
   * purification"): an autoencoder the defender trained on the target's answers re-writes every answer with less
   * dispersion; the label is kept (src/core/defenses/purifier.ts).
   */
  | { kind: 'purifier' }
  /**
   * Wen, Yiu and Hui's adversarial noise (2021, "Defending against model inversion attack by adversarial examples"):
   * each answer is pushed, within `budget` nats per log-score, towards what makes the defender's own inversion model
   * reconstruct the queried image worst; the label is kept (src/core/defenses/adversarial-noise.ts).
   */
  | { kind: 'adv-noise'; budget: number };

/** Output defenses that run a defender's network (the oracle needs its OutputGuard). */
export const needsGuard = (d: OutputDefense): d is Extract<OutputDefense, { kind: 'purifier' | 'adv-noise' }> =>
  d.kind === 'purifier' || d.kind === 'adv-noise';

/**
 * The largest adversarial-noise budget, in nats per log-score. The attacker reads a score as (ln p + 50) / 50, and the
 * small scores of one digit's answers differ by tens of nats from image to image: budgets of a few nats to ~20 matter.
 */
export const ADV_NOISE_MAX = 20;

/** Parses 'none', 'round:2', 'top-k:1', 'label-only', 'gaussian:0.1', 'laplace:0.1', 'dp:1', 'purifier', 'adv-noise:2' (URL and CLI form). */
export function parseOutputDefense(raw: string): OutputDefense {
  const [kind, arg] = raw.split(':');
  const n = arg === undefined || arg.trim() === '' ? NaN : Number(arg);
  switch (kind) {
    case 'none': return { kind: 'none' };
    case 'label-only': return { kind: 'label-only' };
    case 'purifier': if (arg === undefined) return { kind }; break;
    case 'adv-noise':
      if (Number.isFinite(n) && n > 0 && n <= ADV_NOISE_MAX) return { kind, budget: n };
      throw new Error(`output defense '${raw}': the noise budget must be a number in (0, ${ADV_NOISE_MAX}] nats per log-score (e.g. adv-noise:2)`);
    case 'round': if (Number.isInteger(n) && n >= 0 && n <= 6) return { kind, decimals: n }; break;
    case 'top-k': if (Number.isInteger(n) && n >= 1) return { kind, k: n }; break;
    case 'gaussian': case 'laplace': if (Number.isFinite(n) && n >= 0 && n <= 1) return { kind, scale: n }; break;
    case 'dp':
      if (Number.isFinite(n) && n > 0) return { kind, epsilon: n };
      throw new Error(`output defense '${raw}': the privacy budget epsilon must be a finite number above 0 (e.g. dp:1; smaller is noisier)`);
  }
  throw new Error(`output defense '${raw}': use none, round:<0-6 decimals>, top-k:<k>, label-only, gaussian:<scale 0-1>, laplace:<scale 0-1>, ` +
    `dp:<epsilon above 0>, purifier or adv-noise:<nats 0-${ADV_NOISE_MAX}>`);
}

export function formatOutputDefense(d: OutputDefense): string {
  switch (d.kind) {
    case 'none': case 'label-only': case 'purifier': return d.kind;
    case 'adv-noise': return `adv-noise:${d.budget}`;
    case 'round': return `round:${d.decimals}`;
    case 'top-k': return `top-k:${d.k}`;
    case 'dp': return `dp:${d.epsilon}`;
    default: return `${d.kind}:${d.scale}`;
  }
}

