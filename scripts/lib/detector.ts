// Trapdoor detection for a shipped Trap-MID target (Node side of `mi detect` and the measurements).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODELS_DIR, loadModelFromDir, loadSplits } from './node-io.ts';
import { readManifest } from './manifest.ts';
import { findModel, type TrapdoorInfo } from '../../src/core/nets/manifest.ts';
import { withFeatures } from '../../src/core/nets/architectures.ts';
import { imagesToTensor, subset } from '../../src/core/data/mnist.ts';
import { percentile, trapdoorScores, trapdoorSignatures } from '../../src/core/metrics/trapdoor.ts';

export class TrapdoorDetector {
  private constructor(readonly featureModel: tf.LayersModel, readonly signatures: Float32Array[], readonly threshold: number, readonly info: TrapdoorInfo) {}

  /** Signatures from 500 private training images per trigger; threshold = 95th percentile of 2,000 clean training scores. */
  static async forTarget(id: string): Promise<TrapdoorDetector> {
    const entry = findModel(readManifest(), id);
    if (!entry.trapdoor) throw new Error(`'${id}' has no trapdoor (only Trap-MID targets do)`);
    const info = entry.trapdoor;
    const model = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const featureModel = withFeatures(model);
    const raw = fs.readFileSync(path.join(MODELS_DIR, info.triggers));
    const triggers = tf.tensor4d(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), [entry.classes.length, 28, 28, 1]);
    const { privateTrain } = loadSplits();
    const signatures = await trapdoorSignatures(featureModel, privateTrain, triggers, info.alpha, info.injection);
    triggers.dispose();
    const clean = subset(privateTrain, Array.from({ length: 2000 }, (_, i) => 1000 + i));
    const x = imagesToTensor(clean, Array.from({ length: clean.count }, (_, i) => i));
    const cleanScores = (await trapdoorScores(featureModel, x, signatures)).map((s) => s.score);
    x.dispose();
    return new TrapdoorDetector(featureModel, signatures, percentile(cleanScores, 0.95), info);
  }

  /** Score of each 28x28 image (values in [0, 1]) and the target's predicted class. */
  async score(images: Float32Array[]): Promise<{ score: number; predicted: number }[]> {
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im))), [images.length, 28, 28, 1]);
    const scores = await trapdoorScores(this.featureModel, x, this.signatures);
    x.dispose();
    return scores;
  }
}
