// The faces data set end to end on the real Olivetti files: checksum-verified parsing, the people split (no private
// training face may leak into test or public data), the descriptor driving image shapes, an MI-Face step and a GMI
// run on the eigenface prior at 64 x 64, the face-specific augmentation (mirror, edge fill instead of black), and
// the faces' GAN: its 64 x 64 architecture, DiffAugment, a conditional GAN step and PLG-MI on it.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFaceSplits } from '../../scripts/lib/node-io.ts';
import {
  ChecksumError, FACES_FILES, FACE_SIDE, parseFaces, privatePeople, publicPeople, splitFaces,
} from '../../src/core/data/faces.ts';
import { DATASETS, DATASET_IDS, datasetOf, isDatasetId, pixelsPerImage } from '../../src/core/data/datasets.ts';
import { type ImageSet, encodeIdxImages, encodeIdxLabels, imagesToTensor, parseDigitSet, subset } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { buildSoftmaxTarget, buildTargetFor } from '../../src/core/nets/architectures.ts';
import { miFace } from '../../src/core/attacks/mi-face.ts';
import { gmi } from '../../src/core/attacks/gmi.ts';
import { eigenConditionalGenerator, eigenGenerator, fitEigenfaces } from '../../src/core/priors/eigenfaces.ts';
import { buildDiscriminator, buildGenerator } from '../../src/core/nets/gan.ts';
import { GanTrainer, pseudoLabel } from '../../src/core/priors/gan-trainer.ts';
import { diffAugment } from '../../src/core/data/augment.ts';
import { plgMi } from '../../src/core/attacks/plg-mi.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

const PX = FACE_SIDE * FACE_SIDE;
let s: Awaited<ReturnType<typeof loadFaceSplits>>;
beforeAll(async () => {
  await useWasm();
  s = await loadFaceSplits();
});

const key = (set: ImageSet, i: number) => set.images.subarray(i * PX, (i + 1) * PX).join(',');
const perLabel = (set: ImageSet) => {
  const m = new Map<number, number>();
  for (const l of set.labels) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
};

describe('the Olivetti files and the people split', () => {
  it('parses 400 distinct 64 x 64 faces, ten of each of 40 people', () => {
    expect(s.all.count).toBe(400);
    expect(s.all.side).toBe(64);
    expect(s.all.images.length).toBe(400 * PX);
    const counts = perLabel(s.all);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect([...counts.values()].every((c) => c === 10)).toBe(true);
    // Distinct images: the leak checks below compare faces by their bytes.
    expect(new Set(Array.from({ length: 400 }, (_, i) => key(s.all, i))).size).toBe(400);
  });

  it('splits 20 private and 20 public people, 8 + 2 images per private person, with no private face leaking', () => {
    const priv = privatePeople(), pub = publicPeople();
    expect(priv).toHaveLength(20);
    expect(pub).toHaveLength(20);
    expect(new Set([...priv, ...pub]).size).toBe(40);
    expect([s.privateTrain.count, s.privateTest.count, s.publicSet.count]).toEqual([160, 40, 200]);
    const train = perLabel(s.privateTrain), test = perLabel(s.privateTest), publ = perLabel(s.publicSet);
    expect([...train.keys()].sort((a, b) => a - b)).toEqual(priv);
    for (const p of priv) { expect(train.get(p)).toBe(8); expect(test.get(p)).toBe(2); }
    expect([...publ.keys()].sort((a, b) => a - b)).toEqual(pub);
    for (const p of pub) expect(publ.get(p)).toBe(10);
    const trainKeys = new Set(Array.from({ length: 160 }, (_, i) => key(s.privateTrain, i)));
    for (let i = 0; i < 40; i++) expect(trainKeys.has(key(s.privateTest, i))).toBe(false);
    for (let i = 0; i < 200; i++) expect(trainKeys.has(key(s.publicSet, i))).toBe(false);
    // The descriptor's classes are the same seeded choice.
    expect([...DATASETS.faces.privateClasses]).toEqual(priv);
    expect([...DATASETS.faces.publicClasses]).toEqual(pub);
  });

  it('is deterministic for its seed and changes with the seed', () => {
    const again = splitFaces(s.all);
    expect(Array.from(again.privateTest.images)).toEqual(Array.from(s.privateTest.images));
    expect(privatePeople(7)).toEqual(privatePeople(7));
    expect(privatePeople(7)).not.toEqual(privatePeople());
    const other = splitFaces(s.all, 7);
    expect([...perLabel(other.privateTrain).keys()].sort((a, b) => a - b)).toEqual(privatePeople(7));
  });
});

describe('damaged or foreign files', () => {
  const fileBytes = (set: ImageSet) => [encodeIdxImages(set), encodeIdxLabels(set)] as const;

  it('rejects one flipped byte with a ChecksumError naming the file', async () => {
    const [img, lab] = fileBytes(s.all);
    // Sanity: the re-encoded files are byte-identical to the published ones.
    await expect(parseFaces(img, lab)).resolves.toMatchObject({ count: 400 });
    const badImg = img.slice(); badImg[16 + 1234] ^= 0x01;
    const e = await parseFaces(badImg, lab).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChecksumError);
    expect((e as Error).message).toContain(FACES_FILES.images.name);
    const badLab = lab.slice(); badLab[8] ^= 0x01;
    await expect(parseFaces(img, badLab)).rejects.toThrow(FACES_FILES.labels.name);
  });

  it('gives clear errors for MNIST-sized images and out-of-range people', async () => {
    const digits: ImageSet = { count: 2, images: new Uint8Array(2 * 784).fill(9), labels: Uint8Array.of(1, 2) };
    const [dImg, dLab] = fileBytes(digits);
    await expect(parseFaces(dImg, dLab)).rejects.toThrow(ChecksumError);
    expect(() => parseDigitSet(dImg, dLab, 'Olivetti faces', { side: 64, maxLabel: 39 })).toThrow(/images are 28x28, expected 64x64/);
    const two = subset(s.all, [0, 1]);
    const [fImg] = fileBytes(two);
    const fLab = encodeIdxLabels({ ...two, labels: Uint8Array.of(40, 3) });
    expect(() => parseDigitSet(fImg, fLab, 'Olivetti faces', { side: 64, maxLabel: 39 })).toThrow(/label 40 at 0 is above 39/);
  });
});

describe('the data set descriptor drives the shapes', () => {
  it('builds a target per data set that takes [1, side, side, 1] images', () => {
    for (const id of DATASET_IDS) {
      const d = datasetOf(id);
      expect(isDatasetId(id)).toBe(true);
      const m = buildTargetFor(id, d.privateClasses.length, 1);
      const y = tf.tidy(() => m.predict(tf.zeros([1, d.side, d.side, 1])) as tf.Tensor);
      expect(y.shape).toEqual([1, d.privateClasses.length]);
      expect(pixelsPerImage(d)).toBe(d.side * d.side);
      y.dispose(); m.dispose();
    }
    expect(DATASETS.faces.side).toBe(64);
    expect(datasetOf(undefined).id).toBe('mnist');
    expect(() => datasetOf('nope')).toThrow(/unknown data set/);
    // Names every object has are no data sets either.
    for (const name of ['constructor', 'toString', '__proto__']) expect(() => datasetOf(name)).toThrow(/unknown data set/);
    expect(isDatasetId('nope')).toBe(false);
  });

  it('turns a faces subset into [n, 64, 64, 1] in [0, 1]', () => {
    const t = imagesToTensor(s.privateTrain, [0, 5, 9]);
    expect(t.shape).toEqual([3, 64, 64, 1]);
    const v = t.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(v[PX + 100]).toBeCloseTo(s.privateTrain.images[5 * PX + 100] / 255, 6);
    t.dispose();
  });
});

describe('face-specific augmentation', () => {
  // An image with no black pixel, so a zero fill would show.
  const bright = () => {
    for (let i = 0; i < s.all.count; i++) if (Math.min(...s.all.images.subarray(i * PX, (i + 1) * PX)) > 0) return i;
    throw new Error('no face without black pixels');
  };

  it('mirrors about half of the faces with a seeded rng, and nothing else', () => {
    const idx = Array.from({ length: 16 }, (_, i) => i * 10);
    const plain = imagesToTensor(s.all, idx);
    const flipped = imagesToTensor(s.all, idx, 0, makeRng(3), true);
    const mirrored = tf.reverse(plain, 2);
    const [a, b, m] = [plain.dataSync(), flipped.dataSync(), mirrored.dataSync()];
    let nMirrored = 0;
    for (let k = 0; k < idx.length; k++) {
      const [lo, hi] = [k * PX, (k + 1) * PX];
      const same = maxAbsDiff(a.subarray(lo, hi), b.subarray(lo, hi)) === 0;
      const mir = maxAbsDiff(m.subarray(lo, hi), b.subarray(lo, hi)) === 0;
      expect(same || mir).toBe(true);
      if (mir && !same) nMirrored++;
    }
    expect(nMirrored).toBeGreaterThan(0);
    expect(nMirrored).toBeLessThan(idx.length);
    tf.dispose([plain, flipped, mirrored]);
  });

  it('fills shifted-in pixels with the nearest edge pixel, not black', () => {
    const i = bright(), S = FACE_SIDE, src = s.all.images.subarray(i * PX, (i + 1) * PX);
    const clamp = (v: number) => Math.max(0, Math.min(S - 1, v));
    // rng 0.99: shift (+3, +3), no mirror; rng 0: shift (-3, -3) and mirror.
    for (const [r0, dy, mirror] of [[0.99, 3, false], [0, -3, true]] as const) {
      const t = imagesToTensor(s.all, [i], 3, () => r0, true);
      const out = t.dataSync();
      t.dispose();
      let diff = 0;
      for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) {
        const sc = clamp((mirror ? S - 1 - c : c) - dy), sr = clamp(r - dy);
        diff = Math.max(diff, Math.abs(out[r * S + c] - src[sr * S + sc] / 255));
      }
      expect(diff).toBeLessThan(1e-6);
      expect(Math.min(...out)).toBeGreaterThan(0);
    }
  });
});

describe('attacks at 64 x 64', () => {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

  it('MI-Face raises each attacked person\'s confidence in a few steps and frees its tensors', async () => {
    const target = buildSoftmaxTarget(3, 1);
    const start = tf.memory().numTensors;
    const st = miFace.init({ target, targetClasses: [0, 1, 2] }, { classes: [0, 1, 2], steps: 5, learningRate: 0.05, tv: 0, l2: 0, init: 'zeros', seed: 1 });
    const before = await miFace.snapshot(st);
    for (let k = 0; k < 5; k++) miFace.step(st);
    const after = await miFace.snapshot(st);
    expect(miFace.step(st).done).toBe(true);
    miFace.dispose(st);
    expect(tf.memory().numTensors).toBe(start);
    expect(after.pixels.length).toBe(3 * PX);
    expect(Math.min(...after.pixels)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...after.pixels)).toBeLessThanOrEqual(1);
    for (let c = 0; c < 3; c++) expect(after.targetConfidence[c]).toBeGreaterThan(before.targetConfidence[c]);
    target.dispose();
  });

  it('fits an orthonormal eigenface basis whose explained variance grows with k, and z = 0 gives the mean face', () => {
    const e = fitEigenfaces(s.publicSet, 20), small = fitEigenfaces(s.publicSet, 5);
    expect(e.components.length).toBe(20 * PX);
    const comp = (c: number) => e.components.subarray(c * PX, (c + 1) * PX);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, v, j) => acc + v * b[j], 0);
    for (const [a, b] of [[0, 0], [0, 1], [3, 17], [19, 19], [5, 12]]) expect(Math.abs(dot(comp(a), comp(b)) - (a === b ? 1 : 0))).toBeLessThan(1e-3);
    expect(e.explained).toBeGreaterThan(0);
    expect(e.explained).toBeLessThan(1);
    expect(e.explained).toBeGreaterThan(small.explained);
    for (let c = 1; c < 20; c++) expect(e.sigmas[c]).toBeLessThanOrEqual(e.sigmas[c - 1]);
    const g = eigenGenerator(e);
    const img = tf.tidy(() => g.predict(tf.zeros([1, 20])) as tf.Tensor);
    expect(img.shape).toEqual([1, 64, 64, 1]);
    expect(maxAbsDiff(img.dataSync(), e.mean.map((v) => Math.min(1, Math.max(0, v))))).toBeLessThan(1e-5);
    img.dispose(); g.dispose();
  });

  it('GMI on the eigenface prior uses the ||z||^2 / 2 penalty and frees its tensors', async () => {
    const generator = eigenGenerator(fitEigenfaces(s.publicSet, 20));
    const target = buildSoftmaxTarget(3, 1);
    const start = tf.memory().numTensors;
    const st = gmi.init({ target, targetClasses: [0, 1, 2], prior: { generator, conditional: false } },
      { restarts: 2, steps: 3, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 3, seed: 1 });
    expect(st.z.shape).toEqual([6, 20]);
    const before = await gmi.snapshot(st);
    for (let k = 0; k < 3; k++) gmi.step(st);
    expect(gmi.step(st).done).toBe(true);
    const snap = await gmi.snapshot(st);
    const z = await st.z.data();
    gmi.dispose(st);
    expect(tf.memory().numTensors).toBe(start);
    expect(snap.pixels.length).toBe(6 * PX);
    expect(snap.kept).toHaveLength(3);
    const prior = snap.terms!.prior;
    expect(prior).toHaveLength(6);
    for (let c = 0; c < 6; c++) {
      let half = 0;
      for (let j = 0; j < 20; j++) half += z[c * 20 + j] ** 2 / 2;
      expect(prior[c]).toBeGreaterThanOrEqual(0);
      expect(prior[c]).toBeCloseTo(half, 3);
    }
    expect(Math.max(...z)).toBeLessThanOrEqual(3);
    expect(mean(snap.loss)).toBeLessThan(mean(before.loss));
    target.dispose(); generator.dispose();
  });
});

describe('GAN priors at 64 x 64', () => {
  it('builds generator and (projection) discriminator for the side they are asked for, 28 x 28 as before', () => {
    const g = buildGenerator(1, 20, 64), d = buildDiscriminator(2, 20, 'realness', 64);
    expect(g.outputs[0].shape).toEqual([null, 64, 64, 1]);
    expect(d.inputs.map((i) => i.shape)).toEqual([[null, 64, 64, 1], [null, 20]]);
    expect(d.outputs[0].shape).toEqual([null, 1]);
    const small = buildGenerator(1, 5);
    // The digits' architecture is unchanged: the shipped MNIST priors load into it (models.test checks the weights).
    expect(small.outputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(small.layers.map((l) => l.name)).toEqual(['z', 'y', 'zy', 'project', 'project_act', 'grid', 'up1', 'up1_act', 'image']);
    expect(() => buildGenerator(1, 0, 32)).toThrow(/no GAN architecture for 32 x 32 images/);
    tf.dispose([g, d, small].flatMap((m) => m.weights.map((w) => w.read())));
  });

  it('DiffAugment changes every image, keeps the shape and passes gradients back to its input', () => {
    const x = imagesToTensor(s.publicSet, [0, 1, 2, 3, 4, 5, 6, 7]);
    const start = tf.memory().numTensors;
    const rng = makeRng(3);
    const aug = diffAugment(x, rng);
    expect(aug.shape).toEqual(x.shape);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(aug, x)), [1, 2, 3]).dataSync());
    for (const d of diff) expect(d).toBeGreaterThan(0.1);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(diffAugment(v as tf.Tensor4D, makeRng(3))))(x);
    expect(tf.tidy(() => tf.sum(tf.abs(grad)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([aug, grad]);
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });

  it('the eigenface-space conditional generator trains its MLP only: the eigenface projection stays frozen', async () => {
    const e = fitEigenfaces(s.publicSet, 20);
    const g = eigenConditionalGenerator(e, 4, 1);
    expect(g.outputs[0].shape).toEqual([null, 64, 64, 1]);
    expect(g.inputs.map((i) => i.shape)).toEqual([[null, 100], [null, 4]]);
    const projection = g.getLayer('project').getWeights().map((w) => w.dataSync().slice());
    const target = buildTargetFor('faces', 4, 1);
    const labelled = await pseudoLabel(target, subset(s.publicSet, Array.from({ length: 16 }, (_, i) => i)), 1000);
    const trainer = new GanTrainer(labelled, { epochs: 1, batchSize: 16, learningRate: 1e-3, beta1: 0.5, seed: 1, kind: 'cgan', numClasses: 4, classOf: (c) => c, inversion: { target, weight: 0.2 }, diffAugment: true, generator: g });
    const mlp = g.getLayer('weights').getWeights()[0].dataSync().slice();
    await trainer.step();
    expect(maxAbsDiff(g.getLayer('weights').getWeights()[0].dataSync(), mlp)).toBeGreaterThan(0);
    g.getLayer('project').getWeights().forEach((w, i) => expect(maxAbsDiff(w.dataSync(), projection[i])).toBe(0));
    // Every image is the mean face plus the eigenfaces, clipped: z = 0 of a class is still a face, not noise.
    const img = tf.tidy(() => g.predict([tf.zeros([1, 100]), tf.oneHot([2], 4).toFloat()]) as tf.Tensor);
    expect(tf.tidy(() => tf.mean(img).dataSync()[0])).toBeGreaterThan(0.2);
    img.dispose(); trainer.discriminator.dispose(); trainer.dispose(); g.dispose(); target.dispose();
  });

  it('trains a conditional GAN on faces labelled by a target (DiffAugment on), then PLG-MI searches it; no tensor left behind', async () => {
    const target = buildTargetFor('faces', 4, 1);
    const labelled = await pseudoLabel(target, subset(s.publicSet, Array.from({ length: 32 }, (_, i) => i)), 1000);
    expect(labelled.side).toBe(64);
    expect(labelled.count).toBe(32);
    const start = tf.memory().numTensors;
    const trainer = new GanTrainer(labelled, { epochs: 1, batchSize: 16, learningRate: 2e-4, beta1: 0.5, seed: 1, kind: 'cgan', numClasses: 4, classOf: (c) => c, inversion: { target, weight: 0.2 }, diffAugment: true });
    expect(trainer.generator.outputs[0].shape).toEqual([null, 64, 64, 1]);
    const first = await trainer.step(true);
    const second = await trainer.step(true);
    expect(second.done).toBe(true);
    for (const v of [...Object.values(first.losses!), ...Object.values(second.losses!)]) expect(Number.isFinite(v)).toBe(true);
    const prior = { generator: trainer.generator, conditional: true };
    const st = plgMi.init({ target, targetClasses: [0, 1, 2, 3], prior }, { classes: [0, 1, 2, 3], restarts: 2, steps: 4, learningRate: 0.1, seed: 1, seeds: [1, 2] });
    const z0 = await st.z.data();
    for (let k = 0; k < 4; k++) plgMi.step(st);
    expect(plgMi.step(st).done).toBe(true);
    const after = await plgMi.snapshot(st);
    // Two seeds x 4 people x 2 restarts, each 64 x 64; the latents moved (a freshly built G barely varies its image,
    // so the loss itself is judged by the measured attack, README "Faces").
    expect(after.pixels.length).toBe(2 * 4 * 2 * PX);
    expect(after.kept).toHaveLength(8);
    expect(maxAbsDiff(await st.z.data(), z0)).toBeGreaterThan(0.1);
    for (const l of after.loss) expect(Number.isFinite(l)).toBe(true);
    plgMi.dispose(st);
    trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
    expect(tf.memory().numTensors).toBe(start);
    target.dispose();
  });
});
