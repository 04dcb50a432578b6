// TL-DMI, transfer learning as a defense (Ho et al., CVPR 2024, "Model inversion robustness: can transfer learning
// help?"): the whole network first learns the *public* classes; then a fresh head and only the last few weight layers
// learn the private ones, the earlier layers frozen. The frozen layers never see a private image, so the features
// an attack climbs through encode the public data, not the private: the paper finds inversion weaker the fewer layers
// are fine-tuned, at a small cost in accuracy.
import * as tf from '@tensorflow/tfjs';
import type { DigitSet } from '../data/mnist.ts';
import { ClassifierTrainer, type TrainConfig } from '../train.ts';
import type { DefenseStats, DefenseTrainer } from './recipes.ts';

/** The shipped target's schedule: 2 epochs on the public digits, then the two dense layers on the private ones. */
export const TL_DMI_DEFAULTS = { pretrainEpochs: 2, fineTunedLayers: 2 };

/** The model's layers that hold weights, in order. */
const weightLayers = (model: tf.LayersModel) => model.layers.filter((l) => l.trainableWeights.length > 0);

/**
 * A DefenseTrainer that pretrains `model` on `publicData` (its classes `publicClasses`, one per output) for
 * `pretrainEpochs`, then re-initialises the head and trains only the last `fineTuned` weight layers on `privateData`
 * for `config.epochs`.
 */
export function transferTrainer(model: tf.LayersModel, publicData: DigitSet, privateData: DigitSet, config: TrainConfig,
  publicClasses: readonly number[], pretrainEpochs: number, fineTuned: number): DefenseTrainer {
  const layers = weightLayers(model);
  if (publicClasses.length !== config.numClasses) {
    throw new Error(`TL-DMI reuses the head's size: ${publicClasses.length} public classes for ${config.numClasses} private ones`);
  }
  if (!Number.isInteger(fineTuned) || fineTuned < 1 || fineTuned > layers.length) {
    throw new Error(`TL-DMI: fine-tuned layers must be a whole number in 1..${layers.length} (got ${fineTuned})`);
  }
  const pretrain = new ClassifierTrainer(model, publicData, { ...config, epochs: pretrainEpochs, classOf: (d) => publicClasses.indexOf(d) });
  const tuned = layers.slice(layers.length - fineTuned);
  let fineTune: ClassifierTrainer | null = null;
  const startFineTuning = () => {
    // A fresh head for the private classes (the public head's classes mean nothing to them).
    const head = layers[layers.length - 1];
    const [kernel, bias] = head.getWeights();
    const fresh = [tf.initializers.glorotUniform({ seed: config.seed + 7 }).apply(kernel.shape), ...(bias ? [tf.zerosLike(bias)] : [])];
    head.setWeights(fresh);
    tf.dispose(fresh);
    fineTune = new ClassifierTrainer(model, privateData, { ...config, variables: () => tuned.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)) });
  };
  if (pretrainEpochs === 0) startFineTuning();
  const publicSteps = pretrainEpochs * pretrain.batchesPerEpoch;
  return {
    model,
    totalSteps: publicSteps + config.epochs * Math.ceil(privateData.count / config.batchSize),
    totalEpochs: pretrainEpochs + config.epochs,
    get batchesPerEpoch() { return (fineTune ?? pretrain).batchesPerEpoch; },
    get done() { return fineTune?.done ?? false; },
    async step(wantStats = false): Promise<DefenseStats> {
      const phase = fineTune ? 'private' : 'public';
      const { loss, terms, trainAccuracy, ...s } = await (fineTune ?? pretrain).step(wantStats);
      if (!fineTune && pretrain.done) startFineTuning();
      // Epochs count on from the public ones, so the run's progress reads as one schedule.
      const stats: DefenseStats = { ...s, epoch: s.epoch + (phase === 'private' ? pretrainEpochs : 0), done: fineTune?.done ?? false, phase };
      if (phase === 'public' && pretrain.done) Object.assign(stats, { epoch: pretrainEpochs, batch: 0 });
      return loss === null ? stats : { ...stats, losses: terms ?? { loss }, trainAccuracy };
    },
    dispose() { pretrain.dispose(); fineTune?.dispose(); model.dispose(); },
  };
}
