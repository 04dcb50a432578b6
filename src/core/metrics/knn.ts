// KNN distance (GMI, KED-MI, PLG-MI papers): for each reconstruction, the smallest squared L2 distance in the
// evaluator's penultimate feature space to a private training image of the attacked class. The index of that
// nearest private image is returned too, so a page can show it beside the reconstruction.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor } from '../data/mnist.ts';
import { withFeatures } from '../nets/architectures.ts';

/** Penultimate features of `images` ([n, side, side, 1]) by a classifier with a 'features' layer: n * d values. */
export async function featuresOf(model: tf.LayersModel, images: tf.Tensor4D, batchSize = 256): Promise<{ values: Float32Array; dim: number }> {
  const fm = withFeatures(model);
  const n = images.shape[0];
  const dim = (fm.outputs[0].shape as number[])[1];
  const values = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const f = tf.tidy(() => (fm.predict(images.slice([start, 0, 0, 0], [size, -1, -1, -1])) as tf.Tensor[])[0]);
    values.set(await f.data() as Float32Array, start * dim);
    f.dispose();
  }
  return { values, dim };
}

/** Features of every image of a digit set, in batches (never the whole set as one tensor). */
export async function setFeatures(model: tf.LayersModel, set: DigitSet, batchSize = 256): Promise<{ values: Float32Array; dim: number }> {
  let dim = 0;
  let values = new Float32Array(0);
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, k) => start + k);
    const x = imagesToTensor(set, idx);
    const f = await featuresOf(model, x, batchSize);
    x.dispose();
    if (!dim) { dim = f.dim; values = new Float32Array(set.count * dim); }
    values.set(f.values, start * dim);
  }
  return { values, dim };
}

/**
 * For each query (features `query`, digit `queryDigits[i]`), the squared L2 distance to the nearest reference
 * feature with the same digit, and that reference's index. Throws when a digit has no reference image.
 */
export function knnDistance(query: ArrayLike<number>, queryDigits: ArrayLike<number>, reference: ArrayLike<number>, referenceDigits: ArrayLike<number>, dim: number): { distance: number[]; nearest: number[] } {
  const distance: number[] = [], nearest: number[] = [];
  for (let i = 0; i < queryDigits.length; i++) {
    let best = Infinity, arg = -1;
    for (let j = 0; j < referenceDigits.length; j++) {
      if (referenceDigits[j] !== queryDigits[i]) continue;
      let d = 0;
      for (let k = 0; k < dim; k++) { const t = query[i * dim + k] - reference[j * dim + k]; d += t * t; }
      if (d < best) { best = d; arg = j; }
    }
    if (arg < 0) throw new Error(`KNN distance: no reference image of digit ${queryDigits[i]}`);
    distance.push(best); nearest.push(arg);
  }
  return { distance, nearest };
}

/** For each query, the label of the nearest reference feature of any label (KNN-label accuracy's lookup). */
export function nearestLabels(query: ArrayLike<number>, reference: ArrayLike<number>, referenceLabels: ArrayLike<number>, dim: number): number[] {
  const n = query.length / dim, labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = Infinity, arg = -1;
    for (let j = 0; j < referenceLabels.length; j++) {
      let d = 0;
      for (let k = 0; k < dim && d < best; k++) { const t = query[i * dim + k] - reference[j * dim + k]; d += t * t; }
      if (d < best) { best = d; arg = j; }
    }
    if (arg < 0) throw new Error('KNN-label: the reference is empty');
    labels.push(referenceLabels[arg]);
  }
  return labels;
}
