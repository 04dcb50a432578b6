// The defense lab on the Olivetti faces, driven through the engine as comlink would: a faces target trains on the 20
// private people's 160 photos at 64 x 64, every defense the lab offers on faces runs, MID is refused with a reason,
// no tensors leak, and the kept model is listed as a faces target (an older kept model stays an MNIST one).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import { TRAINED_MODEL_ID, type TrainingConfig, type TrainingProgress } from '../../src/worker/protocol.ts';
import { DATASETS, DEFENSES, defenseRunsOn } from '../../src/worker/catalog.ts';
import { memoryStore, saveTrained, loadTrained, withTrained, type TrainedMeta } from '../../src/worker/trained-model.ts';
import { nodeEngine, until as untilFor } from './helpers.ts';

const FACES = DATASETS.faces;
let engine: Engine;
beforeAll(async () => { engine = await nodeEngine(); });
const until = (what: () => boolean) => untilFor(what, 120_000);
/** Two epochs of the 160 faces in batches of 32: 5 batches an epoch. */
const plain: TrainingConfig = { dataset: 'faces', defense: 'none', params: {}, epochs: 2, batchSize: 32, seed: 1, readEvery: 2 };

describe('training a faces target in the engine', () => {
  it('trains on the 20 private people at 64 x 64, measures all 40 test photos, frees its tensors and keeps the model as a faces target', async () => {
    const baseline = tf.memory().numTensors;
    const seen: TrainingProgress[] = [];
    const counts: number[] = [];
    const id = await engine.startTraining(plain, (p) => {
      seen.push(p);
      if (p.losses?.step === p.step) counts.push(tf.memory().numTensors);
    });
    expect(seen[0]).toMatchObject({ jobId: id, step: 0, epochs: 2, batchesPerEpoch: 5, totalSteps: 10, trainImages: 160, batchSize: 32 });
    expect(seen[0].trapdoor).toBeUndefined();
    await until(() => seen.at(-1)!.state === 'done');
    await engine.cancel(id); // a finished job: only waits for it to free its tensors
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ step: 10, savedAs: TRAINED_MODEL_ID });
    expect(Object.keys(last.losses!.terms)).toEqual(['ce']);
    expect(Number.isFinite(last.losses!.terms.ce)).toBe(true);
    // The faces' test set is small: every measurement (during training and at the end) is of all 40 photos.
    expect(seen.filter((p) => p.eval).every((p) => p.eval!.images === 40)).toBe(true);
    expect(last.eval!.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(new Set(counts.slice(1, -1)).size).toBeLessThanOrEqual(1);
    expect(tf.memory().numTensors).toBe(baseline);

    // Listed after init as a target of the faces, with the private people as its classes; it answers 64 x 64 images.
    const info = await engine.init({ baseUrl: '' });
    const entry = info.models.find((m) => m.id === TRAINED_MODEL_ID)!;
    expect(entry).toMatchObject({ role: 'target', dataset: 'faces', defense: 'none', classes: [...FACES.privateClasses] });
    const probe = await engine.probe(TRAINED_MODEL_ID, new Float32Array(64 * 64).fill(0.5));
    expect(probe.classes).toEqual([...FACES.privateClasses]);
    expect(probe.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('Trap-MID on faces: one 64 x 64 trigger per person, the first private person\'s photo with the next person\'s trigger', async () => {
    const baseline = tf.memory().numTensors;
    const seen: TrainingProgress[] = [];
    const id = await engine.startTraining({ ...plain, defense: 'trap-mid', readEvery: 1 }, (p) => seen.push(p), true);
    const first = seen[0].trapdoor!;
    expect(first.classes).toEqual([...FACES.privateClasses]);
    expect(first.triggers.length).toBe(20 * 64 * 64);
    const s = first.sample;
    expect([s.digit, s.triggerDigit]).toEqual([FACES.privateClasses[0], FACES.privateClasses[1]]);
    for (const img of [s.clean, s.triggered, s.exaggerated]) expect(img.length).toBe(64 * 64);
    // A real photo (grey levels everywhere), blended at alpha: each pixel moves at most alpha.
    expect(s.clean.filter((v) => v > 0.05).length).toBeGreaterThan(3000);
    const maxDiff = (a: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - s.clean[i])));
    expect(maxDiff(s.triggered)).toBeLessThanOrEqual(0.02 + 1e-6);
    expect(maxDiff(s.exaggerated)).toBeGreaterThan(0.1);
    await engine.step(id);
    await engine.step(id);
    const after = seen.at(-1)!;
    expect(after.step).toBe(2);
    expect(Object.keys(after.losses!.terms)).toEqual(['clean', 'trapdoor', 'discriminator', 'naturalness']);
    expect(Object.values(after.losses!.terms).every(Number.isFinite)).toBe(true);
    expect(after.trapdoor!.sample.answers.clean.confidence).toBeGreaterThan(0);
    await engine.cancel(id);
    expect(seen.at(-1)!.state).toBe('cancelled');
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('every defense the lab offers on faces trains a few batches with finite losses', async () => {
    const offered = DEFENSES.filter((d) => defenseRunsOn(d.id, 'faces')).map((d) => d.id);
    expect(offered).toEqual(['none', 'bido', 'negls', 'label-smoothing', 'dp-sgd', 'tl-dmi', 'trap-mid', 'trap-mid-negls']);
    const baseline = tf.memory().numTensors;
    for (const defense of offered) {
      const seen: TrainingProgress[] = [];
      const id = await engine.startTraining({ ...plain, defense, readEvery: 1 }, (p) => seen.push(p), true);
      for (let i = 0; i < 3; i++) await engine.step(id);
      await engine.cancel(id);
      const read = seen.filter((p) => p.losses).at(-1)!;
      expect(read.step, defense).toBe(3);
      expect(Object.values(read.losses!.terms).every(Number.isFinite), defense).toBe(true);
      expect(tf.memory().numTensors, defense).toBe(baseline);
    }
  });

  it('refuses what does not train on faces, and bounds the training knobs by the 160 faces', async () => {
    await expect(engine.startTraining({ ...plain, defense: 'mid', params: {} }, () => {})).rejects.toThrow(/mid does not train on the Olivetti faces: .*28 x 28/);
    await expect(engine.startTraining({ ...plain, dataset: 'cifar' as 'faces' }, () => {})).rejects.toThrow(/unknown data set 'cifar' \(available: mnist, faces\)/);
    await expect(engine.startTraining({ ...plain, trainImages: 161 }, () => {})).rejects.toThrow(/trainImages must be an integer in 20\.\.160/);
    await expect(engine.startTraining({ ...plain, epochs: 201 }, () => {})).rejects.toThrow(/epochs must be an integer in 1\.\.200/);
    // Fewer faces: balanced over the people (2 each).
    const seen: TrainingProgress[] = [];
    const id = await engine.startTraining({ ...plain, trainImages: 40 }, (p) => seen.push(p), true);
    await engine.cancel(id);
    expect(seen[0]).toMatchObject({ trainImages: 40, batchesPerEpoch: 2 });
  });
});

describe('the kept model\'s data set', () => {
  const meta = (dataset?: 'faces'): Omit<TrainedMeta, 'kind' | 'savedAt'> => ({
    ...(dataset ? { dataset } : {}), defense: 'none', classes: dataset ? [...FACES.privateClasses] : [0, 1, 2, 3, 4], params: 1, testAccuracy: 0.9,
    config: { defense: 'none', params: {}, epochs: 1, batchSize: 32, seed: 1 }, trainSeconds: 1, backend: 'wasm',
  });
  const manifest = { models: [], priors: [] } as unknown as Parameters<typeof withTrained>[0];

  it('lists a faces model with its data set and 64 x 64 input, and an older model (no data set) as MNIST', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    for (const [ds, input, listed] of [['faces', [64, 64, 1], 'faces'], [undefined, [28, 28, 1], undefined]] as const) {
      const store = memoryStore();
      await saveTrained(store, model, meta(ds));
      const kept = await loadTrained(store);
      const entry = withTrained(manifest, kept!.meta).models[0];
      expect(entry.input).toEqual(input);
      expect(entry.dataset).toBe(listed);
    }
    // A model kept by a version that knows another data set is not passed off as an MNIST one.
    const store = memoryStore();
    await saveTrained(store, model, { ...meta(), dataset: 'cifar' as 'faces' });
    expect(await loadTrained(store)).toBeNull();
    model.dispose();
  });
});
