// The defender's networks of the output-side defenses (`npm run train -- --only purifier-target-none,...`): Yang &
// Shao's purifier (src/core/defenses/purifier.ts) and the mimic inversion model Wen et al.'s adversarial noise is
// crafted against (src/core/defenses/adversarial-noise.ts), one each per target. Each is saved with what its defense
// does to the target's answers on private test digits (guardQuality, re-measured by the models test).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, loadSplits, MODELS_DIR, saveModel } from './node-io.ts';
import { readManifest, shippedTarget } from './manifest.ts';
import { type DigitSet, imagesToTensor } from '../../src/core/data/mnist.ts';
import { spreadIndices } from '../../src/core/metrics/judge.ts';
import { mse, ssim } from '../../src/core/metrics/image-quality.ts';
import { DecoderTrainer, alignAnswers, buildInversionDecoder, decode } from '../../src/core/attacks/inversion-net.ts';
import { NO_DEFENSE, QueryOracle, formatOutputDefense, needsGuard, type OutputDefense } from '../../src/core/attacks/oracle.ts';
import { PURIFIER_CODE, PURIFIER_INVERSION_WEIGHT, PurifierTrainer, buildPurifier, purifierGuard } from '../../src/core/defenses/purifier.ts';
import { adversarialNoiseGuard } from '../../src/core/defenses/adversarial-noise.ts';
import { type GuardEntry, type GuardQuality, findPrior } from '../../src/core/nets/manifest.ts';

export interface GuardRecipe {
  id: string;
  kind: GuardEntry['kind'];
  forTarget: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** The adversarial-noise budget a mimic's quality is measured at (the lab's choice). */
export const MEASURED_NOISE_BUDGET = 5;

/** Purifier: 3 epochs of public digits (~1,450 steps). Mimic: 4 epochs of private training digits (~1,900 steps). */
export const GUARD_RECIPES: GuardRecipe[] = ['none', 'trap-mid-capped'].flatMap((d): GuardRecipe[] => [
  { id: `purifier-target-${d}`, kind: 'purifier', forTarget: `target-${d}`, epochs: 3, batchSize: 64, learningRate: 5e-3 },
  { id: `mimic-inv-target-${d}`, kind: 'mimic-inversion', forTarget: `target-${d}`, epochs: 4, batchSize: 64, learningRate: 1e-3 },
]);

const PURIFIER_ARCH = `answer encoded as max(0, ln p + 50) / 50 -> dense 32 relu -> dense ${PURIFIER_CODE} (the code) -> dense 32 relu -> ` +
  `dense k -> softmax; KL(target || purified) - ${PURIFIER_INVERSION_WEIGHT} x MSE of an inversion model trained alongside on purified answers; Adam`;
const MIMIC_ARCH = 'the inversion attack\'s decoder (attacks/inversion-net.ts): aligned answer -> dense 7x7x64 tanh -> convT4/2(32) tanh -> convT4/2(1) sigmoid; MSE, Adam (beta1 0.5)';

export async function trainGuard(r: GuardRecipe, opts: { seed: number; epochs?: number; dir: string; backend: string; command: string }): Promise<GuardEntry> {
  const splits = loadSplits();
  const { entry, target } = await shippedTarget(r.forTarget, r.id);
  const k = entry.classes.length;
  const epochs = opts.epochs ?? r.epochs;
  // The purifier learns on public digits (the attacker's kind of query); the mimic on the defender's own private digits.
  const data: DigitSet = r.kind === 'purifier' ? splits.publicSet : splits.privateTrain;
  const net = r.kind === 'purifier' ? buildPurifier(k, opts.seed) : buildInversionDecoder(k, opts.seed + 101);
  const step = r.kind === 'purifier'
    ? (() => {
      const t = new PurifierTrainer(net, target, data, { batchSize: r.batchSize, learningRate: r.learningRate, inversionWeight: PURIFIER_INVERSION_WEIGHT, seed: opts.seed });
      return { run: async () => { const s = await t.step(); return `KL ${s.kl.toFixed(4)} inversion MSE ${s.inversionMse.toFixed(4)}`; }, epoch: () => t.epoch, dispose: () => t.dispose() };
    })()
    : (() => {
      const t = new DecoderTrainer(net, data, new QueryOracle(target, k, NO_DEFENSE, opts.seed), { batchSize: r.batchSize, learningRate: r.learningRate, truncation: k, seed: opts.seed });
      return { run: async () => `MSE ${(await t.step()).loss.toFixed(4)}`, epoch: () => t.epoch, dispose: () => t.dispose() };
    })();
  const t0 = performance.now();
  let lastLog = t0;
  while (step.epoch() < epochs) {
    const line = await step.run();
    if (performance.now() - lastLog > 15000) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${step.epoch() + 1}/${epochs} ${line} (${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
  }
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  step.dispose();
  fs.mkdirSync(opts.dir, { recursive: true });
  const saved = await saveModel(net, opts.dir);
  const params = net.countParams();
  net.dispose();
  // Measured as shipped (float16 weights), as the models test re-measures it.
  const shipped = await loadModelFromDir(opts.dir);
  const defense: OutputDefense = r.kind === 'purifier' ? { kind: 'purifier' } : { kind: 'adv-noise', budget: MEASURED_NOISE_BUDGET };
  const quality = await guardQuality(defense, shipped, target, r.forTarget, opts.seed);
  shipped.dispose(); target.dispose();
  return {
    id: r.id, kind: r.kind, forTarget: r.forTarget, classes: entry.classes,
    network: { path: path.relative(MODELS_DIR, path.join(opts.dir, 'model.json')), params, ...saved },
    architecture: r.kind === 'purifier' ? PURIFIER_ARCH : MIMIC_ARCH,
    dataSplit: r.kind === 'purifier'
      ? `public digits 5-9 (MNIST train + test), ${data.count} images, each answered by ${r.forTarget}`
      : `the defender's private training digits 0-4, ${data.count} images, each answered by ${r.forTarget}`,
    trainImages: data.count, epochs, trainCommand: opts.command, seed: opts.seed, trainSeconds, trainBackend: opts.backend, quality,
  };
}

/**
 * What an output defense does on 1000 private test digits (spread over the set): labels kept, L1 distortion of the
 * answers, and the attacker's shipped inversion decoder's MSE / SSIM from exact and from defended answers.
 */
export async function guardQuality(defense: OutputDefense, net: tf.LayersModel, target: tf.LayersModel, targetId: string, seed: number): Promise<GuardQuality> {
  if (!needsGuard(defense)) throw new Error('guardQuality measures the purifier and adversarial noise');
  const test = loadSplits().privateTest;
  const idx = spreadIndices(test.count, 1000);
  const k = target.outputs[0].shape[1] as number, px = 784;
  const guard = defense.kind === 'purifier' ? purifierGuard(net) : adversarialNoiseGuard(net, defense.budget);
  const exactApi = new QueryOracle(target, k, NO_DEFENSE, seed);
  const defendedApi = new QueryOracle(target, k, defense, seed, Infinity, guard);
  const decoderId = `inv-${targetId}-disjoint`;
  const decoder = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, findPrior(readManifest(), decoderId).generator.path)));
  let kept = 0, l1 = 0;
  const m = { exact: 0, defended: 0 }, s = { exact: 0, defended: 0 };
  for (let start = 0; start < idx.length; start += 100) {
    const x = imagesToTensor(test, idx.slice(start, start + 100));
    const n = x.shape[0];
    const [exact, defended] = [await exactApi.probabilities(x), await defendedApi.probabilities(x)];
    const originals = new Float32Array(await x.data() as Float32Array);
    x.dispose();
    const top = (a: Float32Array, i: number) => { let b = 0; for (let j = 1; j < k; j++) if (a[i * k + j] > a[i * k + b]) b = j; return b; };
    for (let i = 0; i < n; i++) {
      if (top(exact, i) === top(defended, i)) kept++;
      for (let j = 0; j < k; j++) l1 += Math.abs(exact[i * k + j] - defended[i * k + j]);
    }
    for (const [which, answers] of [['exact', exact], ['defended', defended]] as const) {
      const recon = await decode(decoder, alignAnswers(answers, k, k), k);
      for (let i = 0; i < n; i++) {
        const a = recon.subarray(i * px, (i + 1) * px), b = originals.subarray(i * px, (i + 1) * px);
        m[which] += mse(a, b); s[which] += ssim(a, b);
      }
    }
  }
  decoder.dispose();
  const n = idx.length, r = (v: number, d = 4) => Number(v.toFixed(d));
  return {
    defense: formatOutputDefense(defense), images: n, labelsKept: r(kept / n), l1Distortion: r(l1 / n),
    attackerDecoder: decoderId,
    mse: { exact: r(m.exact / n, 5), defended: r(m.defended / n, 5) }, ssim: { exact: r(s.exact / n), defended: r(s.defended / n) },
  };
}
