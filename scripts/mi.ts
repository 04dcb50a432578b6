// npm run mi -- <command> [options]: the playground's engine from the command line.
//   attack --attack mi-face|gmi|lomma-gmi|ked-mi|lomma-ked-mi|plg-mi|ppa|genetic|brep-mi|c2fmi|lokt|plg-mi-adaptive|inversion-net|split-inversion [--dataset mnist|faces] [--target ID] [--knowledge disjoint|other-writers]
//          [--budget browser|paper] [--steps N] [--<knob> X ...] [--output-defense D] [--query-budget N] [--seed S | --seeds A-B [--no-batch]]
//          [--out DIR] [--json] [--no-knn] [--backend wasm|cpu]
//   train  --defense none|mid|bido|negls|trap-mid|trap-mid-negls [--epochs N] [--seed S] [--<knob> X ...]
//          [--naturalness balanced|paper|none] [--injection blend|ink|stroke|warp|ted] [--out DIR] [--backend wasm|cpu]
//   detect --target ID --images DIR [--json]
//   judge  --images DIR [--dataset mnist|faces] [--json]   (recon-<class>-<k>.png files, judged by the data set's judges;
//          digits: both judges and KNN-label accuracy)
//   bench  [--dataset mnist|faces] [--defenses ID,ID] [--attacks ID,ID] [--seeds 1-3] [--budget browser|paper]
//          [--knowledge disjoint|other-writers] [--steps N] [--no-batch] [--json] [--out DIR] [--backend wasm|cpu]
//          (the rows are the data set's targets, all of them unless --defenses; the faces: knowledge disjoint)
//   sweep  --defense D --knob K --values V,V,... [--attack plg-mi|mi-face] [--epochs 1] [--gan-epochs 5] [--seeds 1-5] [--seed 1]
//          [--batches N] [--steps N] [--out DIR] [--json] [--backend wasm|cpu];   sweep --plot DIR (the chart again from DIR/sweep.json)
//          (one target per value on a short budget, its clean accuracy and the attack's top-1 by both judges; writes
//          DIR/sweep.json, sweep.csv, sweep.svg and sweep.png, the chart drawn by scripts/lib/plot.ts)
// attack writes DIR/recon-<class>-<k>.png (28x28 digits, 64x64 faces, grayscale) and DIR/result.json, and prints one JSON object
// (--json) or a table. Bad arguments: a message on stderr and exit code 2.
// attack also scores the reconstructions in the evaluator's feature space (KNN distance, PSNR / SSIM to the nearest
// private image, FID and PRDC against 500 private training images); --no-knn skips all of these.
// attack --seeds and bench run the gradient attacks' seeds as one batch (each seed's images those of its own run);
// --no-batch runs them one seed at a time (the black-box and label-only attacks always do: seedGroups).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/worker/engine.ts';
import { DEFAULT_MI_FACE, QUERY_BUDGET_MAX, type AttackConfig, type AttackId, type AttackSnapshot, type BenchmarkConfig, type BenchmarkProgress } from '../src/worker/protocol.ts';
import { ATTACKS, DEFAULT_TARGET, DEFENSES, EVALUATOR_ID, SECOND_JUDGE_ID, INJECTION_MODES, NATURALNESS_MODES, defenseInfo, isTrapMid, knobValues, runsOn } from '../src/worker/catalog.ts';
import { DEFENSE_IDS, type DefenseKnobs } from '../src/core/defenses/recipes.ts';
import { parseOutputDefense } from '../src/core/attacks/oracle.ts';
import { nodeBackend, nodeLoader } from './lib/node-io.ts';
import { readGrayPng, writeGrayPng } from './lib/png.ts';
import { readManifest } from './lib/manifest.ts';
import type { SweepPoint } from './lib/sweep.ts';
import { rocAuc } from '../src/core/metrics/trapdoor.ts';
import { DATASET_IDS, type Dataset, type DatasetId, datasetOf, isDatasetId, pixelsPerImage } from '../src/core/data/datasets.ts';
// Private training images that form the real set of FID and PRDC (spread evenly over the whole set, all digits).
import { FID_REFERENCE_IMAGES as QUALITY_REFERENCE } from '../src/core/metrics/judge.ts';

class UsageError extends Error {}


/** --dataset (default: the --target's data set, else MNIST), checked. */
function datasetFlag(raw: string | undefined, targetId: string | undefined): Dataset {
  if (raw !== undefined && !isDatasetId(raw)) throw new UsageError(`--dataset: unknown data set '${raw}' (available: ${DATASET_IDS.join(', ')})`);
  if (raw !== undefined) return datasetOf(raw);
  const entry = targetId ? readManifest().models.find((m) => m.id === targetId) : undefined;
  return datasetOf(entry?.dataset);
}

/** CLI flag of a catalog knob ('learningRate' is --lr, as for MI-Face; the split attack's noise is --split-noise). */
const FLAG_NAMES: Record<string, string> = { learningRate: 'lr', splitNoise: 'split-noise' };
const flagOf = (key: string) => FLAG_NAMES[key] ?? key;
const KNOB_FLAGS = [...new Set(ATTACKS.flatMap((a) => a.knobs.map((k) => flagOf(k.key))))];


/** Why a query-spending attack takes no output defense or budget at attack time (LOKT queried while its models trained). */
const queriesBefore = (info: { threat: string }) => (info.threat === 'label-only' ? ' (it asked all its queries while its models were trained, before the attack: the attack itself asks none)' : '');

const USAGE = `usage: npm run mi -- attack --attack ${ATTACKS.map((a) => a.id).join('|')} [--dataset mnist|faces] [--target target-none] [--seed 1 | --seeds 1-10 [--no-batch]]
                    [--knowledge disjoint|other-writers] [--budget browser|paper] [--steps N] [--output-defense none|round:1|top-k:1|label-only|gaussian:0.1|laplace:0.1|dp:1|purifier|adv-noise:5]
                    [--query-budget N] (black-box and label-only attacks: the target answers at most N images)
                    knobs: ${ATTACKS.map((a) => `${a.id}: ${a.knobs.map((k) => `--${flagOf(k.key)}`).join(' ')}`).join('; ')}; mi-face: --init zeros|noise
                    [--out DIR] [--json] [--no-knn] [--backend wasm|cpu]
       npm run mi -- train --defense ${DEFENSE_IDS.join('|')} [--epochs N] [--seed S] [--out DIR] [--backend wasm|cpu]
                    knobs: ${DEFENSES.filter((d) => d.knobs.length).map((d) => `${d.id}: ${d.knobs.map((k) => `--${k.key}`).join(' ')}`).join('; ')}; trap-mid and trap-mid-negls: --naturalness ${NATURALNESS_MODES.map((m) => m.value).join('|')} --injection ${INJECTION_MODES.map((m) => m.value).join('|')}
       npm run mi -- detect --target ID --images DIR [--json]
       npm run mi -- judge --images DIR [--dataset mnist|faces] [--json]
       npm run mi -- bench [--dataset mnist|faces] [--defenses target-none,target-trap-mid] [--attacks mi-face,plg-mi] [--seeds 1-3]
                    [--budget browser|paper] [--knowledge disjoint|other-writers] [--steps N] [--no-batch] [--json] [--out DIR] [--backend wasm|cpu]
                    [--output-defense D] [--query-budget N[,N...]] (the querying columns; several budgets: one grid each, a sweep)
       npm run mi -- sweep --defense trap-mid --knob alpha --values 0.01,0.02,0.05,0.1 [--attack plg-mi|mi-face] [--epochs 1] [--gan-epochs 5]
                    [--seeds 1-5] [--seed 1] [--batches N] [--steps N] [--out DIR] [--json] [--backend wasm|cpu]; sweep --plot DIR (redraws its chart)
                    (a target per value, short budget: clean accuracy and attack top-1 by both judges; sweep.json/.csv/.svg/.png in DIR)`;

function parse<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function num(name: string, raw: string | undefined, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name}: '${raw}' is not a number`);
  if (opts.int && !Number.isInteger(v)) throw new UsageError(`--${name}: '${raw}' is not an integer`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name}: ${v} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name}: ${v} is above the maximum ${opts.max}`);
  return v;
}

/** "3", "1-10" or "1,4,9" -> seeds. */
function parseSeeds(raw: string): number[] {
  const range = /^(-?\d+)-(-?\d+)$/.exec(raw);
  const seeds = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : raw.split(',').map((v) => num('seeds', v, 0, { int: true }));
  if (seeds.length === 0 || seeds.length > 1000) throw new UsageError(`--seeds: '${raw}' must name 1 to 1000 seeds (e.g. 1-10)`);
  return seeds;
}

/** The config of one attack run from the command line (catalog defaults, or the paper's with --budget paper). */
function attackConfig(values: Record<string, string | boolean | undefined>, seed: number, dataset: DatasetId = 'mnist'): AttackConfig {
  const id = values.attack as string;
  const info = ATTACKS.find((a) => a.id === id);
  if (!info) throw new UsageError(`--attack: unknown attack '${id}' (available: ${ATTACKS.map((a) => a.id).join(', ')})`);
  const budget = (values.budget as string | undefined) ?? 'browser';
  if (budget !== 'browser' && budget !== 'paper') throw new UsageError(`--budget: '${budget}' must be 'browser' or 'paper'`);
  const base = knobValues(info.id, budget, dataset);
  const params: Record<string, number> = {};
  for (const k of info.knobs) {
    params[k.key] = num(flagOf(k.key), values[flagOf(k.key)] as string | undefined, base[k.key], { int: k.integer, min: k.min, max: k.max });
  }
  for (const flag of KNOB_FLAGS) {
    if (values[flag] !== undefined && !info.knobs.some((k) => flagOf(k.key) === flag)) throw new UsageError(`--${flag} does not apply to ${id}`);
  }
  if (info.id === 'ppa' && params.pool < params.restarts) throw new UsageError(`--pool: ${params.pool} is below --restarts ${params.restarts} (each digit starts from the best restarts latents of the pool)`);
  const rawBudget = values['query-budget'] as string | undefined;
  if (rawBudget !== undefined && !info.usesOutputDefense) throw new UsageError(`--query-budget applies to black-box and label-only attacks, not ${id}${queriesBefore(info)}`);
  const queryBudget = rawBudget === undefined ? undefined : num('query-budget', rawBudget, 0, { int: true, min: 1, max: QUERY_BUDGET_MAX });
  if (info.id === 'mi-face') {
    const init = (values.init as string | undefined) ?? DEFAULT_MI_FACE.init;
    if (init !== 'zeros' && init !== 'noise') throw new UsageError(`--init: '${init}' must be 'zeros' or 'noise'`);
    return { ...DEFAULT_MI_FACE, targetId: values.target as string, steps: params.steps, learningRate: params.learningRate, tv: params.tv, l2: params.l2, init, seed, snapshotEvery: Number.MAX_SAFE_INTEGER };
  }
  const knowledge = (values.knowledge as string | undefined) ?? 'disjoint';
  if (knowledge !== 'disjoint' && knowledge !== 'other-writers') throw new UsageError(`--knowledge: '${knowledge}' must be 'disjoint' or 'other-writers'`);
  const outputDefense = (values['output-defense'] as string | undefined) ?? 'none';
  if (!info.usesOutputDefense && outputDefense !== 'none') throw new UsageError(`--output-defense applies to black-box and label-only attacks, not ${id}${queriesBefore(info)}`);
  try { parseOutputDefense(outputDefense); } catch (e) { throw new UsageError(`--output-defense: ${(e as Error).message}`); }
  return {
    attack: info.id, targetId: values.target as string, knowledge, params, outputDefense, ...(queryBudget !== undefined ? { queryBudget } : {}), seed,
    snapshotEvery: Number.MAX_SAFE_INTEGER,
  };
}

async function attackCommand(argv: string[]): Promise<void> {
  const values = parse(argv, {
    attack: { type: 'string' }, target: { type: 'string' }, dataset: { type: 'string' }, knowledge: { type: 'string' }, budget: { type: 'string' },
    'output-defense': { type: 'string' }, 'query-budget': { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, init: { type: 'string' },
    ...Object.fromEntries(KNOB_FLAGS.map((f) => [f, { type: 'string' as const }])),
    out: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' }, 'no-knn': { type: 'boolean', default: false },
    'no-batch': { type: 'boolean', default: false },
  });
  if (!values.attack) throw new UsageError(`--attack is required (available: ${ATTACKS.map((a) => a.id).join(', ')})`);
  if (values.seed !== undefined && values.seeds !== undefined) throw new UsageError('give --seed or --seeds, not both');
  const seeds = values.seeds ? parseSeeds(values.seeds) : [num('seed', values.seed, DEFAULT_MI_FACE.seed, { int: true })];
  const ds = datasetFlag(values.dataset as string | undefined, values.target as string | undefined);
  values.target ??= DEFAULT_TARGET[ds.id];
  if (ds.id !== 'mnist' && values.knowledge !== undefined && values.knowledge !== 'disjoint') {
    throw new UsageError(`--knowledge: the ${ds.title} have one setting, 'disjoint' (other people's faces)`);
  }
  if (ATTACKS.some((a) => a.id === values.attack) && !runsOn(values.attack as AttackId, ds.id)) {
    throw new UsageError(`--attack: ${values.attack} does not run on the ${ds.title} (no prior of theirs is shipped); on them: ${ATTACKS.filter((a) => runsOn(a.id, ds.id)).map((a) => a.id).join(', ')}`);
  }
  const config = attackConfig(values, seeds[0], ds.id);
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const engine = new Engine(nodeLoader(), [backend.backend]);
  const info = await engine.init({ baseUrl: '' });
  const target = info.models.find((m) => m.id === config.targetId && m.role === 'target');
  const targetsOf = info.models.filter((m) => m.role === 'target' && datasetOf(m.dataset).id === ds.id).map((m) => m.id).join(', ');
  if (!target) throw new UsageError(`--target: no target model '${config.targetId}' (${ds.title}: ${targetsOf})`);
  if (datasetOf(target.dataset).id !== ds.id) throw new UsageError(`--target: '${target.id}' is a ${datasetOf(target.dataset).title} target, not one of the ${ds.title} (${targetsOf})`);
  const px = pixelsPerImage(ds);
  const t0 = performance.now();
  // The gradient attacks' seeds as one batch (each seed's result that of its own run); --no-batch: one by one.
  const finals = await engine.attackSeeds(config, seeds, { batch: !values['no-batch'] });
  const runs: { seed: number; final: AttackSnapshot }[] = finals.map((final, k) => ({ seed: seeds[k], final }));
  const seconds = (performance.now() - t0) / 1000;
  const images = runs.flatMap(({ final }) => final.classes.map((_, i) => final.pixels.slice(i * px, (i + 1) * px)));
  // Trap-MID targets: is each reconstruction flagged by trapdoor detection?
  let detection: { threshold: number; scores: { score: number; predicted: number }[]; publicScores: number[] } | undefined;
  if (readManifest().models.find((m) => m.id === config.targetId)?.trapdoor) {
    const { detectorFor, scoreImages, publicScores } = await import('./lib/detector.ts');
    const detector = await detectorFor(config.targetId);
    detection = { threshold: detector.threshold, scores: await scoreImages(detector, images), publicScores: await publicScores(detector, 500, ds.id) };
  }
  const digitsRun = runs.flatMap(({ final }) => final.classes);
  const quality = !values['no-knn'] ? await qualityOf(images, digitsRun, ds) : undefined;
  // KNN-label accuracy, in the second judge's feature space.
  const knn = !values['no-knn'] ? await knnLabelsOf(images, digitsRun, ds) : undefined;
  const perImage = runs.flatMap(({ seed, final }, k) => final.classes.map((digit, i) => {
    const j = k * final.classes.length + i;
    const d = detection?.scores[j];
    return {
      digit, seed, file: `recon-${digit}-${k}.png`, targetConfidence: final.targetConfidence[i], loss: final.loss[i],
      evaluator: { predicted: final.evaluator.predicted[i], confidence: final.evaluator.confidence[i], top5: final.evaluator.top5[i] },
      ...(final.robust ? { robust: { predicted: final.robust.predicted[i], confidence: final.robust.confidence[i] } } : {}),
      ...(knn ? { knnLabel: knn.labels[j] } : {}),
      ...(quality ? { knnDistance: quality.perImage[j].knnDistance, nearestPrivateIndex: quality.perImage[j].nearestPrivateIndex, psnr: quality.perImage[j].psnr, ssim: quality.perImage[j].ssim } : {}),
      ...(d && detection ? { trapdoorScore: d.score, flagged: d.score > detection.threshold } : {}),
    };
  }));
  const mean = (f: (r: (typeof perImage)[number]) => number) => perImage.reduce((a, r) => a + f(r), 0) / perImage.length;
  const queries = runs.map(({ final }) => final.queries).filter((q): q is number => q !== undefined);
  // The inversion network and the split attack: their reconstructions of private test images (one per digit and seed)
  // from what they received; the split attack's also with the noise and the accuracy it leaves (mean over the seeds).
  const victimRuns = runs.map(({ final }) => final.victims).filter((v): v is NonNullable<AttackSnapshot['victims']> => v !== undefined);
  const victimMean = (f: (v: NonNullable<AttackSnapshot['victims']>) => number[]) => {
    const all = victimRuns.flatMap(f);
    return all.reduce((a, b) => a + b, 0) / all.length;
  };
  const splitRuns = victimRuns.flatMap((v) => ('maps' in v ? [v] : []));
  const splitMean = (f: (v: (typeof splitRuns)[number]) => number) => splitRuns.reduce((a, v) => a + f(v), 0) / splitRuns.length;
  const victims = victimRuns.length ? {
    images: victimRuns.reduce((n, v) => n + v.digits.length, 0), mse: victimMean((v) => v.mse), ssim: victimMean((v) => v.ssim),
    publicDigitSsim: victimMean((v) => v.publicSsim),
    ...(splitRuns.length && splitRuns.every((v) => v.accuracy) ? {
      split: {
        noise: splitRuns[0].noise, accuracy: splitMean((v) => v.accuracy!.noisy), cleanAccuracy: splitMean((v) => v.accuracy!.clean),
        accuracyImages: splitRuns.reduce((n, v) => n + v.accuracy!.images, 0),
        ...(splitRuns.every((v) => v.featureSize) ? { featureSize: splitMean((v) => v.featureSize!.clean), receivedSize: splitMean((v) => v.featureSize!.received) } : {}),
      },
    } : {}),
  } : undefined;
  const result = {
    command: 'attack', dataset: ds.id, config: { ...config, seeds }, backend: info.backend, steps: runs[0].final.maxSteps, seconds: Number(seconds.toFixed(2)),
    attackAccuracy: {
      top1: mean((r) => Number(r.evaluator.predicted === r.digit)),
      top5: mean((r) => Number(r.evaluator.top5.includes(r.digit))),
      ...(perImage.every((r) => r.robust) ? {
        robustTop1: mean((r) => Number(r.robust!.predicted === r.digit)),
        bothTop1: mean((r) => Number(r.evaluator.predicted === r.digit && r.robust!.predicted === r.digit)),
      } : {}),
      // Synthetic distribution analysis (Trap-MID's Table 7): the share whose nearest training image is a public one.
      ...(knn ? { knnLabel: knn.accuracy, publicNearest: mean((r) => Number(!ds.privateClasses.includes(r.knnLabel!))) } : {}),
      perSeedTop1: runs.map(({ final }) => final.attackAccuracy.top1),
      ...(runs.every(({ final }) => final.attackAccuracy.robustTop1 !== undefined) ? { perSeedRobustTop1: runs.map(({ final }) => final.attackAccuracy.robustTop1!) } : {}),
    },
    meanTargetConfidence: mean((r) => r.targetConfidence),
    ...(quality ? {
      knnDistance: quality.knnDistance, psnr: quality.psnr, ssim: quality.ssim,
      fid: quality.fid, ...(quality.fidReason ? { fidReason: quality.fidReason } : {}),
      prdc: quality.prdcPooled.prdc, ...(quality.prdcPooled.reason ? { prdcReason: quality.prdcPooled.reason } : {}),
      prdcPerClass: quality.prdcPerClass,
    } : {}),
    ...(queries.length ? { queriesPerRun: queries.reduce((a, b) => a + b, 0) / queries.length } : {}),
    ...(victims ? { victims } : {}),
    ...(detection ? {
      trapdoor: {
        threshold: detection.threshold, flaggedShare: mean((r) => Number(r.flagged)), meanScore: mean((r) => r.trapdoorScore ?? 0),
        publicMeanScore: detection.publicScores.reduce((a, b) => a + b, 0) / detection.publicScores.length,
        publicFlaggedShare: detection.publicScores.filter((v) => v > detection!.threshold).length / detection.publicScores.length,
        aucVsPublic: rocAuc(perImage.map((r) => r.trapdoorScore ?? 0), detection.publicScores),
      },
    } : {}),
    perClass: perImage,
  };
  if (values.out) {
    fs.mkdirSync(values.out, { recursive: true });
    runs.forEach(({ final }, k) => final.classes.forEach((digit, i) =>
      writeGrayPng(path.join(values.out!, `recon-${digit}-${k}.png`), final.pixels.subarray(i * px, (i + 1) * px), ds.side, ds.side)));
    fs.writeFileSync(path.join(values.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const name = ATTACKS.find((a) => a.id === config.attack)!.name;
    console.log(`${name} against ${config.targetId}: ${result.steps} steps x ${seeds.length} seed(s) in ${seconds.toFixed(1)} s on ${info.backend}`);
    console.log(`${ds.noun.padEnd(6)} seed  target-conf  evaluator   top-5        judge 2` + (quality ? '       KNN   PSNR   SSIM' : '') + (detection ? '   trapdoor' : ''));
    for (const c of perImage) {
      console.log(`  ${c.digit}    ${String(c.seed).padStart(4)}     ${c.targetConfidence.toFixed(3)}    ${c.evaluator.predicted} (${(c.evaluator.confidence * 100).toFixed(0).padStart(3)}%)   ${c.evaluator.top5.join(' ')}` +
        (c.robust ? `    ${c.robust.predicted} (${(c.robust.confidence * 100).toFixed(0).padStart(3)}%)` : '    -') +
        (c.knnDistance !== undefined ? `  ${c.knnDistance.toFixed(1).padStart(7)}  ${c.psnr!.toFixed(1).padStart(5)}  ${c.ssim!.toFixed(2).padStart(5)}` : '') +
        (c.trapdoorScore !== undefined ? `   ${c.trapdoorScore.toFixed(3)}${c.flagged ? ' flagged' : ''}` : ''));
    }
    const aa = result.attackAccuracy;
    console.log(`attack accuracy: evaluator top-1 ${aa.top1.toFixed(2)}, top-5 ${aa.top5.toFixed(2)}` +
      (aa.robustTop1 !== undefined ? `; judge 2 top-1 ${aa.robustTop1.toFixed(2)}; both ${aa.bothTop1!.toFixed(2)}` : `; no second judge for the ${ds.title}`) +
      (aa.knnLabel !== undefined ? `; KNN-label ${aa.knnLabel.toFixed(2)}; nearest a public image ${aa.publicNearest!.toFixed(2)}` : '') +
      (result.knnDistance !== undefined ? `; KNN distance ${result.knnDistance.toFixed(1)}` : '') +
      (result.queriesPerRun !== undefined ? `; ${result.queriesPerRun} queries per run` : ''));
    if (quality) {
      const p = quality.prdcPooled.prdc;
      console.log(`to the nearest private image: PSNR ${quality.psnr.toFixed(2)} dB, SSIM ${quality.ssim.toFixed(3)}; ` +
        `FID ${quality.fid !== null ? quality.fid.toFixed(2) : `n/a (${quality.fidReason})`} (vs ${ds.id === 'mnist' ? QUALITY_REFERENCE : 'all'} private images); ` +
        `PRDC (k = 3, classes pooled): ${p ? `precision ${p.precision.toFixed(2)}, recall ${p.recall.toFixed(2)}, density ${p.density.toFixed(2)}, coverage ${p.coverage.toFixed(2)}` : `n/a (${quality.prdcPooled.reason})`}`);
    }
    if (victims) {
      console.log(`private test images decoded from ${splitRuns.length ? 'their split features' : 'their answers'} (${victims.images}): MSE ${victims.mse.toFixed(4)}, SSIM ${victims.ssim.toFixed(3)} ` +
        `(a random public digit's SSIM to them: ${victims.publicDigitSsim.toFixed(3)})`);
      if (victims.split) {
        const sp = victims.split;
        console.log(`split features sent with Laplace noise b = ${sp.noise}: the split target classifies ${(100 * sp.accuracy).toFixed(2)}% of private test digits right ` +
          `(${sp.accuracyImages} noisy evaluations; without noise ${(100 * sp.cleanAccuracy).toFixed(2)}%)`);
      }
    }
    if (result.trapdoor) {
      const t = result.trapdoor;
      console.log(`trapdoor detection: ${(t.flaggedShare * 100).toFixed(0)}% of reconstructions flagged (mean score ${t.meanScore.toFixed(3)}); ` +
        `public images: ${(t.publicFlaggedShare * 100).toFixed(0)}% flagged (mean ${t.publicMeanScore.toFixed(3)}); AUC ${t.aucVsPublic.toFixed(3)}`);
    }
    if (values.out) console.log(`wrote ${values.out}/recon-*.png and result.json`);
  }
}

/**
 * KNN distance, PSNR / SSIM to the nearest private image of the same digit, FID and PRDC of the reconstructions,
 * all in the evaluator's feature space (the private-train features are cached, see privateTrainFeatures).
 */
async function qualityOf(images: Float32Array[], digits: number[], ds: Dataset) {
  // The benchmark's code path (src/core/metrics/judge.ts), with the cached features of every private image (digits);
  // the 160 private training faces are featurised here.
  const { referenceFromFeatures, scoreReconstructions } = await import('../src/core/metrics/judge.ts');
  const { setFeatures } = await import('../src/core/metrics/knn.ts');
  const { privateTrainFeatures, loadFaceSplits, loadModelFromDir, loadSplits, MODELS_DIR } = await import('./lib/node-io.ts');
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, EVALUATOR_ID[ds.id]));
  const privateTrain = ds.id === 'faces' ? (await loadFaceSplits()).privateTrain : loadSplits().privateTrain;
  const ref = ds.id === 'faces' ? await setFeatures(evaluator, privateTrain) : await privateTrainFeatures();
  const reference = referenceFromFeatures(privateTrain, ref.values, ref.dim);
  try {
    return await scoreReconstructions(evaluator, Float32Array.from(images.flatMap((im) => Array.from(im))), digits, reference);
  } finally {
    evaluator.dispose();
  }
}

/**
 * KNN-label accuracy: the class of each image's nearest training image of any class (private and public), in the
 * second judge's features: every MNIST training image (features cached), or the faces' 160 private training and 200
 * public photos (featurised here).
 */
async function knnLabelsOf(images: Float32Array[], digits: number[], ds: Dataset) {
  const { buildLabelReference, knnLabels } = await import('../src/core/metrics/judge.ts');
  const { labelReferenceFeatures, loadFaceSplits, loadModelFromDir, MODELS_DIR } = await import('./lib/node-io.ts');
  const judge = await loadModelFromDir(path.join(MODELS_DIR, SECOND_JUDGE_ID[ds.id]));
  try {
    let reference;
    if (ds.id === 'faces') {
      const f = await loadFaceSplits();
      reference = { ...await buildLabelReference(judge, [f.privateTrain, f.publicSet], Infinity), perDigit: null };
    } else {
      const f = await labelReferenceFeatures();
      reference = { features: f.values, labels: f.labels, dim: f.dim, perDigit: null };
    }
    return await knnLabels(judge, Float32Array.from(images.flatMap((im) => Array.from(im))), digits, reference);
  } finally {
    judge.dispose();
  }
}

/** The benchmark grid (defenses x attacks x seeds), run headless by the engine's benchmark job: the page's code path. */
async function benchCommand(argv: string[]): Promise<void> {
  const values = parse(argv, {
    defenses: { type: 'string' }, attacks: { type: 'string', default: 'mi-face' }, seeds: { type: 'string', default: '1' },
    budget: { type: 'string', default: 'browser' }, knowledge: { type: 'string', default: 'disjoint' }, steps: { type: 'string' },
    json: { type: 'boolean', default: false }, out: { type: 'string' }, backend: { type: 'string' }, dataset: { type: 'string' },
    'no-batch': { type: 'boolean', default: false }, 'output-defense': { type: 'string' }, 'query-budget': { type: 'string' },
  });
  const { parseSeedList, STEPS_RANGE } = await import('../src/worker/benchmark-record.ts');
  const outputDefense = values['output-defense'];
  if (outputDefense !== undefined) {
    try { parseOutputDefense(outputDefense); } catch (e) { throw new UsageError(`--output-defense: ${(e as Error).message}`); }
  }
  // One budget, or several: the grid runs once per budget (a sweep), each table headed by its budget.
  const queryBudgets = values['query-budget'] === undefined ? [undefined]
    : values['query-budget'].split(',').map((v) => num('query-budget', v.trim(), 0, { int: true, min: 1, max: QUERY_BUDGET_MAX }));
  const list = (raw: string) => raw.split(',').map((v) => v.trim()).filter(Boolean);
  // The data set: --dataset, else that of the first --defenses target, else MNIST.
  const ds = datasetFlag(values.dataset, values.defenses === undefined ? undefined : list(values.defenses)[0]);
  const attacks = list(values.attacks);
  for (const a of attacks) if (!ATTACKS.some((x) => x.id === a)) throw new UsageError(`--attacks: unknown attack '${a}' (available: ${ATTACKS.map((x) => x.id).join(', ')})`);
  for (const a of attacks) {
    if (!runsOn(a as AttackId, ds.id)) throw new UsageError(`--attacks: '${a}' does not run on the ${ds.title} (available: ${ATTACKS.filter((x) => runsOn(x.id, ds.id)).map((x) => x.id).join(', ')})`);
  }
  if (attacks.length === 0) throw new UsageError('--attacks: name at least one attack');
  let seeds: number[];
  try { seeds = parseSeedList(values.seeds); } catch (e) { throw new UsageError(`--seeds: ${(e as Error).message}`); }
  if (values.budget !== 'browser' && values.budget !== 'paper') throw new UsageError(`--budget: '${values.budget}' must be 'browser' or 'paper'`);
  if (values.knowledge !== 'disjoint' && values.knowledge !== 'other-writers') throw new UsageError(`--knowledge: '${values.knowledge}' must be 'disjoint' or 'other-writers'`);
  if (ds.id !== 'mnist' && values.knowledge !== 'disjoint') throw new UsageError(`--knowledge: the ${ds.title} have 'disjoint' only (other people's faces)`);
  const steps = values.steps === undefined ? undefined : num('steps', values.steps, 0, { int: true, ...STEPS_RANGE });
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const engine = new Engine(nodeLoader(), [backend.backend]);
  const info = await engine.init({ baseUrl: '' });
  const all = info.models.filter((m) => m.role === 'target');
  const targets = all.filter((m) => datasetOf(m.dataset).id === ds.id).map((m) => m.id);
  const defenses = values.defenses === undefined ? targets : list(values.defenses);
  for (const d of defenses) {
    if (targets.includes(d)) continue;
    const other = all.find((m) => m.id === d);
    if (other) throw new UsageError(`--defenses: '${d}' is a target of the ${datasetOf(other.dataset).title}, not of the ${ds.title} (add --dataset ${datasetOf(other.dataset).id})`);
    throw new UsageError(`--defenses: no target '${d}' (have: ${targets.join(', ')})`);
  }
  if (defenses.length === 0) throw new UsageError('--defenses: name at least one target');
  const base: BenchmarkConfig = {
    ...(ds.id !== 'mnist' ? { dataset: ds.id } : {}),
    defenses: [...new Set(defenses)], attacks: [...new Set(attacks)] as AttackConfig['attack'][], seeds,
    budget: values.budget, knowledge: values.knowledge, ...(steps !== undefined ? { steps } : {}),
    ...(values['no-batch'] ? { batchSeeds: false } : {}), ...(outputDefense !== undefined ? { outputDefense } : {}),
  };
  const { formatBenchTable, writeBenchOut } = await import('./lib/bench-table.ts');
  for (const queryBudget of queryBudgets) {
    const config: BenchmarkConfig = { ...base, ...(queryBudget !== undefined ? { queryBudget } : {}) };
    const heading = queryBudgets.length > 1 ? `query budget ${queryBudget}` : undefined;
    const record = await new Promise<NonNullable<BenchmarkProgress['record']>>((resolve, reject) => {
      engine.startBenchmark(config, (p) => {
        // One line per finished cell on stderr (stdout stays the table or the JSON).
        for (const c of p.cells) {
          console.error(`[${p.cellsDone}/${p.cellsTotal}] ${heading ? `${heading}: ` : ''}${c.defense} x ${c.attack}: ${c.status === 'done' ? `top-1 ${c.metrics!.top1.toFixed(2)} in ${c.seconds.toFixed(1)} s` : c.note}`);
        }
        if (p.state === 'failed') reject(new Error(p.error));
        else if (p.record && p.state === 'done') resolve(p.record);
      }).catch(reject);
    });
    const out = values.out && heading ? path.join(values.out, `budget-${queryBudget}`) : values.out;
    if (out) writeBenchOut(record, out);
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else {
      if (heading) console.log(`\n## ${heading}${outputDefense ? `, output defense ${outputDefense}` : ''}`);
      console.log(formatBenchTable(record));
      if (out) console.log(`wrote ${out}/table.csv, record.json and <defense>/<attack>/{recon,nearest}-<digit>-<seed>.png`);
    }
  }
}

async function trainCommand(argv: string[]): Promise<void> {
  // A defense's knobs (the defense lab's, e.g. --beta 0.5 --cleanSmoothing 0.1) override the shipped ones.
  const knobFlags = Object.fromEntries([...new Set(DEFENSES.flatMap((d) => d.knobs.map((k) => k.key)))].map((k) => [k, { type: 'string' as const }]));
  const values = parse(argv, {
    defense: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string', default: '1' }, out: { type: 'string' }, backend: { type: 'string' },
    naturalness: { type: 'string' }, injection: { type: 'string' }, ...knobFlags,
  }) as Record<string, string | undefined>;
  const { RECIPES, trainRecipe } = await import('./lib/recipes.ts');
  const defenses = RECIPES.filter((r) => r.role === 'target').map((r) => r.defense);
  if (!values.defense) throw new UsageError(`--defense is required (available: ${defenses.join(', ')})`);
  const recipe = RECIPES.find((r) => r.role === 'target' && r.defense === values.defense);
  if (!recipe) throw new UsageError(`--defense: unknown defense '${values.defense}' (available: ${defenses.join(', ')})`);
  const epochs = values.epochs === undefined ? undefined : num('epochs', values.epochs, 1, { int: true, min: 1, max: 100 });
  const seed = num('seed', values.seed!, 1, { int: true });
  const info = defenseInfo(values.defense);
  const knobs: Partial<DefenseKnobs> = {};
  for (const key of Object.keys(knobFlags)) {
    if (values[key] === undefined) continue;
    const k = info.knobs.find((x) => x.key === key);
    if (!k) throw new UsageError(`--${key} does not apply to ${values.defense} (its knobs: ${info.knobs.map((x) => `--${x.key}`).join(' ') || 'none'})`);
    (knobs as Record<string, number>)[key] = num(key, values[key], k.default, { int: k.integer, min: k.min, max: k.max });
  }
  // Trap-MID's two choices of formulation (the defense lab's selects).
  for (const [flag, choices] of [['naturalness', NATURALNESS_MODES], ['injection', INJECTION_MODES]] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    if (!isTrapMid(values.defense)) throw new UsageError(`--${flag} applies to trap-mid and trap-mid-negls, not ${values.defense}`);
    const modes: string[] = choices.map((m) => m.value);
    if (!modes.includes(v)) throw new UsageError(`--${flag}: '${v}' must be one of ${modes.join(', ')}`);
    Object.assign(knobs, { [flag]: v });
  }
  // As in the defense lab: without its own --alpha, an injection comes with the strength it needs (warp: 1 px).
  if (knobs.injection && values.alpha === undefined) knobs.alpha = INJECTION_MODES.find((m) => m.value === knobs.injection)!.alpha;
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const dir = path.resolve(values.out ?? path.join('out', `train-${values.defense}`));
  const knobArgs = Object.entries(knobs).map(([k, v]) => ` --${k} ${v}`).join('');
  const command = `npm run mi -- train --defense ${values.defense} --seed ${seed}${epochs ? ` --epochs ${epochs}` : ''}${knobArgs}`;
  const entry = await trainRecipe(recipe, { seed, epochs, knobs, dir, backend: backend.backend, command });
  fs.writeFileSync(path.join(dir, 'entry.json'), JSON.stringify(entry, null, 2) + '\n');
  process.stdout.write(JSON.stringify({ command: 'train', dir, ...entry }) + '\n');
}

async function detectCommand(argv: string[]): Promise<void> {
  const values = parse(argv, { target: { type: 'string' }, images: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' } });
  if (!values.target) throw new UsageError('--target is required');
  const files = pngFiles(values.images);
  await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const { detectorFor, scoreImages } = await import('./lib/detector.ts');
  const detector = await detectorFor(values.target).catch((e) => { throw new UsageError((e as Error).message); });
  const images = files.map((f) => readGrayPng(path.join(values.images!, f)));
  const scores = await scoreImages(detector, images);
  const rows = files.map((file, i) => ({ file, ...scores[i], flagged: scores[i].score > detector.threshold }));
  const result = { command: 'detect', target: values.target, threshold: detector.threshold, flaggedShare: rows.filter((r) => r.flagged).length / rows.length, images: rows };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    console.log(`trapdoor detection against ${values.target} (threshold ${detector.threshold.toFixed(3)}, the 95th percentile of clean training scores)`);
    for (const r of rows) console.log(`  ${r.file.padEnd(24)} predicted ${r.predicted}  score ${r.score.toFixed(3)}${r.flagged ? '  FLAGGED' : ''}`);
    console.log(`flagged: ${(result.flaggedShare * 100).toFixed(0)}%`);
  }
}

/** The .png files of the --images folder, sorted; a clear usage error when there are none. */
function pngFiles(dir: string | undefined): string[] {
  if (!dir) throw new UsageError('--images DIR is required');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--images: '${dir}' is not a folder`);
  const files = fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.png')).sort();
  if (files.length === 0) throw new UsageError(`--images: no .png files in '${dir}'`);
  return files;
}

/**
 * Judges reconstructions saved as PNGs (recon-<digit>-<k>.png, as `attack --out` writes them) by both judges, with
 * KNN-label accuracy: the same figures `attack` prints, for images made anywhere.
 */
async function judgeCommand(argv: string[]): Promise<void> {
  const values = parse(argv, { images: { type: 'string' }, dataset: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' } });
  const ds = datasetFlag(values.dataset, undefined);
  const files = pngFiles(values.images);
  const classes = files.map((f) => {
    const m = /^recon-(\d+)-/.exec(f);
    if (!m) throw new UsageError(`--images: '${f}' is not named recon-<${ds.noun}>-<k>.png, so its attacked ${ds.noun} is unknown`);
    return Number(m[1]);
  });
  await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const { judgeImages } = await import('../src/core/metrics/judge.ts');
  const judges = { evaluator: await loadJudge(EVALUATOR_ID[ds.id]), robust: await loadJudge(SECOND_JUDGE_ID[ds.id]) };
  const images = files.map((f) => readGrayPng(path.join(values.images!, f), ds.side));
  const pixels = Float32Array.from(images.flatMap((im) => Array.from(im)));
  const verdict = await judgeImages(judges, pixels, classes);
  const knn = await knnLabelsOf(images, classes, ds);
  judges.evaluator.model.dispose(); judges.robust.model.dispose();
  const rows = files.map((file, i) => ({
    file, [ds.noun]: classes[i], evaluator: verdict.evaluator.predicted[i],
    ...(verdict.robust ? { robust: verdict.robust.predicted[i] } : {}), ...(knn ? { knnLabel: knn.labels[i] } : {}),
  }));
  const result = { command: 'judge', dataset: ds.id, images: rows.length, attackAccuracy: { ...verdict.accuracy, ...(knn ? { knnLabel: knn.accuracy } : {}) }, perImage: rows };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    rows.forEach((r, i) => console.log(`  ${r.file.padEnd(24)} ${ds.noun} ${classes[i]}  evaluator ${r.evaluator}` +
      (r.robust !== undefined ? `  judge 2 ${r.robust}` : '') + (r.knnLabel !== undefined ? `  nearest training image ${r.knnLabel}` : '')));
    const a = result.attackAccuracy;
    console.log(`${rows.length} images: evaluator top-1 ${a.top1.toFixed(2)}, top-5 ${a.top5.toFixed(2)}` +
      (a.robustTop1 !== undefined ? `; judge 2 top-1 ${a.robustTop1.toFixed(2)}; both ${a.bothTop1!.toFixed(2)}` : '') +
      (knn ? `; KNN-label ${knn.accuracy.toFixed(2)}` : ''));
  }
}

/** A shipped judge (evaluator or second judge) with the digit of each output. */
async function loadJudge(id: string) {
  const { loadModelFromDir, MODELS_DIR } = await import('./lib/node-io.ts');
  return { model: await loadModelFromDir(path.join(MODELS_DIR, id)), classes: readManifest().models.find((m) => m.id === id)!.classes };
}

/** A sweep chart's title and its attack's name without the bracketed kind ("PLG-MI", not "PLG-MI (conditional GAN)"). */
const sweepTitle = (defense: string, knobLabel: string, epochs: number, seeds: number) =>
  `${defenseInfo(defense).name}: ${knobLabel}, ${epochs} epoch${epochs > 1 ? 's' : ''}, ${seeds} seed${seeds > 1 ? 's' : ''}`;
const shortAttackName = (id: string) => ATTACKS.find((a) => a.id === id)!.name.replace(/ \(.*\)$/, '');

/** sweep.png in `dir` from `svg` (sweep.svg is written already); undefined, with the reason on stderr, without Chromium. */
async function drawSweepPng(dir: string, svg: string): Promise<string | undefined> {
  const { svgToPng } = await import('./lib/plot.ts');
  fs.writeFileSync(path.join(dir, 'sweep.svg'), svg);
  try {
    await svgToPng(svg, path.join(dir, 'sweep.png'));
    return path.join(dir, 'sweep.png');
  } catch (e) {
    console.error(`mi: sweep.png not drawn: ${(e as Error).message}`);
    return undefined;
  }
}

/** `sweep --plot DIR`: the chart again from DIR/sweep.json (e.g. of a sweep stopped before its last value). */
async function replotSweep(dir: string): Promise<void> {
  const file = path.join(dir, 'sweep.json');
  if (!fs.existsSync(file)) throw new UsageError(`--plot: no sweep.json in '${dir}'`);
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  // Records written before the chart's labels were stored get them from the catalog.
  const n = record.seeds.length, e = record.epochs;
  record.title ??= sweepTitle(record.defense, record.knobLabel, e, n);
  record.attackName ??= shortAttackName(record.attack);
  const { chartSvg } = await import('./lib/plot.ts');
  const { sweepChart } = await import('./lib/sweep.ts');
  const png = await drawSweepPng(dir, chartSvg(sweepChart(record)));
  console.log(`${record.points.length} value(s) drawn to ${path.join(dir, 'sweep.svg')}${png ? ` and ${png}` : ''}`);
}

async function sweepCommand(argv: string[]): Promise<void> {
  const values = parse(argv, {
    defense: { type: 'string' }, knob: { type: 'string' }, values: { type: 'string' }, attack: { type: 'string', default: 'plg-mi' },
    epochs: { type: 'string', default: '1' }, 'gan-epochs': { type: 'string', default: '5' }, seeds: { type: 'string', default: '1-5' }, seed: { type: 'string', default: '1' },
    batches: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' },
    plot: { type: 'string' },
  }) as Record<string, string | boolean | undefined>;
  const { RECIPES } = await import('./lib/recipes.ts');
  const { SWEEP_ATTACKS, runSweep, sweepChart } = await import('./lib/sweep.ts');
  if (values.plot !== undefined) return replotSweep(values.plot as string);
  const trainable = RECIPES.filter((r) => r.role === 'target' && !r.dataset).map((r) => r.defense).filter((d) => defenseInfo(d).knobs.length > 0);
  const defense = values.defense as string | undefined;
  if (!defense) throw new UsageError(`--defense is required (with knobs to sweep: ${[...new Set(trainable)].join(', ')})`);
  if (!trainable.includes(defense)) throw new UsageError(`--defense: '${defense}' has no MNIST target recipe with a knob to sweep (available: ${[...new Set(trainable)].join(', ')})`);
  const info = defenseInfo(defense);
  const knob = info.knobs.find((k) => k.key === values.knob);
  if (!knob) throw new UsageError(`--knob: ${values.knob === undefined ? 'required' : `'${values.knob}' is not a knob of ${defense}`} (its knobs: ${info.knobs.map((k) => k.key).join(', ')})`);
  if (!values.values) throw new UsageError('--values is required: the knob\'s values, e.g. --values 0.01,0.02,0.05');
  const xs = (values.values as string).split(',').map((v) => num('values', v, 0, { int: knob.integer, min: knob.min, max: knob.max }));
  if (new Set(xs).size !== xs.length) throw new UsageError(`--values: '${values.values}' repeats a value`);
  const attack = values.attack as string;
  if (!(SWEEP_ATTACKS as readonly string[]).includes(attack)) throw new UsageError(`--attack: '${attack}' cannot be swept (available: ${SWEEP_ATTACKS.join(', ')})`);
  const epochs = num('epochs', values.epochs as string, 1, { int: true, min: 1, max: 20 });
  const ganEpochs = num('gan-epochs', values['gan-epochs'] as string, 5, { int: true, min: 1, max: 50 });
  const seeds = parseSeeds(values.seeds as string);
  const seed = num('seed', values.seed as string, 1, { int: true });
  const maxBatches = values.batches === undefined ? undefined : num('batches', values.batches as string, 1, { int: true, min: 1 });
  const attackSteps = values.steps === undefined ? undefined : num('steps', values.steps as string, 1, { int: true, min: 1, max: 5000 });
  await nodeBackend(values.backend as string | undefined).catch((e) => { throw new UsageError((e as Error).message); });
  const { chartSvg } = await import('./lib/plot.ts');
  const dir = path.resolve((values.out as string | undefined) ?? path.join('out', `sweep-${defense}-${knob.key}`));
  fs.mkdirSync(dir, { recursive: true });
  const judges = { evaluator: await loadJudge(EVALUATOR_ID.mnist), robust: await loadJudge(SECOND_JUDGE_ID.mnist) };
  const command = `npm run mi -- ${['sweep', ...argv].join(' ')}`;
  const title = sweepTitle(defense, knob.label, epochs, seeds.length);
  const attackName = shortAttackName(attack);
  const header = { command: 'sweep', run: command, defense, knob: knob.key, knobLabel: knob.label, attack, epochs, ganEpochs, seeds, seed, ...(maxBatches ? { maxBatches } : {}), ...(attackSteps ? { attackSteps } : {}) };
  const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(4));
  const save = (points: SweepPoint[]) => {
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({ ...header, title, attackName, points }, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'sweep.csv'), [`${knob.key},clean_accuracy,trapdoor_accuracy,${attack}_top1,${attack}_judge2_top1,${attack}_both_top1,flagged_share,train_seconds,attack_seconds`,
      ...points.map((p) => [p.value, pct(p.cleanAccuracy), pct(p.trapdoorAccuracy), pct(p.top1), pct(p.robustTop1), pct(p.bothTop1), pct(p.flaggedShare), p.trainSeconds.toFixed(0), p.attackSeconds.toFixed(0)].join(','))].join('\n') + '\n');
  };
  const chart = (points: SweepPoint[]) => sweepChart({ title, knobLabel: knob.label, attackName, points });
  const points = await runSweep({ defense, knob: knob.key as never, values: xs, attack: attack as never, epochs, ganEpochs, seeds, seed, maxBatches, attackSteps, log: (l) => console.error(l) },
    judges, (_p, done) => { save(done); fs.writeFileSync(path.join(dir, 'sweep.svg'), chartSvg(chart(done))); });
  judges.evaluator.model.dispose(); judges.robust.model.dispose();
  const png = await drawSweepPng(dir, chartSvg(chart(points)));
  const result = { ...header, dir, points, files: ['sweep.json', 'sweep.csv', 'sweep.svg', ...(png ? ['sweep.png'] : [])], title, attackName };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    console.log(`${knob.key.padEnd(10)} clean acc  ${attack} top-1  judge 2  both${points[0].trapdoorAccuracy !== undefined ? '  trapdoor acc  flagged' : ''}`);
    for (const p of points) {
      console.log(`${String(p.value).padEnd(10)} ${(p.cleanAccuracy * 100).toFixed(2).padStart(8)}%  ${p.top1.toFixed(2).padStart(11)}  ${p.robustTop1.toFixed(2).padStart(7)}  ${p.bothTop1.toFixed(2).padStart(4)}` +
        (p.trapdoorAccuracy !== undefined ? `  ${(p.trapdoorAccuracy * 100).toFixed(1).padStart(11)}%  ${((p.flaggedShare ?? 0) * 100).toFixed(0).padStart(6)}%` : ''));
    }
    console.log(`written to ${dir}: ${result.files.join(', ')}`);
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'attack') await attackCommand(rest);
  else if (command === 'train') await trainCommand(rest);
  else if (command === 'detect') await detectCommand(rest);
  else if (command === 'judge') await judgeCommand(rest);
  else if (command === 'bench') await benchCommand(rest);
  else if (command === 'sweep') await sweepCommand(rest);
  else throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`mi: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`mi: ${(e as Error).message}`);
  process.exit(1);
}
