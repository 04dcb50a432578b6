// The inversion network (Yang et al. 2019) on tiny inputs: the answer alignment and the decoder's loss as specified,
// a few training steps lower the loss, every training query goes through the oracle and is counted (once per image,
// within the query budget), no tensor is left behind over 200 steps, and the attack's candidates are the decoded
// one-hot prototypes, decoded by a copy of the shipped decoder (which stays as it was).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DecoderTrainer, LOG_OFFSET, alignAnswers, buildInversionDecoder, copyDecoder, decode, decoderLoss, inversionNet, oneHotAnswers, type VictimSnapshot,
} from '../../src/core/attacks/inversion-net.ts';
import { QueryOracle } from '../../src/core/attacks/oracle.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { mse, ssim } from '../../src/core/metrics/image-quality.ts';
import { useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
let target: tf.LayersModel;

/** A tiny random classifier over 5 classes (a dense layer on the pixels). */
function tinyTarget(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed }) }),
  ] });
}

/** `n` images of a blob whose position follows the label (so answers carry information), labelled 5-9. */
function tinyPublic(n: number, seed: number): DigitSet {
  const rng = makeRng(seed);
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const d = 5 + (i % 5);
    labels[i] = d;
    const r0 = 4 + 4 * (d - 5), c0 = 6 + Math.floor(rng() * 10);
    for (let r = r0; r < r0 + 6; r++) for (let c = c0; c < c0 + 8; c++) images[i * 784 + r * 28 + c] = 200 + Math.floor(rng() * 55);
  }
  return { count: n, images, labels };
}

/** A stand-in for the target that fails if the attack touches it (a black-box attack may only use the oracle). */
const untouchable = new Proxy({}, { get: (_, key) => { throw new Error(`a black-box attack touched target.${String(key)}`); } }) as tf.LayersModel;

beforeAll(async () => {
  await useWasm();
  target = tinyTarget(3);
});

describe('answer alignment (truncation and the log encoding)', () => {
  it('keeps the k largest scores as max(0, ln p + c) / c and zeroes the rest, row by row', () => {
    const c = LOG_OFFSET;
    const answers = [0.7, 0.2, 0.1, 0, 0, /* row 2 */ 0, 1e-30, 0.5, 0.25, 0.25];
    const k2 = alignAnswers(answers, 5, 2);
    expect(k2[0]).toBeCloseTo((Math.log(0.7) + c) / c, 6);
    expect(k2[1]).toBeCloseTo((Math.log(0.2) + c) / c, 6);
    expect(Array.from(k2.subarray(2, 5))).toEqual([0, 0, 0]);
    // A tie for second place goes to the lower index.
    expect(k2[7]).toBeCloseTo((Math.log(0.5) + c) / c, 6);
    expect(k2[8]).toBeCloseTo((Math.log(0.25) + c) / c, 6);
    expect(k2[9]).toBe(0);
    // All kept: a score below e^-c (1e-30) or exactly 0 floors at 0; k = 1 keeps the top score alone.
    const all = alignAnswers(answers, 5, 5);
    expect(all[6]).toBe(0);
    expect(all[3]).toBe(0);
    expect(all[2]).toBeCloseTo((Math.log(0.1) + c) / c, 6);
    expect(Array.from(alignAnswers(answers, 5, 1))).toEqual([expect.closeTo((Math.log(0.7) + c) / c, 6), 0, 0, 0, 0, 0, 0, expect.closeTo((Math.log(0.5) + c) / c, 6), 0, 0]);
    // "Surely digit d" aligns to the one-hot itself, whatever k.
    for (const k of [1, 3, 5]) expect(Array.from(alignAnswers(oneHotAnswers([2], 5), 5, k))).toEqual([0, 0, 1, 0, 0]);
    expect(() => alignAnswers(answers, 5, 0)).toThrow(/truncation/);
    expect(() => alignAnswers([0.5, 0.5, 0.5], 5, 1)).toThrow(/rows of 5/);
  });
});

describe('the decoder and its loss', () => {
  it('maps answers to 28 x 28 images in [0, 1], and its loss is the mean squared error to the images', async () => {
    const decoder = buildInversionDecoder(5, 7);
    expect(decoder.outputs[0].shape).toEqual([null, 28, 28, 1]);
    const inputs = tf.tensor2d(alignAnswers([0.9, 0.05, 0.03, 0.01, 0.01, 0.1, 0.2, 0.3, 0.2, 0.2], 5, 5), [2, 5]);
    const pub = tinyPublic(2, 1);
    const images = tf.tensor4d(Float32Array.from(pub.images, (v) => v / 255), [2, 28, 28, 1]);
    const out = await (decoder.predict(inputs) as tf.Tensor).data();
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    const target = await images.data();
    const loss = decoderLoss(decoder, inputs, images);
    expect((await loss.data())[0]).toBeCloseTo(mse(out, target), 5);
    // decode() is the same forward pass, read back.
    expect(Array.from(await decode(decoder, await inputs.data() as Float32Array, 5))).toEqual(Array.from(out).map((v) => expect.closeTo(v, 5)));
    tf.dispose([inputs, images, loss]);
    decoder.dispose();
  });

  it('a few training steps through the oracle lower the loss on a fixed batch', async () => {
    const pub = tinyPublic(64, 2);
    const oracle = new QueryOracle(target, 5);
    const decoder = buildInversionDecoder(5, 8);
    const trainer = new DecoderTrainer(decoder, pub, oracle, { batchSize: 16, learningRate: 3e-3, truncation: 5, seed: 1 });
    const x = tf.tensor4d(Float32Array.from(pub.images.subarray(0, 16 * 784), (v) => v / 255), [16, 28, 28, 1]);
    const inputs = tf.tensor2d(alignAnswers(await new QueryOracle(target, 5).probabilities(x), 5, 5), [16, 5]);
    const lossOf = async () => { const l = decoderLoss(decoder, inputs, x); const v = (await l.data())[0]; l.dispose(); return v; };
    const before = await lossOf();
    for (let i = 0; i < 20; i++) await trainer.step();
    expect(await lossOf()).toBeLessThan(before * 0.8);
    trainer.dispose(); decoder.dispose(); tf.dispose([x, inputs]);
  });
});

describe('queries', () => {
  it('the oracle counts every training query, each public image once, and the trainer stops paying at the budget', async () => {
    const pub = tinyPublic(40, 3);
    const oracle = new QueryOracle(target, 5);
    const decoder = buildInversionDecoder(5, 9);
    const trainer = new DecoderTrainer(decoder, pub, oracle, { batchSize: 16, learningRate: 1e-3, truncation: 5, seed: 2 });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) { await trainer.step(); seen.push(oracle.queries); }
    // 16 + 16 + the epoch's short batch of 8; the second epoch reuses the answers.
    expect(seen).toEqual([16, 32, 40, 40, 40, 40]);
    expect(trainer.answeredCount).toBe(40);
    trainer.dispose();

    const capped = new QueryOracle(target, 5, { kind: 'none' }, 1, 20);
    const t2 = new DecoderTrainer(decoder, pub, capped, { batchSize: 16, learningRate: 1e-3, truncation: 5, seed: 2 });
    const used: number[] = [];
    for (let i = 0; i < 4; i++) used.push((await t2.step()).images);
    expect(capped.queries).toBe(20);
    // 16, then the 4 the budget leaves, then the short batch holds none answered; the next epoch trains on answered ones only.
    expect(used.slice(0, 3)).toEqual([16, 4, 0]);
    expect(used[3]).toBeGreaterThan(0);
    t2.dispose(); decoder.dispose();
  });
});

describe('the attack', () => {
  const pub = tinyPublic(48, 4);
  const options = { steps: 3, batchSize: 8, truncation: 5, learningRate: 1e-3, seed: 5, publicSet: pub };
  const ctxWith = (oracle: QueryOracle, shipped: tf.LayersModel): AttackContext => (
    { target: untouchable, targetClasses: CLASSES, oracle, prior: { generator: shipped, conditional: false } });

  it('decodes one prototype per digit from its one-hot answer, fine-tunes a copy, counts its queries and scores its victims', async () => {
    const shipped = buildInversionDecoder(5, 10);
    const shippedWeights = await Promise.all(shipped.getWeights().map((w) => w.data()));
    const oracle = new QueryOracle(target, 5);
    const victimSet = tinyPublic(5, 9);
    const victimPixels = Float32Array.from(victimSet.images, (v) => v / 255);
    const answers = await new QueryOracle(target, 5).probabilities(tf.tensor4d(victimPixels, [5, 28, 28, 1]));
    const s = await inversionNet.init(ctxWith(oracle, shipped), { ...options, victims: { digits: CLASSES, pixels: victimPixels, answers } });
    // Before any step the prototypes were asked about once (5 queries); the shipped decoder's output is the candidate.
    expect(oracle.queries).toBe(5);
    const first = await inversionNet.snapshot(s);
    expect(first.classes).toEqual(CLASSES);
    expect(first.kept).toEqual([0, 1, 2, 3, 4]);
    expect(first.attacked).toEqual(CLASSES);
    const expected = await decode(shipped, oneHotAnswers([0, 1, 2, 3, 4], 5), 5);
    expect(Array.from(first.pixels)).toEqual(Array.from(expected).map((v) => expect.closeTo(v, 5)));
    first.targetConfidence.forEach((p) => expect(p).toBeGreaterThan(0));

    let done = false, steps = 0;
    while (!done) { ({ done } = await inversionNet.step(s)); steps++; }
    expect(steps).toBe(3);
    // Three batches of 8 public digits, each followed by the 5 prototypes' check.
    expect(oracle.queries).toBe(5 + 3 * (8 + 5));
    const last = await inversionNet.snapshot(s);
    expect(last.queries).toBe(oracle.queries);
    expect(last.step).toBe(3);
    expect(Array.from(last.pixels)).not.toEqual(Array.from(first.pixels));
    last.loss.forEach((l) => expect(l).toBeGreaterThan(0));
    // The shipped decoder is untouched: the run trained its own copy.
    const after = await Promise.all(shipped.getWeights().map((w) => w.data()));
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(shippedWeights[i])));
    // The victims: their answers decoded by the fine-tuned decoder, scored against the originals.
    const v = last.victims as VictimSnapshot;
    expect(v.digits).toEqual(CLASSES);
    expect(v.received[2]).toEqual(Array.from(answers.subarray(10, 15)));
    const recon = await decode(s.decoder, alignAnswers(answers, 5, 5), 5);
    expect(v.ssim[3]).toBeCloseTo(ssim(recon.subarray(3 * 784, 4 * 784), victimPixels.subarray(3 * 784, 4 * 784)), 5);
    expect(v.mse[1]).toBeCloseTo(mse(recon.subarray(784, 2 * 784), victimPixels.subarray(784, 2 * 784)), 6);
    expect(v.publicSsim).toHaveLength(5);
    const r = await inversionNet.result(s);
    expect(r.classes).toEqual(CLASSES);
    expect(r.pixels.length).toBe(5 * 784);
    inversionNet.dispose(s);
    shipped.dispose();
  });

  it('stops at the query budget and refuses a truncation beyond the target\'s scores', async () => {
    const shipped = buildInversionDecoder(5, 11);
    const oracle = new QueryOracle(target, 5, { kind: 'none' }, 1, 30);
    const s = await inversionNet.init(ctxWith(oracle, shipped), { ...options, steps: 100 });
    let done = false, steps = 0;
    while (!done && steps < 100) { ({ done } = await inversionNet.step(s)); steps++; }
    expect(oracle.queries).toBeLessThanOrEqual(30);
    expect(steps).toBeLessThan(100);
    inversionNet.dispose(s);
    await expect(inversionNet.init(ctxWith(new QueryOracle(target, 5), shipped), { ...options, truncation: 6 })).rejects.toThrow(/truncation/);
    shipped.dispose();
  });

  it('leaves no tensor behind over 200 steps', async () => {
    const shipped = buildInversionDecoder(5, 12);
    const copyCheck = copyDecoder(shipped);
    copyCheck.dispose();
    const before = tf.memory().numTensors;
    const s = await inversionNet.init(ctxWith(new QueryOracle(target, 5), shipped), { ...options, steps: 200, batchSize: 4 });
    await inversionNet.step(s);
    await inversionNet.snapshot(s);
    const afterOne = tf.memory().numTensors;
    for (let i = 1; i < 200; i++) await inversionNet.step(s);
    await inversionNet.snapshot(s);
    expect(tf.memory().numTensors).toBe(afterOne);
    inversionNet.dispose(s);
    expect(tf.memory().numTensors).toBe(before);
    shipped.dispose();
  });
});
