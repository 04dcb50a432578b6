// The worker's engine, driven directly (as comlink would): jobs start, pause, step, resume, cancel; snapshots are
// throttled and carry the evaluator's verdict; bad input gets clear errors; no tensors leak.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import { rocAuc } from '../../src/core/metrics/trapdoor.ts';
import { DEFAULT_MI_FACE, type AttackSnapshot } from '../../src/worker/protocol.ts';
import { nodeLoader } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

let engine: Engine;
beforeAll(async () => {
  await useWasm();
  engine = new Engine(nodeLoader(), ['wasm']);
  const info = await engine.init({ baseUrl: '' });
  expect(info.backend).toBe('wasm');
  expect(info.models.map((m) => m.id)).toEqual(expect.arrayContaining(['target-none', 'evaluator']));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const config = { ...DEFAULT_MI_FACE, steps: 400, snapshotEvery: 1 };

describe('engine jobs', () => {
  it('starts paused, steps one at a time, resumes, pauses and cancels', async () => {
    // A first job loads the target and the evaluator; the models stay cached, everything else must go.
    await new Promise<void>((resolve) => { void engine.startAttack({ ...config, steps: 2 }, (s) => { if (s.state === 'done') resolve(); }); });
    await sleep(20);
    const baseline = tf.memory().numTensors;
    const snaps: AttackSnapshot[] = [];
    const id = await engine.startAttack(config, (s) => snaps.push(s), true);
    expect(snaps.at(-1)!.state).toBe('paused');
    expect(snaps.at(-1)!.step).toBe(0);

    await engine.step(id);
    await engine.step(id);
    expect(snaps.at(-1)!.step).toBe(2);
    await sleep(100);
    expect(snaps.at(-1)!.step).toBe(2); // paused: nothing runs on its own

    await engine.resume(id);
    await sleep(400);
    await engine.pause(id);
    // Pausing sends a snapshot of exactly where the job stopped.
    expect(snaps.at(-1)!.state).toBe('paused');
    const pausedAt = snaps.at(-1)!.step;
    expect(pausedAt).toBeGreaterThan(2);
    await sleep(200);
    expect(snaps.at(-1)!.step).toBe(pausedAt);
    await engine.step(id);
    expect(snaps.at(-1)!.step).toBe(pausedAt + 1);
    // A pause that lands while a step is in flight still shows where the job stopped: the next manual step is the
    // shown one plus one, and nothing arrives after the paused snapshot.
    for (const wait of [0, 1, 3, 7, 15]) {
      await engine.resume(id);
      await sleep(wait);
      await engine.pause(id);
      const shown = snaps.at(-1)!;
      expect(shown.state).toBe('paused');
      await sleep(60);
      expect(snaps.at(-1)).toBe(shown);
      await engine.step(id);
      expect(snaps.at(-1)!.step).toBe(shown.step + 1);
    }

    await engine.cancel(id);
    expect(snaps.at(-1)!.state).toBe('cancelled');
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('runs to the end with throttled snapshots carrying both judges\' verdicts', async () => {
    const snaps: AttackSnapshot[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      void engine.startAttack({ ...config, steps: 60 }, (s) => { snaps.push(s); if (s.state === 'done') resolve(); });
    });
    const seconds = (performance.now() - t0) / 1000;
    const final = snaps.at(-1)!;
    expect(final.step).toBe(60);
    expect(final.pixels.length).toBe(5 * 784);
    expect(final.evaluator.predicted).toHaveLength(5);
    expect(final.evaluator.top5.every((t) => t.length === 5)).toBe(true);
    expect(final.robust!.predicted).toHaveLength(5);
    const share = (hit: (k: number) => boolean) => [0, 1, 2, 3, 4].filter(hit).length / 5;
    expect(final.attackAccuracy.robustTop1).toBe(share((k) => final.robust!.predicted[k] === final.classes[k]));
    expect(final.attackAccuracy.bothTop1).toBe(share((k) => final.robust!.predicted[k] === final.classes[k] && final.evaluator.predicted[k] === final.classes[k]));
    expect(final.targetConfidence.every((c) => c > 0.9)).toBe(true);
    // At most ~20 messages a second, plus the first and the last.
    expect(snaps.length).toBeLessThanOrEqual(Math.ceil(seconds * 20) + 2);
  });

  it('rejects bad configurations and unknown models with clear messages', async () => {
    await expect(engine.startAttack({ ...config, steps: -3 }, () => {})).rejects.toThrow(/steps must be an integer/);
    await expect(engine.startAttack({ ...config, learningRate: Number.NaN }, () => {})).rejects.toThrow(/learningRate/);
    await expect(engine.startAttack({ ...config, targetId: 'nope' }, () => {})).rejects.toThrow(/no model 'nope'/);
    await expect(engine.startAttack({ ...config, targetId: 'evaluator' }, () => {})).rejects.toThrow(/not a target/);
  });

  it('reports a model file that does not load, and keeps working', async () => {
    const loader = nodeLoader();
    const broken = new Engine({ ...loader, model: async () => { throw new Error('weights.bin: unexpected end of file'); } }, ['wasm']);
    await broken.init({ baseUrl: '' });
    await expect(broken.startAttack(config, () => {})).rejects.toThrow(/model 'target-none' could not be loaded.*unexpected end of file/);
  });

  it('shares one download between callers that ask for a model while it loads', async () => {
    const loader = nodeLoader();
    let loads = 0;
    const slow = new Engine({ ...loader, model: async (p) => { loads++; await new Promise((r) => setTimeout(r, 300)); return loader.model(p); } }, ['wasm']);
    await slow.init({ baseUrl: '' });
    const [a, b] = await Promise.all([slow.trapdoorReference('target-trap-mid'), slow.trapdoorReference('target-trap-mid'), slow.probe('target-trap-mid', new Float32Array(784))]);
    expect(a).toEqual(b);
    expect(loads).toBe(1); // the target, loaded once for the trapdoor and the probe
  });

  it('gives one real private training image per private class', async () => {
    const s = await engine.privateSamples();
    expect(s.classes).toEqual([0, 1, 2, 3, 4]);
    expect(s.pixels.length).toBe(5 * 784);
    expect(Math.max(...s.pixels)).toBe(1);
  });
});

describe('trapdoor detection in the engine (Trap-MID target)', () => {
  it('gives reference scores and scores every snapshot of an attack on the trapdoored target', async () => {
    const ref = await engine.trapdoorReference('target-trap-mid');
    expect(ref.triggers.length).toBe(5 * 784);
    expect(ref.clean.length).toBe(320);
    // The threshold is the 95th percentile of the clean scores; triggered images score above it.
    expect(ref.clean.filter((s) => s > ref.threshold).length / ref.clean.length).toBeCloseTo(0.05, 1);
    const triggeredMean = ref.triggered.reduce((a, b) => a + b, 0) / ref.triggered.length;
    const publicMean = ref.public.reduce((a, b) => a + b, 0) / ref.public.length;
    expect(triggeredMean).toBeGreaterThan(ref.threshold);
    // Standardised features: a clean or public digit sits near the origin, far from every trigger's signature.
    expect(rocAuc(ref.triggered, ref.clean)).toBeGreaterThan(0.95);
    expect(publicMean).toBeLessThan(ref.threshold);
    expect(triggeredMean - publicMean).toBeGreaterThan(0.4);

    const snaps: AttackSnapshot[] = [];
    await new Promise<void>((resolve) => {
      void engine.startAttack({ ...config, targetId: 'target-trap-mid', steps: 30 }, (s) => { snaps.push(s); if (s.state === 'done') resolve(); });
    });
    const final = snaps.at(-1)!;
    expect(final.trapdoor!.scores).toHaveLength(5);
    expect(final.trapdoor!.threshold).toBe(ref.threshold);
    expect(final.trapdoor!.aucVsPublic).toBeGreaterThanOrEqual(0);
    expect(final.trapdoor!.flaggedShare).toBe(final.trapdoor!.scores.filter((s) => s > ref.threshold).length / 5);
  });

  it('refuses detection for a target without a trapdoor', async () => {
    await expect(engine.trapdoorReference('target-none')).rejects.toThrow(/has no trapdoor/);
  });
});
