// How each shipped model is trained (used by `npm run train` and `npm run mi -- train`), and the one training loop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { loadSplits, saveModel } from './node-io.ts';
import { buildEvaluator, buildTarget } from '../../src/core/nets/architectures.ts';
import { ClassifierTrainer, accuracy, type TrainConfig } from '../../src/core/train.ts';
import { NEGLS_ALPHA, neglsSchedule } from '../../src/core/defenses/negls.ts';
import { buildMidTarget, midLoss, midVariables } from '../../src/core/defenses/mid.ts';
import { TrapMidTrainer, TRAP_MID_DEFAULTS, blendTriggers } from '../../src/core/defenses/trap-mid.ts';
import { otherLabels, rocAuc, trapdoorAccuracy } from '../../src/core/metrics/trapdoor.ts';
import { PRIVATE_CLASSES, filterDigits, imagesToTensor, type DigitSet } from '../../src/core/data/mnist.ts';
import type { ModelEntry } from '../../src/core/nets/manifest.ts';

/** What the training loop needs of any trainer. */
interface Trainer {
  readonly done: boolean;
  step(log: boolean): Promise<{ epoch: number; batch: number; batchesPerEpoch: number; summary: string }>;
  /** Extra files and manifest fields once trained (e.g. Trap-MID's triggers). */
  finish(dir: string): Promise<Partial<ModelEntry>>;
  dispose(): void;
}

export interface Recipe {
  id: string;
  role: ModelEntry['role'];
  defense: string;
  classes: number[];
  architecture: string;
  dataSplit: string;
  epochs: number;
  train: DigitSet;
  test: DigitSet;
  /** A fresh model and the trainer that trains it. */
  make: (seed: number, epochs: number) => { model: tf.LayersModel; trainer: Trainer };
}

const splits = loadSplits();
const private5 = (d: number) => d;

type ClassifierExtras = Pick<TrainConfig, 'labelSmoothing' | 'loss' | 'variables'>;

function classifier(model: tf.LayersModel, data: DigitSet, classes: number[], cfg: { batchSize: number; learningRate: number; shift: number; lrDecay: number } & ClassifierExtras, seed: number, epochs: number): Trainer {
  const t = new ClassifierTrainer(model, data, { ...cfg, epochs, seed, classOf: (d) => classes.indexOf(d), numClasses: classes.length });
  return {
    get done() { return t.done; },
    async step(log) { const s = await t.step(log); return { ...s, summary: `loss ${s.loss?.toFixed(4)}` }; },
    finish: async () => ({}),
    dispose: () => t.dispose(),
  };
}

function trapMid(model: tf.LayersModel, seed: number, epochs: number): Trainer {
  const t = new TrapMidTrainer(model, splits.privateTrain, { ...TRAP_MID_DEFAULTS, epochs, seed, numClasses: 5, classOf: private5 });
  const c = t.config;
  return {
    get done() { return t.done; },
    async step(log) {
      const s = await t.step(log);
      const l = s.losses;
      return { ...s, summary: l ? `clean ${l.clean.toFixed(3)} trap ${l.trapdoor.toFixed(3)} D ${l.discriminator.toFixed(3)} nat ${l.triggerNatural.toFixed(3)}` : '' };
    },
    async finish(dir) {
      const test = splits.privateTest;
      const trapAcc = await trapdoorAccuracy(model, test, private5, t.triggers, c.alpha, seed, 500, c.injection);
      // Naturalness: can the discriminator tell clean test images from triggered ones?
      const idx = Array.from({ length: 2000 }, (_, i) => i);
      const tl = otherLabels(idx.map((i) => test.labels[i]), 5, seed + 1);
      const [dClean, dTrig] = tf.tidy(() => {
        const x = imagesToTensor(test, idx);
        const xt = blendTriggers(x, t.triggers, tf.oneHot(tf.tensor1d(Array.from(tl), 'int32'), 5).toFloat() as tf.Tensor2D, c.alpha, c.injection);
        return [t.discriminator.predict(x) as tf.Tensor, t.discriminator.predict(xt) as tf.Tensor];
      });
      const auc = rocAuc(await dClean.data(), await dTrig.data());
      tf.dispose([dClean, dTrig]);
      const triggers = new Uint8Array((await t.triggers.data() as Float32Array).slice().buffer);
      fs.writeFileSync(path.join(dir, 'triggers.bin'), triggers);
      console.error(`trapdoor accuracy ${(trapAcc * 100).toFixed(2)}%, naturalness AUC ${auc.toFixed(3)}`);
      return {
        trapdoor: {
          triggers: `${path.basename(dir)}/triggers.bin`, triggersSha256: createHash('sha256').update(triggers).digest('hex'),
          alpha: c.alpha, injection: c.injection, beta: c.beta, naturalness: c.naturalness, naturalnessWeight: c.naturalnessWeight,
          trapdoorAccuracy: Math.floor(trapAcc * 1e4) / 1e4, naturalnessAuc: Number(auc.toFixed(4)),
        },
      };
    },
    dispose: () => t.dispose(),
  };
}

const TARGET_ARCH = 'conv3x3(32)-conv3x3/2(64)-dropout(0.25)-dense(128)-dense(5)';
const TARGET_TRAINING = { batchSize: 64, learningRate: 1e-3, shift: 0, lrDecay: 0.6 };
/** MID's beta (the paper sweeps 0.003-0.01 on MNIST). */
const MID_BETA = 0.01;

const PRIVATE_SPLIT = 'MNIST train digits 0-4 (30,596); accuracy on test digits 0-4 (5,139)';
const withModel = (model: tf.LayersModel, trainer: (m: tf.LayersModel) => Trainer) => ({ model, trainer: trainer(model) });

export const RECIPES: Recipe[] = [
  {
    id: 'target-none', role: 'target', defense: 'none', classes: [...PRIVATE_CLASSES], architecture: TARGET_ARCH,
    dataSplit: PRIVATE_SPLIT, epochs: 4, train: splits.privateTrain, test: splits.privateTest,
    make: (seed, epochs) => withModel(buildTarget(5, seed), (m) => classifier(m, splits.privateTrain, [...PRIVATE_CLASSES], TARGET_TRAINING, seed, epochs)),
  },
  {
    id: 'evaluator', role: 'evaluator', defense: 'none', classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    architecture: '3 x [conv3x3(c)-conv3x3/2(c)], c=32,64,128 (same padding)-dropout(0.4)-dense(256)-dense(10)',
    dataSplit: 'MNIST train, all digits (60,000), shifts of up to 2 px; accuracy on MNIST test (10,000)', epochs: 6,
    train: splits.train, test: splits.test,
    make: (seed, epochs) => withModel(buildEvaluator(seed), (m) => classifier(m, splits.train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { batchSize: 128, learningRate: 1.5e-3, shift: 2, lrDecay: 0.6 }, seed, epochs)),
  },
  {
    id: 'target-negls', role: 'target', defense: 'negls', classes: [...PRIVATE_CLASSES], architecture: TARGET_ARCH,
    dataSplit: `${PRIVATE_SPLIT}; negative label smoothing ${NEGLS_ALPHA} from mid-training`, epochs: 4,
    train: splits.privateTrain, test: splits.privateTest,
    make: (seed, epochs) => withModel(buildTarget(5, seed), (m) => classifier(m, splits.privateTrain, [...PRIVATE_CLASSES],
      { ...TARGET_TRAINING, labelSmoothing: (p) => neglsSchedule(NEGLS_ALPHA, p) }, seed, epochs)),
  },
  {
    id: 'target-mid', role: 'target', defense: 'mid', classes: [...PRIVATE_CLASSES],
    architecture: 'conv3x3(32)-conv3x3/2(64)-dropout(0.25)-dense(128)-VIB(32: mu, softplus(s-5))-dense(5) on mu',
    dataSplit: `${PRIVATE_SPLIT}; information bottleneck beta ${MID_BETA}`, epochs: 4,
    train: splits.privateTrain, test: splits.privateTest,
    make: (seed, epochs) => {
      const mid = buildMidTarget(5, seed);
      let batch = 0; // the bottleneck's noise is seeded per batch: a retrain gives the same model
      return withModel(mid.model, (m) => classifier(m, splits.privateTrain, [...PRIVATE_CLASSES],
        { ...TARGET_TRAINING, loss: (_model, x, y) => midLoss(mid, MID_BETA, x, y, seed * 1_000_003 + batch++), variables: () => midVariables(mid) }, seed, epochs));
    },
  },
  {
    id: 'target-trap-mid', role: 'target', defense: 'trap-mid', classes: [...PRIVATE_CLASSES], architecture: TARGET_ARCH,
    dataSplit: `${PRIVATE_SPLIT}; trapdoor triggers learned alongside`, epochs: 3,
    train: splits.privateTrain, test: splits.privateTest, make: (seed, epochs) => withModel(buildTarget(5, seed), (m) => trapMid(m, seed, epochs)),
  },
];


/**
 * Train `recipe` to the end, logging every ~15 s to stderr, save it into `dir` and return its manifest entry
 * (`path` relative to the parent of `dir`).
 */
export async function trainRecipe(r: Recipe, opts: { seed: number; epochs?: number; dir: string; backend: string; command: string }): Promise<ModelEntry> {
  const epochs = opts.epochs ?? r.epochs;
  const { model, trainer } = r.make(opts.seed, epochs);
  const classOf = (d: number) => r.classes.indexOf(d);
  const t0 = performance.now();
  let lastLog = 0;
  while (!trainer.done) {
    const log = performance.now() - lastLog > 15000;
    const s = await trainer.step(log);
    if (log) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${s.epoch + 1}/${epochs} batch ${s.batch}/${s.batchesPerEpoch} ${s.summary} ` +
        `(${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
    if (s.batch === 0 && s.epoch > 0 && s.epoch < epochs) {
      console.error(`${r.id} after epoch ${s.epoch}: test accuracy ${((await accuracy(model, r.test, classOf)) * 100).toFixed(2)}%`);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const testAccuracy = await accuracy(model, r.test, classOf);
  const trainAccuracy = await accuracy(model, filterDigits(r.train, r.classes, 2000), classOf);
  const { sha256, bytes } = await saveModel(model, opts.dir);
  const extra = await trainer.finish(opts.dir);
  trainer.dispose();
  const entry: ModelEntry = {
    id: r.id, role: r.role, defense: r.defense, path: `${path.basename(opts.dir)}/model.json`, classes: r.classes, input: [28, 28, 1],
    output: 'logits', architecture: r.architecture, params: model.countParams(),
    testAccuracy: Math.floor(testAccuracy * 1e4) / 1e4, trainAccuracy: Math.floor(trainAccuracy * 1e4) / 1e4,
    dataSplit: r.dataSplit, trainCommand: opts.command, seed: opts.seed, epochs, trainSeconds: Math.round(trainSeconds),
    trainBackend: opts.backend, sha256, bytes, ...extra,
  };
  model.dispose();
  return entry;
}
