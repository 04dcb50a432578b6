// Supervised training of a classifier, as a step machine: `step()` is one batch. The Node training script runs it
// to the end; a page can run it a batch at a time. Cross-entropy on logits, Adam.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor } from './data/mnist.ts';
import { BatchCursor } from './data/batches.ts';
import { smoothLabels, softCrossEntropy } from './defenses/negls.ts';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Random shift of up to this many pixels (0 = none). */
  shift: number;
  /** Output index of each digit label (e.g. digits 0-4 -> 0-4). */
  classOf: (digit: number) => number;
  numClasses: number;
  /** Multiply the learning rate by this at each epoch's end. */
  lrDecay?: number;
  /** Label smoothing factor by training progress (0..1); negative = NegLS. Absent: plain cross-entropy. */
  labelSmoothing?: (progress: number) => number;
  /** A loss other than cross-entropy on the model's logits (MID's, see defenses/mid.ts)... */
  loss?: (model: tf.LayersModel, x: tf.Tensor4D, targets: tf.Tensor2D) => tf.Scalar;
  /** ...and the variables it trains (default: the model's trainable weights). */
  variables?: () => tf.Variable[];
}

export interface TrainStepStats { epoch: number; batch: number; batchesPerEpoch: number; loss: number | null; done: boolean }

export class ClassifierTrainer {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly batches: BatchCursor;

  constructor(readonly model: tf.LayersModel, readonly data: DigitSet, readonly config: TrainConfig) {
    this.batches = new BatchCursor(data.count, config.batchSize, config.seed);
    this.optimizer = tf.train.adam(config.learningRate);
  }

  get epoch(): number { return this.batches.epoch; }
  get batch(): number { return this.batches.batch; }
  get batchesPerEpoch(): number { return this.batches.batchesPerEpoch; }
  get done(): boolean { return this.epoch >= this.config.epochs; }

  /** One batch. Reads the loss back only when `wantLoss` (a read-back stalls GPU backends). */
  async step(wantLoss = false): Promise<TrainStepStats> {
    if (this.done) return this.stats(null);
    const idx = this.batches.next();
    const labels = Array.from(idx, (i) => this.config.classOf(this.data.labels[i]));
    const x = imagesToTensor(this.data, idx, this.config.shift, this.batches.rng);
    const progress = (this.epoch + this.batch / this.batchesPerEpoch) / this.config.epochs;
    const a = this.config.labelSmoothing?.(progress) ?? 0;
    const y = tf.tidy(() => smoothLabels(tf.oneHot(tf.tensor1d(labels, 'int32'), this.config.numClasses).toFloat() as tf.Tensor2D, a));
    const weights = this.config.variables?.() ?? this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = this.optimizer.minimize(() => this.config.loss
      ? this.config.loss(this.model, x, y)
      : softCrossEntropy(this.model.apply(x, { training: true }) as tf.Tensor2D, y), wantLoss, weights.length ? weights : undefined);
    x.dispose(); y.dispose();
    let value: number | null = null;
    if (loss) { value = (await loss.data())[0]; loss.dispose(); }
    if (this.batches.advance() && this.config.lrDecay) {
      (this.optimizer as unknown as { learningRate: number }).learningRate *= this.config.lrDecay;
    }
    return this.stats(value);
  }

  private stats(loss: number | null): TrainStepStats {
    return { epoch: this.epoch, batch: this.batch, batchesPerEpoch: this.batchesPerEpoch, loss, done: this.done };
  }

  dispose(): void { this.optimizer.dispose(); }
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
