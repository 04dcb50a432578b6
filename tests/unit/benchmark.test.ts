// The benchmark grid as an engine job, on tiny inputs: every cell is produced once with its metrics, a cell whose GAN
// prior is not shipped says so instead of failing, cancel works, and no tensors are left behind across runs. Also the
// record's plain helpers (seed lists, CSV, reading a saved record back).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import type { BenchmarkCell, BenchmarkConfig, BenchmarkProgress } from '../../src/worker/protocol.ts';
import {
  decodeGray, encodeGray, formatSeedList, parseBenchmarkRecord, parseSeedList, recordToCsv,
} from '../../src/worker/benchmark-record.ts';
import { nodeLoader } from '../../scripts/lib/node-io.ts';
import { benchmarkSettingsToSearch, readBenchmarkSettings, toBenchmarkConfig } from '../../src/pages/benchmark/benchmark-config.ts';
import { useWasm, runGrid as runGridOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => {
  await useWasm();
  // Without the cached full-set features: the engine featurises a small reference itself, as in the browser.
  engine = new Engine({ ...nodeLoader(), privateTrainFeatures: undefined }, ['wasm']);
  await engine.init({ baseUrl: '' });
});

const tiny: BenchmarkConfig = {
  defenses: ['target-none', 'target-dp-eps8'], attacks: ['mi-face', 'ked-mi'], seeds: [1], budget: 'browser', knowledge: 'disjoint',
  steps: 3, referencePerDigit: 12,
};

/** Runs a grid to its end; all progress messages. */
const runGrid = (config: BenchmarkConfig) => runGridOf(engine, config);

describe('benchmark jobs', () => {
  it('produces every cell once, with metrics; a missing prior gives a "no prior" cell; tensors stay flat', async () => {
    const seen = await runGrid(tiny);
    const first = seen[0], last = seen.at(-1)!;
    expect(first.phase).toBe('reference');
    expect(first.cellsTotal).toBe(4);
    // KED-MI against target-dp-eps8: its GAN is not shipped, so the cell is reported at once, never run.
    expect(first.cells).toEqual([expect.objectContaining({ defense: 'target-dp-eps8', attack: 'ked-mi', status: 'no-prior', prior: 'ked-target-dp-eps8-disjoint' })]);
    expect(first.cells[0].note).toMatch(/no prior for this target/);

    const cells: BenchmarkCell[] = seen.flatMap((p) => p.cells);
    expect(cells.map((c) => `${c.defense} ${c.attack}`).sort()).toEqual(['target-dp-eps8 ked-mi', 'target-dp-eps8 mi-face', 'target-none ked-mi', 'target-none mi-face']);
    expect(last).toMatchObject({ state: 'done', phase: 'finished', cellsDone: 4, remainingMs: 0 });
    expect(last.work.done).toBe(last.work.total);
    expect(last.work.total).toBe(3 * 3); // three runnable cells of 3 steps, one seed
    // Progress in between: the current run, and a time-left estimate once a step was measured.
    expect(seen.some((p) => p.current?.attack === 'ked-mi' && p.current.defense === 'target-none')).toBe(true);
    expect(seen.some((p) => p.state === 'running' && typeof p.remainingMs === 'number')).toBe(true);

    for (const c of cells.filter((x) => x.status !== 'no-prior')) {
      expect(c.status, c.note).toBe('done');
      expect(c.seeds).toEqual([1]);
      expect(c.steps).toBe(3);
      const m = c.metrics!;
      expect(m.images).toBe(5);
      for (const v of [m.top1, m.top5]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(m.top5).toBeGreaterThanOrEqual(m.top1);
      // The second judge: its top-1, and the share both judges agree on (never above either judge's).
      for (const v of [m.robustTop1!, m.bothTop1!, m.knnLabelAccuracy!]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(m.bothTop1).toBeLessThanOrEqual(Math.min(m.top1, m.robustTop1!));
      expect(m.knnDistance).toBeGreaterThan(0);
      expect(m.fid).toBeGreaterThan(0);
      expect(m.prdc).not.toBeNull(); // pooled: 5 reconstructions > k = 3
      expect(m.psnr).toBeGreaterThan(0);
      expect(c.perClass!.map((r) => r.digit)).toEqual([0, 1, 2, 3, 4]);
      expect(c.perClass![0]).toMatchObject({ images: 1, prdc: null }); // one per digit: too few for PRDC
      for (const im of c.images!) {
        expect(decodeGray(im.pixels)).toHaveLength(784);
        const nearest = decodeGray(im.nearest);
        expect(Math.max(...nearest)).toBeGreaterThan(0.5); // a real handwritten digit
        expect(im.nearestPrivateIndex).toBeGreaterThanOrEqual(0);
        expect(im.evaluator.top5).toHaveLength(5);
        expect(im.robust!.predicted).toBeGreaterThanOrEqual(0);
        expect(im.robust!.predicted).toBeLessThanOrEqual(9);
        expect(im.knnLabel).toBeGreaterThanOrEqual(0);
        expect(im.knnLabel).toBeLessThanOrEqual(9);
      }
      expect(m.robustTop1).toBeCloseTo(c.images!.filter((im) => im.robust!.predicted === im.digit).length / 5, 9);
      expect(m.knnLabelAccuracy).toBeCloseTo(c.images!.filter((im) => im.knnLabel === im.digit).length / 5, 9);
      // Synthetic distribution analysis: the nearest training image a public digit (5-9).
      expect(m.publicNearest).toBeCloseTo(c.images!.filter((im) => im.knnLabel! >= 5).length / 5, 9);
    }
    const record = last.record!;
    expect(record).toMatchObject({ format: 'inversion-playground-benchmark', version: 1, backend: 'wasm', state: 'done', config: tiny });
    expect(record.reference).toEqual({ images: 60, perDigit: 12, fidImages: 60 });
    expect(record.defenses.map((d) => d.id)).toEqual(['target-none', 'target-dp-eps8']);
    expect(record.cells).toHaveLength(4);

    // The same grid again: models and the reference are cached; nothing else may stay.
    await new Promise((r) => setTimeout(r, 20));
    const baseline = tf.memory().numTensors;
    const again = await runGrid(tiny);
    await new Promise((r) => setTimeout(r, 20));
    expect(tf.memory().numTensors).toBe(baseline);
    // Seeded: the same config gives the same figures.
    const a = again.at(-1)!.record!.cells.find((c) => c.attack === 'mi-face' && c.defense === 'target-none')!;
    const b = record.cells.find((c) => c.attack === 'mi-face' && c.defense === 'target-none')!;
    expect(a.metrics!.knnDistance).toBeCloseTo(b.metrics!.knnDistance, 6);
  });

  it('cancels between steps: the record keeps the finished cells, no tensors stay', async () => {
    const baseline = tf.memory().numTensors;
    const seen: BenchmarkProgress[] = [];
    const id = await engine.startBenchmark({ ...tiny, defenses: ['target-none'], attacks: ['mi-face'], seeds: [1, 2, 3], steps: 400 }, (p) => seen.push(p));
    for (const t0 = performance.now(); !seen.some((p) => (p.current?.step ?? 0) > 2); await new Promise((r) => setTimeout(r, 20))) {
      if (performance.now() - t0 > 60_000) throw new Error('no progress');
    }
    await engine.cancel(id);
    const last = seen.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(last.record!.state).toBe('cancelled');
    expect(last.record!.cells).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('scores the reconstructions of a Trap-MID row with its trapdoor detector, and only that row', async () => {
    const seen = await runGrid({ ...tiny, defenses: ['target-trap-mid', 'target-none'], attacks: ['mi-face'], steps: 30 });
    const cells = seen.at(-1)!.record!.cells;
    const trap = cells.find((c) => c.defense === 'target-trap-mid')!;
    const t = trap.metrics!.trapdoor!;
    const scores = trap.images!.map((im) => im.trapdoorScore!);
    expect(scores).toHaveLength(5);
    for (const s of scores) { expect(s).toBeGreaterThanOrEqual(-1); expect(s).toBeLessThanOrEqual(1); }
    expect(t.flaggedShare).toBeCloseTo(scores.filter((s) => s > t.threshold).length / 5, 10);
    expect(t.meanScore).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / 5, 10);
    expect(t.threshold).toBeGreaterThan(0);
    expect(recordToCsv(seen.at(-1)!.record!).split('\n')[0]).toContain('trapdoor_flagged');
    const none = cells.find((c) => c.defense === 'target-none')!;
    expect(none.metrics!.trapdoor).toBeUndefined();
    expect(none.images!.every((im) => im.trapdoorScore === undefined)).toBe(true);
  });

  it('rejects a bad config with a message naming the field', async () => {
    await expect(engine.startBenchmark({ ...tiny, defenses: ['target-nope'] }, () => undefined)).rejects.toThrow(/no target 'target-nope'/);
    await expect(engine.startBenchmark({ ...tiny, defenses: ['evaluator'] }, () => undefined)).rejects.toThrow(/no target 'evaluator'/);
    await expect(engine.startBenchmark({ ...tiny, attacks: ['mi-fake' as 'mi-face'] }, () => undefined)).rejects.toThrow(/unknown attack 'mi-fake'/);
    await expect(engine.startBenchmark({ ...tiny, seeds: [] }, () => undefined)).rejects.toThrow(/seeds/);
    await expect(engine.startBenchmark({ ...tiny, steps: 0 }, () => undefined)).rejects.toThrow(/steps must be/);
    await expect(engine.startBenchmark({ ...tiny, outputDefense: 'blur' }, () => undefined)).rejects.toThrow(/output defense 'blur'/);
    await expect(engine.startBenchmark({ ...tiny, queryBudget: 0 }, () => undefined)).rejects.toThrow(/queryBudget must be a whole number/);
  });

  it('puts the output defense and the query budget in front of the querying columns only, and says so in the CSV', async () => {
    const config: BenchmarkConfig = { ...tiny, defenses: ['target-none'], attacks: ['mi-face', 'genetic'], outputDefense: 'dp:1', queryBudget: 100 };
    const record = (await runGrid(config)).at(-1)!.record!;
    const genetic = record.cells.find((c) => c.attack === 'genetic')!;
    expect(genetic.status, genetic.note).toBe('done');
    // Population 16 per digit, 5 digits: 80 queries a generation, so the budget of 100 stops it after the first one.
    expect(genetic.metrics!.queriesPerRun).toBeLessThanOrEqual(100);
    expect(genetic.metrics!.queriesPerRun).toBeGreaterThan(0);
    const csv = recordToCsv(record).trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => csv[0].indexOf(name);
    const row = (attack: string) => csv.find((r) => r[col('attack')] === attack)!;
    expect([row('genetic')[col('output_defense')], row('genetic')[col('query_budget')]]).toEqual(['dp:1', '100']);
    expect([row('mi-face')[col('output_defense')], row('mi-face')[col('query_budget')]]).toEqual(['', '']);
  });
});

describe('the benchmark page\'s link: output defense and query budget', () => {
  it('reads, corrects and writes defense= and queries=, and passes them to the engine', () => {
    const { settings, corrections } = readBenchmarkSettings('?attacks=genetic&defense=purifier&queries=500');
    expect(corrections).toEqual([]);
    expect([settings.outputDefense, settings.queryBudget]).toEqual(['purifier', 500]);
    expect(benchmarkSettingsToSearch(settings)).toBe('?attacks=genetic&defense=purifier&queries=500');
    expect(toBenchmarkConfig(settings, ['target-none'])).toMatchObject({ outputDefense: 'purifier', queryBudget: 500 });
    const bad = readBenchmarkSettings('?defense=blur&queries=-3');
    expect(bad.settings.outputDefense).toBe('none');
    expect(bad.settings.queryBudget).toBe(0);
    expect(bad.corrections.join(' ')).toMatch(/Output defense "blur" is unknown.*using none/);
    expect(bad.corrections.join(' ')).toMatch(/Query budget -3 is below 0/);
    expect(toBenchmarkConfig(readBenchmarkSettings('').settings, ['target-none'])).not.toHaveProperty('outputDefense');
  });
});

describe('benchmark records', () => {
  it('parses and formats seed lists', () => {
    expect(parseSeedList('1-3,7, 9')).toEqual([1, 2, 3, 7, 9]);
    expect(parseSeedList('4')).toEqual([4]);
    expect(formatSeedList([1, 2, 3, 7, 9, 10])).toBe('1-3,7,9-10');
    for (const bad of ['', 'a', '3-1', '1,,2', '-2', '1-100']) expect(() => parseSeedList(bad), bad).toThrow();
  });

  it('encodes images as base64 grey levels', () => {
    const px = Float32Array.from({ length: 784 }, (_, i) => (i % 256) / 255);
    expect(Array.from(decodeGray(encodeGray(px)))).toEqual(Array.from(px));
  });

  it('writes CSV and reads a saved record back; rejects what is not one', () => {
    const record = {
      format: 'inversion-playground-benchmark', version: 1, createdAt: '2026-01-01T00:00:00.000Z', config: tiny, backend: 'wasm', state: 'done', elapsedMs: 1,
      defenses: [{ id: 'target-none', defense: 'none', testAccuracy: 0.9976 }, { id: 'target-mid', defense: 'mid', testAccuracy: 0.997 }],
      attacks: [{ id: 'mi-face', name: 'MI-Face', threat: 'white-box' }],
      reference: { images: 60, perDigit: 12, fidImages: 60 },
      cells: [
        { defense: 'target-none', attack: 'mi-face', status: 'done', steps: 3, seeds: [1, 2], seconds: 1.5, metrics: { images: 10, top1: 0.8, top5: 1, robustTop1: 0.6, bothTop1: 0.5, knnLabelAccuracy: 0.7, publicNearest: 0.2, knnDistance: 90.123456789, psnr: 12, ssim: 0.3, prdc: null, fid: 120, meanTargetConfidence: 0.99 } },
        { defense: 'target-mid', attack: 'plg-mi', status: 'no-prior', note: 'no prior for this target, "x"', steps: 150, seeds: [], seconds: 0 },
      ],
    } as const;
    const csv = recordToCsv(record as never).trim().split('\n');
    expect(csv[0]).toMatch(/^defense,clean_accuracy,attack,status,seeds,steps,images,top1,top5,judge2_top1,both_top1,knn_label,public_nearest,knn_distance,fid,/);
    expect(csv[1]).toMatch(/^target-none,0\.9976,mi-face,done,1-2,3,10,0\.8,1,0\.6,0\.5,0\.7,0\.2,90\.1235,120,/);
    expect(csv[2]).toMatch(/no-prior,,150,.*"no prior for this target, ""x"""$/);
    expect(parseBenchmarkRecord(JSON.stringify(record))).toEqual(record);
    expect(() => parseBenchmarkRecord('{')).toThrow(/not JSON/);
    expect(() => parseBenchmarkRecord('{"format":"other"}')).toThrow(/not a benchmark run record/);
    expect(() => parseBenchmarkRecord(JSON.stringify({ ...record, cells: [{ defense: 'x', attack: 'mi-face', status: 'done' }] }))).toThrow(/no metrics/);
  });
});
