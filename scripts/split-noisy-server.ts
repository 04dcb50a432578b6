// npx tsx scripts/split-noisy-server.ts [--target target-none] [--noise 0.5] [--batches 200] [--seed 1] [--backend wasm|cpu]
// The other half of Titcombe et al.'s defense, as an experiment (nothing is saved): the paper trains its split network
// with the noise on, so that the server half learns to read noisy features. Here the client half (conv1) stays as
// shipped (its output, hence what the split attack decodes, is unchanged) and the server half (conv2 .. logits) is
// fine-tuned on the private training digits' conv1 features carrying Laplace noise of scale b (Adam, lr 1e-3, batches
// of 64). Prints the split's accuracy on all private test digits with that noise before and after, and without noise
// after. The README's split-learning table quotes it beside the attack's figures, which do not depend on the server half.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, loadSplits, MODELS_DIR, nodeBackend } from './lib/node-io.ts';
import { readManifest } from './lib/manifest.ts';
import { SPLIT_LAYER, SplitClient, splitAccuracy } from '../src/core/attacks/split-inversion.ts';
import { imagesToTensor } from '../src/core/data/mnist.ts';
import { BatchCursor } from '../src/core/data/batches.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'target-none' }, noise: { type: 'string', default: '0.5' }, batches: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' }, backend: { type: 'string' },
  },
});
const noise = Number(values.noise), batches = Number(values.batches), seed = Number(values.seed);
if (!(noise >= 0) || !Number.isInteger(batches) || batches < 1 || !Number.isInteger(seed)) {
  console.error('split-noisy-server: --noise must be >= 0, --batches a whole number >= 1, --seed a whole number');
  process.exit(2);
}
const entry = readManifest().models.find((m) => m.id === values.target && m.role === 'target');
if (!entry) {
  console.error(`split-noisy-server: no target '${values.target}'`);
  process.exit(2);
}
await nodeBackend(values.backend);
const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
const { privateTrain, privateTest } = loadSplits();
const all = Array.from({ length: privateTest.count }, (_, i) => i);
const before = await splitAccuracy(target, entry.classes, privateTest, all, noise, seed + 10);
const client = new SplitClient(target, noise, seed);
const serverLayers = target.layers.slice(target.layers.findIndex((l) => l.name === SPLIT_LAYER) + 1);
const vars = serverLayers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
const optimizer = tf.train.adam(1e-3);
const cursor = new BatchCursor(privateTrain.count, 64, seed);
const t0 = performance.now();
for (let i = 0; i < batches; i++) {
  const idx = Array.from(cursor.next());
  cursor.advance();
  const x = imagesToTensor(privateTrain, idx);
  const features = client.send(x);
  const labels = tf.oneHot(tf.tensor1d(idx.map((j) => entry.classes.indexOf(privateTrain.labels[j])), 'int32'), entry.classes.length);
  const loss = optimizer.minimize(() => {
    let h: tf.Tensor = features;
    for (const layer of serverLayers) h = layer.apply(h, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(labels, h) as tf.Scalar;
  }, true, vars)!;
  if (i % 50 === 0) console.error(`batch ${i}: loss ${(await loss.data())[0].toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  tf.dispose([x, features, labels, loss]);
}
const seconds = Math.round((performance.now() - t0) / 1000);
const after = await splitAccuracy(target, entry.classes, privateTest, all, noise, seed + 10);
const clean = await splitAccuracy(target, entry.classes, privateTest, all, 0, seed + 10);
optimizer.dispose();
target.dispose();
console.log(JSON.stringify({ target: entry.id, noise, batches, seconds, images: all.length, accuracyBefore: before, accuracyAfter: after, cleanAccuracyAfter: clean }));
