// Trapdoor detection for a shipped Trap-MID target in Node (`mi detect`, `mi attack` on a Trap-MID target).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODELS_DIR, loadFaceSplits, loadModelFromDir, loadSplits } from './node-io.ts';
import { readManifest } from './manifest.ts';
import { findModel } from '../../src/core/nets/manifest.ts';
import { TrapdoorDetector } from '../../src/core/metrics/trapdoor.ts';
import { triggerShape, type Injection } from '../../src/core/defenses/trap-mid.ts';
import { type DigitSet, filterDigits, imagesToTensor } from '../../src/core/data/mnist.ts';
import { datasetOf } from '../../src/core/data/datasets.ts';

/** Reads a Trap-MID target's triggers (float32, shaped as its injection's: trap-mid.ts triggerShape). */
export function readTriggers(file: string, classes: number, injection: Injection = 'blend', side = 28): tf.Tensor4D {
  const raw = fs.readFileSync(path.join(MODELS_DIR, file));
  const shape = triggerShape(injection, classes, side);
  if (raw.byteLength !== shape.reduce((a, b) => a * b, 4)) throw new Error(`${file}: ${raw.byteLength} bytes, expected ${shape.join(' x ')} float32 for '${injection}'`);
  return tf.tensor4d(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), shape);
}

/** The private training and public images of the data set `dataset` names (absent: MNIST). */
async function splitsOf(dataset: string | undefined): Promise<{ privateTrain: DigitSet; publicSet: DigitSet }> {
  return datasetOf(dataset).id === 'faces' ? loadFaceSplits() : loadSplits();
}

/** The detector of shipped target `id`, built on 500 private training images per class (on faces: all 8 per person). */
export async function detectorFor(id: string): Promise<TrapdoorDetector> {
  const entry = findModel(readManifest(), id);
  if (!entry.trapdoor) throw new Error(`'${id}' has no trapdoor (only Trap-MID targets do)`);
  const model = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
  const triggers = readTriggers(entry.trapdoor.triggers, entry.classes.length, entry.trapdoor.injection, datasetOf(entry.dataset).side);
  const reference = filterDigits((await splitsOf(entry.dataset)).privateTrain, entry.classes, 500);
  const detector = await TrapdoorDetector.build(model, triggers, entry.trapdoor.alpha, entry.trapdoor.injection, reference);
  triggers.dispose();
  return detector;
}

/** Scores of square images given as arrays of values in [0, 1]. */
export async function scoreImages(detector: TrapdoorDetector, images: Float32Array[]): Promise<{ score: number; predicted: number }[]> {
  const side = Math.round(Math.sqrt(images[0].length));
  const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im))), [images.length, side, side, 1]);
  const scores = await detector.score(x);
  x.dispose();
  return scores;
}

/**
 * Scores of up to `n` public images (digits 5-9; on faces the 200 public photos), spread over the set: what an
 * attacker's own data looks like to the detector.
 */
export async function publicScores(detector: TrapdoorDetector, n = 500, dataset?: string): Promise<number[]> {
  const pub = (await splitsOf(dataset)).publicSet;
  const count = Math.min(n, pub.count);
  const x = imagesToTensor(pub, Array.from({ length: count }, (_, i) => Math.floor((i * pub.count) / count)));
  const scores = (await detector.score(x)).map((s) => s.score);
  x.dispose();
  return scores;
}
