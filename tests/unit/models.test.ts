// Every shipped model is re-measured on the real test split: the manifest may not claim more than the model does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dpEpsilon } from '../../src/core/defenses/dp-accountant.ts';
import { MODELS_DIR, loadFaceSplits, loadModelFromDir, loadSplits, sha256File } from '../../scripts/lib/node-io.ts';
import { datasetOf } from '../../src/core/data/datasets.ts';
import { readManifest } from '../../scripts/lib/manifest.ts';
import { filterDigits } from '../../src/core/data/mnist.ts';
import { accuracy } from '../../src/core/train.ts';
import { trapdoorAccuracy } from '../../src/core/metrics/trapdoor.ts';
import { readTriggers } from '../../scripts/lib/detector.ts';
import { useWasm } from './helpers.ts';
import { judgeDecoder, judgeFaceSamples, judgeInverseNetwork, judgeSamples, judgeSplitDecoder } from '../../scripts/lib/prior-recipes.ts';
import { guardQuality } from '../../scripts/lib/guard-recipes.ts';
import { judgeLokt } from '../../scripts/lib/prior-recipes.ts';
import { parseOutputDefense } from '../../src/core/attacks/oracle.ts';
import { DEFAULT_TARGET, EVALUATOR_ID, SECOND_JUDGE_ID } from '../../src/worker/catalog.ts';
import { judgeSplit } from '../../src/core/data/faces.ts';
import { ACCURACY_TOLERANCE, weightStorage } from '../../scripts/lib/quantize.ts';
import { PGD_CHECK, robustAccuracy } from '../../src/core/adversarial.ts';

const manifest = readManifest();
const { test } = loadSplits();

/** Accuracy floors that the issue sets for the shipped roles. */
const FLOOR: Record<string, number> = { 'target-none': 0.99, evaluator: 0.993, 'judge-robust': 0.99,
  // 80 held-out faces of all 40 people, 1.25 points each: at most two wrong.
  'faces-judge-robust': 0.975 };
const { privateTest } = loadSplits();
const faces = await loadFaceSplits();
const facesJudgeTest = judgeSplit(faces).test;
/**
 * A model's test images. Faces: the private people's held-out 2 images each, and for a judge of all 40 people
 * (the second judge) also the public people's 2 it did not learn.
 */
const testOf = (m: { dataset?: string; classes: number[] }) => (m.dataset !== 'faces' ? test : m.classes.length > datasetOf('faces').privateClasses.length ? facesJudgeTest : faces.privateTest);
const privateTestOf = (dataset?: string) => (dataset === 'faces' ? faces.privateTest : privateTest);

beforeAll(useWasm);

describe('models/manifest.json', () => {
  it('lists the unprotected target and the evaluator with the required fields', () => {
    const ids = manifest.models.map((m) => m.id);
    expect(ids).toContain('target-none');
    expect(ids).toContain('evaluator');
    for (const m of manifest.models) {
      for (const key of ['id', 'role', 'defense', 'path', 'classes', 'input', 'output', 'params', 'testAccuracy', 'trainCommand', 'seed', 'sha256'] as const) {
        expect(m[key], `${m.id}.${key}`).toBeDefined();
      }
      const side = datasetOf(m.dataset).side;
      expect(m.input).toEqual([side, side, 1]);
      expect(m.output).toBe('logits');
    }
    const target = manifest.models.find((m) => m.id === 'target-none')!;
    expect(target.classes).toEqual([0, 1, 2, 3, 4]);
    expect(manifest.models.find((m) => m.id === 'evaluator')!.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Each data set's second judge: every class (all ten digits, all 40 people), another architecture than its
    // evaluator, and its robustness measured.
    for (const [dataset, classes] of [['mnist', 10], ['faces', 40]] as const) {
      const second = manifest.models.find((m) => m.id === SECOND_JUDGE_ID[dataset])!;
      expect(second, dataset).toMatchObject({ role: 'evaluator', classes: Array.from({ length: classes }, (_, k) => k), robustness: { attack: 'PGD' } });
      expect(datasetOf(second.dataset).id).toBe(dataset);
      expect(second.architecture).not.toBe(manifest.models.find((m) => m.id === EVALUATOR_ID[dataset])!.architecture);
    }
  });
});

describe.each(manifest.models.map((m) => [m.id, m] as const))('shipped model %s', (id, entry) => {
  const dir = path.dirname(path.join(MODELS_DIR, entry.path));

  it('has the weights the manifest names (sha256) and its parameter count', async () => {
    expect(sha256File(path.join(dir, 'weights.bin'))).toBe(entry.sha256);
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(entry.bytes);
    const model = await loadModelFromDir(dir);
    expect(model.countParams()).toBe(entry.params);
    expect(model.inputs[0].shape).toEqual([null, ...entry.input]);
    expect(model.outputs[0].shape).toEqual([null, entry.classes.length]);
    model.dispose();
  });

  it.runIf(entry.privacy !== undefined)('spent the privacy the manifest claims: the accountant re-run on its sampling rate, noise and steps', () => {
    const p = entry.privacy!;
    expect(p.samplingRate).toBeCloseTo(256 / 30_596, 6); // Poisson batches of 256 expected over the private digits
    const { epsilon } = dpEpsilon(p.samplingRate, p.noiseMultiplier, p.steps, p.delta);
    expect(Math.abs(epsilon - p.epsilon)).toBeLessThan(0.002);
    expect(p.steps).toBe(entry.epochs * Math.round(1 / p.samplingRate));
  });

  it('stores its weights as the manifest says, at an accuracy within 0.05 points of the float32 model', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(weightStorage(json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights))).toBe(entry.weights!.storage);
    expect(entry.bytes).toBeLessThanOrEqual(entry.weights!.float32Bytes / 2 + 1024);
    expect(Math.abs(entry.testAccuracy - entry.weights!.float32TestAccuracy)).toBeLessThanOrEqual(ACCURACY_TOLERANCE);
  });

  it('reaches the test accuracy the manifest claims, re-measured on the real test split', async () => {
    const model = await loadModelFromDir(dir);
    const acc = await accuracy(model, filterDigits(testOf(entry), entry.classes), (d) => entry.classes.indexOf(d));
    model.dispose();
    expect(acc).toBeGreaterThanOrEqual(entry.testAccuracy);
    if (FLOOR[id] !== undefined) expect(acc).toBeGreaterThanOrEqual(FLOOR[id]);
  });

  it.skipIf(!entry.robustness)('is as robust as it claims: accuracy under the PGD budget it was trained for, re-measured', async () => {
    const r = entry.robustness!;
    expect(r).toMatchObject(PGD_CHECK(r.eps));
    const model = await loadModelFromDir(dir);
    const acc = await robustAccuracy(model, testOf(entry), (d) => entry.classes.indexOf(d), entry.classes.length, PGD_CHECK(r.eps), r.images, entry.seed);
    model.dispose();
    // Seeded random starts: the same figure up to the backend's rounding.
    expect(acc).toBeGreaterThanOrEqual(r.accuracy - 0.002);
  });

  it.skipIf(!entry.trapdoor)('carries the trapdoor it claims: triggers as listed, trapdoor accuracy re-measured', async () => {
    const info = entry.trapdoor!;
    expect(sha256File(path.join(MODELS_DIR, info.triggers))).toBe(info.triggersSha256);
    const model = await loadModelFromDir(dir);
    const triggers = readTriggers(info.triggers, entry.classes.length, info.injection, datasetOf(entry.dataset).side);
    const acc = await trapdoorAccuracy(model, privateTestOf(entry.dataset), (d) => entry.classes.indexOf(d), triggers, info.alpha, entry.seed, 500, info.injection);
    model.dispose(); triggers.dispose();
    expect(acc).toBeGreaterThanOrEqual(info.trapdoorAccuracy);
    // Trap-MID must cost little clean accuracy: within one point of the unprotected target, with a working trapdoor.
    // (Trap-MID + NegLS pays NegLS's price, see the README, so only plain Trap-MID is held to this.)
    // The warp and TeD targets (issue 21) are comparisons, shipped with whatever trapdoor they got: only the clean
    // accuracy is held to the same bar for them.
    // On faces (40 test photos, 2.5 points each) the bar is one photo, and the paper's faint trigger on 160 photos
    // reached 85% in 2,000 steps (README, "Trap-MID on faces"): held to 80%.
    if (entry.defense === 'trap-mid') {
      const faces = entry.dataset === 'faces';
      const none = manifest.models.find((m) => m.id === DEFAULT_TARGET[datasetOf(entry.dataset).id])!;
      expect(entry.testAccuracy).toBeGreaterThanOrEqual(none.testAccuracy - (faces ? 0.025 : 0.01));
      if (info.injection !== 'warp' && info.injection !== 'ted') expect(info.trapdoorAccuracy).toBeGreaterThanOrEqual(faces ? 0.8 : 0.95);
    }
  });
});

describe.each((manifest.priors ?? []).filter((p) => p.dataset === 'faces').map((p) => [p.id, p] as const))('shipped faces prior %s', (id, prior) => {
  it('has the generator the manifest names and draws 64 x 64 faces at the FID it claims, re-measured', async () => {
    const dir = path.dirname(path.join(MODELS_DIR, prior.generator.path));
    expect(sha256File(path.join(dir, 'weights.bin')), id).toBe(prior.generator.sha256);
    const g = await loadModelFromDir(dir);
    expect(g.countParams()).toBe(prior.generator.params);
    expect(g.inputs[0].shape).toEqual([null, prior.zDim]);
    expect(g.outputs[0].shape).toEqual([null, 64, 64, 1]);
    const numClasses = prior.kind === 'cgan' ? prior.classes!.length : 0;
    if (numClasses) {
      expect(g.inputs[1].shape).toEqual([null, numClasses]);
      expect(sha256File(path.join(path.dirname(path.join(MODELS_DIR, prior.discriminator!.path)), 'weights.bin'))).toBe(prior.discriminator!.sha256);
    }
    const q = await judgeFaceSamples(g, prior.seed, faces.publicSet, undefined, numClasses);
    g.dispose();
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(0.05 * prior.fid);
    q.classFidelity?.forEach((share, c) => expect(share, `person ${c}`).toBeCloseTo(prior.classFidelity![c], 2));
  });
});

describe.each((manifest.priors ?? []).filter((p) => p.dataset !== 'faces' && p.kind !== 'inv' && p.kind !== 'split' && p.kind !== 'c2f' && p.kind !== 'lokt').map((p) => [p.id, p] as const))('shipped GAN prior %s', (id, prior) => {
  it('has the generator and discriminator the manifest names (sha256, parameters, shapes)', async () => {
    for (const net of [prior.generator, prior.discriminator!]) {
      const dir = path.dirname(path.join(MODELS_DIR, net.path));
      expect(sha256File(path.join(dir, 'weights.bin')), `${id} ${net.path}`).toBe(net.sha256);
      expect(net.weights?.storage, `${id} ${net.path}`).toBe('float16');
      const model = await loadModelFromDir(dir);
      expect(model.countParams()).toBe(net.params);
      model.dispose();
    }
    const g = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path)));
    expect(g.outputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(g.inputs[0].shape).toEqual([null, prior.zDim]);
    if (prior.kind === 'cgan') expect(g.inputs[1].shape).toEqual([null, prior.classes!.length]);
    g.dispose();
    expect(fs.existsSync(path.join(MODELS_DIR, prior.samples))).toBe(true);
  });

  it('draws what the manifest says: the evaluator reading of its seeded samples, re-measured', async () => {
    const g = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path)));
    const q = await judgeSamples(g, prior.kind === 'cgan' ? prior.classes!.length : 0, prior.seed);
    g.dispose();
    q.sampleDigits.forEach((share, d) => expect(share, `digit ${d}`).toBeCloseTo(prior.sampleDigits![d], 2));
    q.classFidelity?.forEach((share, c) => expect(share, `class ${c}`).toBeCloseTo(prior.classFidelity![c], 2));
    // Its quality as the manifest states it: FID against real public digits and the share read as 5-9.
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(0.05 * prior.fid);
    expect(q.publicShare).toBeCloseTo(prior.publicShare!, 2);
    // The papers' protocol: a GAN of public digits 5-9 mostly draws 5-9.
    if (prior.kind === 'gan' && prior.knowledge === 'disjoint') expect(q.sampleDigits.slice(5).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.85);
  });
});

// The inversion network's decoders (Yang et al. 2019): the network the manifest names, and its reconstruction quality
// as stated (MSE / SSIM on held-out public and private test digits, the baselines, FID), re-measured.
describe.each((manifest.priors ?? []).filter((p) => p.kind === 'inv').map((p) => [p.id, p] as const))('shipped inversion decoder %s', (id, prior) => {
  it('reads the target\'s scores, draws 28 x 28 digits and reconstructs as well as the manifest says', async () => {
    const dir = path.dirname(path.join(MODELS_DIR, prior.generator.path));
    expect(sha256File(path.join(dir, 'weights.bin')), id).toBe(prior.generator.sha256);
    const decoder = await loadModelFromDir(dir);
    expect(decoder.countParams()).toBe(prior.generator.params);
    expect(decoder.inputs[0].shape).toEqual([null, prior.classes!.length]);
    expect(decoder.outputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(fs.existsSync(path.join(MODELS_DIR, prior.samples))).toBe(true);
    const entry = manifest.models.find((m) => m.id === prior.forTarget)!;
    const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const q = await judgeDecoder(decoder, target, entry.classes, prior.seed);
    decoder.dispose(); target.dispose();
    const r = prior.reconstruction!;
    expect(q.reconstruction.heldOutPublic.mse).toBeCloseTo(r.heldOutPublic.mse, 3);
    expect(q.reconstruction.privateTest.mse).toBeCloseTo(r.privateTest.mse, 3);
    expect(q.reconstruction.privateTest.ssim).toBeCloseTo(r.privateTest.ssim, 2);
    expect(q.reconstruction.publicDigitSsim).toBeCloseTo(r.publicDigitSsim, 2);
    expect(q.reconstruction.prototypeSsim).toBeCloseTo(r.prototypeSsim, 2);
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(0.05 * prior.fid);
    // The attack's claim: a private test digit's own answer rebuilds it better than a random public digit resembles it.
    expect(q.reconstruction.privateTest.ssim).toBeGreaterThan(q.reconstruction.publicDigitSsim);
  });
});

// The defender's networks of the output defenses (purifier, mimic inversion model): the network the manifest names, and
// what its defense does to the target's answers on private test digits, re-measured (labels kept, distortion, the
// attacker's decoder's MSE / SSIM from exact and defended answers).
describe.each((manifest.guards ?? []).map((g) => [g.id, g] as const))('shipped output-defense network %s', (id, guard) => {
  it('keeps every label and does to the answers what the manifest says', async () => {
    const dir = path.dirname(path.join(MODELS_DIR, guard.network.path));
    expect(sha256File(path.join(dir, 'weights.bin')), id).toBe(guard.network.sha256);
    const net = await loadModelFromDir(dir);
    expect(net.countParams()).toBe(guard.network.params);
    expect(net.inputs[0].shape).toEqual([null, guard.classes.length]);
    const entry = manifest.models.find((m) => m.id === guard.forTarget)!;
    const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const q = await guardQuality(parseOutputDefense(guard.quality.defense), net, target, guard.forTarget, guard.seed);
    net.dispose(); target.dispose();
    const r = guard.quality;
    expect(q.labelsKept).toBe(1);
    expect(q.l1Distortion).toBeCloseTo(r.l1Distortion, 2);
    expect(q.mse.exact).toBeCloseTo(r.mse.exact, 3);
    expect(q.mse.defended).toBeCloseTo(r.mse.defended, 3);
    expect(q.ssim.defended).toBeCloseTo(r.ssim.defended, 2);
    // The defense's claim: the attacker's decoder rebuilds private digits worse from defended answers than from exact ones.
    expect(q.ssim.defended).toBeLessThan(q.ssim.exact);
  });
});

// The split attack's decoders: the network the manifest names, and its reconstruction quality from exact split
// features as stated (MSE / SSIM on held-out public and private test digits, the baseline, the features' size, FID), re-measured.
describe.each((manifest.priors ?? []).filter((p) => p.kind === 'split').map((p) => [p.id, p] as const))('shipped split decoder %s', (id, prior) => {
  it('reads the target\'s conv1 features, draws 28 x 28 digits and reconstructs as well as the manifest says', async () => {
    const dir = path.dirname(path.join(MODELS_DIR, prior.generator.path));
    expect(sha256File(path.join(dir, 'weights.bin')), id).toBe(prior.generator.sha256);
    const decoder = await loadModelFromDir(dir);
    expect(decoder.countParams()).toBe(prior.generator.params);
    expect(decoder.inputs[0].shape).toEqual([null, 26, 26, 32]);
    expect(decoder.outputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(fs.existsSync(path.join(MODELS_DIR, prior.samples))).toBe(true);
    const entry = manifest.models.find((m) => m.id === prior.forTarget)!;
    const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const q = await judgeSplitDecoder(decoder, target, prior.seed);
    decoder.dispose(); target.dispose();
    const r = prior.splitQuality!;
    expect(q.splitQuality.layer).toBe(r.layer);
    expect(q.splitQuality.heldOutPublic.mse).toBeCloseTo(r.heldOutPublic.mse, 3);
    expect(q.splitQuality.privateTest.mse).toBeCloseTo(r.privateTest.mse, 3);
    expect(q.splitQuality.privateTest.ssim).toBeCloseTo(r.privateTest.ssim, 2);
    expect(q.splitQuality.publicDigitSsim).toBeCloseTo(r.publicDigitSsim, 2);
    expect(q.splitQuality.featureSize).toBeCloseTo(r.featureSize, 3);
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(Math.max(0.5, 0.05 * prior.fid));
    // The attack's claim: a private test digit's own split features rebuild it far better than a random public digit resembles it.
    expect(q.splitQuality.privateTest.ssim).toBeGreaterThan(q.splitQuality.publicDigitSsim + 0.5);
  });
});

// C2FMI's inverse networks (Ye et al. 2023): the network the manifest names, and its quality as stated (the target's
// and the evaluator's reading of the images of the latents it maps the attack's seed answers to, the latent MSE on
// fresh GAN samples, FID), re-measured against the shared GAN it was trained on.
describe.each((manifest.priors ?? []).filter((p) => p.kind === 'c2f').map((p) => [p.id, p] as const))('shipped C2FMI inverse network %s', (id, prior) => {
  it('maps the target\'s answers to latents of its GAN and inverts as well as the manifest says', async () => {
    const dir = path.dirname(path.join(MODELS_DIR, prior.generator.path));
    expect(sha256File(path.join(dir, 'weights.bin')), id).toBe(prior.generator.sha256);
    const net = await loadModelFromDir(dir);
    expect(net.countParams()).toBe(prior.generator.params);
    const gan = manifest.priors!.find((p) => p.id === `gan-${prior.knowledge}`)!;
    expect(net.inputs[0].shape).toEqual([null, prior.classes!.length]);
    expect(net.outputs[0].shape).toEqual([null, gan.zDim]);
    expect(fs.existsSync(path.join(MODELS_DIR, prior.samples))).toBe(true);
    const entry = manifest.models.find((m) => m.id === prior.forTarget)!;
    const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const generator = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, gan.generator.path)));
    const q = await judgeInverseNetwork(net, generator, target, entry.classes, prior.seed);
    net.dispose(); generator.dispose(); target.dispose();
    const r = prior.c2fQuality!;
    expect(q.c2fQuality.oneHotTarget).toBe(r.oneHotTarget);
    expect(q.c2fQuality.seedsTarget).toBeCloseTo(r.seedsTarget, 2);
    expect(q.c2fQuality.seedsEvaluator).toBeCloseTo(r.seedsEvaluator, 2);
    expect(q.c2fQuality.latentMse).toBeCloseTo(r.latentMse, 3);
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(0.05 * prior.fid);
  });
});

// LOKT's T-ACGAN generators and surrogates (Nguyen et al. 2023): the networks the manifest names, the evaluator's
// reading of the generator's samples, and the surrogates' agreement with the target, re-measured.
describe.each((manifest.priors ?? []).filter((p) => p.kind === 'lokt').map((p) => [p.id, p] as const))('shipped LOKT models %s', (id, prior) => {
  it('has the generator and surrogates the manifest names, and they draw and agree as the manifest says', async () => {
    for (const net of [prior.generator, ...prior.surrogates!]) {
      const dir = path.dirname(path.join(MODELS_DIR, net.path));
      expect(sha256File(path.join(dir, 'weights.bin')), `${id} ${net.path}`).toBe(net.sha256);
      expect(net.weights?.storage, `${id} ${net.path}`).toBe('float16');
    }
    const g = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path)));
    const surrogates = await Promise.all(prior.surrogates!.map((s) => loadModelFromDir(path.dirname(path.join(MODELS_DIR, s.path)))));
    expect(g.countParams()).toBe(prior.generator.params);
    expect(g.inputs[1].shape).toEqual([null, prior.classes!.length]);
    surrogates.forEach((m, j) => { expect(m.countParams()).toBe(prior.surrogates![j].params); expect(m.outputs[0].shape).toEqual([null, prior.classes!.length]); });
    const entry = manifest.models.find((m) => m.id === prior.forTarget)!;
    const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    const q = await judgeSamples(g, prior.classes!.length, prior.seed);
    const l = await judgeLokt(g, surrogates, target, prior.seed, prior.loktQuality!.queryBreakdown);
    g.dispose(); target.dispose(); surrogates.forEach((m) => m.dispose());
    q.classFidelity!.forEach((share, c) => expect(share, `class ${c}`).toBeCloseTo(prior.classFidelity![c], 2));
    expect(Math.abs(q.fid - prior.fid)).toBeLessThanOrEqual(0.05 * prior.fid);
    const r = prior.loktQuality!;
    l.surrogateAgreement.forEach((a, j) => expect(a, `surrogate ${j}`).toBeCloseTo(r.surrogateAgreement[j], 2));
    expect(l.ensembleAgreement).toBeCloseTo(r.ensembleAgreement, 2);
    expect(l.targetFidelity).toBeCloseTo(r.targetFidelity, 2);
    const b = r.queryBreakdown;
    expect(b.publicImages + b.tacganFakes + b.surrogateImages).toBe(prior.queries);
  });
});
