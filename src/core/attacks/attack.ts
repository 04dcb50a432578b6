// The one attack interface. An attack is a small state machine over tensors it owns:
//   init(ctx, config) -> state      step(state) -> StepInfo (no read-back for white-box attacks)
//   snapshot(state) -> candidates + per-candidate scores (one read-back)     result(state) -> kept reconstructions
// The live page snapshots every N steps, the CLI and benchmark run to the end, the tests run a few steps.
// Black-box and label-only attacks read the target's answers back every step: that is their threat model (an API
// that answers queries), and they never see the model itself, only a QueryOracle.
import type * as tf from '@tensorflow/tfjs';
import type { QueryOracle } from './oracle.ts';

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
}

export interface Reconstructions {
  classes: number[];
  pixels: Float32Array;
  targetConfidence: number[];
}

export interface Attack<Config, State> {
  readonly id: string;
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
