// npm run train [-- --only target|evaluator] [--epochs N] [--seed S] [--backend wasm|cpu]
// Trains the shipped models on real MNIST with the shared core, writes them under models/ and updates the manifest.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { loadSplits, nodeBackend, saveModel, MODELS_DIR } from './lib/node-io.ts';
import { upsertManifestEntry } from './lib/manifest.ts';
import { buildEvaluator, buildTarget } from '../src/core/nets/architectures.ts';
import { ClassifierTrainer, accuracy, type TrainConfig } from '../src/core/train.ts';
import { PRIVATE_CLASSES, filterDigits, type DigitSet } from '../src/core/data/mnist.ts';
import type { ModelEntry } from '../src/core/nets/manifest.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string' },
  },
});

interface Recipe {
  id: string;
  role: ModelEntry['role'];
  classes: number[];
  architecture: string;
  dataSplit: string;
  build: (seed: number) => tf.LayersModel;
  train: DigitSet;
  test: DigitSet;
  config: Omit<TrainConfig, 'seed' | 'classOf' | 'numClasses'>;
}

const splits = loadSplits();
const recipes: Recipe[] = [
  {
    id: 'target-none', role: 'target', classes: [...PRIVATE_CLASSES],
    architecture: 'conv3x3(32)-conv3x3/2(64)-dropout(0.25)-dense(128)-dense(5)',
    dataSplit: 'MNIST train digits 0-4 (30,596); accuracy on test digits 0-4 (5,139)',
    build: (seed) => buildTarget(5, seed),
    train: splits.privateTrain, test: splits.privateTest,
    config: { epochs: 4, batchSize: 64, learningRate: 1e-3, shift: 0, lrDecay: 0.6 },
  },
  {
    id: 'evaluator', role: 'evaluator', classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    architecture: '3 x [conv3x3(c)-conv3x3/2(c)], c=32,64,128 (same padding)-dropout(0.4)-dense(256)-dense(10)',
    dataSplit: 'MNIST train, all digits (60,000), shifts of up to 2 px; accuracy on MNIST test (10,000)',
    build: (seed) => buildEvaluator(seed),
    train: splits.train, test: splits.test,
    config: { epochs: 6, batchSize: 128, learningRate: 1.5e-3, shift: 2, lrDecay: 0.6 },
  },
];

const backend = await nodeBackend(args.backend);
console.error(`backend: ${backend.backend}`);
const seed = Number(args.seed);

for (const r of recipes) {
  if (args.only && args.only !== r.id && args.only !== r.role) continue;
  const epochs = args.epochs ? Number(args.epochs) : r.config.epochs;
  const model = r.build(seed);
  const trainer = new ClassifierTrainer(model, r.train, {
    ...r.config, epochs, seed, classOf: (d) => r.classes.indexOf(d), numClasses: r.classes.length,
  });
  const t0 = performance.now();
  let lastLog = 0;
  while (!trainer.done) {
    const log = performance.now() - lastLog > 15000;
    const s = await trainer.step(log);
    if (log) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${s.epoch + 1}/${epochs} batch ${s.batch}/${s.batchesPerEpoch} loss ${s.loss?.toFixed(4)} ` +
        `(${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
    if (s.batch === 0 && s.epoch > 0 && s.epoch < epochs) {
      const acc = await accuracy(model, r.test, (d) => r.classes.indexOf(d));
      console.error(`${r.id} after epoch ${s.epoch}: test accuracy ${(acc * 100).toFixed(2)}%`);
    }
  }
  trainer.dispose();
  const trainSeconds = (performance.now() - t0) / 1000;
  const testAccuracy = await accuracy(model, r.test, (d) => r.classes.indexOf(d));
  const trainAccuracy = await accuracy(model, filterDigits(r.train, r.classes, 2000), (d) => r.classes.indexOf(d));
  const dir = path.join(MODELS_DIR, r.id);
  const { sha256, bytes } = await saveModel(model, dir);
  const entry: ModelEntry = {
    id: r.id, role: r.role, defense: 'none', path: `${r.id}/model.json`, classes: r.classes, input: [28, 28, 1],
    output: 'logits', architecture: r.architecture, params: model.countParams(),
    testAccuracy: Math.floor(testAccuracy * 1e4) / 1e4, trainAccuracy: Math.floor(trainAccuracy * 1e4) / 1e4,
    dataSplit: r.dataSplit, trainCommand: `npm run train -- --only ${r.id} --seed ${seed}${args.epochs ? ` --epochs ${epochs}` : ''}`,
    seed, epochs, trainSeconds: Math.round(trainSeconds), trainBackend: backend.backend, sha256, bytes,
  };
  upsertManifestEntry(entry);
  console.log(JSON.stringify({ id: r.id, testAccuracy, trainSeconds: Math.round(trainSeconds) }));
  model.dispose();
}
