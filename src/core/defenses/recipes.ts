// From a training-time defense to a training run, in one place: `npm run train` (the shipped targets) and the defense
// lab (a target trained live in the browser) both build their target and its trainer here, so they share one code
// path. Every trainer has the same `step()`, whatever the defense: one batch, stats only when asked for.
import * as tf from '@tensorflow/tfjs';
import type { DigitSet } from '../data/mnist.ts';
import { buildTargetFor } from '../nets/architectures.ts';
import { datasetOf, type DatasetId } from '../data/datasets.ts';
import { ClassifierTrainer, type TrainConfig } from '../train.ts';
import { BIDO_DEFAULTS, bidoLoss, withHiddenLayers, type Dependence } from './bido.ts';
import { MID_BETA, buildMidTarget, midLoss, midVariables } from './mid.ts';
import { NEGLS_ALPHA, NEGLS_FLOOR, neglsSchedule } from './negls.ts';
import { TRAP_MID_DEFAULTS, TrapMidTrainer, type Injection, type NaturalnessMode } from './trap-mid.ts';
import { DP_SGD_DEFAULTS, DpSgdTrainer } from './dp-sgd.ts';
import { TL_DMI_DEFAULTS, transferTrainer } from './tl-dmi.ts';

export type DefenseId = 'none' | 'mid' | 'bido' | 'negls' | 'label-smoothing' | 'dp-sgd' | 'tl-dmi' | 'trap-mid' | 'trap-mid-negls';
export const DEFENSE_IDS: readonly DefenseId[] = ['none', 'mid', 'bido', 'negls', 'label-smoothing', 'dp-sgd', 'tl-dmi', 'trap-mid', 'trap-mid-negls'];

/** Positive label smoothing's factor: the NegLS paper's contrast (Struppek et al. 2024 train it at 0.1). */
export const LABEL_SMOOTHING = 0.1;

/** The knobs of every defense; each defense reads its own. */
export interface DefenseKnobs {
  /** MID: weight of the KL term. */
  midBeta: number;
  /** BiDO (see bido.ts): weights of the hidden layers' dependence on the image (down) and on the label (up), and the measure. */
  lambdaX: number;
  lambdaY: number;
  dependence: Dependence;
  /** NegLS and Trap-MID + NegLS: the (negative) label smoothing factor, from mid-training on. */
  smoothing: number;
  /** NegLS: the probability below which a wrong class is pushed no further (0: unbounded, the paper's loss). */
  neglsFloor: number;
  /** Trap-MID (see trap-mid.ts): trigger blend weight, trapdoor loss weight, trigger step, and the trigger step's formulation. */
  alpha: number;
  beta: number;
  triggerStep: number;
  naturalness: NaturalnessMode;
  naturalnessWeight: number;
  injection: Injection;
  /** Trap-MID: scale of the random warps of each batch (1: the shipped ones, 0: none). */
  augmentStrength: number;
  /** Trap-MID: (positive) label smoothing of the clean term. It caps the digits' logit margin, so that the trapdoor,
   *  trained on hard labels, becomes by far the attack's best optimum. 0 is the paper's recipe. */
  cleanSmoothing: number;
  /** Trap-MID: how far a trigger on an image of its own digit is taught towards "unsure" (0 is the paper's recipe). */
  ownDigitSmoothing: number;
  /** Label smoothing (positive): the factor, all through training. */
  labelSmoothing: number;
  /** DP-SGD (see dp-sgd.ts): the noise multiplier sigma and each example's gradient clipping norm C. */
  noiseMultiplier: number;
  clipNorm: number;
  /** TL-DMI (see tl-dmi.ts): epochs on the public classes first, then how many of the last weight layers learn the private ones. */
  pretrainEpochs: number;
  fineTunedLayers: number;
}

/** The shipped targets' knobs. */
export const DEFENSE_DEFAULTS: DefenseKnobs = {
  midBeta: MID_BETA, lambdaX: BIDO_DEFAULTS.lambdaX, lambdaY: BIDO_DEFAULTS.lambdaY, dependence: BIDO_DEFAULTS.dependence, smoothing: NEGLS_ALPHA, neglsFloor: NEGLS_FLOOR,
  alpha: TRAP_MID_DEFAULTS.alpha, beta: TRAP_MID_DEFAULTS.beta, triggerStep: TRAP_MID_DEFAULTS.triggerStep,
  naturalness: TRAP_MID_DEFAULTS.naturalness, naturalnessWeight: TRAP_MID_DEFAULTS.naturalnessWeight, injection: TRAP_MID_DEFAULTS.injection,
  augmentStrength: TRAP_MID_DEFAULTS.augmentStrength,
  cleanSmoothing: 0, ownDigitSmoothing: 0, labelSmoothing: LABEL_SMOOTHING,
  noiseMultiplier: DP_SGD_DEFAULTS.noiseMultiplier, clipNorm: DP_SGD_DEFAULTS.clipNorm,
  pretrainEpochs: TL_DMI_DEFAULTS.pretrainEpochs, fineTunedLayers: TL_DMI_DEFAULTS.fineTunedLayers,
};

/** The optimiser of the plain, MID, BiDO and NegLS targets (Trap-MID's is in TRAP_MID_DEFAULTS). */
export const TARGET_OPTIMISER = { learningRate: 1e-3, shift: 0, lrDecay: 0.6 };

export interface DefenseRun {
  defense: DefenseId;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Digit of each output, in output order. */
  classes: readonly number[];
  /** Missing knobs take DEFENSE_DEFAULTS. */
  knobs?: Partial<DefenseKnobs>;
  /** The data set (absent: MNIST): it picks the target's architecture and the augmentation. */
  dataset?: DatasetId;
}

export interface DefenseStats {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  done: boolean;
  /** Only on steps that asked for stats (a read-back): the batch's loss terms... */
  losses?: Record<string, number>;
  /** ...and the share of training images classified right since the previous ask (dropout and augmentation on). */
  trainAccuracy?: number;
  /** DP-SGD only: the privacy spent so far, epsilon at delta 1e-5 (every step). */
  epsilon?: number;
  /** TL-DMI only: which data the batch came from. */
  phase?: 'public' | 'private';
}

export interface DefenseTrainer {
  /** The model being trained: what is saved and attacked. */
  readonly model: tf.LayersModel;
  readonly batchesPerEpoch: number;
  readonly done: boolean;
  /** One batch; stats (a read-back, which stalls GPU backends) only when `wantStats`. */
  step(wantStats?: boolean): Promise<DefenseStats>;
  /** Trap-MID only: its trainer (triggers, discriminator, config). */
  readonly trapMid?: TrapMidTrainer;
  /** DP-SGD only: its trainer (the accountant, sigma, C). */
  readonly dpSgd?: DpSgdTrainer;
  /** When the run is not `epochs` x `batchesPerEpoch` batches (TL-DMI: its public epochs first). */
  readonly totalSteps?: number;
  /** ...and its epochs in all (TL-DMI: the public ones and the private ones). */
  readonly totalEpochs?: number;
  /** Frees the model and everything that trains it. */
  dispose(): void;
}

/** A trainer for `run.defense` over `data`, with a freshly built target. TL-DMI also needs the public images. */
export function buildDefenseTrainer(run: DefenseRun, data: DigitSet, publicData?: DigitSet): DefenseTrainer {
  const k = { ...DEFENSE_DEFAULTS, ...run.knobs };
  const numClasses = run.classes.length;
  const classOf = (d: number) => run.classes.indexOf(d);
  const ds = datasetOf(run.dataset);
  // Digits train unshifted (the papers' target); 160 faces need their augmentation to generalise.
  // Their 5 batches an epoch also need a gentler learning-rate decay than MNIST's 480.
  const augment = ds.id === 'mnist' ? {} : { shift: ds.augment.shift, flip: ds.augment.flip, lrDecay: 0.97 };
  const config: TrainConfig = { ...TARGET_OPTIMISER, ...augment, epochs: run.epochs, batchSize: run.batchSize, seed: run.seed, classOf, numClasses };
  const buildTarget = (n: number, seed: number) => buildTargetFor(ds.id, n, seed);
  switch (run.defense) {
    case 'none':
      return classifierTrainer(buildTarget(numClasses, run.seed), data, config);
    case 'negls':
      return classifierTrainer(buildTarget(numClasses, run.seed), data, { ...config, labelSmoothing: (p) => neglsSchedule(k.smoothing, p), logProbFloor: k.neglsFloor });
    case 'label-smoothing':
      return classifierTrainer(buildTarget(numClasses, run.seed), data, { ...config, labelSmoothing: () => k.labelSmoothing });
    case 'dp-sgd': {
      const model = buildTarget(numClasses, run.seed);
      const t = new DpSgdTrainer(model, data, {
        epochs: run.epochs, batchSize: run.batchSize, learningRate: DP_SGD_DEFAULTS.learningRate, seed: run.seed, clipNorm: k.clipNorm,
        noiseMultiplier: k.noiseMultiplier, classOf, numClasses, shift: config.shift, flip: config.flip,
      });
      return {
        model, dpSgd: t,
        get batchesPerEpoch() { return t.batchesPerEpoch; },
        get done() { return t.done; },
        async step(wantStats = false) {
          const { clippedShare, ...s } = await t.step(wantStats);
          return clippedShare === undefined ? s : { ...s, losses: { ...s.losses, clipped: clippedShare } };
        },
        dispose() { t.dispose(); model.dispose(); },
      };
    }
    case 'tl-dmi': {
      if (!publicData) throw new Error('TL-DMI pretrains on the public images, and none were given');
      return transferTrainer(buildTarget(numClasses, run.seed), publicData, data, config, ds.publicClasses, k.pretrainEpochs, k.fineTunedLayers);
    }
    case 'mid': {
      // MID builds its own network (the bottleneck inside), for 28 x 28 digits only.
      if (ds.side !== 28) throw new Error(`MID's network takes 28 x 28 images; the ${ds.title} are ${ds.side} x ${ds.side}`);
      const mid = buildMidTarget(numClasses, run.seed);
      let batch = 0; // the bottleneck's noise is seeded per batch: a retrain gives the same model
      return classifierTrainer(mid.model, data, {
        ...config, loss: (_m, x, y) => midLoss(mid, k.midBeta, x, y, run.seed * 1_000_003 + batch++), variables: () => midVariables(mid),
      }, () => mid.trainGraph.getLayer('mid_s').dispose()); // the std head: the only layer the inference model lacks
    }
    case 'bido': {
      const model = buildTarget(numClasses, run.seed);
      const net = withHiddenLayers(model); // shares every weight with `model`: nothing of its own to free
      const c = { ...BIDO_DEFAULTS, lambdaX: k.lambdaX, lambdaY: k.lambdaY, dependence: k.dependence };
      return classifierTrainer(model, data, { ...config, loss: (_m, x, y) => bidoLoss(net, c, x, y) });
    }
    case 'trap-mid':
    case 'trap-mid-negls': {
      const model = buildTarget(numClasses, run.seed);
      const t = new TrapMidTrainer(model, data, {
        ...TRAP_MID_DEFAULTS, epochs: run.epochs, batchSize: run.batchSize, seed: run.seed, numClasses, classOf,
        alpha: k.alpha, beta: k.beta, triggerStep: k.triggerStep, naturalness: k.naturalness, naturalnessWeight: k.naturalnessWeight, injection: k.injection,
        augmentStrength: k.augmentStrength, ownDigitSmoothing: k.ownDigitSmoothing,
        // Trap-MID + NegLS: the clean term's targets are smoothed, with NegLS's ramp-in.
        ...(run.defense === 'trap-mid-negls' ? { labelSmoothing: (p: number) => neglsSchedule(k.smoothing, p) }
          : k.cleanSmoothing !== 0 ? { labelSmoothing: () => k.cleanSmoothing } : {}),
      });
      return {
        model, trapMid: t,
        get batchesPerEpoch() { return t.batchesPerEpoch; },
        get done() { return t.done; },
        async step(wantStats = false) {
          const { losses: l, trainAccuracy, ...s } = await t.step(wantStats);
          return l ? { ...s, losses: { clean: l.clean, trapdoor: l.trapdoor, discriminator: l.discriminator, naturalness: l.triggerNatural }, trainAccuracy } : s;
        },
        dispose() { t.dispose(); model.dispose(); },
      };
    }
    default:
      throw new Error(`unknown defense '${String(run.defense)}' (available: ${DEFENSE_IDS.join(', ')})`);
  }
}

/** Any classifier (a target, the evaluator) trained by ClassifierTrainer, behind the common interface. */
export function classifierTrainer(model: tf.LayersModel, data: DigitSet, config: TrainConfig, disposeExtra?: () => void): DefenseTrainer {
  const t = new ClassifierTrainer(model, data, config);
  return {
    model,
    get batchesPerEpoch() { return t.batchesPerEpoch; },
    get done() { return t.done; },
    async step(wantStats = false) {
      const { loss, terms, trainAccuracy, ...s } = await t.step(wantStats);
      return loss === null ? s : { ...s, losses: terms ?? { loss }, trainAccuracy };
    },
    dispose() { t.dispose(); model.dispose(); disposeExtra?.(); },
  };
}
