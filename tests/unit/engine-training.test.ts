// Training jobs in the engine (the defense lab), driven directly as comlink would: progress arrives every few
// batches with sane figures, pause / step / resume / cancel work, no tensors leak over a run, and a finished model
// is kept and listed as a target the attack lab can attack.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import { DEFAULT_MI_FACE, TRAINED_MODEL_ID, type AttackSnapshot, type TrainingConfig, type TrainingProgress } from '../../src/worker/protocol.ts';
import { DEFENSES, INJECTION_MODES, NATURALNESS_MODES, TRAINING_KNOBS } from '../../src/worker/catalog.ts';
import { DEFENSE_DEFAULTS } from '../../src/core/defenses/recipes.ts';
import { dpEpsilon } from '../../src/core/defenses/dp-accountant.ts';
import { nodeLoader } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

let engine: Engine;
beforeAll(async () => {
  await useWasm();
  engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: () => boolean, ms = 60_000) => {
  for (const t0 = performance.now(); !what(); await sleep(20)) if (performance.now() - t0 > ms) throw new Error('timed out');
};
/** Tiny runs: a few hundred training images, small batches. */
const trapMid: TrainingConfig = { defense: 'trap-mid', params: {}, epochs: 2, batchSize: 32, trainImages: 320, seed: 1, readEvery: 2, evalEvery: 4 };

describe('the defense catalog', () => {
  it('defaults to the shipped targets\' knobs (the papers\' values)', () => {
    const defaults = Object.fromEntries(DEFENSES.flatMap((d) => d.knobs.map((k) => [k.key, k.default])));
    for (const [key, value] of Object.entries(defaults)) expect(DEFENSE_DEFAULTS[key as keyof typeof DEFENSE_DEFAULTS], key).toBe(value);
    expect(NATURALNESS_MODES[0].value).toBe(DEFENSE_DEFAULTS.naturalness);
    expect(INJECTION_MODES[0].value).toBe(DEFENSE_DEFAULTS.injection);
    expect(TRAINING_KNOBS.find((k) => k.key === 'batchSize')!.default).toBe(64);
  });
});

describe('training jobs', () => {
  it('trains Trap-MID: progress with losses, accuracy, triggers and the sample; pause, step, resume; kept when done', async () => {
    const baseline = tf.memory().numTensors;
    const seen: TrainingProgress[] = [];
    const counts: number[] = [];
    const id = await engine.startTraining(trapMid, (p) => {
      seen.push(p);
      if (p.losses?.step === p.step) counts.push(tf.memory().numTensors);
    }, true);
    // The first progress comes before the job id: the untrained triggers and the sample, nothing measured yet.
    const first = seen[0];
    expect(first).toMatchObject({ jobId: id, state: 'paused', step: 0, epochs: 2, batchesPerEpoch: 10, totalSteps: 20, trainImages: 320 });
    expect(first.losses).toBeUndefined();
    expect(first.trapdoor!.triggers.length).toBe(5 * 784);
    expect(first.trapdoor!.alpha).toBe(0.02);
    const s = first.trapdoor!.sample;
    expect([s.digit, s.triggerDigit, s.exaggeratedAlpha]).toEqual([2, 3, 0.5]);
    // The real blend moves each pixel by at most alpha; the exaggerated one by far more.
    const maxDiff = (a: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - s.clean[i])));
    expect(maxDiff(s.triggered)).toBeLessThanOrEqual(0.02 + 1e-6);
    expect(maxDiff(s.exaggerated)).toBeGreaterThan(0.2);

    await engine.step(id);
    await engine.step(id);
    expect(seen.at(-1)!.step).toBe(2);
    expect(seen.at(-1)!.state).toBe('paused');
    await sleep(200);
    expect(seen.at(-1)!.step).toBe(2); // paused: nothing runs on its own

    await engine.resume(id);
    await until(() => seen.at(-1)!.step >= 6);
    await engine.pause(id);
    const pausedAt = seen.at(-1)!;
    expect(pausedAt.state).toBe('paused');
    await sleep(300);
    expect(seen.at(-1)!.step).toBe(pausedAt.step);

    await engine.resume(id);
    await until(() => seen.at(-1)!.state === 'done', 120_000);
    await engine.cancel(id); // a finished job: only waits for it to free its tensors
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ step: 20, epoch: 2, batch: 0, savedAs: TRAINED_MODEL_ID, remainingMs: 0 });
    expect(last.elapsedMs).toBeGreaterThan(0);
    expect(last.samplesPerSecond).toBeGreaterThan(0);
    expect(Object.keys(last.losses!.terms)).toEqual(['clean', 'trapdoor', 'discriminator', 'naturalness']);
    expect(Object.values(last.losses!.terms).every(Number.isFinite)).toBe(true);
    expect(last.losses!.trainAccuracy).toBeGreaterThanOrEqual(0);
    expect(last.losses!.trainAccuracy).toBeLessThanOrEqual(1);
    // Measured on a 500-image subset during training, on all 5,139 test images at the end.
    expect(seen.find((p) => p.eval)!.eval!.images).toBe(500);
    expect(last.eval!.images).toBe(5139);
    expect(last.eval!.testAccuracy).toBeGreaterThan(0.5); // chance is 0.2 // 20 batches: well above chance (0.2), far from done
    expect(last.eval!.trapdoorAccuracy).toBeGreaterThanOrEqual(0);
    expect(last.eval!.naturalnessAuc).toBeGreaterThanOrEqual(0);
    // The triggers moved.
    expect(last.trapdoor!.triggers.some((v, i) => Math.abs(v - first.trapdoor!.triggers[i]) > 0.005)).toBe(true);
    // Every tensor of the run is freed; between read-backs the count stays flat.
    expect(counts.length).toBeGreaterThan(4);
    expect(new Set(counts.slice(1, -1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('lists the kept model as a target after init, and it can be attacked (with trapdoor detection)', async () => {
    const info = await engine.init({ baseUrl: '' });
    const entry = info.models.find((m) => m.id === TRAINED_MODEL_ID)!;
    expect(entry).toMatchObject({ role: 'target', defense: 'trap-mid', classes: [0, 1, 2, 3, 4], label: 'Trained in this browser: Trap-MID (trapdoors)' });
    expect(entry.trapdoor!.alpha).toBe(0.02);
    const ref = await engine.trapdoorReference(TRAINED_MODEL_ID);
    expect(ref.triggers.length).toBe(5 * 784);
    const snaps: AttackSnapshot[] = [];
    const id = await engine.startAttack({ ...DEFAULT_MI_FACE, targetId: TRAINED_MODEL_ID, steps: 3, snapshotEvery: 1 }, (s) => snaps.push(s));
    await until(() => snaps.at(-1)!.state === 'done');
    await engine.cancel(id); // waits for the job to free its tensors
    expect(snaps.at(-1)!.trapdoor!.scores).toHaveLength(5);
  });

  it('keeps tensors flat over a longer MID run, reports CE and KL, and cancels cleanly', async () => {
    const baseline = tf.memory().numTensors;
    const seen: TrainingProgress[] = [];
    const counts: number[] = [];
    const id = await engine.startTraining({ defense: 'mid', params: { midBeta: 0.01 }, epochs: 1, batchSize: 16, trainImages: 1000, seed: 2, readEvery: 3 }, (p) => {
      seen.push(p);
      if (p.losses?.step === p.step) counts.push(tf.memory().numTensors);
    });
    await until(() => counts.length >= 12);
    await engine.cancel(id);
    expect(seen.at(-1)!.state).toBe('cancelled');
    expect(seen.every((p) => p.trapdoor === undefined)).toBe(true);
    expect(Object.keys(seen.at(-2)!.losses!.terms)).toEqual(['ce', 'kl']);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('DP-SGD: epsilon in every progress message, growing with the batches, as the accountant counts it; CE and the clipped share', async () => {
    const seen: TrainingProgress[] = [];
    const id = await engine.startTraining({ defense: 'dp-sgd', params: { noiseMultiplier: 1.1, clipNorm: 1 }, epochs: 1, batchSize: 32, trainImages: 320, seed: 2, readEvery: 2 }, (p) => seen.push(p));
    await until(() => seen.at(-1)?.state === 'done');
    await engine.cancel(id).catch(() => undefined);
    const eps = seen.filter((p) => p.step > 0).map((p) => p.privacy!.epsilon);
    expect(eps.length).toBeGreaterThan(3);
    for (let i = 1; i < eps.length; i++) expect(eps[i]).toBeGreaterThanOrEqual(eps[i - 1]);
    const last = seen.at(-1)!;
    expect(last.totalSteps).toBe(10); // q = 32 / 320: ten Poisson batches an epoch
    expect(last.privacy!.epsilon).toBeCloseTo(dpEpsilon(0.1, 1.1, 10).epsilon, 6);
    expect(last.privacy!.delta).toBe(1e-5);
    expect(Object.keys(last.losses!.terms)).toEqual(['ce', 'clipped']);
  });

  it('TL-DMI: the public digits first, then the private ones, in one run of its own length', async () => {
    const seen: TrainingProgress[] = [];
    await engine.startTraining({ defense: 'tl-dmi', params: { pretrainEpochs: 1, fineTunedLayers: 2 }, epochs: 3, batchSize: 64, trainImages: 320, seed: 2, readEvery: 1 }, (p) => seen.push(p));
    await until(() => seen.at(-1)?.state === 'done');
    const last = seen.at(-1)!;
    // As many public images as private ones (64 of each of the digits 5-9), then the 320 private images.
    expect(last.totalSteps).toBe(5 + 3 * 5);
    expect(last.step).toBe(last.totalSteps);
    expect(seen.some((p) => p.phase === 'public')).toBe(true);
    expect(last.phase).toBe('private');
    expect(last.eval!.testAccuracy).toBeGreaterThan(0.5); // chance is 0.2
  });

  it('stroke triggers: the sample moves only the stroke\'s edges, and the exaggerated one moves them further', async () => {
    const seen: TrainingProgress[] = [];
    const id = await engine.startTraining({ ...trapMid, params: { alpha: 1 }, injection: 'stroke' }, (p) => seen.push(p), true);
    const s = seen[0].trapdoor!.sample;
    await engine.cancel(id);
    expect(s.exaggeratedAlpha).toBe(3);
    const moved = (a: Float32Array) => a.reduce((n, v, i) => n + (Math.abs(v - s.clean[i]) > 1e-4 ? 1 : 0), 0);
    // Black pixels far from the stroke stay black: fewer pixels move than the image has.
    const nearInk = s.clean.reduce((n, v, i) => n + (v > 0 || s.clean[i - 1] > 0 || s.clean[i + 1] > 0 || s.clean[i - 28] > 0 || s.clean[i + 28] > 0 ? 1 : 0), 0);
    expect(moved(s.triggered)).toBeGreaterThan(10);
    expect(moved(s.triggered)).toBeLessThanOrEqual(nearInk);
    const total = (a: Float32Array) => a.reduce((n, v, i) => n + Math.abs(v - s.clean[i]), 0);
    expect(total(s.exaggerated)).toBeGreaterThan(total(s.triggered));
  });

  it('warp and TeD triggers: shown as one picture per digit in [0, 1]; a warp leaves the far background black', async () => {
    for (const injection of ['warp', 'ted'] as const) {
      const seen: TrainingProgress[] = [];
      const id = await engine.startTraining({ ...trapMid, params: { alpha: 1 }, injection }, (p) => seen.push(p), true);
      const t = seen[0].trapdoor!, s = t.sample;
      await engine.cancel(id);
      expect(t.triggers.length).toBe(5 * 784);
      expect(Math.min(...t.triggers)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...t.triggers)).toBeLessThanOrEqual(1);
      expect(s.exaggeratedAlpha).toBe(injection === 'warp' ? 3 : 1);
      if (injection === 'warp') {
        const far = (i: number) => [-29, -28, -27, -1, 0, 1, 27, 28, 29].every((d) => !(s.clean[i + d] > 0));
        for (let i = 0; i < 784; i++) if (far(i)) expect(s.triggered[i]).toBe(0);
      }
      expect(s.triggered.some((v, i) => Math.abs(v - s.clean[i]) > 1e-3)).toBe(true);
    }
  });

  it('rejects bad configurations with clear messages', async () => {
    await expect(engine.startTraining({ ...trapMid, defense: 'magic' as 'mid' }, () => {})).rejects.toThrow(/unknown defense 'magic'/);
    await expect(engine.startTraining({ ...trapMid, epochs: 0 }, () => {})).rejects.toThrow(/epochs must be an integer in 1\.\.20/);
    await expect(engine.startTraining({ ...trapMid, params: { midBeta: 0.1 } }, () => {})).rejects.toThrow(/trap-mid has no knob 'midBeta'/);
    await expect(engine.startTraining({ ...trapMid, params: { alpha: 3 } }, () => {})).rejects.toThrow(/alpha must be a number in 0\.001\.\.2/);
    await expect(engine.startTraining({ ...trapMid, naturalness: 'loud' as 'none' }, () => {})).rejects.toThrow(/naturalness must be one of/);
    await expect(engine.startTraining({ ...trapMid, injection: 'patch' as 'ink' }, () => {})).rejects.toThrow(/injection must be one of blend, ink, stroke, warp, ted/);
    await expect(engine.startTraining({ ...trapMid, defense: 'bido', params: {}, dependence: 'mi' as 'hsic' }, () => {})).rejects.toThrow(/dependence must be one of hsic, coco/);
  });
});
