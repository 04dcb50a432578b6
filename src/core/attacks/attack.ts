// The one attack interface. An attack is a small state machine over tensors it owns:
//   init(ctx, config) -> state      step(state) -> StepInfo (no read-back)
//   snapshot(state) -> images + per-candidate scores (one read-back)     result(state) -> reconstructions
// The live page snapshots every N steps, the CLI and benchmark run to the end, the tests run a few steps.
import type * as tf from '@tensorflow/tfjs';

export interface AttackContext {
  /** The attacked classifier (outputs logits). */
  target: tf.LayersModel;
  /** Digit label of each target output. */
  targetClasses: number[];
}

export interface StepInfo { step: number; done: boolean }

export interface CandidateSnapshot {
  step: number;
  /** Attacked digit of each candidate. */
  classes: number[];
  /** A copy of the candidates' pixels, classes.length * 784 values in [0, 1]. */
  pixels: Float32Array;
  /** Target softmax probability of the attacked class. */
  targetConfidence: number[];
  /** Per-candidate loss (identity term + priors). */
  loss: number[];
}

export interface Reconstructions {
  classes: number[];
  pixels: Float32Array;
  targetConfidence: number[];
}

export interface Attack<Config, State> {
  readonly id: string;
  init(ctx: AttackContext, config: Config): State;
  step(state: State): StepInfo;
  snapshot(state: State): Promise<CandidateSnapshot>;
  result(state: State): Promise<Reconstructions>;
  dispose(state: State): void;
}
