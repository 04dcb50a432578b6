// The benchmark on the faces (BenchmarkConfig.dataset = 'faces'): the config's checks (rows of the data set, attacks
// that run on it, knowledge 'disjoint' only), the page's ?dataset= link with its corrections, the record's dataset in
// CSV and JSON, the embed's dataset attribute, and a tiny faces cell through the engine in Node: 64 x 64
// reconstructions judged by both faces judges (the second one over all 40 people), compared with the 160 private
// training faces, KNN-label among the 360 private training and public faces.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import type { BenchmarkConfig, BenchmarkRecord } from '../../src/worker/protocol.ts';
import { DATASETS } from '../../src/worker/catalog.ts';
import { decodeGray, parseBenchmarkRecord, recordToCsv, validateBenchmarkConfig } from '../../src/worker/benchmark-record.ts';
import {
  benchmarkSettingsToSearch, readBenchmarkSettings, reconcileDefenses, toBenchmarkConfig,
} from '../../src/pages/benchmark/benchmark-config.ts';
import { attributesToSearch } from '../../src/embed/attributes.ts';
import { readSettings } from '../../src/pages/attack/url-config.ts';
import { MODELS_DIR, ROOT, nodeLoader } from '../../scripts/lib/node-io.ts';
import { nodeEngine, runGrid as runGridOf } from './helpers.ts';

const FACES = DATASETS.faces;
const PEOPLE = [...FACES.privateClasses];
const TARGETS = [
  { id: 'target-none' }, { id: 'target-trap-mid' },
  { id: 'faces-target-none', dataset: 'faces' }, { id: 'faces-target-softmax', dataset: 'faces' },
];
const faces: BenchmarkConfig = {
  dataset: 'faces', defenses: ['faces-target-softmax'], attacks: ['mi-face'], seeds: [1], budget: 'browser', knowledge: 'disjoint', steps: 2,
};

describe('a faces benchmark config', () => {
  it('takes the faces targets and the attacks that run on them; MNIST configs (no dataset) as before', () => {
    expect(() => validateBenchmarkConfig(faces, TARGETS)).not.toThrow();
    expect(() => validateBenchmarkConfig({ ...faces, attacks: ['mi-face', 'gmi', 'plg-mi', 'genetic', 'brep-mi'] }, TARGETS)).not.toThrow();
    const mnist: BenchmarkConfig = { defenses: ['target-none'], attacks: ['plg-mi'], seeds: [1], budget: 'browser', knowledge: 'other-writers' };
    expect(() => validateBenchmarkConfig(mnist, TARGETS)).not.toThrow();
    expect(() => validateBenchmarkConfig({ ...mnist, dataset: 'mnist' }, TARGETS)).not.toThrow();
  });

  it('rejects rows of the other data set, digits-only attacks, other-writers knowledge and unknown data sets, naming why', () => {
    const bad = (c: Partial<BenchmarkConfig>) => () => validateBenchmarkConfig({ ...faces, ...c } as BenchmarkConfig, TARGETS);
    expect(bad({ defenses: ['target-none'] })).toThrow(/'target-none' is a target of the MNIST digits, not of the Olivetti faces \(have: faces-target-none, faces-target-softmax\)/);
    expect(bad({ dataset: undefined })).toThrow(/'faces-target-softmax' is a target of the Olivetti faces, not of the MNIST digits/);
    expect(bad({ defenses: ['faces-target-nope'] })).toThrow(/no target 'faces-target-nope' \(have: faces-target-none, faces-target-softmax\)/);
    expect(bad({ attacks: ['mi-face', 'ked-mi'] })).toThrow(/KED-MI \(distributional\) does not run on the Olivetti faces/);
    expect(bad({ knowledge: 'other-writers' })).toThrow(/knowledge on the Olivetti faces is 'disjoint' only/);
    expect(bad({ dataset: 'cats' as 'faces' })).toThrow(/unknown data set 'cats' \(available: mnist, faces\)/);
  });
});

describe('the benchmark page link with ?dataset=', () => {
  it('faces: the faces defaults, written back as dataset=faces alone; the config carries the data set', () => {
    const { settings, corrections } = readBenchmarkSettings('?dataset=faces');
    expect(corrections).toEqual([]);
    expect(settings).toMatchObject({ dataset: 'faces', defenses: ['faces-target-none', 'faces-target-softmax'], attacks: ['mi-face', 'gmi'], knowledge: 'disjoint' });
    expect(benchmarkSettingsToSearch(settings)).toBe('?dataset=faces');
    expect(benchmarkSettingsToSearch({ ...settings, attacks: ['mi-face'], steps: 5 })).toBe('?dataset=faces&attacks=mi-face&steps=5');
    const config = toBenchmarkConfig(settings, TARGETS.map((t) => t.id));
    // Rows in the targets' order, those the engine has (Trap-MID on faces is listed where shipped).
    expect(config).toMatchObject({ dataset: 'faces', defenses: ['faces-target-none', 'faces-target-softmax'], attacks: ['mi-face', 'gmi'] });
    expect(() => validateBenchmarkConfig(config, TARGETS)).not.toThrow();
    // The defaults drop a target not shipped yet without a notice; a link that names it gets one.
    expect(reconcileDefenses(settings.defenses, TARGETS, 'faces')).toEqual({ defenses: ['faces-target-none', 'faces-target-softmax'], corrections: [] });
    expect(reconcileDefenses(['faces-target-trap-mid'], TARGETS, 'faces').corrections).toEqual([
      'Defense "faces-target-trap-mid" is not a target here (have: faces-target-none, faces-target-softmax); ignored',
    ]);
  });

  it('MNIST links and configs stay as they were: no dataset parameter, no dataset field', () => {
    const { settings } = readBenchmarkSettings('?attacks=mi-face&steps=8');
    expect(settings.dataset).toBe('mnist');
    expect(benchmarkSettingsToSearch(settings)).toBe('?attacks=mi-face&steps=8');
    expect('dataset' in toBenchmarkConfig(settings, TARGETS.map((t) => t.id))).toBe(false);
  });

  it('corrects a bad data set, digits-only attacks and knowledge, each with a notice', () => {
    const bad = readBenchmarkSettings('?dataset=cats');
    expect(bad.settings.dataset).toBe('mnist');
    expect(bad.corrections).toEqual(['Data set "cats" is unknown (use mnist, faces); using mnist']);
    const r = readBenchmarkSettings('?dataset=faces&attacks=ked-mi,mi-face&knowledge=other-writers');
    expect(r.settings).toMatchObject({ dataset: 'faces', attacks: ['mi-face'], knowledge: 'disjoint' });
    expect(r.corrections).toEqual([
      'KED-MI (distributional) does not run on the Olivetti faces (its prior is trained per digit target); ignored',
      'Attacker knowledge "other-writers" is a digits setting; the Olivetti faces have one: other people\'s faces',
    ]);
    // Only digits-only attacks named: the faces' default attacks.
    expect(readBenchmarkSettings('?dataset=faces&attacks=ked-mi').settings.attacks).toEqual(['mi-face', 'gmi']);
  });

  it('drops a digits target from a faces selection (saying whose it is) and falls back to the faces defaults', () => {
    expect(reconcileDefenses(['target-none'], TARGETS, 'faces')).toEqual({
      defenses: ['faces-target-none', 'faces-target-softmax'],
      corrections: ['Defense "target-none" is not a target of the Olivetti faces (have: faces-target-none, faces-target-softmax); ignored'],
    });
    expect(reconcileDefenses(['faces-target-softmax', 'nope'], TARGETS, 'faces')).toEqual({
      defenses: ['faces-target-softmax'], corrections: ['Defense "nope" is not a target here (have: faces-target-none, faces-target-softmax); ignored'],
    });
    // MNIST as before: its targets only, its defaults.
    expect(reconcileDefenses(['faces-target-none'], TARGETS).defenses).toEqual(['target-none', 'target-trap-mid']);
  });
});

describe('the embed with a dataset attribute', () => {
  it('dataset="faces" attacks the faces target; a bad value falls back to MNIST with a correction', () => {
    const ok = readSettings(attributesToSearch([{ name: 'dataset', value: 'faces' }, { name: 'steps', value: '5' }]));
    expect(ok.corrections).toEqual([]);
    expect(ok.settings).toMatchObject({ dataset: 'faces', targetId: 'faces-target-none', attack: 'mi-face' });
    const bad = readSettings(attributesToSearch([{ name: 'dataset', value: 'cats' }]));
    expect(bad.settings).toMatchObject({ dataset: 'mnist', targetId: 'target-none' });
    expect(bad.corrections).toEqual(['Data set "cats" is unknown (use mnist, faces); using mnist']);
    const digitsOnly = readSettings(attributesToSearch([{ name: 'dataset', value: 'faces' }, { name: 'attack', value: 'ked-mi' }]));
    expect(digitsOnly.settings.attack).toBe('mi-face');
    expect(digitsOnly.corrections[0]).toMatch(/KED-MI .* does not run on the Olivetti faces/);
  });
});

/** A finished faces record as the engine writes it (figures made up): what CSV and reading back see. */
function facesRecord(): BenchmarkRecord {
  return {
    format: 'inversion-playground-benchmark', version: 1, createdAt: '2026-01-01T00:00:00.000Z', config: faces, backend: 'wasm', state: 'done', elapsedMs: 1,
    defenses: [{ id: 'faces-target-softmax', defense: 'none', testAccuracy: 0.975 }],
    attacks: [{ id: 'mi-face', name: 'MI-Face', threat: 'white-box' }],
    reference: { images: 160, perDigit: null, fidImages: 160 },
    cells: [{
      defense: 'faces-target-softmax', attack: 'mi-face', status: 'done', steps: 2, seeds: [1], seconds: 1,
      metrics: { images: 20, top1: 0.5, top5: 0.9, knnDistance: 10, psnr: 11, ssim: 0.2, prdc: null, fid: 80, meanTargetConfidence: 0.9 },
    }],
  };
}

describe('a faces run record', () => {
  it('carries its data set in the JSON config and a CSV column; the second-judge fields are empty, never a number', () => {
    const record = facesRecord();
    const [head, row] = recordToCsv(record).trim().split('\n');
    const cols = head.split(','), vals = row.split(',');
    const at = (k: string) => vals[cols.indexOf(k)];
    expect(at('dataset')).toBe('faces');
    expect(at('top1')).toBe('0.5');
    for (const k of ['judge2_top1', 'both_top1', 'knn_label']) expect(at(k), k).toBe('');
    expect(parseBenchmarkRecord(JSON.stringify(record)).config.dataset).toBe('faces');
    // An MNIST record (no dataset in its config) says mnist in the CSV.
    const mnist = { ...record, config: { ...faces, dataset: undefined } };
    expect(recordToCsv(mnist).split('\n')[1].split(',')[cols.indexOf('dataset')]).toBe('mnist');
    expect(() => parseBenchmarkRecord(JSON.stringify({ ...record, config: { ...faces, dataset: 'cats' } }))).toThrow(/unknown data set 'cats'/);
  });
});

// The engine part needs the faces' evaluator (its manifest entry appears when its training has finished).
const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8')) as { models: { id: string; role: string; dataset?: string }[]; priors?: { id: string }[] };
const hasFacesJudge = manifest.models.some((m) => m.role === 'evaluator' && m.dataset === 'faces');
const ALL_PEOPLE = Array.from({ length: 40 }, (_, p) => p);

describe.skipIf(!hasFacesJudge)('a faces benchmark through the engine', () => {
  let engine: Engine;
  beforeAll(async () => { engine = await nodeEngine(); });
  const runGrid = (config: BenchmarkConfig) => runGridOf(engine, config);

  it('runs a tiny cell: 64 x 64 reconstructions of the 20 people beside their nearest private faces, judged twice', async () => {
    const eigen = (manifest.priors ?? []).some((p) => p.id === 'faces-eigen');
    const seen = await runGrid({ ...faces, attacks: ['mi-face', 'gmi'] });
    const record = seen.at(-1)!.record!;
    expect(record.config.dataset).toBe('faces');
    // Every private training face (8 of each of 20 people), featurised by the faces' evaluator.
    expect(record.reference).toEqual({ images: 160, perDigit: null, fidImages: 160 });
    const cell = record.cells.find((c) => c.attack === 'mi-face')!;
    expect(cell.status, cell.note).toBe('done');
    const m = cell.metrics!;
    expect(m.images).toBe(20);
    for (const v of [m.top1, m.top5]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    for (const v of [m.robustTop1!, m.bothTop1!, m.knnLabelAccuracy!, m.publicNearest!]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    expect(m.bothTop1!).toBeLessThanOrEqual(Math.min(m.top1, m.robustTop1!));
    expect(m.knnDistance).toBeGreaterThan(0);
    expect(m.psnr).toBeGreaterThan(0);
    expect(cell.perClass!.map((r) => r.digit)).toEqual(PEOPLE);
    expect(cell.perClass!.every((r) => r.robustTop1 !== undefined && r.knnLabelAccuracy !== undefined)).toBe(true);
    expect(cell.images!.map((im) => im.digit)).toEqual(PEOPLE);
    for (const im of cell.images!) {
      expect(decodeGray(im.pixels)).toHaveLength(64 * 64);
      const nearest = decodeGray(im.nearest);
      expect(nearest).toHaveLength(64 * 64);
      // A real photo: no black background, bright on average.
      expect(nearest.reduce((a, b) => a + b, 0) / nearest.length).toBeGreaterThan(0.15);
      expect(PEOPLE).toContain(im.evaluator.predicted);
      // The second judge and the nearest photo may name any of the 40 people: a stranger is read as a stranger.
      expect(ALL_PEOPLE).toContain(im.robust!.predicted);
      expect(ALL_PEOPLE).toContain(im.knnLabel);
    }
    // The nearest private face is the attacked person's own (the reference is per person).
    const ref = (await (nodeLoader().digitSet('faces/private-train')));
    for (const im of cell.images!) expect(ref.labels[im.nearestPrivateIndex]).toBe(im.digit);
    // GMI searches the eigenfaces: run where they are shipped, a "no prior" cell naming them where not.
    const gmi = record.cells.find((c) => c.attack === 'gmi')!;
    expect(gmi.prior).toBe('faces-eigen');
    expect(gmi.status, gmi.note).toBe(eigen ? 'done' : 'no-prior');
    // CSV: the data set, and both judges' figures.
    const [head, row] = recordToCsv(record).trim().split('\n');
    const cols = head.split(','), vals = row.split(',');
    expect(vals[cols.indexOf('dataset')]).toBe('faces');
    expect(Number(vals[cols.indexOf('judge2_top1')])).toBe(m.robustTop1);
    expect(Number(vals[cols.indexOf('knn_label')])).toBe(m.knnLabelAccuracy);

    // Again: the reference and models are cached, nothing else stays.
    await new Promise((r) => setTimeout(r, 20));
    const baseline = tf.memory().numTensors;
    await runGrid(faces);
    await new Promise((r) => setTimeout(r, 20));
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses a digits target or a digits-only attack in a faces grid before anything runs', async () => {
    await expect(engine.startBenchmark({ ...faces, defenses: ['target-none'] }, () => undefined)).rejects.toThrow(/'target-none' is a target of the MNIST digits/);
    await expect(engine.startBenchmark({ ...faces, attacks: ['ked-mi'] }, () => undefined)).rejects.toThrow(/does not run on the Olivetti faces/);
  });
});

describe('npm run mi -- bench --dataset', () => {
  const mi = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/mi.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stderr: r.stderr };
  };
  it.each([
    [['bench', '--dataset', 'cats'], /--dataset: unknown data set 'cats'/],
    [['bench', '--dataset', 'faces', '--attacks', 'ked-mi'], /--attacks: 'ked-mi' does not run on the Olivetti faces/],
    [['bench', '--dataset', 'faces', '--knowledge', 'other-writers'], /--knowledge: the Olivetti faces have 'disjoint' only/],
  ])('rejects %j with a clear message and exit code 2', (args, message) => {
    const r = mi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
