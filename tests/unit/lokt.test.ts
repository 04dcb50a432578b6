// LOKT (Nguyen et al. 2023) on tiny models: T-ACGAN's class-head loss is the cross-entropy against the target's labels
// of real and generated images; the query counter counts exactly the label queries training makes (each public image
// once, one per generated image from the warm-up on, one per surrogate image); a few attack steps raise the surrogates'
// margin; the attack asks the target nothing and reports the training's queries; no tensor is left behind over many steps.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TacganTrainer, acganHeads, buildAcganDiscriminator, classHeadLoss, labelGenerated, lokt, surrogateEnsemble, type LoktOptions } from '../../src/core/attacks/lokt.ts';
import { QueryOracle } from '../../src/core/attacks/oracle.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { Z_DIM } from '../../src/core/nets/gan.ts';
import { useWasm } from './helpers.ts';
import { seedGroups, setUpAttack, validateAttackConfig, type AttackDeps } from '../../src/worker/attack-setup.ts';
import { priorId, uploadedTargetProblem } from '../../src/worker/catalog.ts';
import { datasetOf } from '../../src/core/data/datasets.ts';

const CLASSES = [0, 1, 2, 3, 4];

/** A tiny random classifier over 5 classes (a dense layer on the pixels). */
function tinyClassifier(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed }) }),
  ] });
}

/** A tiny conditional generator: [z (Z_DIM), y (5)] -> 28 x 28 image in [0, 1]. */
function tinyConditionalGenerator(seed: number): tf.LayersModel {
  const z = tf.input({ shape: [Z_DIM] }), y = tf.input({ shape: [5] });
  const h = tf.layers.concatenate().apply([z, y]) as tf.SymbolicTensor;
  const px = tf.layers.dense({ units: 784, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.1, seed }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [z, y], outputs: tf.layers.reshape({ targetShape: [28, 28, 1] }).apply(px) as tf.SymbolicTensor });
}

/** `n` random byte images with arbitrary labels. */
function randomDigits(n: number, seed: number): DigitSet {
  const rng = makeRng(seed);
  return { count: n, images: Uint8Array.from({ length: n * 784 }, () => Math.floor(rng() * 256)), labels: Uint8Array.from({ length: n }, () => 5 + Math.floor(rng() * 5)) };
}

/** A stand-in for the target that fails if the attack touches it (the attack stage asks the target nothing). */
const untouchable = new Proxy({}, { get: (_, key) => { throw new Error(`LOKT's attack touched target.${String(key)}`); } }) as tf.LayersModel;

let target: tf.LayersModel;
let generator: tf.LayersModel;
let surrogates: tf.LayersModel[];

const options = (o: Partial<LoktOptions> = {}): LoktOptions => ({ restarts: 2, steps: 1000, learningRate: 0.1, seed: 3, surrogates, trainingQueries: 12345, ...o });
const context = (): AttackContext => ({ target: untouchable, targetClasses: CLASSES, prior: { generator, conditional: true } });

beforeAll(async () => {
  await useWasm();
  target = tinyClassifier(3);
  generator = tinyConditionalGenerator(5);
  surrogates = [tinyClassifier(11), tinyClassifier(12)];
});

describe('T-ACGAN', () => {
  it('splits the discriminator\'s output into a realness logit and a class head over the target\'s classes', () => {
    const d = buildAcganDiscriminator(1, 5);
    expect(d.outputs[0].shape).toEqual([null, 6]);
    tf.tidy(() => {
      const { real, classes } = acganHeads(tf.tensor2d([[9, 1, 2, 3, 4, 5], [8, 0, 0, 0, 0, 0]]));
      expect(real.shape).toEqual([2]);
      expect(Array.from(real.dataSync())).toEqual([9, 8]);
      expect(classes.shape).toEqual([2, 5]);
      expect(Array.from(classes.dataSync().slice(0, 5))).toEqual([1, 2, 3, 4, 5]);
    });
    d.dispose();
  });

  it('its class-head loss is the cross-entropy against the target\'s labels, the generated images\' weighted', () => {
    tf.tidy(() => {
      const realLogits = tf.tensor2d([[2, 0, 0, 0, 0], [0, 0, 3, 0, 1]]);
      const realLabels = tf.tensor2d([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]);
      const fakeLogits = tf.tensor2d([[0, 0, 0, 0, 5]]);
      const fakeLabels = tf.tensor2d([[0, 0, 0, 0, 1]]);
      const ce = (logits: number[], label: number) => -(logits[label] - Math.log(logits.reduce((s, v) => s + Math.exp(v), 0)));
      const real = (ce([2, 0, 0, 0, 0], 0) + ce([0, 0, 3, 0, 1], 1)) / 2, fake = ce([0, 0, 0, 0, 5], 4);
      expect(classHeadLoss(realLogits, realLabels).dataSync()[0]).toBeCloseTo(real, 5);
      expect(classHeadLoss(realLogits, realLabels, fakeLogits, fakeLabels, 0.5).dataSync()[0]).toBeCloseTo(real + 0.5 * fake, 5);
      expect(classHeadLoss(realLogits, realLabels, fakeLogits, fakeLabels, 0).dataSync()[0]).toBeCloseTo(real, 5);
    });
  });

  it('counts exactly the label queries it makes: each public image once, each generated image from the warm-up on, each surrogate image', async () => {
    const pub = randomDigits(40, 1);
    const oracle = new QueryOracle(target, 5, { kind: 'label-only' }, 1);
    const trainer = new TacganTrainer(pub, oracle, { epochs: 2, batchSize: 8, learningRate: 2e-4, beta1: 0.5, seed: 1, fakeLabelsFrom: 3, fakeClassWeight: 1, generatorClassWeight: 1 });
    let steps = 0;
    while (!trainer.done) { await trainer.step(steps % 4 === 0); steps++; }
    expect(steps).toBe(10); // 2 epochs of 5 batches
    const asked = Array.from(trainer.publicLabels).filter((l) => l >= 0).length;
    expect(asked).toBe(40);
    expect(oracle.queries).toBe(40 + 8 * (steps - 3));
    // The labels it kept are the target's top-1 for those images.
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(pub.images, (v) => v / 255), [40, 28, 28, 1]));
    const top1 = tf.tidy(() => tf.argMax(target.predict(x) as tf.Tensor2D, 1));
    expect(Array.from(trainer.publicLabels)).toEqual(Array.from(await top1.data()));
    tf.dispose([x, top1]);
    // The labelled public images are free training data for the surrogates (no new query).
    expect(trainer.labelledPublic().count).toBe(40);
    const before = oracle.queries;
    const set = await labelGenerated(trainer.generator, oracle, 30, 2, 7);
    expect(oracle.queries - before).toBe(30);
    expect(set.count).toBe(30);
    for (const l of set.labels) expect(l).toBeLessThan(5);
    trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
  });

  it('learns the target\'s labels: the class head\'s loss falls on a small set', async () => {
    const pub = randomDigits(16, 2);
    const oracle = new QueryOracle(target, 5, { kind: 'label-only' }, 1);
    const trainer = new TacganTrainer(pub, oracle, { epochs: 30, batchSize: 16, learningRate: 2e-3, beta1: 0.5, seed: 2, fakeLabelsFrom: 1e9, fakeClassWeight: 1, generatorClassWeight: 1 });
    const first = (await trainer.step(true)).losses!.classHead;
    let last = first;
    const tensors = tf.memory().numTensors;
    while (!trainer.done) { const s = await trainer.step(true); last = s.losses!.classHead; }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last).toBeLessThan(first * 0.5);
    // The warm-up was never reached: only the public images were asked.
    expect(oracle.queries).toBe(16);
    trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
  });
});

describe('the attack on the surrogates', () => {
  it('attacks one ensemble whose logits are the surrogates\' mean (and a single surrogate as it is)', () => {
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const mean = tf.tidy(() => tf.div(tf.add(surrogates[0].predict(x) as tf.Tensor, surrogates[1].predict(x) as tf.Tensor), 2));
    const ensemble = surrogateEnsemble(surrogates).predict(x) as tf.Tensor;
    const got = ensemble.dataSync(), want = mean.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    expect(surrogateEnsemble([surrogates[0]])).toBe(surrogates[0]);
    tf.dispose([x, mean, ensemble]);
  });

  it('raises the surrogates\' margin in a few steps, asks the target nothing and reports the training\'s queries', async () => {
    const s = lokt.init(context(), options({ steps: 30 }));
    const before = await lokt.snapshot(s);
    expect(before.queries).toBe(12345);
    expect(before.classes).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    while (!lokt.step(s).done);
    const after = await lokt.snapshot(s);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(after.loss)).toBeLessThan(mean(before.loss) - 0.05);
    expect(mean(after.targetConfidence)).toBeGreaterThan(mean(before.targetConfidence));
    expect(after.kept).toHaveLength(5);
    expect(after.queries).toBe(12345);
    const r = await lokt.result(s);
    expect(r.classes).toEqual(CLASSES);
    lokt.dispose(s);
  });

  it('leaves no tensor behind over many steps, and none after dispose', async () => {
    const start = tf.memory().numTensors;
    const s = lokt.init(context(), options({ seeds: [1, 2] }));
    lokt.step(s);
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) lokt.step(s);
    expect(tf.memory().numTensors).toBe(after1);
    await lokt.snapshot(s);
    expect(tf.memory().numTensors).toBe(after1);
    lokt.dispose(s);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses an unconditional prior and surrogates of another class count', () => {
    expect(() => lokt.init({ ...context(), prior: { generator, conditional: false } }, options())).toThrow(/T-ACGAN/);
    const six = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 6 })] });
    expect(() => lokt.init(context(), options({ surrogates: [six] }))).toThrow(/6 classes/);
    expect(() => lokt.init(context(), options({ surrogates: [] }))).toThrow(/surrogate/);
    six.dispose();
  });
});

describe('the catalog and the engine\'s set-up', () => {
  it('loads lokt-<target>-<knowledge>: the generator as the prior, its surrogates, and the training\'s queries for the counter', async () => {
    expect(priorId('lokt', 'disjoint', 'target-none')).toBe('lokt-target-none-disjoint');
    const asked: string[] = [];
    const deps = {
      target: untouchable, targetClasses: CLASSES, dataset: datasetOf('mnist'),
      prior: async (id: string) => { asked.push(id); return { generator, surrogates, queries: 777 }; },
      publicSet: async () => { throw new Error('not needed'); }, students: async () => [],
    } as AttackDeps;
    const config = { attack: 'lokt' as const, targetId: 'target-none', knowledge: 'disjoint' as const, params: { steps: 3, restarts: 2 }, seed: 1, snapshotEvery: 1 };
    validateAttackConfig(config);
    expect(() => validateAttackConfig({ ...config, params: { restarts: 0 } })).toThrow(/restarts/);
    expect(() => validateAttackConfig({ ...config, queryBudget: 10 })).toThrow(/queryBudget/);
    // Each candidate's loss is its own: several seeds run as one batch.
    expect(seedGroups('lokt', [1, 2, 3])).toEqual([[1, 2, 3]]);
    const run = await setUpAttack(config, deps, [1, 2]);
    expect(asked).toEqual(['lokt-target-none-disjoint']);
    while (!(await run.attack.step(run.state)).done);
    const snap = await run.attack.snapshot(run.state);
    expect(snap.queries).toBe(777);
    expect(snap.classes).toHaveLength(2 * 5 * 2);
    run.attack.dispose(run.state);
    expect(uploadedTargetProblem('lokt')).toMatch(/surrogate/);
  });
});
