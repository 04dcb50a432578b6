// npm run mi -- <command> [options]: the playground's engine from the command line.
//   attack --attack mi-face [--target ID] [--steps N] [--seed S] [--lr X] [--tv X] [--l2 X] [--init zeros|noise]
//          [--out DIR] [--json] [--backend wasm|cpu]
// Writes DIR/recon-<digit>-<k>.png (28x28 grayscale) and DIR/result.json, and prints one JSON object (--json) or
// a table. Bad arguments: a message on stderr and exit code 2.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/worker/engine.ts';
import { DEFAULT_MI_FACE, type AttackSnapshot, type MiFaceConfig } from '../src/worker/protocol.ts';
import { nodeBackend, nodeLoader } from './lib/node-io.ts';
import { writeGrayPng } from './lib/png.ts';

class UsageError extends Error {}

const USAGE = `usage: npm run mi -- attack --attack mi-face [--target target-none] [--steps ${DEFAULT_MI_FACE.steps}] [--seed 1]
                    [--lr ${DEFAULT_MI_FACE.learningRate}] [--tv ${DEFAULT_MI_FACE.tv}] [--l2 0] [--init zeros|noise] [--out DIR] [--json]
                    [--backend wasm|cpu]`;

function num(name: string, raw: string | undefined, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name}: '${raw}' is not a number`);
  if (opts.int && !Number.isInteger(v)) throw new UsageError(`--${name}: '${raw}' is not an integer`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name}: ${v} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name}: ${v} is above the maximum ${opts.max}`);
  return v;
}

async function attackCommand(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true,
      options: {
        attack: { type: 'string' }, target: { type: 'string', default: 'target-none' }, steps: { type: 'string' },
        seed: { type: 'string' }, lr: { type: 'string' }, tv: { type: 'string' }, l2: { type: 'string' },
        init: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!values.attack) throw new UsageError('--attack is required (available: mi-face)');
  if (values.attack !== 'mi-face') throw new UsageError(`--attack: unknown attack '${values.attack}' (available: mi-face)`);
  const init = values.init ?? 'zeros';
  if (init !== 'zeros' && init !== 'noise') throw new UsageError(`--init: '${init}' must be 'zeros' or 'noise'`);
  const config: MiFaceConfig = {
    ...DEFAULT_MI_FACE,
    targetId: values.target!,
    steps: num('steps', values.steps, DEFAULT_MI_FACE.steps, { int: true, min: 1, max: 100000 }),
    seed: num('seed', values.seed, DEFAULT_MI_FACE.seed, { int: true }),
    learningRate: num('lr', values.lr, DEFAULT_MI_FACE.learningRate, { min: 1e-6, max: 10 }),
    tv: num('tv', values.tv, DEFAULT_MI_FACE.tv, { min: 0 }),
    l2: num('l2', values.l2, DEFAULT_MI_FACE.l2, { min: 0 }),
    init,
    snapshotEvery: Number.MAX_SAFE_INTEGER, // only the final snapshot
  };
  const backend = await nodeBackend(values.backend).catch((e) => { throw new UsageError((e as Error).message); });
  const engine = new Engine(nodeLoader(), [backend.backend]);
  const info = await engine.init({ baseUrl: '' });
  if (!info.models.some((m) => m.id === config.targetId && m.role === 'target')) {
    throw new UsageError(`--target: no target model '${config.targetId}' (have: ${info.models.filter((m) => m.role === 'target').map((m) => m.id).join(', ')})`);
  }
  const t0 = performance.now();
  const final = await new Promise<AttackSnapshot>((resolve, reject) => {
    engine.startAttack(config, (s) => {
      if (s.state === 'failed') reject(new Error(s.error));
      else if (s.state === 'done') resolve(s);
    }).catch(reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  const perClass = final.classes.map((digit, i) => ({
    digit, targetConfidence: final.targetConfidence[i], loss: final.loss[i],
    evaluator: { predicted: final.evaluator.predicted[i], confidence: final.evaluator.confidence[i], top5: final.evaluator.top5[i] },
    file: `recon-${digit}-0.png`,
  }));
  const result = {
    command: 'attack', config, backend: info.backend, steps: final.step, seconds: Number(seconds.toFixed(2)),
    attackAccuracy: final.attackAccuracy, perClass,
  };
  if (values.out) {
    fs.mkdirSync(values.out, { recursive: true });
    final.classes.forEach((digit, i) => writeGrayPng(path.join(values.out!, `recon-${digit}-0.png`), final.pixels.subarray(i * 784, (i + 1) * 784)));
    fs.writeFileSync(path.join(values.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    console.log(`MI-Face against ${config.targetId}: ${final.step} steps in ${seconds.toFixed(1)} s on ${info.backend}`);
    console.log('digit  target-conf  evaluator  top-5');
    for (const c of perClass) {
      console.log(`  ${c.digit}      ${c.targetConfidence.toFixed(3)}      ${c.evaluator.predicted} (${(c.evaluator.confidence * 100).toFixed(0)}%)   ${c.evaluator.top5.join(' ')}`);
    }
    console.log(`attack accuracy: top-1 ${final.attackAccuracy.top1.toFixed(2)}, top-5 ${final.attackAccuracy.top5.toFixed(2)}`);
    if (values.out) console.log(`wrote ${values.out}/recon-*.png and result.json`);
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'attack') await attackCommand(rest);
  else throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`mi: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`mi: ${(e as Error).message}`);
  process.exit(1);
}
