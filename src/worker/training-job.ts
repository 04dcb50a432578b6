// A defense training run as an engine job (the defense lab): the core's trainer for the defense
// (src/core/defenses/recipes.ts, the same code path as `npm run train`) runs one batch per step. Losses come back
// only every few batches (a read-back stalls GPU backends), accuracy on a fixed test subset every few read-backs, and
// the progress message carries what the page draws.
import * as tf from '@tensorflow/tfjs';
import { buildDefenseTrainer, type DefenseTrainer } from '../core/defenses/recipes.ts';
import { blendTriggers, triggerImages, type Injection } from '../core/defenses/trap-mid.ts';
import { type DigitSet, filterDigits, firstOfEach, imagesToTensor, sideOf } from '../core/data/mnist.ts';
import { DATASET_IDS, datasetOf, isDatasetId, type Dataset } from '../core/data/datasets.ts';
import { naturalnessAuc, trapdoorAccuracy } from '../core/metrics/trapdoor.ts';
import { accuracy } from '../core/train.ts';
import { DP_DELTA } from '../core/defenses/dp-accountant.ts';
import {
  DEFENSES, DEPENDENCE_MODES, INJECTION_MODES, NATURALNESS_MODES, defenseDatasetProblem, defenseInfo, trainingKnobs, type KnobSpec,
} from './catalog.ts';
import type { JobState, TrainingConfig, TrainingProgress } from './protocol.ts';
import type { TrainedMeta } from './trained-model.ts';

/** Test images per class measured during training (the end measures all: MNIST's 5,139; the faces have 40, all every time). */
const EVAL_PER_DIGIT = 100;
/** Strength of the exaggerated sample, per injection: a 2% blend is invisible, a 50% one is not; the ink blend is at
 *  most a full replacement (1); a stroke moved three times as far shows which edges the trigger pushes; so does a warp
 *  of up to 3 px instead of 1; TeD's patches are plain to see at their own strength. */
const EXAGGERATED_ALPHA: Record<Injection, number> = { blend: 0.5, ink: 1, stroke: 3, warp: 3, ted: 1 };
/** The sample image: the first training image of this class, carrying the next class's trigger. MNIST: the digit 2; the
 *  faces: the first private person. */
const sampleClass = (ds: Dataset): number => (ds.id === 'mnist' ? 2 : ds.privateClasses[0]);

/** Validates a config; throws a message that names the bad field. */
export function validateTrainingConfig(c: TrainingConfig): void {
  const bad = (what: string): never => { throw new Error(`invalid training config: ${what}`); };
  if (c.dataset !== undefined && !isDatasetId(c.dataset)) bad(`unknown data set '${String(c.dataset)}' (available: ${DATASET_IDS.join(', ')})`);
  if (!DEFENSES.some((d) => d.id === c.defense)) bad(`unknown defense '${String(c.defense)}' (available: ${DEFENSES.map((d) => d.id).join(', ')})`);
  const ds = datasetOf(c.dataset);
  const problem = defenseDatasetProblem(c.defense, ds.id);
  if (problem) bad(`${c.defense} does not train on the ${ds.title}: ${problem}`);
  if (!Number.isInteger(c.seed)) bad('seed must be an integer');
  const check = (k: KnobSpec, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < k.min || v > k.max || (k.integer && !Number.isInteger(v))) {
      bad(`${k.key} must be ${k.integer ? 'an integer' : 'a number'} in ${k.min}..${k.max} (got ${String(v)})`);
    }
  };
  for (const k of trainingKnobs(ds.id)) if (k.key !== 'trainImages' || c.trainImages !== undefined) check(k, c[k.key as keyof TrainingConfig]);
  const info = defenseInfo(c.defense);
  for (const [key, v] of Object.entries(c.params ?? {})) {
    const k = info.knobs.find((x) => x.key === key);
    if (!k) bad(`${c.defense} has no knob '${key}' (knobs: ${info.knobs.map((x) => x.key).join(', ') || 'none'})`);
    else check(k, v);
  }
  if (c.naturalness !== undefined && !NATURALNESS_MODES.some((m) => m.value === c.naturalness)) {
    bad(`naturalness must be one of ${NATURALNESS_MODES.map((m) => m.value).join(', ')} (got '${String(c.naturalness)}')`);
  }
  if (c.injection !== undefined && !INJECTION_MODES.some((m) => m.value === c.injection)) {
    bad(`injection must be one of ${INJECTION_MODES.map((m) => m.value).join(', ')} (got '${String(c.injection)}')`);
  }
  if (c.dependence !== undefined && !DEPENDENCE_MODES.some((m) => m.value === c.dependence)) {
    bad(`dependence must be one of ${DEPENDENCE_MODES.map((m) => m.value).join(', ')} (got '${String(c.dependence)}')`);
  }
  for (const key of ['readEvery', 'evalEvery'] as const) {
    const v = c[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) bad(`${key} must be a whole number >= 1 (got ${v})`);
  }
}

export class TrainingRun {
  readonly trainer: DefenseTrainer;
  readonly totalSteps: number;
  /** The data set's private classes (MNIST: digits 0-4; faces: the 20 private people). */
  readonly classes: number[];
  readonly dataset: Dataset;
  /** Set once the finished model is kept. */
  savedAs?: string;
  private readonly data: DigitSet;
  private readonly testSubset: DigitSet;
  private readonly readEvery: number;
  private readonly evalEvery: number;
  private readonly sampleIndex: number;
  private readonly sampleClass: number;
  private steps = 0;
  private readonly classOf = (d: number) => this.classes.indexOf(d);
  private losses?: TrainingProgress['losses'];
  /** DP-SGD: the privacy spent so far; TL-DMI: which data the last batch came from. */
  private epsilon?: number;
  private position = { epoch: 0, batch: 0 };
  private phase?: TrainingProgress['phase'];
  private evaluation?: TrainingProgress['eval'];
  /** Milliseconds per batch (a moving average over read-backs), and where the current window began. */
  private msPerBatch = NaN;
  private window = { step: 0, ms: 0 };

  /** `clock` gives the job's active milliseconds (paused time excluded). */
  constructor(readonly config: TrainingConfig, train: DigitSet, private readonly test: DigitSet, private readonly clock: () => number, publicData?: DigitSet) {
    this.dataset = datasetOf(config.dataset);
    this.classes = [...this.dataset.privateClasses];
    const n = config.trainImages;
    this.data = n === undefined || n >= train.count ? train : filterDigits(train, this.classes, Math.max(1, Math.floor(n / this.classes.length)));
    const p = { ...Object.fromEntries(defenseInfo(config.defense).knobs.map((k) => [k.key, k.default])), ...config.params };
    this.trainer = buildDefenseTrainer({
      defense: config.defense, dataset: this.dataset.id, epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, classes: this.classes,
      knobs: { ...p, ...(config.naturalness ? { naturalness: config.naturalness } : {}), ...(config.injection ? { injection: config.injection } : {}), ...(config.dependence ? { dependence: config.dependence } : {}) },
    }, this.data, publicData && n !== undefined && n < publicData.count
      // A smaller run uses as few public images as private ones (TL-DMI's pretraining).
      ? filterDigits(publicData, this.dataset.publicClasses, Math.max(1, Math.floor(n / this.dataset.publicClasses.length))) : publicData);
    this.totalSteps = this.trainer.totalSteps ?? config.epochs * this.trainer.batchesPerEpoch;
    this.readEvery = config.readEvery ?? Math.max(1, Math.min(5, Math.floor(this.totalSteps / 20)));
    this.testSubset = filterDigits(test, this.classes, EVAL_PER_DIGIT);
    // A small test set (the faces' 40) costs next to nothing to measure: at every read-back.
    this.evalEvery = config.evalEvery ?? (this.testSubset.count <= 100 ? this.readEvery : this.readEvery * 5);
    this.sampleClass = sampleClass(this.dataset);
    this.sampleIndex = firstOfEach(this.data, [this.sampleClass])[0];
  }

  /** Epoch and batch: counted here for a fixed schedule; a trainer with its own (TL-DMI's public epochs first) says where it is. */
  private where(): Pick<TrainingProgress, 'epoch' | 'epochs' | 'batch'> {
    const bpe = this.trainer.batchesPerEpoch;
    if (!this.trainer.totalEpochs) return { epoch: Math.floor(this.steps / bpe), epochs: this.config.epochs, batch: this.steps % bpe };
    return { epoch: this.position.epoch, epochs: this.trainer.totalEpochs, batch: this.position.batch };
  }

  /** One batch; `report` when it brought new figures (a read-back or a measurement). */
  async step(): Promise<{ done: boolean; report: boolean }> {
    const read = (this.steps + 1) % this.readEvery === 0 || this.steps + 1 >= this.totalSteps;
    const s = await this.trainer.step(read);
    this.steps++;
    this.position = { epoch: s.epoch, batch: s.batch };
    if (s.epsilon !== undefined) this.epsilon = s.epsilon;
    if (s.phase) this.phase = s.phase;
    if (s.losses) {
      this.losses = { step: this.steps, terms: s.losses, trainAccuracy: s.trainAccuracy };
      this.measureSpeed();
    }
    if (s.done) await this.evaluate(this.test);
    else if (this.steps % this.evalEvery === 0) await this.evaluate(this.testSubset);
    return { done: s.done, report: read || s.done };
  }

  /** Where the run stands, with fresh triggers and sample images (Trap-MID). */
  async progress(jobId: number, state: JobState): Promise<TrainingProgress> {
    const bpe = this.trainer.batchesPerEpoch;
    const left = this.totalSteps - this.steps;
    return {
      jobId, state, step: this.steps, totalSteps: this.totalSteps, ...this.where(),
      batchesPerEpoch: bpe, trainImages: this.data.count, batchSize: this.config.batchSize,
      samplesPerSecond: (1000 * this.config.batchSize) / this.msPerBatch, elapsedMs: this.clock(),
      remainingMs: Number.isFinite(this.msPerBatch) ? left * this.msPerBatch : null,
      losses: this.losses, eval: this.evaluation, savedAs: this.savedAs,
      ...(this.epsilon !== undefined ? { privacy: { epsilon: this.epsilon, delta: DP_DELTA } } : {}),
      ...(this.phase ? { phase: this.phase } : {}),
      ...(this.trainer.trapMid ? { trapdoor: await this.trapdoorView() } : {}),
    };
  }

  /** The progress of a job that failed: where it was, and why. */
  failed(jobId: number, error: string): TrainingProgress {
    const bpe = this.trainer.batchesPerEpoch;
    return {
      jobId, state: 'failed', step: this.steps, totalSteps: this.totalSteps, ...this.where(),
      batchesPerEpoch: bpe, trainImages: this.data.count, batchSize: this.config.batchSize,
      samplesPerSecond: NaN, elapsedMs: this.clock(), remainingMs: null, error,
    };
  }

  /** The kept model's description (after the final measurement). */
  async meta(backend: string): Promise<Omit<TrainedMeta, 'kind' | 'savedAt'>> {
    const tm = this.trainer.trapMid;
    const triggerValues = tm ? Array.from(await tm.triggers.data()) : [];
    return {
      ...(this.dataset.id !== 'mnist' ? { dataset: this.dataset.id } : {}),
      defense: this.config.defense, classes: this.classes, params: this.trainer.model.countParams(),
      testAccuracy: this.evaluation?.testAccuracy ?? NaN, config: this.config, trainSeconds: Math.round(this.clock() / 1000), backend,
      ...(tm ? {
        trapdoor: {
          alpha: tm.config.alpha, injection: tm.config.injection, beta: tm.config.beta, naturalness: tm.config.naturalness,
          naturalnessWeight: tm.config.naturalnessWeight, trapdoorAccuracy: this.evaluation?.trapdoorAccuracy ?? NaN,
          naturalnessAuc: this.evaluation?.naturalnessAuc ?? NaN, triggerValues,
        },
      } : {}),
    };
  }

  dispose(): void {
    this.trainer.dispose();
  }

  private measureSpeed(): void {
    const now = this.clock();
    const ms = (now - this.window.ms) / (this.steps - this.window.step);
    // The first window carries the warm-up (shader compilation): later ones soon outweigh it.
    this.msPerBatch = Number.isFinite(this.msPerBatch) ? 0.7 * this.msPerBatch + 0.3 * ms : ms;
    this.window = { step: this.steps, ms: now };
  }

  /** Test accuracy on `set`; for Trap-MID also trapdoor accuracy and the naturalness discriminator's AUC. */
  private async evaluate(set: DigitSet): Promise<void> {
    const model = this.trainer.model, tm = this.trainer.trapMid;
    const ev: NonNullable<TrainingProgress['eval']> = { step: this.steps, images: set.count, testAccuracy: await accuracy(model, set, this.classOf) };
    if (tm) {
      const c = tm.config;
      ev.trapdoorAccuracy = await trapdoorAccuracy(model, set, this.classOf, tm.triggers, c.alpha, c.seed, 500, c.injection);
      ev.naturalnessAuc = await naturalnessAuc(tm.discriminator, set, this.classOf, tm.triggers, c.alpha, c.injection, 2000, c.seed + 1);
    }
    this.evaluation = ev;
  }

  /** The triggers, and the sample image clean, triggered at the real alpha and exaggerated, with the model's answers. */
  private async trapdoorView(): Promise<NonNullable<TrainingProgress['trapdoor']>> {
    const tm = this.trainer.trapMid!, c = tm.config, k = this.classes.length;
    const trigger = (this.classOf(this.sampleClass) + 1) % k;
    const images = tf.tidy(() => {
      const x = imagesToTensor(this.data, [this.sampleIndex]);
      const t = tf.oneHot(tf.tensor1d([trigger], 'int32'), k).toFloat() as tf.Tensor2D;
      return [x, blendTriggers(x, tm.triggers, t, c.alpha, c.injection), blendTriggers(x, tm.triggers, t, EXAGGERATED_ALPHA[c.injection], c.injection)];
    });
    const probs = tf.tidy(() => tf.softmax(this.trainer.model.predict(tf.concat(images.slice(0, 2))) as tf.Tensor2D));
    // Copies: data() may hand back a tensor's own storage, and these buffers are transferred to the page.
    const read = async (t: tf.Tensor) => Float32Array.from(await t.data() as Float32Array);
    // The triggers as pictures (warp: how far each part moves; TeD: the pattern in its mask; see trap-mid.ts).
    const shown = triggerImages(tm.triggers, c.injection, c.alpha, sideOf(this.data));
    const [clean, triggered, exaggerated, p, triggers] = await Promise.all([...images, probs, shown].map(read));
    tf.dispose([...images, probs, shown]);
    const answer = (row: number) => {
      const r = Array.from(p.subarray(row * k, (row + 1) * k));
      const j = r.indexOf(Math.max(...r));
      return { digit: this.classes[j], confidence: r[j] };
    };
    return {
      alpha: c.alpha, classes: this.classes, triggers,
      sample: {
        digit: this.sampleClass, triggerDigit: this.classes[trigger], clean, triggered, exaggerated, exaggeratedAlpha: EXAGGERATED_ALPHA[c.injection],
        answers: { clean: answer(0), triggered: answer(1) },
      },
    };
  }
}
