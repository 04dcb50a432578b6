// npm run mi -- <command> [options]: the playground's engine from the command line.
//   attack --attack mi-face [--target ID] [--steps N] [--seed S] [--lr X] [--tv X] [--l2 X] [--init zeros|noise]
//          [--out DIR] [--json] [--backend wasm|cpu]
//   train  --defense none|trap-mid [--epochs N] [--seed S] [--out DIR] [--backend wasm|cpu]
//   detect --target ID --images DIR [--json]
// attack writes DIR/recon-<digit>-<k>.png (28x28 grayscale) and DIR/result.json, and prints one JSON object
// (--json) or a table. Bad arguments: a message on stderr and exit code 2.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/worker/engine.ts';
import { DEFAULT_MI_FACE, type AttackSnapshot, type MiFaceConfig } from '../src/worker/protocol.ts';
import { nodeBackend, nodeLoader } from './lib/node-io.ts';
import { readGrayPng, writeGrayPng } from './lib/png.ts';
import { readManifest } from './lib/manifest.ts';
import { rocAuc } from '../src/core/metrics/trapdoor.ts';

class UsageError extends Error {}

const USAGE = `usage: npm run mi -- attack --attack mi-face [--target target-none] [--steps ${DEFAULT_MI_FACE.steps}] [--seed 1 | --seeds 1-10]
                    [--lr ${DEFAULT_MI_FACE.learningRate}] [--tv ${DEFAULT_MI_FACE.tv}] [--l2 0] [--init zeros|noise] [--out DIR] [--json]
                    [--backend wasm|cpu]
       npm run mi -- train --defense none|trap-mid [--epochs N] [--seed S] [--out DIR] [--backend wasm|cpu]
       npm run mi -- detect --target ID --images DIR [--json]`;

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

async function attackCommand(argv: string[]): Promise<void> {
  const values = parse(argv, {
    attack: { type: 'string' }, target: { type: 'string', default: 'target-none' }, steps: { type: 'string' },
    seed: { type: 'string' }, seeds: { type: 'string' }, lr: { type: 'string' }, tv: { type: 'string' }, l2: { type: 'string' },
    init: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' },
  });
  if (!values.attack) throw new UsageError('--attack is required (available: mi-face)');
  if (values.attack !== 'mi-face') throw new UsageError(`--attack: unknown attack '${values.attack}' (available: mi-face)`);
  if (values.seed !== undefined && values.seeds !== undefined) throw new UsageError('give --seed or --seeds, not both');
  const init = values.init ?? DEFAULT_MI_FACE.init;
  if (init !== 'zeros' && init !== 'noise') throw new UsageError(`--init: '${init}' must be 'zeros' or 'noise'`);
  const seeds = values.seeds ? parseSeeds(values.seeds) : [num('seed', values.seed, DEFAULT_MI_FACE.seed, { int: true })];
  const config: MiFaceConfig = {
    ...DEFAULT_MI_FACE,
    targetId: values.target!,
    steps: num('steps', values.steps, DEFAULT_MI_FACE.steps, { int: true, min: 1, max: 100000 }),
    seed: seeds[0],
    learningRate: num('lr', values.lr, DEFAULT_MI_FACE.learningRate, { min: 1e-6, max: 10 }),
    tv: num('tv', values.tv, DEFAULT_MI_FACE.tv, { min: 0 }),
    l2: num('l2', values.l2, DEFAULT_MI_FACE.l2, { min: 0 }),
    init,
    snapshotEvery: Number.MAX_SAFE_INTEGER, // only the final snapshot
  };
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const engine = new Engine(nodeLoader(), [backend.backend]);
  const info = await engine.init({ baseUrl: '' });
  const target = info.models.find((m) => m.id === config.targetId && m.role === 'target');
  if (!target) {
    throw new UsageError(`--target: no target model '${config.targetId}' (have: ${info.models.filter((m) => m.role === 'target').map((m) => m.id).join(', ')})`);
  }
  const t0 = performance.now();
  const runs: { seed: number; final: AttackSnapshot }[] = [];
  for (const seed of seeds) {
    const final = await new Promise<AttackSnapshot>((resolve, reject) => {
      engine.startAttack({ ...config, seed }, (s) => {
        if (s.state === 'failed') reject(new Error(s.error));
        else if (s.state === 'done') resolve(s);
      }).catch(reject);
    });
    runs.push({ seed, final });
  }
  const seconds = (performance.now() - t0) / 1000;
  // Trap-MID targets: is each reconstruction flagged by trapdoor detection?
  let detection: { threshold: number; scores: { score: number; predicted: number }[]; publicScores: number[] } | undefined;
  if (readManifest().models.find((m) => m.id === config.targetId)?.trapdoor) {
    const { detectorFor, scoreImages, publicScores } = await import('./lib/detector.ts');
    const detector = await detectorFor(config.targetId);
    const images = runs.flatMap(({ final }) => final.classes.map((_, i) => final.pixels.slice(i * 784, (i + 1) * 784)));
    detection = { threshold: detector.threshold, scores: await scoreImages(detector, images), publicScores: await publicScores(detector) };
  }
  const perImage = runs.flatMap(({ seed, final }, k) => final.classes.map((digit, i) => {
    const d = detection?.scores[k * final.classes.length + i];
    return {
      digit, seed, file: `recon-${digit}-${k}.png`, targetConfidence: final.targetConfidence[i], loss: final.loss[i],
      evaluator: { predicted: final.evaluator.predicted[i], confidence: final.evaluator.confidence[i], top5: final.evaluator.top5[i] },
      ...(d && detection ? { trapdoorScore: d.score, flagged: d.score > detection.threshold } : {}),
    };
  }));
  const mean = (f: (r: (typeof perImage)[number]) => number) => perImage.reduce((a, r) => a + f(r), 0) / perImage.length;
  const result = {
    command: 'attack', config: { ...config, seeds }, backend: info.backend, steps: config.steps, seconds: Number(seconds.toFixed(2)),
    attackAccuracy: {
      top1: mean((r) => Number(r.evaluator.predicted === r.digit)),
      top5: mean((r) => Number(r.evaluator.top5.includes(r.digit))),
      perSeedTop1: runs.map(({ final }) => final.attackAccuracy.top1),
    },
    meanTargetConfidence: mean((r) => r.targetConfidence),
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
      writeGrayPng(path.join(values.out!, `recon-${digit}-${k}.png`), final.pixels.subarray(i * 784, (i + 1) * 784))));
    fs.writeFileSync(path.join(values.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    console.log(`MI-Face against ${config.targetId}: ${config.steps} steps x ${seeds.length} seed(s) in ${seconds.toFixed(1)} s on ${info.backend}`);
    console.log('digit  seed  target-conf  evaluator   top-5' + (detection ? '       trapdoor' : ''));
    for (const c of perImage) {
      console.log(`  ${c.digit}    ${String(c.seed).padStart(4)}     ${c.targetConfidence.toFixed(3)}    ${c.evaluator.predicted} (${(c.evaluator.confidence * 100).toFixed(0).padStart(3)}%)   ${c.evaluator.top5.join(' ')}` +
        (c.trapdoorScore !== undefined ? `   ${c.trapdoorScore.toFixed(3)}${c.flagged ? ' flagged' : ''}` : ''));
    }
    console.log(`attack accuracy: top-1 ${result.attackAccuracy.top1.toFixed(2)}, top-5 ${result.attackAccuracy.top5.toFixed(2)}`);
    if (result.trapdoor) {
      const t = result.trapdoor;
      console.log(`trapdoor detection: ${(t.flaggedShare * 100).toFixed(0)}% of reconstructions flagged (mean score ${t.meanScore.toFixed(3)}); ` +
        `public images: ${(t.publicFlaggedShare * 100).toFixed(0)}% flagged (mean ${t.publicMeanScore.toFixed(3)}); AUC ${t.aucVsPublic.toFixed(3)}`);
    }
    if (values.out) console.log(`wrote ${values.out}/recon-*.png and result.json`);
  }
}

async function trainCommand(argv: string[]): Promise<void> {
  const values = parse(argv, { defense: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string', default: '1' }, out: { type: 'string' }, backend: { type: 'string' } });
  const { RECIPES, trainRecipe } = await import('./lib/recipes.ts');
  const defenses = RECIPES.filter((r) => r.role === 'target').map((r) => r.defense);
  if (!values.defense) throw new UsageError(`--defense is required (available: ${defenses.join(', ')})`);
  const recipe = RECIPES.find((r) => r.role === 'target' && r.defense === values.defense);
  if (!recipe) throw new UsageError(`--defense: unknown defense '${values.defense}' (available: ${defenses.join(', ')})`);
  const epochs = values.epochs === undefined ? undefined : num('epochs', values.epochs, 1, { int: true, min: 1, max: 100 });
  const seed = num('seed', values.seed, 1, { int: true });
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const dir = path.resolve(values.out ?? path.join('out', `train-${values.defense}`));
  const command = `npm run mi -- train --defense ${values.defense} --seed ${seed}${epochs ? ` --epochs ${epochs}` : ''}`;
  const entry = await trainRecipe(recipe, { seed, epochs, dir, backend: backend.backend, command });
  fs.writeFileSync(path.join(dir, 'entry.json'), JSON.stringify(entry, null, 2) + '\n');
  process.stdout.write(JSON.stringify({ command: 'train', dir, ...entry }) + '\n');
}

async function detectCommand(argv: string[]): Promise<void> {
  const values = parse(argv, { target: { type: 'string' }, images: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' } });
  if (!values.target) throw new UsageError('--target is required');
  if (!values.images) throw new UsageError('--images DIR is required');
  if (!fs.existsSync(values.images) || !fs.statSync(values.images).isDirectory()) throw new UsageError(`--images: '${values.images}' is not a folder`);
  const files = fs.readdirSync(values.images).filter((f) => f.toLowerCase().endsWith('.png')).sort();
  if (files.length === 0) throw new UsageError(`--images: no .png files in '${values.images}'`);
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

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'attack') await attackCommand(rest);
  else if (command === 'train') await trainCommand(rest);
  else if (command === 'detect') await detectCommand(rest);
  else throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`mi: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`mi: ${(e as Error).message}`);
  process.exit(1);
}
