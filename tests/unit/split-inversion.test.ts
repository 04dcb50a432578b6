// The split-learning inversion attack and its defense (Laplacian noise on the split features, Titcombe et al. 2021) on
// tiny inputs: the split's client half is exactly the target's conv1 and both halves together are the target; the
// noise has the right scale and is seeded; the decoder's loss falls in a few steps; every image the client runs for
// the attacker is counted (the victims' features are not); the attacker only ever runs the server half itself; the
// noisy split's accuracy; no tensor is left behind over 200 steps.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FEATURE_SHAPE, SPLIT_LAYER, SplitClient, SplitDecoderTrainer, buildSplitDecoder, clientFeatures, copySplitDecoder, decodeFeatures,
  laplaceNoise, pickChannels, serverLogits, splitAccuracy, splitDecoderLoss, splitInversion, type SplitInversionOptions, type SplitVictimSnapshot,
} from '../../src/core/attacks/split-inversion.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { type DigitSet, imagesToTensor } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { mse, ssim } from '../../src/core/metrics/image-quality.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
const FEATURES = FEATURE_SHAPE[0] * FEATURE_SHAPE[1] * FEATURE_SHAPE[2];
let target: tf.LayersModel;

/** `n` images of a blob whose row follows the label, labelled `first`.. (so the classes differ in shape). */
function blobs(n: number, seed: number, first = 5): DigitSet {
  const rng = makeRng(seed);
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const d = first + (i % 5);
    labels[i] = d;
    const r0 = 4 + 4 * (d - first), c0 = 6 + Math.floor(rng() * 10);
    for (let r = r0; r < r0 + 6; r++) for (let c = c0; c < c0 + 8; c++) images[i * 784 + r * 28 + c] = 200 + Math.floor(rng() * 55);
  }
  return { count: n, images, labels };
}

const read = async (t: tf.Tensor) => { const v = await t.data() as Float32Array; t.dispose(); return v; };

beforeAll(async () => {
  await useWasm();
  target = buildTarget(5, 3);
});

describe('the split', () => {
  it('sends exactly the target\'s own conv1 output (after its ReLU), and its two halves together are the target', async () => {
    const x = imagesToTensor(blobs(6, 1), [0, 1, 2, 3, 4, 5]);
    const conv1 = tf.model({ inputs: target.inputs, outputs: target.getLayer(SPLIT_LAYER).output as tf.SymbolicTensor });
    const own = await read(conv1.predict(x) as tf.Tensor);
    const f = clientFeatures(target, x);
    expect(f.shape).toEqual([6, ...FEATURE_SHAPE]);
    expect(maxAbsDiff(await f.data(), own)).toBe(0);
    expect(own.every((v) => v >= 0)).toBe(true);
    // A noise-free client sends the same values.
    expect(maxAbsDiff(await read(new SplitClient(target, 0, 1).send(x)), own)).toBe(0);
    // Server half on the client's features = the whole target (dropout off at inference).
    const split = await read(serverLogits(target, f));
    const whole = await read(target.predict(x) as tf.Tensor);
    expect(maxAbsDiff(split, whole)).toBeLessThan(1e-5);
    tf.dispose([x, f]);
  });

  it('refuses a target without the split layer, and a noise scale out of range', () => {
    const other = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 5 })] });
    expect(() => new SplitClient(other, 0, 1)).toThrow(/conv1/);
    expect(() => new SplitClient(target, -0.1, 1)).toThrow(/noise/);
    expect(() => new SplitClient(target, NaN, 1)).toThrow(/noise/);
    other.dispose();
  });
});

describe('Laplace noise on the sent features', () => {
  it('has mean |noise| = b, mean 0 and variance 2 b^2, and the same seed draws the same noise', async () => {
    for (const b of [0.1, 1]) {
      const v = await read(laplaceNoise([200_000], b, 7));
      const absMean = v.reduce((s, x) => s + Math.abs(x), 0) / v.length;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
      expect(absMean / b).toBeGreaterThan(0.98);
      expect(absMean / b).toBeLessThan(1.02);
      expect(Math.abs(mean) / b).toBeLessThan(0.02);
      expect(variance / (2 * b * b)).toBeGreaterThan(0.95);
      expect(variance / (2 * b * b)).toBeLessThan(1.05);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(Array.from(await read(laplaceNoise([50], 0.5, 3)))).toEqual(Array.from(await read(laplaceNoise([50], 0.5, 3))));
    expect(Array.from(await read(laplaceNoise([50], 0.5, 3)))).not.toEqual(Array.from(await read(laplaceNoise([50], 0.5, 4))));
    expect((await read(laplaceNoise([5], 0, 3))).every((v) => v === 0)).toBe(true);
  });

  it('the client adds it to every value it sends, fresh per send, reproducibly from its seed', async () => {
    const x = imagesToTensor(blobs(4, 2), [0, 1, 2, 3]);
    const clean = await read(clientFeatures(target, x));
    const a = new SplitClient(target, 0.5, 9), b = new SplitClient(target, 0.5, 9);
    const first = await read(a.send(x)), second = await read(a.send(x));
    const diff = first.map((v, i) => v - clean[i]);
    expect(diff.reduce((s, v) => s + Math.abs(v), 0) / diff.length).toBeCloseTo(0.5, 1);
    expect(maxAbsDiff(first, second)).toBeGreaterThan(0.1);
    expect(Array.from(await read(b.send(x)))).toEqual(Array.from(first));
    expect(Array.from(await read(b.send(x)))).toEqual(Array.from(second));
    x.dispose();
  });
});

describe('the decoder', () => {
  it('maps features to 28 x 28 images in [0, 1]; its loss is the mean squared error; copies leave the source alone', async () => {
    const decoder = buildSplitDecoder(1);
    expect(decoder.inputs[0].shape).toEqual([null, ...FEATURE_SHAPE]);
    expect(decoder.outputs[0].shape).toEqual([null, 28, 28, 1]);
    const x = imagesToTensor(blobs(2, 3), [0, 1]);
    const f = clientFeatures(target, x);
    const out = await decodeFeatures(decoder, await f.data() as Float32Array);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    const loss = splitDecoderLoss(decoder, f, x);
    expect((await loss.data())[0]).toBeCloseTo(mse(out, await x.data()), 5);
    const copy = copySplitDecoder(decoder);
    expect(maxAbsDiff(await decodeFeatures(copy, await f.data() as Float32Array), out)).toBeLessThan(1e-6);
    expect(() => copySplitDecoder(tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] }))).toThrow(/split decoder/);
    tf.dispose([x, f, loss]);
    copy.dispose(); decoder.dispose();
  });

  it('a few training steps through the client lower the loss on a fixed batch, and every image sent is counted', async () => {
    const pub = blobs(64, 4);
    const client = new SplitClient(target, 0, 1);
    const decoder = buildSplitDecoder(2);
    const trainer = new SplitDecoderTrainer(decoder, pub, client, { batchSize: 16, learningRate: 3e-3, seed: 1 });
    const x = imagesToTensor(pub, Array.from({ length: 16 }, (_, i) => i));
    const f = clientFeatures(target, x);
    const lossOf = async () => (await read(splitDecoderLoss(decoder, f, x)))[0];
    const before = await lossOf();
    const sent: number[] = [];
    for (let i = 0; i < 15; i++) { await trainer.step(); sent.push(client.sent); }
    expect(await lossOf()).toBeLessThan(before * 0.7);
    // 16 per step, every epoch's images asked again (with noise each answer differs: nothing is cached).
    expect(sent).toEqual(Array.from({ length: 15 }, (_, i) => 16 * (i + 1)));
    trainer.dispose(); decoder.dispose(); tf.dispose([x, f]);
  });
});

describe('the noisy split\'s accuracy', () => {
  it('without noise is the target\'s own accuracy; with a lot of noise it falls', async () => {
    const set = blobs(40, 5, 0);
    const idx = Array.from({ length: 40 }, (_, i) => i);
    const x = imagesToTensor(set, idx);
    const predicted = await read(tf.argMax(target.predict(x) as tf.Tensor, 1));
    x.dispose();
    const own = idx.filter((i) => CLASSES[predicted[i]] === set.labels[i]).length / 40;
    expect(await splitAccuracy(target, CLASSES, set, idx, 0, 1)).toBe(own);
    // Seeded: the same noise, the same figure.
    expect(await splitAccuracy(target, CLASSES, set, idx, 5, 1)).toBe(await splitAccuracy(target, CLASSES, set, idx, 5, 1));
  });
});

describe('the attack', () => {
  const pub = blobs(48, 6);
  /** The victims: one private "digit" of each class, and what their devices sent (their own inferences: not queries). */
  async function victimsOf(noise: number) {
    const set = blobs(5, 8, 0);
    const x = imagesToTensor(set, [0, 1, 2, 3, 4]);
    const features = await read(new SplitClient(target, noise, 99).send(x));
    const pixels = await read(x);
    return { digits: CLASSES, pixels, features };
  }
  /** The target as the attacker holds it: running the client half (conv1) itself would throw. */
  const serverOnly = new Proxy(target ?? {}, {
    get: (t, key) => {
      const real = key === 'layers' ? target.layers.map((l) => (l.name === SPLIT_LAYER ? new Proxy(l, {
        get: (layer, k) => (k === 'apply' ? () => { throw new Error('the attacker ran the client half itself'); } : Reflect.get(layer, k)),
      }) : l)) : Reflect.get(target, key);
      return typeof real === 'function' ? real.bind(target) : real;
    },
  }) as tf.LayersModel;
  const ctxWith = (shipped: tf.LayersModel, t = serverOnly): AttackContext => ({ target: t, targetClasses: CLASSES, prior: { generator: shipped, conditional: false } });
  const optionsWith = async (client: SplitClient, extra: Partial<SplitInversionOptions> = {}): Promise<SplitInversionOptions> => (
    { steps: 3, batchSize: 8, learningRate: 1e-3, seed: 5, publicSet: pub, client, victims: await victimsOf(client.noise), ...extra });

  it('rebuilds each victim from its features, fine-tunes a copy, counts its queries and scores the reconstructions', async () => {
    const shipped = buildSplitDecoder(10);
    const shippedWeights = await Promise.all(shipped.getWeights().map((w) => w.data()));
    const client = new SplitClient(target, 0.2, 5);
    const options = await optionsWith(client, { cleanFeatureSize: 0.1 });
    const s = await splitInversion.init(ctxWith(shipped), options);
    // Before any step the attacker asked the client about its five reconstructions (the victims' features cost nothing).
    expect(client.sent).toBe(5);
    const first = await splitInversion.snapshot(s);
    expect(first.classes).toEqual(CLASSES);
    expect(first.kept).toEqual([0, 1, 2, 3, 4]);
    expect(first.attacked).toEqual(CLASSES);
    expect(maxAbsDiff(first.pixels, await decodeFeatures(shipped, options.victims.features))).toBeLessThan(1e-5);
    first.targetConfidence.forEach((p) => { expect(p).toBeGreaterThan(0); expect(p).toBeLessThanOrEqual(1); });

    let done = false, steps = 0;
    while (!done) { ({ done } = await splitInversion.step(s)); steps++; }
    expect(steps).toBe(3);
    // Three batches of 8 public images, each followed by the 5 reconstructions' check.
    expect(client.sent).toBe(5 + 3 * (8 + 5));
    const last = await splitInversion.snapshot(s);
    expect(last.queries).toBe(client.sent);
    expect(last.step).toBe(3);
    expect(Array.from(last.pixels)).not.toEqual(Array.from(first.pixels));
    last.loss.forEach((l) => expect(l).toBeGreaterThan(0));
    const after = await Promise.all(shipped.getWeights().map((w) => w.data()));
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(shippedWeights[i])));
    // The victims: their received features decoded by the fine-tuned decoder, scored against the originals.
    const v = last.victims as SplitVictimSnapshot;
    expect(v.digits).toEqual(CLASSES);
    expect(v.noise).toBe(0.2);
    expect(Array.from(v.reconstructions)).toEqual(Array.from(last.pixels));
    const at = (a: Float32Array, i: number) => a.subarray(i * 784, (i + 1) * 784);
    expect(v.ssim[3]).toBeCloseTo(ssim(at(last.pixels, 3), at(options.victims.pixels, 3)), 5);
    expect(v.mse[1]).toBeCloseTo(mse(at(last.pixels, 1), at(options.victims.pixels, 1)), 6);
    expect(v.publicSsim).toHaveLength(5);
    expect(v.maps.channels).toHaveLength(4);
    expect(v.maps.pixels.length).toBe(5 * 4 * 26 * 26);
    expect(v.featureSize!.clean).toBe(0.1);
    expect(v.featureSize!.received).toBeGreaterThan(0.2 * 0.9);
    expect(v.accuracy).toBeUndefined();
    const r = await splitInversion.result(s);
    expect(r.classes).toEqual(CLASSES);
    expect(Array.from(r.pixels)).toEqual(Array.from(last.pixels));
    splitInversion.dispose(s);
    shipped.dispose();
  });

  it('measures the noisy split\'s accuracy beside the clean one, and refuses victims that do not match the digits', async () => {
    const shipped = buildSplitDecoder(11);
    const acc = { set: blobs(20, 12, 0), indices: Array.from({ length: 20 }, (_, i) => i) };
    const s = await splitInversion.init(ctxWith(shipped, target), await optionsWith(new SplitClient(target, 3, 5), { accuracyImages: acc }));
    const v = (await splitInversion.snapshot(s)).victims as SplitVictimSnapshot;
    expect(v.accuracy!.images).toBe(20);
    expect(v.accuracy!.clean).toBe(await splitAccuracy(target, CLASSES, acc.set, acc.indices, 0, 7));
    expect(v.accuracy!.noisy).toBe(await splitAccuracy(target, CLASSES, acc.set, acc.indices, 3, 7));
    splitInversion.dispose(s);
    const options = await optionsWith(new SplitClient(target, 0, 5));
    await expect(splitInversion.init(ctxWith(shipped), { ...options, victims: { ...options.victims, features: options.victims.features.slice(FEATURES) } }))
      .rejects.toThrow(/one victim per attacked digit/);
    shipped.dispose();
  });

  it('picks the feature maps that carry the most and scales them into [0, 1]', () => {
    const f = new Float32Array(2 * FEATURES);
    // Channel 7 strong, channel 2 weaker, channel 30 weak; the rest 0.
    for (let p = 0; p < 2 * 26 * 26; p++) { f[p * 32 + 7] = 2; f[p * 32 + 2] = 1; f[p * 32 + 30] = 0.5; }
    const m = pickChannels(f, 2, 3);
    expect(m.channels).toEqual([2, 7, 30]);
    expect(m.side).toBe(26);
    expect(m.scale).toBe(2);
    expect(m.pixels[0]).toBe(0.5);
    expect(m.pixels[26 * 26]).toBe(1);
    expect(Math.max(...m.pixels)).toBeLessThanOrEqual(1);
  });

  it('leaves no tensor behind over 200 steps', async () => {
    const shipped = buildSplitDecoder(12);
    const before = tf.memory().numTensors;
    const s = await splitInversion.init(ctxWith(shipped), await optionsWith(new SplitClient(target, 0.5, 5), { steps: 200, batchSize: 4 }));
    await splitInversion.step(s);
    await splitInversion.snapshot(s);
    const afterOne = tf.memory().numTensors;
    for (let i = 1; i < 200; i++) await splitInversion.step(s);
    await splitInversion.snapshot(s);
    expect(tf.memory().numTensors).toBe(afterOne);
    splitInversion.dispose(s);
    expect(tf.memory().numTensors).toBe(before);
    shipped.dispose();
  }, 120_000);
});

// Through the engine, on the shipped models: the lab's and the CLI's set-up (victims drawn by the seed, the noise on the
// victims' features and on the attacker's queries, the accuracy line) and a benchmark cell, where the reconstructions
// judged are the victims'.
describe('the split attack in the engine', () => {
  const shipped = (manifest: { priors?: { id: string }[] }) => (manifest.priors ?? []).some((p) => p.id === 'split-target-none-disjoint');
  it('runs against target-none with its shipped decoder: one reconstruction per private digit, the victims\'; a benchmark cell', async () => {
    const { readManifest } = await import('../../scripts/lib/manifest.ts');
    if (!shipped(readManifest())) return;
    const { nodeEngine, runGrid } = await import('./helpers.ts');
    const engine = await nodeEngine();
    const config = { attack: 'split-inversion' as const, targetId: 'target-none', knowledge: 'disjoint' as const, params: { steps: 2, splitNoise: 0.5 }, seed: 3, snapshotEvery: 1 };
    const [snap] = await engine.attackSeeds(config, [3]);
    expect(snap.classes).toEqual(CLASSES);
    const v = snap.victims!;
    expect('maps' in v && v.noise).toBe(0.5);
    expect(Array.from(snap.pixels)).toEqual(Array.from(v.reconstructions));
    // 5 checks at the start, then per step a batch of 32 and 5 checks.
    expect(snap.queries).toBe(5 + 2 * (32 + 5));
    if ('maps' in v) {
      expect(v.accuracy!.images).toBe(1000);
      expect(v.accuracy!.noisy).toBeLessThan(v.accuracy!.clean);
      expect(v.featureSize!.received).toBeGreaterThan(v.featureSize!.clean);
    }
    // The victims are the inversion network's for the same seed (the same draw of private test images).
    const [inv] = await engine.attackSeeds({ ...config, attack: 'inversion-net', params: { steps: 1 } }, [3]);
    expect(Array.from(inv.victims!.pixels)).toEqual(Array.from(v.pixels));

    const seen = await runGrid(engine, { defenses: ['target-none'], attacks: ['split-inversion'], seeds: [1], budget: 'browser', knowledge: 'disjoint', steps: 2, referencePerDigit: 12 });
    const cell = seen.flatMap((p) => p.cells).find((c) => c.attack === 'split-inversion')!;
    expect(cell.status, cell.note).toBe('done');
    expect(cell.metrics!.images).toBe(5);
    // Without noise the decoder rebuilds the private test digits themselves: the evaluator reads them all.
    expect(cell.metrics!.top1).toBe(1);
  }, 240_000);
});
