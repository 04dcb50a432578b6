// The output defenses that run a defender's network in front of the query API: Yang & Shao's purifier and Wen et
// al.'s adversarial noise. Both keep every answer's label (so accuracy, and anything a label-only attacker sees, is
// unchanged) and answer probability vectors; the purifier's training lowers its distance to the target's answers;
// the noise makes the defender's mimic inversion model reconstruct worse, within its budget; no tensor is left behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryOracle, formatOutputDefense, keepLabels, parseOutputDefense } from '../../src/core/attacks/oracle.ts';
import { PurifierTrainer, buildPurifier, encodeAnswers, purifierGuard } from '../../src/core/defenses/purifier.ts';
import { adversarialAnswers, adversarialDelta, adversarialNoiseGuard } from '../../src/core/defenses/adversarial-noise.ts';
import { buildInversionDecoder } from '../../src/core/attacks/inversion-net.ts';
import { findGuard, guardId, type Manifest } from '../../src/core/nets/manifest.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { OUTPUT_DEFENSES } from '../../src/worker/catalog.ts';
import { useWasm } from './helpers.ts';

/** A tiny classifier over 5 classes (a dense layer on the pixels), confident enough that small scores are ~1e-5. */
function tinyTarget(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed }) }),
  ] });
}

/** `n` images of a blob whose row follows the label and whose column is random. */
function blobs(n: number, seed: number): DigitSet {
  const rng = makeRng(seed);
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 5;
    const r0 = 4 + 4 * (i % 5), c0 = 4 + Math.floor(rng() * 14);
    for (let r = r0; r < r0 + 6; r++) for (let c = c0; c < c0 + 8; c++) images[i * 784 + r * 28 + c] = 180 + Math.floor(rng() * 75);
  }
  return { count: n, images, labels };
}

const imagesOf = (set: DigitSet, n: number) => tf.tidy(() => tf.tensor4d(set.images.slice(0, n * 784), [n, 28, 28, 1]).div(255) as tf.Tensor4D);
const rows = (a: Float32Array, k: number) => Array.from({ length: a.length / k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)));
const top = (r: number[]) => r.indexOf(Math.max(...r));

let target: tf.LayersModel;
beforeAll(async () => {
  await useWasm();
  target = tinyTarget(5);
});

describe('output defenses with a defender network: parsing and the label keeper', () => {
  it('parses purifier and adv-noise:<nats>, round-trips them, and refuses bad budgets with the allowed range', () => {
    expect(parseOutputDefense('purifier')).toEqual({ kind: 'purifier' });
    expect(parseOutputDefense('adv-noise:2')).toEqual({ kind: 'adv-noise', budget: 2 });
    for (const raw of ['purifier', 'adv-noise:2', 'adv-noise:0.5']) expect(formatOutputDefense(parseOutputDefense(raw))).toBe(raw);
    for (const bad of ['adv-noise:0', 'adv-noise:21', 'adv-noise:x', 'adv-noise']) expect(() => parseOutputDefense(bad)).toThrow(/noise budget must be a number in \(0, 20\]/);
    expect(() => parseOutputDefense('purifier:1')).toThrow(/use none, .* purifier or adv-noise/);
    // The lab's choices parse.
    for (const d of OUTPUT_DEFENSES) expect(() => parseOutputDefense(d.value)).not.toThrow();
    expect(OUTPUT_DEFENSES.map((d) => d.value)).toEqual(expect.arrayContaining(['purifier', 'adv-noise:5', 'adv-noise:8']));
  });

  it('an oracle refuses a purifier or noise defense without the defender\'s network', () => {
    expect(() => new QueryOracle(target, 5, { kind: 'purifier' })).toThrow(/needs the defender's network/);
    expect(() => new QueryOracle(target, 5, { kind: 'adv-noise', budget: 2 })).toThrow(/needs the defender's network/);
  });

  it('keepLabels swaps the top score back to the exact answer\'s label and leaves right rows alone', async () => {
    const original = tf.tensor2d([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]);
    const defended = tf.tensor2d([[0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6]]);
    const kept = keepLabels(defended, original);
    const out = (await kept.array()) as number[][];
    expect(out[0].map((v) => +v.toFixed(6))).toEqual([0.7, 0.2, 0.1]);
    expect(out[1].map((v) => +v.toFixed(6))).toEqual([0.1, 0.3, 0.6]);
    expect(out[2].map((v) => +v.toFixed(6))).toEqual([0.6, 0.2, 0.2]);
    tf.dispose([original, defended, kept]);
  });

  it('finds a guard by id and names the targets it was trained for when there is none', () => {
    const manifest = { version: 1, models: [], guards: [{ id: 'purifier-target-none', forTarget: 'target-none' }] } as unknown as Manifest;
    expect(guardId('purifier', 'target-none')).toBe('purifier-target-none');
    expect(guardId('mimic-inversion', 'target-mid')).toBe('mimic-inv-target-mid');
    expect(findGuard(manifest, 'purifier-target-none').forTarget).toBe('target-none');
    expect(() => findGuard(manifest, 'purifier-target-mid')).toThrow(/no purifier for this target .*trained one for target-none only/);
    expect(() => findGuard(manifest, 'mimic-inv-target-mid')).toThrow(/no mimic inversion model .*no target/);
  });
});

describe('the purifier (Yang & Shao 2020)', () => {
  it('answers probability vectors with the exact labels; a label-only attacker sees exactly what it saw without it', async () => {
    const set = blobs(40, 2);
    const x = imagesOf(set, 40);
    const exact = new QueryOracle(target, 5);
    const purified = new QueryOracle(target, 5, { kind: 'purifier' }, 1, Infinity, purifierGuard(buildPurifier(5, 3)));
    const [p, q] = [rows(await exact.probabilities(x), 5), rows(await purified.probabilities(x), 5)];
    q.forEach((r, i) => {
      expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
      expect(top(r)).toBe(top(p[i]));
    });
    expect(q.some((r, i) => Math.abs(r[top(r)] - p[i][top(p[i])]) > 1e-3)).toBe(true); // it did re-write them
    expect(Array.from(await purified.labels(x))).toEqual(Array.from(await exact.labels(x)));
    x.dispose();
  });

  it('training lowers the KL from the target\'s answers to the purified ones, with no tensor left behind', async () => {
    const purifier = buildPurifier(5, 7);
    const trainer = new PurifierTrainer(purifier, target, blobs(64, 3), { batchSize: 16, learningRate: 1e-2, inversionWeight: 0.5, seed: 1 });
    const first = await trainer.step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) last = await trainer.step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last.kl).toBeLessThan(first.kl * 0.85);
    expect(Number.isFinite(last.inversionMse)).toBe(true);
    trainer.dispose();
    purifier.dispose();
  });

  it('reads answers in the attacker\'s encoding, max(0, ln p + 50) / 50', async () => {
    const e = encodeAnswers(tf.tensor2d([[1, Math.exp(-10), 0]]));
    const v = Array.from(await e.data());
    expect(v[0]).toBeCloseTo(1, 6);
    expect(v[1]).toBeCloseTo(40 / 50, 5);
    expect(v[2]).toBe(0);
    e.dispose();
  });
});

/** A stand-in mimic whose images depend strongly on the answer (an untrained decoder's hardly do): dense k -> 784, sigmoid. */
function sensitiveMimic(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [5], units: 784, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 5, seed: 4 }) }),
    tf.layers.reshape({ targetShape: [28, 28, 1] }),
  ] });
}

describe('adversarial output noise (Wen et al. 2021)', () => {
  it('makes the mimic reconstruct worse than noise of the same budget, moves each log-score by at most the budget, keeps labels', async () => {
    const set = blobs(20, 4);
    const x = imagesOf(set, 20);
    const mimic = sensitiveMimic();
    const p = tf.tidy(() => tf.softmax(target.predict(x) as tf.Tensor2D) as tf.Tensor2D);
    const budget = 4;
    const q = adversarialAnswers(mimic, x, p, budget);
    const errorOf = async (a: tf.Tensor2D) => {
      const e = tf.tidy(() => tf.sum(tf.squaredDifference(mimic.apply(encodeAnswers(a)) as tf.Tensor4D, x), [1, 2, 3]));
      const v = Array.from(await e.data());
      e.dispose();
      return v;
    };
    // Before the label modifier, against the same budget spent on random signs: the ascent must beat chance.
    const withDelta = (d: tf.Tensor2D) => tf.tidy(() => tf.softmax(tf.add(tf.log(tf.maximum(p, 1e-30)), d)) as tf.Tensor2D);
    const delta = adversarialDelta(mimic, x, p, budget);
    const randomDelta = tf.tidy(() => tf.mul(tf.sign(tf.randomUniform(p.shape, -1, 1, 'float32', 8)), budget) as tf.Tensor2D);
    const [pushed, randomly] = [withDelta(delta), withDelta(randomDelta)];
    const [e0, e1, eRandom] = [await errorOf(p), await errorOf(pushed), await errorOf(randomly)];
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(e1.filter((v, i) => v > e0[i]).length).toBeGreaterThanOrEqual(18);
    expect(mean(e1)).toBeGreaterThan(mean(eRandom));
    expect(Math.max(...Array.from(await tf.abs(delta).data()))).toBeLessThanOrEqual(budget + 1e-6);
    tf.dispose([delta, randomDelta, pushed, randomly]);
    const [pr, qr] = [(await p.array()) as number[][], (await q.array()) as number[][]];
    qr.forEach((r, i) => {
      expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(top(r)).toBe(top(pr[i]));
    });
    tf.dispose([x, p, q]);
    mimic.dispose();
  });

  it('runs in the oracle with the same labels as without it, and no tensor left behind over 20 queries', async () => {
    const set = blobs(10, 6);
    const x = imagesOf(set, 10);
    const exact = new QueryOracle(target, 5);
    const mimic = buildInversionDecoder(5, 2);
    const noisy = new QueryOracle(target, 5, { kind: 'adv-noise', budget: 2 }, 1, Infinity, adversarialNoiseGuard(mimic, 2));
    expect(Array.from(await noisy.labels(x))).toEqual(Array.from(await exact.labels(x)));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await noisy.probabilities(x);
    expect(tf.memory().numTensors).toBe(before);
    expect(noisy.queries).toBe(210);
    x.dispose();
    mimic.dispose();
  });
});
