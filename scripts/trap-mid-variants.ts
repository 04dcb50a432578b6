// npm run trap-mid:variants -- [--naturalness balanced|paper|none] [--weight 0.5] [--batches 300]
//                               [--injection blend|ink|stroke|warp|ted] [--alpha A] [--seed 1] [--eval-every N]
// (--alpha: the injection's own strength unless given: blend 0.02, ink 0.5, stroke, warp and ted 1)
// A short Trap-MID training run with one formulation of the trigger step, then what decides whether it works on
// MNIST: clean accuracy, trapdoor accuracy and the naturalness discriminator's AUC (0.5 = triggers look natural).
// Prints one JSON line. The README's Trap-MID table comes from this command.
import { parseArgs } from 'node:util';
import { loadSplits, nodeBackend } from './lib/node-io.ts';
import { buildTarget } from '../src/core/nets/architectures.ts';
import { TrapMidTrainer, TRAP_MID_DEFAULTS, type Injection, type NaturalnessMode } from '../src/core/defenses/trap-mid.ts';
import { accuracy } from '../src/core/train.ts';
import { naturalnessAuc as naturalnessAucOf, trapdoorAccuracy } from '../src/core/metrics/trapdoor.ts';
import { INJECTION_MODES, NATURALNESS_MODES } from '../src/worker/catalog.ts';

const { values: a } = parseArgs({
  options: {
    naturalness: { type: 'string', default: 'balanced' }, weight: { type: 'string', default: '0.5' },
    batches: { type: 'string', default: '300' }, injection: { type: 'string', default: 'blend' },
    alpha: { type: 'string' }, seed: { type: 'string', default: '1' },
    'eval-every': { type: 'string', default: '0' },
  },
});
const naturalness = a.naturalness as NaturalnessMode, injection = a.injection as Injection;
if (!NATURALNESS_MODES.some((m) => m.value === naturalness) || !INJECTION_MODES.some((m) => m.value === injection)) {
  console.error('usage: see the header of scripts/trap-mid-variants.ts');
  process.exit(2);
}
const [weight, batches, seed, evalEvery] = [Number(a.weight), Number(a.batches), Number(a.seed), Number(a['eval-every'])];
const alpha = a.alpha === undefined ? INJECTION_MODES.find((m) => m.value === injection)!.alpha : Number(a.alpha);

await nodeBackend('wasm');
const { privateTrain, privateTest } = loadSplits();
const model = buildTarget(5, seed);
const trainer = new TrapMidTrainer(model, privateTrain, {
  ...TRAP_MID_DEFAULTS, naturalness, naturalnessWeight: weight, injection, alpha, seed, numClasses: 5, classOf: (d) => d,
});
const evaluate = async () => ({
  clean: await accuracy(model, privateTest, (d) => d),
  trapdoor: await trapdoorAccuracy(model, privateTest, (d) => d, trainer.triggers, alpha, seed, 500, injection),
  naturalnessAuc: await naturalnessAucOf(trainer.discriminator, privateTest, (d) => d, trainer.triggers, alpha, injection, 1000, seed + 1),
});
const t0 = performance.now();
for (let i = 0; i < batches; i++) {
  const s = await trainer.step(i % 50 === 0);
  if (s.losses) console.error(`batch ${i}: ${JSON.stringify(s.losses)}`);
  // The curve, not just the end: does the discriminator catch up as the trapdoor installs?
  if (evalEvery > 0 && (i + 1) % evalEvery === 0 && i + 1 < batches) console.error(`after ${i + 1} batches: ${JSON.stringify(await evaluate())}`);
}
const k = await trainer.triggers.data();
console.log(JSON.stringify({
  naturalness, weight, injection, alpha, batches, ...await evaluate(),
  triggerMean: Array.from(k).reduce((s, v) => s + v, 0) / k.length, seconds: Math.round((performance.now() - t0) / 1000),
}));
