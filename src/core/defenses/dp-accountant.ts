// Privacy accounting for DP-SGD: Rényi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar & Zhang 2019,
// "Rényi Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530), composed over steps and converted
// to (epsilon, delta)-DP. Plain numbers, no tfjs: the trainer calls it once per step and the UI to pick a noise level.
//
// Notation: q is the sampling rate (batch / dataset size), sigma the noise multiplier (noise std / clip norm), alpha
// the Rényi order. One step is (alpha, log(A_alpha) / (alpha - 1))-RDP, where A_alpha = E_{z~mu0}[(mu(z)/mu0(z))^alpha]
// with mu0 = N(0, sigma^2) and mu = (1 - q) mu0 + q N(1, sigma^2) (the paper's Theorem 4 / section 3).

/** The delta we report at: below 1 / N for MNIST's 60000 training images. */
export const DP_DELTA = 1e-5;

/** The orders TF Privacy's and Opacus's RDP accountants use: 1.1, 1.2, ..., 10.9 and 12, 13, ..., 63. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, k) => 1 + (k + 1) / 10),
  ...Array.from({ length: 52 }, (_, k) => 12 + k),
]);

/**
 * How RDP is turned into (epsilon, delta)-DP.
 * - 'improved' (default): Balle et al. 2020 "Hypothesis testing interpretations and Rényi DP", Thm 21 / Canonne,
 *   Kamath & Steinke 2020 Prop 12: eps = rdp + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1).
 *   This is what TF Privacy's dp_accounting RdpAccountant and Opacus's privacy_analysis.get_privacy_spent use today.
 * - 'classic': Mironov 2017 Prop 3: eps = rdp + log(1 / delta) / (alpha - 1). Older TF Privacy releases (before 2020)
 *   used it, so figures published with them (the MNIST tutorial README's 3.01 etc.) need it to be reproduced.
 */
export type DpConversion = 'improved' | 'classic';

export interface DpEpsilon {
  epsilon: number;
  /** The Rényi order at which the minimum was attained. */
  order: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

function checkQ(q: number): void {
  if (!Number.isFinite(q) || q < 0 || q > 1) throw new Error(`dp-accountant: sampling rate q must be in [0, 1], got ${q}`);
}
function checkSigma(sigma: number): void {
  if (Number.isNaN(sigma) || sigma < 0) throw new Error(`dp-accountant: noise multiplier sigma must be >= 0, got ${sigma}`);
}
function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`dp-accountant: steps must be an integer >= 0, got ${steps}`);
}
function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new Error(`dp-accountant: delta must be in (0, 1), got ${delta}`);
}
function checkOrder(alpha: number): void {
  if (!(Number.isFinite(alpha) && alpha > 1)) throw new Error(`dp-accountant: Rényi order alpha must be a finite number > 1, got ${alpha}`);
}
function checkOrders(orders: readonly number[]): void {
  if (orders.length === 0) throw new Error('dp-accountant: orders must not be empty');
  orders.forEach(checkOrder);
}

// ---------------------------------------------------------------------------------------------------------------
// Log-space helpers: A_alpha overflows doubles long before the RDP it gives does (e.g. alpha = 63, small sigma).

/** log(e^a + e^b), exact at -Infinity. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log(e^a - e^b) for a >= b. */
function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b > a) throw new Error('dp-accountant: internal error, negative sum in log space');
  if (a === b) return -Infinity;
  // log(e^a (1 - e^(b - a))), with expm1 to keep digits when b is close to a.
  return a + Math.log(-Math.expm1(b - a));
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** erfc(x) * e^(x^2) * sqrt(pi) for x >= 2, by the Laplace continued fraction 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 *  evaluated with the modified Lentz method. It converges fast for x >= 2, where the Taylor series of erf would lose
 *  all the digits of the small erfc to cancellation. */
function erfcxContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** erf(x) by its Taylor series, for |x| <= 2, where the terms stay below ~3 and the sum is accurate to ~1e-16. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= -x2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** log(erfc(x)) for any real x, without underflow for large x (erfc(30) is ~1e-393). */
export function logErfc(x: number): number {
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x > 2) return -x * x - LOG_SQRT_PI + Math.log(erfcxContinuedFraction(x));
  if (x >= -2) return Math.log(1 - erfSeries(x));
  // erfc(x) = 2 - erfc(-x), and erfc(-x) < 0.005 here so nothing cancels.
  return Math.log(2 - Math.exp(-x * x) * erfcxContinuedFraction(-x) / Math.sqrt(Math.PI));
}

// ---------------------------------------------------------------------------------------------------------------
// log A_alpha, the two ways of the paper

/** log A_alpha for an integer order: the finite binomial expansion (paper's section 3.3, integer case)
 *  A = sum_{k=0..alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)), summed in log space.
 *  Needs 0 < q < 1 and sigma > 0. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, k), built up term by term so that no factorial is formed
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log((alpha - k + 1) / k);
    const logTerm = logBinom + k * logQ + (alpha - k) * log1mQ + (k * k - k) / twoVar;
    logA = logAdd(logA, logTerm);
  }
  return logA;
}

/** log A_alpha for a fractional order: the paper's two-sided series (section 3.3), split at z0 = sigma^2 log(1/q - 1) + 1/2
 *  where the two Gaussians' likelihood ratio crosses the mixture's:
 *    A = sum_i C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2 sigma^2)) erfc((i - z0) / (sqrt(2) sigma)) / 2
 *      + sum_i C(alpha, i) q^(alpha - i) (1 - q)^i exp(((alpha - i)^2 - (alpha - i)) / (2 sigma^2)) erfc((z0 - (alpha - i)) / (sqrt(2) sigma)) / 2.
 *  C(alpha, i) changes sign once i > alpha + 1, so positive and negative terms are summed apart. The series is
 *  exact for integer alpha too (the binomials vanish past alpha and the erfc halves add up to 1), which the tests use. */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  let logPos = -Infinity;
  let logNeg = -Infinity;
  let logAbsBinom = 0; // log |C(alpha, i)|
  let sign = 1; // sign of C(alpha, i)
  for (let i = 0; i < 1_000_000; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      if (factor === 0) break; // integer alpha: every later binomial is 0
      if (factor < 0) sign = -sign;
      logAbsBinom += Math.log(Math.abs(factor));
    }
    const j = alpha - i;
    const logS0 = logAbsBinom + i * logQ + j * log1mQ + (i * i - i) / twoVar + Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logS1 = logAbsBinom + j * logQ + i * log1mQ + (j * j - j) / twoVar + Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS = logAdd(logS0, logS1);
    if (sign > 0) logPos = logAdd(logPos, logS);
    else logNeg = logAdd(logNeg, logS);
    // A >= 1 (a Rényi divergence is >= 0), so e^-30 is relative precision. Past i = alpha + 1 the terms alternate in
    // sign and shrink, so the tail is smaller than the first term left out; before that, keep going regardless.
    if (i > alpha + 1 && logS < -30) break;
  }
  return logSub(logPos, logNeg);
}

/** One step's RDP at integer order alpha by the binomial sum (exported for tests; prefer rdpSampledGaussian). */
export function rdpIntegerOrder(q: number, sigma: number, alpha: number): number {
  if (!Number.isInteger(alpha) || alpha < 2) throw new Error(`dp-accountant: integer order must be an integer >= 2, got ${alpha}`);
  return special(q, sigma, alpha) ?? logAInteger(q, sigma, alpha) / (alpha - 1);
}

/** One step's RDP at any order alpha > 1 by the fractional-order series (exported for tests; prefer rdpSampledGaussian). */
export function rdpFractionalOrder(q: number, sigma: number, alpha: number): number {
  checkOrder(alpha);
  return special(q, sigma, alpha) ?? logAFractional(q, sigma, alpha) / (alpha - 1);
}

/** The closed-form cases, or undefined when the series is needed. */
function special(q: number, sigma: number, alpha: number): number | undefined {
  checkQ(q);
  checkSigma(sigma);
  if (q === 0) return 0; // nobody's data is used
  if (sigma === 0) return Infinity; // no noise: a sampled record is revealed
  if (q === 1) return alpha / (2 * sigma * sigma); // plain Gaussian mechanism, sensitivity 1
  if (sigma === Infinity) return 0;
  return undefined;
}

/**
 * Rényi DP of one step of the Poisson-subsampled Gaussian mechanism at order alpha > 1 (add/remove-one adjacency,
 * L2 sensitivity 1, noise std sigma). Integer orders by the exact binomial sum, others by the paper's series.
 */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  checkOrder(alpha);
  // Clamp a rounding error that could make a tiny RDP negative.
  if (Number.isInteger(alpha)) return Math.max(0, rdpIntegerOrder(q, sigma, alpha));
  // With little noise (sigma ~0.3) the fractional series cancels catastrophically. Such an order is then left out
  // (Infinity): the minimum over the other orders (the integer ones always among them) can only be larger, so the
  // epsilon reported stays a valid bound.
  try {
    const rdp = rdpFractionalOrder(q, sigma, alpha);
    return Number.isFinite(rdp) ? Math.max(0, rdp) : Infinity;
  } catch {
    return Infinity;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Composition and conversion

/** RDP composes additively: `steps` identical steps cost steps * rdp at each order. 0 steps cost nothing, even when
 *  one step's cost is infinite. */
function composed(perStep: number, steps: number): number {
  return steps === 0 ? 0 : perStep * steps;
}

/** (epsilon, delta)-DP from RDP curve values `rdp[i]` at `orders[i]`: the best (smallest) epsilon over the orders. */
export function rdpToEpsilon(rdp: readonly number[], orders: readonly number[], delta = DP_DELTA, conversion: DpConversion = 'improved'): DpEpsilon {
  checkDelta(delta);
  checkOrders(orders);
  if (rdp.length !== orders.length) throw new Error(`dp-accountant: ${rdp.length} RDP values for ${orders.length} orders`);
  let best: DpEpsilon = { epsilon: Infinity, order: orders[0] };
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i];
    const r = rdp[i];
    if (Number.isNaN(r) || r < 0) throw new Error(`dp-accountant: RDP must be >= 0, got ${r} at order ${a}`);
    let eps: number;
    if (conversion === 'classic') {
      eps = r + Math.log(1 / delta) / (a - 1);
    } else if (delta * delta + Math.expm1(-r) > 0) {
      // RDP at order a bounds the KL divergence, and total variation <= sqrt(1 - e^-KL) (Bretagnolle-Huber); when that
      // is already below delta, (0, delta)-DP holds. Same shortcut as dp_accounting; it makes 0 steps cost 0.
      eps = 0;
    } else {
      eps = r + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    }
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/**
 * (epsilon, delta) of `steps` steps of DP-SGD with Poisson sampling rate q and noise multiplier sigma, minimised over
 * the Rényi orders. `conversion` defaults to the conversion TF Privacy and Opacus use today (see DpConversion).
 */
export function dpEpsilon(
  q: number, sigma: number, steps: number, delta = DP_DELTA, orders: readonly number[] = DEFAULT_ORDERS,
  conversion: DpConversion = 'improved',
): DpEpsilon {
  checkQ(q);
  checkSigma(sigma);
  checkSteps(steps);
  checkDelta(delta);
  checkOrders(orders);
  const rdp = orders.map((a) => composed(rdpSampledGaussian(q, sigma, a), steps));
  return rdpToEpsilon(rdp, orders, delta, conversion);
}

/**
 * The smallest noise multiplier (within ~0.01 in epsilon) for which `steps` steps at sampling rate q stay within
 * `targetEpsilon` at `delta`: bisection on sigma, since epsilon falls as sigma grows. The sigma returned always meets
 * the budget: dpEpsilon(q, sigma, steps, delta).epsilon <= targetEpsilon.
 */
export function noiseForEpsilon(targetEpsilon: number, q: number, steps: number, delta = DP_DELTA): number {
  if (!(targetEpsilon > 0) || !Number.isFinite(targetEpsilon)) {
    throw new Error(`dp-accountant: target epsilon must be a finite number > 0, got ${targetEpsilon}`);
  }
  checkQ(q);
  checkSteps(steps);
  checkDelta(delta);
  if (q === 0 || steps === 0) return 0; // nothing is released about anyone, whatever the noise
  const eps = (sigma: number) => dpEpsilon(q, sigma, steps, delta).epsilon;
  // Bracket: lo always over budget (sigma = 0 gives infinity), hi within it.
  let lo = 0;
  let hi = 1;
  while (eps(hi) > targetEpsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw new Error(`dp-accountant: no noise multiplier up to 1e6 reaches epsilon ${targetEpsilon}`);
  }
  // Shrink until hi's epsilon is within 0.01 of the target (or sigma itself stops moving).
  for (let it = 0; it < 100; it++) {
    if (targetEpsilon - eps(hi) <= 0.01 || hi - lo <= 1e-6 * hi) break;
    const mid = (lo + hi) / 2;
    if (eps(mid) > targetEpsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Incremental: one instance per training run; step() after each noisy step; epsilon() at any time. */
export class RdpAccountant {
  private readonly perStep: number[];
  private count = 0;

  constructor(readonly q: number, readonly sigma: number, readonly delta = DP_DELTA) {
    checkQ(q);
    checkSigma(sigma);
    checkDelta(delta);
    // q and sigma are fixed for the run, so one step's RDP curve is computed once; epsilon() is then cheap.
    this.perStep = DEFAULT_ORDERS.map((a) => rdpSampledGaussian(q, sigma, a));
  }

  /** Record n more noisy steps. */
  step(n = 1): void {
    checkSteps(n);
    this.count += n;
  }

  get steps(): number {
    return this.count;
  }

  epsilon(): DpEpsilon {
    return rdpToEpsilon(this.perStep.map((r) => composed(r, this.count)), DEFAULT_ORDERS, this.delta);
  }
}
