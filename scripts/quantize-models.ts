// npm run quantize [-- --dry]: stores every shipped model's weights at the smallest precision that keeps its accuracy,
// re-measured, and records the result in models/manifest.json.
//   - the evaluator: its large kernels in uint8, the rest float16 (it only judges; it never steers an attack);
//   - every other model (targets, students, GAN priors): float16, so attack gradients stay as they were.
// A classifier whose test accuracy moves by more than ACCURACY_TOLERANCE falls back to float16, then float32.
// Models already quantized are left alone; a prior's sample reading is re-measured after the evaluator changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { MODELS_DIR, loadModelFromDir, loadSplits, nodeBackend, sha256File } from './lib/node-io.ts';
import { readManifest } from './lib/manifest.ts';
import { ACCURACY_TOLERANCE, HALF, UINT8_KERNELS, quantizeWeights, weightStorage, type WeightDtype } from './lib/quantize.ts';
import { judgeSamples } from './lib/prior-recipes.ts';
import { readTriggers } from './lib/detector.ts';
import { filterDigits } from '../src/core/data/mnist.ts';
import { datasetOf } from '../src/core/data/datasets.ts';
import { accuracy } from '../src/core/train.ts';
import { trapdoorAccuracy } from '../src/core/metrics/trapdoor.ts';
import type { ModelEntry } from '../src/core/nets/manifest.ts';

const { values } = parseArgs({ options: { dry: { type: 'boolean', default: false } } });
await nodeBackend();
const manifest = readManifest();
const { test, privateTest } = loadSplits();
const floor4 = (v: number) => Math.floor(v * 1e4) / 1e4;

interface Stored { json: { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; modelTopology: object }; data: ArrayBuffer }

function read(dir: string): Stored {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const buf = fs.readFileSync(path.join(dir, 'weights.bin'));
  return { json, data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) };
}

function load(s: Stored, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: s.json.modelTopology, weightSpecs: specs, weightData: data }));
}

function write(dir: string, s: Stored, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): { sha256: string; bytes: number } {
  if (values.dry) return { sha256: '', bytes: data.byteLength };
  const json = { ...s.json, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(data));
  return { sha256: sha256File(path.join(dir, 'weights.bin')), bytes: data.byteLength };
}

const specsOf = (s: Stored) => s.json.weightsManifest.flatMap((g) => g.weights);
const isQuantized = (s: Stored) => specsOf(s).some((w) => w.quantization);

async function classifierAccuracy(m: tf.LayersModel, entry: ModelEntry): Promise<number> {
  const classes = entry.classes;
  return accuracy(m, filterDigits(test, classes), (d) => classes.indexOf(d));
}

// The evaluator first: the priors' sample readings below are re-measured with the evaluator as shipped.
const order = [...manifest.models].sort((a, b) => Number(b.id === 'evaluator') - Number(a.id === 'evaluator'));
for (const entry of order) {
  const dir = path.dirname(path.join(MODELS_DIR, entry.path));
  const stored = read(dir);
  if (isQuantized(stored)) { console.log(`${entry.id}: already ${weightStorage(specsOf(stored))}, left alone`); continue; }
  const plain = await load(stored, specsOf(stored), stored.data);
  const before = await classifierAccuracy(plain, entry);
  plain.dispose();
  let chosen: { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer; acc: number } | undefined;
  const plans: ((spec: tf.io.WeightsManifestEntry, size: number) => WeightDtype)[] = entry.id === 'evaluator' ? [UINT8_KERNELS, HALF] : [HALF];
  for (const plan of plans) {
    const q = quantizeWeights(specsOf(stored), stored.data, plan);
    const m = await load(stored, q.specs, q.data);
    const acc = await classifierAccuracy(m, entry);
    m.dispose();
    console.log(`${entry.id}: ${weightStorage(q.specs)} ${(q.data.byteLength / 1e6).toFixed(2)} MB, accuracy ${(acc * 100).toFixed(2)}% ` +
      `(float32 ${(stored.data.byteLength / 1e6).toFixed(2)} MB, ${(before * 100).toFixed(2)}%)`);
    if (Math.abs(acc - before) <= ACCURACY_TOLERANCE) { chosen = { ...q, acc }; break; }
  }
  if (!chosen) { console.log(`${entry.id}: kept in float32 (no smaller storage keeps its accuracy)`); continue; }
  const files = write(dir, stored, chosen.specs, chosen.data);
  Object.assign(entry, files, {
    testAccuracy: floor4(chosen.acc),
    weights: { storage: weightStorage(chosen.specs), float32Bytes: stored.data.byteLength, float32TestAccuracy: floor4(before) },
  });
  if (entry.trapdoor) {
    const m = await load(stored, chosen.specs, chosen.data);
    const triggers = readTriggers(entry.trapdoor.triggers, entry.classes.length, entry.trapdoor.injection, datasetOf(entry.dataset).side);
    const acc = await trapdoorAccuracy(m, privateTest, (d) => entry.classes.indexOf(d), triggers, entry.trapdoor.alpha, entry.seed, 500, entry.trapdoor.injection);
    m.dispose(); triggers.dispose();
    console.log(`${entry.id}: trapdoor accuracy ${(acc * 100).toFixed(2)}% (was ${(entry.trapdoor.trapdoorAccuracy * 100).toFixed(2)}%)`);
    entry.trapdoor.trapdoorAccuracy = floor4(acc);
  }
}

for (const prior of manifest.priors ?? []) {
  // Faces priors are saved in float16 as trained, and judged by their own recipe; so are the decoders (the inversion
  // network's, the split attack's: one network, no samples to judge).
  if (prior.dataset === 'faces' || prior.kind === 'inv' || prior.kind === 'split' || prior.kind === 'c2f' || prior.kind === 'lokt') continue;
  for (const net of [prior.generator, prior.discriminator!]) {
    const dir = path.dirname(path.join(MODELS_DIR, net.path));
    const stored = read(dir);
    if (isQuantized(stored)) continue;
    const q = quantizeWeights(specsOf(stored), stored.data, HALF);
    Object.assign(net, write(dir, stored, q.specs, q.data), { weights: { storage: weightStorage(q.specs), float32Bytes: stored.data.byteLength } });
  }
  if (values.dry) continue;
  const gen = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path)));
  const quality = await judgeSamples(gen, prior.kind === 'cgan' ? prior.classes!.length : 0, prior.seed);
  gen.dispose();
  console.log(`${prior.id}: samples read as 5-9 ${quality.sampleDigits.slice(5).reduce((a, b) => a + b, 0).toFixed(3)} ` +
    `(was ${prior.sampleDigits!.slice(5).reduce((a, b) => a + b, 0).toFixed(3)})`);
  Object.assign(prior, quality);
}

if (!values.dry) fs.writeFileSync(path.join(MODELS_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(values.dry ? 'dry run: nothing written' : 'models/manifest.json updated');
