// `npm run mi -- sweep`: each value trains its own target with that knob, measures it and attacks it; the chart is our
// own SVG; Trap-MID's augmentation strength scales the warps (0 leaves the images as they are).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSweep, sweepChart, type SweepPoint } from '../../scripts/lib/sweep.ts';
import { chartSvg, xScale } from '../../scripts/lib/plot.ts';
import { MODELS_DIR, loadModelFromDir } from '../../scripts/lib/node-io.ts';
import { readManifest } from '../../scripts/lib/manifest.ts';
import { DEFAULT_AUGMENT, applyAffine, randomAffineBatch, randomWarp, scaledAugment } from '../../src/core/data/augment.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import type { Judges } from '../../src/core/metrics/judge.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

let judges: Judges;
beforeAll(async () => {
  await useWasm();
  const judge = async (id: string) => ({ model: await loadModelFromDir(path.join(MODELS_DIR, id)), classes: readManifest().models.find((m) => m.id === id)!.classes });
  judges = { evaluator: await judge('evaluator'), robust: await judge('judge-robust') };
});

describe('the sweep', () => {
  it('trains one target per value with that knob, measures and attacks each, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    const points = await runSweep({
      defense: 'label-smoothing', knob: 'labelSmoothing', values: [0, 0.4], attack: 'mi-face', epochs: 1, ganEpochs: 1, seeds: [1, 2], seed: 1,
      maxBatches: 30, attackSteps: 20, log: (l) => lines.push(l),
    }, judges);
    expect(points.map((p) => p.value)).toEqual([0, 0.4]);
    for (const p of points) {
      // 30 batches of 64 already tell five digits apart far above chance (20%).
      expect(p.cleanAccuracy).toBeGreaterThan(0.6);
      for (const share of [p.top1, p.robustTop1, p.bothTop1]) expect(share * 10 % 1).toBeCloseTo(0, 6); // 2 seeds x 5 digits
      expect(p.bothTop1).toBeLessThanOrEqual(Math.min(p.top1, p.robustTop1));
      expect(p.trapdoorAccuracy).toBeUndefined();
    }
    // Different knob values train different targets (not one model measured twice).
    expect(points[0].cleanAccuracy).not.toBe(points[1].cleanAccuracy);
    expect(lines.some((l) => /labelSmoothing 0\.4: trained/.test(l))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('on Trap-MID reports the trapdoor accuracy and the share of reconstructions the detector flags', async () => {
    const before = tf.memory().numTensors;
    const [p] = await runSweep({
      defense: 'trap-mid', knob: 'alpha', values: [0.1], attack: 'mi-face', epochs: 1, ganEpochs: 1, seeds: [1], seed: 1, maxBatches: 4, attackSteps: 5,
    }, judges);
    expect(p.trapdoorAccuracy).toBeGreaterThanOrEqual(0);
    expect(p.trapdoorAccuracy).toBeLessThanOrEqual(1);
    expect([0, 0.2, 0.4, 0.6, 0.8, 1].some((v) => Math.abs(v - p.flaggedShare!) < 1e-9)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);
});

describe('the chart', () => {
  it('puts a knob spanning a factor of 8 or more on a log scale, evenly spaced values evenly', () => {
    const log = xScale([0.01, 0.02, 0.04, 0.08]);
    expect(log.log).toBe(true);
    expect(log.at(0.02) - log.at(0.01)).toBeCloseTo(log.at(0.08) - log.at(0.04), 6);
    const lin = xScale([0, 0.5, 1, 2]);
    expect(lin.log).toBe(false);
    expect(lin.at(2) - lin.at(1)).toBeCloseTo(2 * (lin.at(1) - lin.at(0.5)), 6);
  });

  it('draws one line per series through its finite points, with its label, 0% at the bottom and 100% at the top', () => {
    const svg = chartSvg({ title: 'A <sweep>', xLabel: 'alpha', xs: [0.01, 0.1], series: [
      { label: 'clean accuracy', values: [1, 0.5], color: '#222' },
      { label: 'top-1', values: [0, Number.NaN], color: '#d62728' },
    ] });
    expect(svg).toContain('A &lt;sweep&gt;');
    expect(svg.match(/<polyline/g)).toHaveLength(1); // the second series has a single finite point: a dot, no line
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('>clean accuracy</text>');
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[0]).toBeLessThan(ys[1]); // 100% above 50%
    expect(ys[2]).toBeGreaterThan(ys[1]); // 0% below 50%
  });
});

describe('the chart of a sweep', () => {
  const point = (value: number, extra: Partial<SweepPoint> = {}): SweepPoint => ({
    value, cleanAccuracy: 0.99, top1: 0.8, robustTop1: 0.7, bothTop1: 0.6, trainSeconds: 1, attackSeconds: 1, ...extra,
  });
  it('plots clean accuracy and both judges, and trapdoor accuracy and flagged share where every value has them', () => {
    const plain = sweepChart({ title: 't', knobLabel: 'k', attackName: 'PLG-MI', points: [point(0), point(1)] });
    expect(plain.series.map((s) => s.label)).toEqual(['clean accuracy', 'PLG-MI top-1 (evaluator)', 'PLG-MI top-1 (judge 2)']);
    expect(plain.xs).toEqual([0, 1]);
    const trap = sweepChart({ title: 't', knobLabel: 'k', attackName: 'PLG-MI', points: [point(0.01, { trapdoorAccuracy: 0.5, flaggedShare: 0.4 }), point(0.1, { trapdoorAccuracy: 0.9, flaggedShare: 0.8 })] });
    expect(trap.series.map((s) => s.label).slice(3)).toEqual(['trapdoor accuracy', 'reconstructions flagged']);
    expect(trap.series[4].values).toEqual([0.4, 0.8]);
  });
});

describe("Trap-MID's augmentation strength", () => {
  it('is the shipped warp range at 1, and at 0 leaves the images exactly as they are', async () => {
    expect(scaledAugment(1)).toEqual(DEFAULT_AUGMENT);
    expect(scaledAugment(2).rotate).toBe(2 * DEFAULT_AUGMENT.rotate);
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const warps = randomAffineBatch(2, makeRng(5), scaledAugment(0));
    const y = applyAffine(x, warps);
    expect(maxAbsDiff(await y.data(), await x.data())).toBeLessThan(1e-5);
    // Faces (64 x 64: shifts and mirror images): at 0 neither.
    const face = tf.randomUniform([4, 64, 64, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const warp = randomWarp(64, 2, makeRng(6), scaledAugment(0));
    const same = warp.apply(face);
    expect(maxAbsDiff(await same.data(), await face.data())).toBe(0);
    warp.dispose();
    tf.dispose([x, warps, y, face, same]);
  });
});
