// The one attack interface. An attack is a small state machine over tensors it owns:
//   init(ctx, config) -> state      step(state) -> StepInfo (no read-back for white-box attacks)
//   snapshot(state) -> candidates + per-candidate scores (one read-back)     result(state) -> kept reconstructions
// The live page snapshots every N steps, the CLI and benchmark run to the end, the tests run a few steps.
// Black-box and label-only attacks read the target's answers back every step: that is their threat model (an API
// that answers queries), and they never see the model itself, only a QueryOracle.
// Seeds in one batch: an attack with `batchesSeeds` takes `seeds` in its options and runs them side by side (see
// Seeded below); its snapshots list the candidates seed after seed, and splitSeeds cuts them into one per seed.
import * as tf from '@tensorflow/tfjs';
import type { QueryOracle } from './oracle.ts';
import { makeRng } from '../data/rng.ts';

export interface GanPrior {
  generator: tf.LayersModel;
  /** Absent for the eigenface prior, whose latents are N(0, 1) by construction: its prior term is ||z||^2 / 2. */
  discriminator?: tf.LayersModel;
  /** Conditional (PLG-MI) priors take a one-hot class over the target's outputs beside z. */
  conditional: boolean;
}

export interface AttackContext {
  /** The attacked classifier (outputs logits). White-box attacks only; black-box ones get `oracle`. */
  target: tf.LayersModel;
  /** Digit label of each target output. */
  targetClasses: number[];
  /** The GAN prior of GAN-based attacks. */
  prior?: GanPrior;
  /** Black-box and label-only attacks query this instead of touching `target`. */
  oracle?: QueryOracle;
  /** LOMMA: student models distilled from the target (model augmentation), and the public features' mean. */
  students?: tf.LayersModel[];
}

export interface StepInfo { step: number; done: boolean }

export interface CandidateSnapshot {
  step: number;
  /** Attacked digit of each candidate (GAN attacks keep several candidates per digit: restarts, a population). */
  classes: number[];
  /** A copy of the candidates' pixels, classes.length * side * side values in [0, 1]. */
  pixels: Float32Array;
  /** Target softmax probability of the attacked class (black-box: what the attacker was answered). */
  targetConfidence: number[];
  /** Per-candidate loss (identity term + priors; genetic: -fitness; label-only: share of probes outside). */
  loss: number[];
  /** Index of the candidate kept for each attacked digit (in `attacked` order). */
  kept: number[];
  /** The attacked digits, one per kept candidate. */
  attacked: number[];
  /** The loss split into its identity and prior terms (per candidate), where the attack has both. */
  terms?: { identity: number[]; prior: number[] };
  /** Queries made to the target so far (black-box and label-only attacks). */
  queries?: number;
  /** BREP-MI: sphere radius per attacked digit. */
  radius?: number[];
  /**
   * The inversion network: private test images whose answers it decoded, with MSE / SSIM to the originals; the split
   * attack: private test images whose split features it decoded (it has `maps`: a few of the feature maps received).
   */
  victims?: import('./inversion-net.ts').VictimSnapshot | import('./split-inversion.ts').SplitVictimSnapshot;
  /** The trapdoor-aware attacker: the triggers it reverse-engineered and its own threshold (plg-mi-adaptive.ts). */
  estimate?: import('./plg-mi-adaptive.ts').TrapdoorEstimateSnapshot;
}

export interface Reconstructions {
  classes: number[];
  pixels: Float32Array;
  targetConfidence: number[];
}

export interface Attack<Config, State> {
  readonly id: string;
  /** It takes `seeds` (Seeded): several seeds as one batch, each seed's candidates those of its own run. */
  readonly batchesSeeds?: boolean;
  init(ctx: AttackContext, config: Config): State | Promise<State>;
  step(state: State): StepInfo | Promise<StepInfo>;
  snapshot(state: State): Promise<CandidateSnapshot>;
  result(state: State): Promise<Reconstructions>;
  dispose(state: State): void;
}

/** The kept candidates of a snapshot, as reconstructions (one per attacked digit). */
export function keptOf(s: CandidateSnapshot): Reconstructions {
  const px = s.pixels.length / s.classes.length;
  const pixels = new Float32Array(s.kept.length * px);
  s.kept.forEach((i, k) => pixels.set(s.pixels.subarray(i * px, (i + 1) * px), k * px));
  return { classes: [...s.attacked], pixels, targetConfidence: s.kept.map((i) => s.targetConfidence[i]) };
}

/** The discriminator of a GAN prior, or a clear error for an attack that needs one (the eigenface prior has none). */
export function discriminatorOf(prior: GanPrior, attack: string): tf.LayersModel {
  if (!prior.discriminator) throw new Error(`${attack} needs a GAN prior with a discriminator (the eigenface prior has none)`);
  return prior.discriminator;
}

/** Output index of each attacked digit, with a clear error for a digit the target does not know. */
export function outputIndices(targetClasses: number[], digits: number[]): number[] {
  return digits.map((d) => {
    const k = targetClasses.indexOf(d);
    if (k < 0) throw new Error(`the target has no class for digit ${d} (it knows ${targetClasses.join(', ')})`);
    return k;
  });
}

/** For each attacked digit (candidates grouped `perClass` at a time), the candidate with the largest score. */
export function keepBest(scores: ArrayLike<number>, classes: number, perClass: number): number[] {
  return Array.from({ length: classes }, (_, c) => {
    let best = c * perClass;
    for (let j = c * perClass + 1; j < (c + 1) * perClass; j++) if (scores[j] > scores[best]) best = j;
    return best;
  });
}

/** What a query-driven population search in a GAN's latent space (the genetic search, C2FMI) holds between steps. */
export interface PopulationSearch {
  stepCount: number;
  classes: number[];
  /** Output index of each attacked digit. */
  outputs: number[];
  /** The attacked digit of each member, class-major. */
  candidateClasses: number[];
  /** Host copy of the members' latents, class-major. */
  z: Float32Array;
  /** Latent size of the prior (a GAN's 100, the eigenfaces' k). */
  dim: number;
  prior: GanPrior;
  /** The members' images and the target's answers for their digits (as last asked: no extra queries). */
  pixels: Float32Array;
  fitness: Float32Array;
  options: { population: number };
  oracle: QueryOracle;
  rng: () => number;
}

/** A population search's snapshot: every member with its answer, the fittest of each digit kept. */
export function populationSnapshot(s: PopulationSearch): CandidateSnapshot {
  const fitness = Array.from(s.fitness);
  return {
    step: s.stepCount, classes: [...s.candidateClasses], pixels: s.pixels.slice(), targetConfidence: fitness,
    loss: fitness.map((f) => -f), kept: keepBest(s.fitness, s.classes.length, s.options.population), attacked: [...s.classes],
    queries: s.oracle.queries,
  };
}

/**
 * The seed options of an attack that runs several seeds as one batch (white-box attacks: each candidate's loss
 * depends on that candidate only). With `seeds`, the candidates of seed s are made from makeRng(s) exactly as a run
 * with `seed: s` makes them, placed seed after seed along the batch axis; randomness drawn per step comes from each
 * seed's own stream too; and the step's objective is the sum over seeds of each seed's own reduction (seedMeans), so
 * each seed's slice of the batch gets the gradients of its separate run and ends where that run ends, within float
 * tolerance (tests/unit/seed-batch.test.ts). Snapshots list every candidate and kept index seed after seed.
 */
export interface Seeded {
  seed: number;
  /** Several seeds as one batch (overrides `seed`). */
  seeds?: number[];
}

/** The seeds of a run, in batch order. */
export function seedsOf(o: Seeded): number[] {
  if (o.seeds && o.seeds.length === 0) throw new Error('seeds: name at least one seed');
  return o.seeds ?? [o.seed];
}

/** One random stream per seed, each the stream a separate run with that seed starts from. */
export function seedStreams(o: Seeded): (() => number)[] {
  return seedsOf(o).map((s) => makeRng(s));
}

/** A draw from each seed's stream, concatenated seed after seed. */
export function drawPerSeed(rngs: (() => number)[], draw: (rng: () => number) => Float32Array): Float32Array {
  const parts = rngs.map(draw);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** `values` repeated `times` times, one after another (per-seed copies of a per-run list). */
export function repeatPerSeed<T>(values: T[], times: number): T[] {
  return Array.from({ length: times }, () => values).flat();
}

/**
 * A per-candidate loss reduced as a separate run reduces it (mean over its candidates), summed over the seeds of the
 * batch: each candidate's gradient is that of its own run (a mean over the whole batch would scale it by 1 / seeds).
 */
export function seedMeans(perCandidate: tf.Tensor1D, seeds: number): tf.Scalar {
  if (seeds === 1) return tf.mean(perCandidate) as tf.Scalar;
  return tf.sum(tf.mean(tf.reshape(perCandidate, [seeds, -1]), 1)) as tf.Scalar;
}

/** A snapshot of `seeds` seeds run as one batch, cut into one snapshot per seed (as each separate run's). */
export function splitSeeds(s: CandidateSnapshot, seeds: number): CandidateSnapshot[] {
  if (seeds === 1) return [s];
  const n = s.classes.length / seeds, k = s.attacked.length / seeds, px = s.pixels.length / s.classes.length;
  if (!Number.isInteger(n) || !Number.isInteger(k)) throw new Error(`a snapshot of ${s.classes.length} candidates does not split into ${seeds} seeds`);
  const cut = <T>(a: T[], size: number, i: number): T[] => a.slice(i * size, (i + 1) * size);
  return Array.from({ length: seeds }, (_, i): CandidateSnapshot => ({
    step: s.step, classes: cut(s.classes, n, i), pixels: s.pixels.slice(i * n * px, (i + 1) * n * px),
    targetConfidence: cut(s.targetConfidence, n, i), loss: cut(s.loss, n, i),
    kept: cut(s.kept, k, i).map((j) => j - i * n), attacked: cut(s.attacked, k, i),
    ...(s.terms ? { terms: { identity: cut(s.terms.identity, n, i), prior: cut(s.terms.prior, n, i) } } : {}),
    ...(s.queries !== undefined ? { queries: s.queries } : {}),
    ...(s.radius ? { radius: cut(s.radius, k, i) } : {}),
  }));
}
