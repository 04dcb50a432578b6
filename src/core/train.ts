// Supervised training of a classifier, as a step machine: `step()` is one batch. The Node training script runs it
// to the end; a page can run it a batch at a time. Cross-entropy on logits, Adam.
import * as tf from '@tensorflow/tfjs';
import { trainApply } from './nets/fused-chain.ts';
import { type DigitSet, imagesToTensor } from './data/mnist.ts';
import { BatchCursor } from './data/batches.ts';
import { smoothLabels, softCrossEntropy } from './defenses/negls.ts';
import { adam } from './kernels/adam.ts';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Random shift of up to this many pixels (0 = none). */
  shift: number;
  /** Mirror half of the images at random (faces; never digits). */
  flip?: boolean;
  /** Output index of each digit label (e.g. digits 0-4 -> 0-4). */
  classOf: (digit: number) => number;
  numClasses: number;
  /** Multiply the learning rate by this at each epoch's end. */
  lrDecay?: number;
  /** Label smoothing factor by training progress (0..1); negative = NegLS. Absent: plain cross-entropy. */
  labelSmoothing?: (progress: number) => number;
  /** Clamp log-probabilities at log(this) in the cross-entropy (bounded NegLS; see negls.ts). Absent or 0: none. */
  logProbFloor?: number;
  /** A loss other than cross-entropy on the model's logits (MID's, see defenses/mid.ts)... */
  loss?: (model: tf.LayersModel, x: tf.Tensor4D, targets: tf.Tensor2D) => LossParts;
  /** ...and the variables it trains (default: the model's trainable weights). */
  variables?: () => tf.Variable[];
  /** Rewrites each batch before the loss, outside the gradient tape (the second judge: warps, then FGSM). */
  transform?: (model: tf.LayersModel, x: tf.Tensor4D, targets: tf.Tensor2D, rng: () => number) => tf.Tensor4D;
}

/** What a training loss computed: its value, the logits it classified (for the running accuracy), named terms. */
export interface LossParts {
  loss: tf.Scalar;
  logits: tf.Tensor2D;
  /** Terms worth showing apart (e.g. MID's cross-entropy and KL). */
  terms?: Record<string, tf.Scalar>;
}

export interface TrainStepStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  done: boolean;
  /** Only on steps that asked for them (a read-back): the loss, its terms, and the running training accuracy. */
  loss: number | null;
  terms?: Record<string, number>;
  trainAccuracy?: number;
}

/**
 * Training accuracy over the batches since it was last read: counted on the device batch by batch and read back
 * only with the stats (a read-back per batch would stall GPU backends). Dropout and augmentation are on.
 */
export class RunningAccuracy {
  /** Always one tensor, so the count of live tensors stays flat from batch to batch. */
  private hits: tf.Scalar = tf.keep(tf.scalar(0));
  private seen = 0;

  /** Counts a batch's correct predictions; `labels` are class indices. Safe inside a training step's tidy. */
  add(logits: tf.Tensor2D, labels: tf.Tensor1D): void {
    const next = tf.keep(tf.tidy(() => tf.add(this.hits, tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))) as tf.Scalar));
    this.hits.dispose();
    this.hits = next;
    this.seen += logits.shape[0];
  }

  /** The share right since the last read (undefined when nothing was counted), and a fresh count. */
  async read(): Promise<number | undefined> {
    if (this.seen === 0) return undefined;
    const share = (await this.hits.data())[0] / this.seen;
    this.hits.dispose();
    this.hits = tf.keep(tf.scalar(0));
    this.seen = 0;
    return share;
  }

  dispose(): void {
    this.hits.dispose();
  }
}

export class ClassifierTrainer {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly batches: BatchCursor;
  private readonly accuracy = new RunningAccuracy();

  constructor(readonly model: tf.LayersModel, readonly data: DigitSet, readonly config: TrainConfig) {
    this.batches = new BatchCursor(data.count, config.batchSize, config.seed);
    this.optimizer = adam(config.learningRate);
  }

  get epoch(): number { return this.batches.epoch; }
  get batch(): number { return this.batches.batch; }
  get batchesPerEpoch(): number { return this.batches.batchesPerEpoch; }
  get done(): boolean { return this.epoch >= this.config.epochs; }

  /** One batch. Reads the loss, its terms and the running accuracy back only when `wantStats` (a read-back stalls GPU backends). */
  async step(wantStats = false): Promise<TrainStepStats> {
    if (this.done) return this.stats(null);
    const idx = this.batches.next();
    const classes = tf.tensor1d(Array.from(idx, (i) => this.config.classOf(this.data.labels[i])), 'int32');
    let x = imagesToTensor(this.data, idx, this.config.shift, this.batches.rng, this.config.flip);
    const progress = (this.epoch + this.batch / this.batchesPerEpoch) / this.config.epochs;
    const a = this.config.labelSmoothing?.(progress) ?? 0;
    const y = tf.tidy(() => smoothLabels(tf.oneHot(classes, this.config.numClasses).toFloat() as tf.Tensor2D, a));
    if (this.config.transform) {
      const rewritten = this.config.transform(this.model, x, y, this.batches.rng);
      x.dispose();
      x = rewritten;
    }
    const weights = this.config.variables?.() ?? this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const terms: Record<string, tf.Scalar> = {};
    const loss = this.optimizer.minimize(() => {
      const parts: LossParts = this.config.loss
        ? this.config.loss(this.model, x, y)
        : crossEntropy(trainApply(this.model, x) as tf.Tensor2D, y, this.config.logProbFloor);
      this.accuracy.add(parts.logits, classes);
      if (wantStats) for (const [k, v] of Object.entries(parts.terms ?? {})) terms[k] = tf.keep(v.clone());
      return parts.loss;
    }, wantStats, weights.length ? weights : undefined);
    x.dispose(); y.dispose(); classes.dispose();
    let value: number | null = null;
    let read: Pick<TrainStepStats, 'terms' | 'trainAccuracy'> = {};
    if (loss) {
      value = (await loss.data())[0];
      loss.dispose();
      read = { terms: await readScalars(terms), trainAccuracy: await this.accuracy.read() };
    }
    if (this.batches.advance() && this.config.lrDecay) {
      (this.optimizer as unknown as { learningRate: number }).learningRate *= this.config.lrDecay;
    }
    return { ...this.stats(value), ...read };
  }

  private stats(loss: number | null): TrainStepStats {
    return { epoch: this.epoch, batch: this.batch, batchesPerEpoch: this.batchesPerEpoch, loss, done: this.done };
  }

  dispose(): void { this.optimizer.dispose(); this.accuracy.dispose(); }
}

/** Plain (or smoothed-label) cross-entropy on the model's logits. */
function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, floor?: number): LossParts {
  const loss = softCrossEntropy(logits, targets, floor);
  return { loss, logits, terms: { ce: loss } };
}

/** Reads kept scalars back and frees them. */
export async function readScalars(scalars: Record<string, tf.Scalar>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(scalars)) { out[k] = (await v.data())[0]; v.dispose(); }
  return out;
}

/** Top-1 accuracy of `model` on `data` (labels mapped by `classOf`; images of other digits are skipped). */
export async function accuracy(model: tf.LayersModel, data: DigitSet, classOf: (d: number) => number, batchSize = 500): Promise<number> {
  let correct = 0, total = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.count - start) }, (_, k) => start + k);
    const pred = tf.tidy(() => (model.predict(imagesToTensor(data, idx)) as tf.Tensor).argMax(-1));
    const p = await pred.data();
    pred.dispose();
    idx.forEach((i, k) => {
      const c = classOf(data.labels[i]);
      if (c < 0) return;
      total++;
      if (p[k] === c) correct++;
    });
  }
  return correct / total;
}
