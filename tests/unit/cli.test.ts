// The CLI runs the same engine in Node: files and JSON out, clear errors and non-zero exits on bad arguments.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../scripts/lib/node-io.ts';
import { readGrayPng, writeGrayPng } from '../../scripts/lib/png.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';

// A run takes seconds here; the generous limit is for a loaded CI machine. When a run is killed, say how and why
// (its stderr alone is then empty and an exit code of null explains nothing).
const RUN_LIMIT_MS = 300_000;
// Every test here spawns the CLI, and in a fresh checkout the first attack also computes the KNN feature caches (every
// MNIST training image through the evaluator and the second judge, minutes on a loaded machine): the test waits as long as its run may take.
vi.setConfig({ testTimeout: RUN_LIMIT_MS + 30_000 });
function mi(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/mi.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: RUN_LIMIT_MS });
  const killed = r.status === null ? `killed by ${r.signal ?? 'no signal'}${r.error ? ` (${r.error.message})` : ''}\n` : '';
  return { code: r.status, stdout: r.stdout, stderr: killed + r.stderr };
}

describe('npm run mi', () => {
  it.each([
    [['attack'], /--attack is required/],
    [['attack', '--attack', 'gmi-typo'], /unknown attack 'gmi-typo'/],
    [['attack', '--attack', 'mi-face', '--steps', 'abc'], /--steps: 'abc' is not a number/],
    [['attack', '--attack', 'mi-face', '--steps', '0'], /--steps: 0 is below the minimum 1/],
    [['attack', '--attack', 'mi-face', '--target', 'nope'], /no target model 'nope'/],
    [['attack', '--attack', 'mi-face', '--bogus'], /Unknown option '--bogus'/],
    [['attack', '--attack', 'mi-face', '--seed', '1', '--seeds', '1-3'], /--seed or --seeds, not both/],
    [['attack', '--attack', 'mi-face', '--restarts', '3'], /--restarts does not apply to mi-face/],
    [['attack', '--attack', 'gmi', '--output-defense', 'label-only'], /--output-defense applies to black-box and label-only attacks/],
    [['attack', '--attack', 'genetic', '--output-defense', 'blur'], /output defense 'blur'/],
    [['attack', '--attack', 'gmi', '--knowledge', 'all'], /--knowledge: 'all' must be/],
    [['attack', '--attack', 'gmi', '--budget', 'huge'], /--budget: 'huge' must be/],
    [['attack', '--attack', 'split-inversion', '--split-noise=-1'], /--split-noise: -1 is below the minimum 0/],
    [['attack', '--attack', 'split-inversion', '--split-noise', 'loud'], /--split-noise: 'loud' is not a number/],
    [['attack', '--attack', 'split-inversion', '--split-noise', '11'], /--split-noise: 11 is above the maximum 10/],
    [['attack', '--attack', 'inversion-net', '--split-noise', '0.5'], /--split-noise does not apply to inversion-net/],
    [['attack', '--attack', 'split-inversion', '--output-defense', 'top-k:1'], /--output-defense applies to black-box and label-only attacks, not split-inversion/],
    [['attack', '--attack', 'split-inversion', '--query-budget', '100'], /--query-budget applies to black-box and label-only attacks, not split-inversion/],
    [['attack', '--attack', 'plg-mi-adaptive', '--trapdoorWeight=-1'], /--trapdoorWeight: -1 is below the minimum 0/],
    [['attack', '--attack', 'plg-mi-adaptive', '--reverseSteps', '2.5'], /--reverseSteps: '2.5' is not an integer/],
    [['attack', '--attack', 'plg-mi', '--trapdoorWeight', '5'], /--trapdoorWeight does not apply to plg-mi/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['train'], /--defense is required/],
    [['train', '--defense', 'magic'], /unknown defense 'magic'/],
    [['train', '--defense', 'mid', '--beta', '0.5'], /--beta does not apply to mid \(its knobs: --midBeta\)/],
    [['train', '--defense', 'trap-mid', '--cleanSmoothing', '2'], /--cleanSmoothing: 2 is above the maximum 0.5/],
    [['train', '--defense', 'negls', '--naturalness', 'paper'], /--naturalness applies to trap-mid/],
    [['train', '--defense', 'trap-mid', '--naturalness', 'pretty'], /--naturalness: 'pretty' must be one of balanced, paper, none/],
    [['train', '--defense', 'mid', '--injection', 'ink'], /--injection applies to trap-mid/],
    [['train', '--defense', 'dp-sgd', '--clipNorm', '0'], /--clipNorm: 0 is below the minimum 0.01/],
    [['train', '--defense', 'tl-dmi', '--fineTunedLayers', '9'], /--fineTunedLayers: 9 is above the maximum 4/],
    [['train', '--defense', 'label-smoothing', '--noiseMultiplier', '1'], /--noiseMultiplier does not apply to label-smoothing/],
    [['train', '--defense', 'trap-mid', '--injection', 'patch'], /--injection: 'patch' must be one of blend, ink, stroke, warp, ted/],
    [['sweep', '--knob', 'alpha', '--values', '0.02'], /--defense is required/],
    [['sweep', '--defense', 'none', '--knob', 'alpha', '--values', '0.02'], /'none' has no MNIST target recipe with a knob to sweep/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'midBeta', '--values', '0.02'], /--knob: 'midBeta' is not a knob of trap-mid/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'alpha'], /--values is required/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'alpha', '--values', '0.02,5'], /--values: 5 is above the maximum 2/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'alpha', '--values', '0.02,0.02'], /repeats a value/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'alpha', '--values', '0.02', '--attack', 'gmi'], /--attack: 'gmi' cannot be swept \(available: plg-mi, mi-face\)/],
    [['sweep', '--defense', 'trap-mid', '--knob', 'augmentStrength', '--values', '1', '--epochs', '0'], /--epochs: 0 is below the minimum 1/],
    [['sweep', '--plot', '/nonexistent'], /--plot: no sweep.json in '\/nonexistent'/],
    [['detect', '--target', 'target-none'], /--images DIR is required/],
    [['judge'], /--images DIR is required/],
    [['judge', '--images', path.join(ROOT, 'models')], /no \.png files/],
    [['detect', '--target', 'target-none', '--images', '/nonexistent'], /is not a folder/],
  ])('rejects %j with a clear message and exit code 2', (args, message) => {
    const r = mi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run mi/);
  });

  it('writes one PNG per private digit and result.json, and prints the JSON result', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-'));
    const r = mi('attack', '--attack', 'mi-face', '--target', 'target-none', '--steps', '60', '--seed', '3', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.config).toMatchObject({ attack: 'mi-face', targetId: 'target-none', steps: 60, seed: 3 });
    expect(result.perClass.map((c: { digit: number }) => c.digit)).toEqual([0, 1, 2, 3, 4]);
    for (const c of result.perClass) {
      expect(c.targetConfidence).toBeGreaterThan(0.9);
      expect(c.evaluator.top5).toHaveLength(5);
      const png = readGrayPng(path.join(out, `recon-${c.digit}-0.png`));
      expect(Math.max(...png)).toBeGreaterThan(0.1);
    }
    expect(result.attackAccuracy.top1).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'))).toEqual(result);
  });
});

describe('npm run mi -- attack --seeds', () => {
  it('runs one attack per seed and aggregates attack accuracy over all reconstructions', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-'));
    const r = mi('attack', '--attack', 'mi-face', '--steps', '20', '--seeds', '4-5', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.config.seeds).toEqual([4, 5]);
    expect(result.config.init).toBe('noise');
    expect(result.perClass).toHaveLength(10);
    expect(result.attackAccuracy.perSeedTop1).toHaveLength(2);
    const hits = result.perClass.filter((c: { digit: number; evaluator: { predicted: number } }) => c.evaluator.predicted === c.digit).length;
    expect(result.attackAccuracy.top1).toBeCloseTo(hits / 10, 10);
    // The second judge reads every image too; "both" counts the images both judges call right.
    type Judged = { digit: number; evaluator: { predicted: number }; robust: { predicted: number } };
    const second = result.perClass.filter((c: Judged) => c.robust.predicted === c.digit).length;
    const both = result.perClass.filter((c: Judged) => c.robust.predicted === c.digit && c.evaluator.predicted === c.digit).length;
    expect(result.attackAccuracy.robustTop1).toBeCloseTo(second / 10, 10);
    expect(result.attackAccuracy.bothTop1).toBeCloseTo(both / 10, 10);
    expect(result.attackAccuracy.perSeedRobustTop1).toHaveLength(2);
    expect(fs.existsSync(path.join(out, 'recon-3-1.png'))).toBe(true);
    // `judge` reads the written PNGs back (8-bit grey levels) and gives the same verdicts, up to that rounding.
    const judged = mi('judge', '--images', out, '--json');
    expect(judged.code, judged.stderr).toBe(0);
    const j = JSON.parse(judged.stdout.trim().split('\n').at(-1)!);
    expect(j.images).toBe(10);
    const same = j.perImage.filter((r: { file: string; evaluator: number; robust: number }) => {
      const [, digit, k] = /recon-(\d)-(\d+)/.exec(r.file)!.map(Number);
      const c = result.perClass.find((x: { digit: number; file: string }) => x.file === `recon-${digit}-${k}.png`);
      return c.evaluator.predicted === r.evaluator && c.robust.predicted === r.robust;
    }).length;
    expect(same).toBeGreaterThanOrEqual(9);
    expect(Math.abs(j.attackAccuracy.top1 - result.attackAccuracy.top1)).toBeLessThanOrEqual(0.1);
    expect(j.attackAccuracy.knnLabel).toBeGreaterThanOrEqual(0);
    // Different seeds start from different noise, so they end in different images.
    expect(Array.from(readGrayPng(path.join(out, 'recon-3-0.png')))).not.toEqual(Array.from(readGrayPng(path.join(out, 'recon-3-1.png'))));
  });
});

describe('npm run mi -- attack --dataset faces', () => {
  it('judges 64 x 64 faces twice (the second judge over all 40 people) with KNN-label, and `judge --dataset faces` agrees', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-'));
    const r = mi('attack', '--dataset', 'faces', '--attack', 'mi-face', '--target', 'faces-target-softmax', '--steps', '5', '--seed', '1', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.perClass).toHaveLength(20);
    type Judged = { digit: number; file: string; evaluator: { predicted: number }; robust: { predicted: number }; knnLabel: number };
    const rows: Judged[] = result.perClass;
    // The evaluator names one of the 20 private people; the second judge and the nearest photo any of the 40.
    for (const c of rows) {
      expect(result.perClass.map((x: Judged) => x.digit)).toContain(c.evaluator.predicted);
      expect(c.robust.predicted).toBeGreaterThanOrEqual(0);
      expect(c.robust.predicted).toBeLessThan(40);
      expect(c.knnLabel).toBeLessThan(40);
    }
    expect(result.attackAccuracy.robustTop1).toBeCloseTo(rows.filter((c) => c.robust.predicted === c.digit).length / 20, 10);
    expect(result.attackAccuracy.bothTop1).toBeCloseTo(rows.filter((c) => c.robust.predicted === c.digit && c.evaluator.predicted === c.digit).length / 20, 10);
    expect(result.attackAccuracy.knnLabel).toBeCloseTo(rows.filter((c) => c.knnLabel === c.digit).length / 20, 10);
    const judged = mi('judge', '--dataset', 'faces', '--images', out, '--json');
    expect(judged.code, judged.stderr).toBe(0);
    const j = JSON.parse(judged.stdout.trim().split('\n').at(-1)!);
    expect(j.images).toBe(20);
    // The PNGs are 8-bit: the same verdicts up to that rounding.
    const same = j.perImage.filter((x: { file: string; evaluator: number; robust: number }) => {
      const c = rows.find((y) => y.file === x.file)!;
      return c.evaluator.predicted === x.evaluator && c.robust.predicted === x.robust;
    }).length;
    expect(same).toBeGreaterThanOrEqual(18);
    expect(j.attackAccuracy.knnLabel).toBeGreaterThanOrEqual(0);
  });
});

describe('npm run mi -- attack with a GAN attack', () => {
  it('GMI writes the kept reconstruction per digit, the KNN distance and quality metrics against the private set, and the JSON result', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-'));
    const r = mi('attack', '--attack', 'gmi', '--steps', '8', '--restarts', '2', '--seed', '2', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.config).toMatchObject({ attack: 'gmi', knowledge: 'disjoint', params: { steps: 8, restarts: 2, lambda: 100 } });
    expect(result.perClass.map((c: { digit: number }) => c.digit)).toEqual([0, 1, 2, 3, 4]);
    for (const c of result.perClass) expect(c.knnDistance).toBeGreaterThan(0);
    expect(result.knnDistance).toBeGreaterThan(0);
    // KNN-label: the digit of the nearest MNIST training image of any digit, in the second judge's features.
    for (const c of result.perClass) expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).toContain(c.knnLabel);
    expect(result.attackAccuracy.knnLabel).toBeCloseTo(result.perClass.filter((c: { digit: number; knnLabel: number }) => c.knnLabel === c.digit).length / 5, 10);
    // Quality metrics against the private set: PSNR / SSIM to the nearest private image, FID, PRDC (pooled; per class
    // there is one reconstruction per seed, too few for k = 3).
    for (const c of result.perClass) {
      expect(c.psnr).toBeGreaterThan(0);
      expect(c.psnr).toBeLessThan(100);
      expect(Math.abs(c.ssim)).toBeLessThanOrEqual(1);
    }
    expect(result.fid).toBeGreaterThan(0);
    for (const key of ['precision', 'recall', 'coverage']) expect(result.prdc[key]).toBeGreaterThanOrEqual(0);
    expect(result.prdcPerClass[0]).toMatchObject({ digit: 0, prdc: null });
    // GAN images have ink: a generator of digits, not a blank canvas.
    expect(Math.max(...readGrayPng(path.join(out, 'recon-0-0.png')))).toBeGreaterThan(0.5);
  });

  it('--budget paper takes the paper settings', () => {
    const r = mi('attack', '--attack', 'brep-mi', '--budget', 'paper', '--steps', '2', '--probes', '4', '--no-knn', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.config.params).toMatchObject({ steps: 2, probes: 4, growth: 1.3 });
    expect(result.queriesPerRun).toBeGreaterThan(5 * 4 * 2);
  });
});

describe('npm run mi -- bench', () => {
  it.each([
    [['bench', '--defenses', 'target-nope'], /--defenses: no target 'target-nope'/],
    [['bench', '--attacks', 'mi-face,plg-typo'], /--attacks: unknown attack 'plg-typo'/],
    [['bench', '--seeds', '3-1'], /--seeds: '3-1': a range goes up/],
    [['bench', '--seeds', 'x'], /--seeds: 'x' is not a seed/],
    [['bench', '--budget', 'huge'], /--budget: 'huge' must be/],
    [['bench', '--steps', '0'], /--steps: 0 is below the minimum 1/],
    [['bench', '--output-defense', 'blur'], /--output-defense: output defense 'blur'/],
    [['bench', '--output-defense', 'adv-noise:99'], /--output-defense: .*noise budget must be a number in \(0, 20\]/],
    [['bench', '--query-budget', '100,0'], /--query-budget: 0 is below the minimum 1/],
  ])('rejects %j with a clear message and exit code 2', (args, message) => {
    const r = mi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run mi/);
  });

  it('runs a tiny grid: prints the record, writes table.csv, record.json and the PNGs', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-bench-'));
    const r = mi('bench', '--defenses', 'target-none', '--attacks', 'mi-face', '--seeds', '2', '--steps', '15', '--json', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(record).toMatchObject({ format: 'inversion-playground-benchmark', state: 'done', config: { defenses: ['target-none'], attacks: ['mi-face'], seeds: [2], steps: 15 } });
    // The CLI's reference is every private training image (cached features), FID / PRDC against 500 of them.
    expect(record.reference).toEqual({ images: 30596, perDigit: null, fidImages: 500 });
    const [cell] = record.cells;
    expect(cell).toMatchObject({ defense: 'target-none', attack: 'mi-face', status: 'done', steps: 15, seeds: [2] });
    expect(cell.metrics.knnDistance).toBeGreaterThan(0);
    expect(cell.metrics.fid).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'table.csv'), 'utf8')).toMatch(/^defense,clean_accuracy,attack,.*\ntarget-none,0\.9976,mi-face,done,2,15,5,/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'record.json'), 'utf8'))).toEqual(record);
    expect(fs.existsSync(path.join(out, 'target-none/mi-face/recon-3-2.png'))).toBe(true);
    expect(Math.max(...readGrayPng(path.join(out, 'target-none/mi-face/nearest-3-2.png')))).toBeGreaterThan(0.5);
    expect(r.stderr).toMatch(/\[1\/1\] target-none x mi-face: top-1/);
  });

  it('sweeps the query budget: one grid per budget, the querying column stopped at each, behind the output defense', () => {
    const r = mi('bench', '--defenses', 'target-none', '--attacks', 'genetic', '--seeds', '1', '--steps', '3', '--output-defense', 'round:1', '--query-budget', '40,100', '--json');
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => [x.config.queryBudget, x.config.outputDefense])).toEqual([[40, 'round:1'], [100, 'round:1']]);
    // 16 latents a digit, 5 digits: 80 queries a generation; each budget stops the search at exactly itself.
    expect(records.map((x) => x.cells[0].metrics.queriesPerRun)).toEqual([40, 100]);
    expect(r.stderr).toMatch(/query budget 40: target-none x genetic/);
  });
});

describe('npm run mi -- detect', () => {
  it('flags private digits carrying another digit\'s trigger, and not the same digits clean', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-detect-'));
    const raw = fs.readFileSync(path.join(ROOT, 'models/target-trap-mid-capped/triggers.bin'));
    const triggers = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const { privateTest } = loadSplits();
    for (let i = 0; i < 10; i++) {
      const x = Array.from(privateTest.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
      const t = (privateTest.labels[i] + 1 + (i % 4)) % 5; // never the digit's own class
      writeGrayPng(path.join(dir, `clean-${i}.png`), x);
      // Trap-MID's blend at the target's alpha 0.02: x~ = alpha K_t + (1 - alpha) x
      writeGrayPng(path.join(dir, `triggered-${i}.png`), x.map((v, j) => 0.02 * triggers[t * 784 + j] + 0.98 * v));
    }
    const r = mi('detect', '--target', 'target-trap-mid-capped', '--images', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows: { file: string; score: number; flagged: boolean }[] = JSON.parse(r.stdout.trim().split('\n').at(-1)!).images;
    const share = (prefix: string) => rows.filter((row) => row.file.startsWith(prefix) && row.flagged).length / 10;
    expect(share('triggered')).toBeGreaterThanOrEqual(0.8);
    expect(share('clean')).toBeLessThanOrEqual(0.2);
  }, 120_000);
});
