// The fused attack path (nets/fused-chain.ts, kernels/layer-grads.ts, kernels/attack-losses.ts) against the path it
// replaces (tfjs-layers' apply, tfjs's composed ops): the same outputs and input gradients for every network an attack
// runs through it, the same loss values and gradients, the same pixels after a run of each gradient attack on the
// shipped models, and at most a third of the kernels per step. cpu and wasm here; WebGPU (Dawn) in
// webgpu-kernel.test.ts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, loadModelFromDir } from '../../scripts/lib/node-io.ts';
import type { Attack, AttackContext, CandidateSnapshot } from '../../src/core/attacks/attack.ts';
import { gmi } from '../../src/core/attacks/gmi.ts';
import { kedMi } from '../../src/core/attacks/ked-mi.ts';
import { miFace } from '../../src/core/attacks/mi-face.ts';
import { plgMi } from '../../src/core/attacks/plg-mi.ts';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { classLoss, composedClassLoss, composedPixelPrior, pixelPrior } from '../../src/core/kernels/attack-losses.ts';
import { withFusion } from '../../src/core/kernels/fusion.ts';
import { buildEvaluator, buildRobustJudge, buildTarget } from '../../src/core/nets/architectures.ts';
import { frozenForward, infer } from '../../src/core/nets/fused-chain.ts';
import { buildDiscriminator, buildGenerator, Z_DIM } from '../../src/core/nets/gan.ts';
import { dispatchesOf } from '../../src/core/bench.ts';
import { maxAbsDiff } from './helpers.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

/** Output and d(sum(output * r))/d(inputs[0]) of `f`, read back. */
async function valueAndGrad(f: (xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<[Float32Array, Float32Array]> {
  const out = tf.tidy(() => f(inputs));
  const r = tf.randomNormal(out.shape, 0, 1, 'float32', 7);
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f([x, ...inputs.slice(1)]), r)))(inputs[0]));
  const result: [Float32Array, Float32Array] = [await out.data() as Float32Array, await g.data() as Float32Array];
  tf.dispose([out, r, g]);
  return result;
}

const relErr = (a: Float32Array, b: Float32Array) => maxAbsDiff(a, b) / Math.max(1e-6, b.reduce((m, v) => Math.max(m, Math.abs(v)), 0));

describe.each(['cpu', 'wasm'])('fused attack path on %s', (backend) => {
  it('every network an attack runs (target, judge, generators, discriminators) gives the layers path\'s output and input gradient', async () => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    const image = () => tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 1);
    const latent = () => tf.randomNormal([3, Z_DIM], 0, 1, 'float32', 2);
    const cases: [string, tf.LayersModel, () => tf.Tensor[]][] = [
      ['target', buildTarget(5, 1), () => [image()]],
      ['evaluator', buildEvaluator(2), () => [image()]],
      ['generator', buildGenerator(3), () => [latent()]],
      ['conditional generator', buildGenerator(4, 5), () => [latent(), tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5).toFloat()]],
      ['discriminator', buildDiscriminator(5), () => [image()]],
      ['KED-MI discriminator', buildDiscriminator(6, 5, 'classes'), () => [image()]],
    ];
    for (const [name, model, make] of cases) {
      expect(frozenForward(model), `${name} is a chain the fused path covers`).not.toBeNull();
      const inputs = make();
      const before = tf.memory().numTensors;
      const fused = await valueAndGrad((xs) => infer(model, xs.length === 1 ? xs[0] : xs), inputs);
      const layers = await valueAndGrad((xs) => model.apply(xs.length === 1 ? xs[0] : xs, { training: false }) as tf.Tensor, inputs);
      expect(tf.memory().numTensors, `${name}: no tensor left behind`).toBe(before);
      expect(relErr(fused[0], layers[0]), `${name}: output`).toBeLessThan(1e-5);
      expect(relErr(fused[1], layers[1]), `${name}: input gradient`).toBeLessThan(1e-4);
      expect(maxAbsDiff(fused[1], new Float32Array(fused[1].length)), `${name}: a gradient that is not zero`).toBeGreaterThan(0);
      tf.dispose(inputs);
      model.dispose();
    }
  });

  it('falls back to tfjs-layers for what it does not cover (max-pooling, a branching discriminator), with the same result', async () => {
    await tf.setBackend(backend);
    const judge = buildRobustJudge(1), cond = buildDiscriminator(2, 5);
    expect(frozenForward(judge)).toBeNull();
    expect(frozenForward(cond)).toBeNull();
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    expect(maxAbsDiff(await infer(judge, x).data(), await (judge.apply(x) as tf.Tensor).data())).toBe(0);
    x.dispose(); judge.dispose(); cond.dispose();
  });

  it('the loss kernels give the composed ops\' values and gradients (ties and zeros included), and leak nothing', async () => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    const logits = tf.randomNormal([7, 5], 0, 3, 'float32', 4) as tf.Tensor2D;
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 2], 'int32'), 5).toFloat() as tf.Tensor2D;
    for (const kind of ['cross-entropy', 'max-margin'] as const) {
      const before = tf.memory().numTensors;
      const ours = await valueAndGrad(([l]) => classLoss(l as tf.Tensor2D, labels, kind), [logits]);
      const theirs = await valueAndGrad(([l]) => composedClassLoss(l as tf.Tensor2D, labels, kind), [logits]);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxAbsDiff(ours[0], theirs[0]), kind).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours[1], theirs[1]), `${kind}: gradient`).toBeLessThan(1e-5);
    }
    // A blank start (every difference exactly 0: tfjs's |t| subgradient there is -1), a random image, a flat one.
    const images = [tf.zeros([2, 28, 28, 1]), tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5), tf.fill([1, 8, 6, 3], 0.4)];
    for (const x of images) {
      for (const [tv, l2] of [[0.3, 0.01], [0.005, 0], [0, 0.2]]) {
        const ours = await valueAndGrad(([v]) => pixelPrior(v as tf.Tensor4D, tv, l2), [x]);
        const theirs = await valueAndGrad(([v]) => composedPixelPrior(v as tf.Tensor4D, tv, l2), [x]);
        expect(relErr(ours[0], theirs[0]), `prior ${x.shape} tv ${tv} l2 ${l2}`).toBeLessThan(1e-6);
        expect(maxAbsDiff(ours[1], theirs[1]), `prior gradient ${x.shape} tv ${tv} l2 ${l2}`).toBeLessThan(1e-6);
      }
    }
    tf.dispose([logits, labels, ...images]);
  });
});

describe('the gradient attacks on the shipped models, fused and not (wasm)', () => {
  const load = (dir: string) => loadModelFromDir(path.join(MODELS_DIR, dir));
  const CLASSES = [0, 1, 2, 3, 4];
  // Float rounding differs between the paths (gradients agree to 1e-7, above); Adam's normalised step amplifies it where
  // a pixel's gradient is near 0 (its update is lr * g / (|g| + 1e-7)), so the pixels agree to within a grey level
  // (measured: 2.3e-3 for MI-Face after 4 steps, the same drift in both directions), not to 1e-7.
  const STEPS = 4;
  const PIXEL_TOLERANCE = 0.01;

  /** Snapshot after `steps` steps, and the kernels one more step launches. */
  async function run<O, S>(attack: Attack<O, S>, ctx: AttackContext, options: O, steps: number): Promise<[CandidateSnapshot, number]> {
    const s = await attack.init(ctx, options);
    try {
      for (let i = 0; i < steps; i++) await attack.step(s);
      const snap = await attack.snapshot(s);
      return [snap, dispatchesOf((await tf.profile(async () => { await attack.step(s); })).kernels)];
    } finally {
      attack.dispose(s);
    }
  }

  async function expectSame<O, S>(attack: Attack<O, S>, ctx: AttackContext, options: O, steps: number, third = false): Promise<void> {
    await tf.setBackend('wasm');
    registerTrainingKernels('wasm');
    await run(attack, ctx, options, 1); // warm-up
    const before = tf.memory().numTensors;
    const [fused, fusedKernels] = await run(attack, ctx, options, steps);
    const [layers, layersKernels] = await withFusion(false, () => run(attack, ctx, options, steps));
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(fused.pixels, layers.pixels), 'pixels').toBeLessThan(PIXEL_TOLERANCE);
    expect(maxAbsDiff(fused.targetConfidence, layers.targetConfidence), 'target confidence').toBeLessThan(PIXEL_TOLERANCE);
    expect(fused.kept).toEqual(layers.kept);
    // The images moved: equal because both ran, not because neither did.
    const [start] = await run(attack, ctx, options, 0);
    expect(maxAbsDiff(fused.pixels, start.pixels)).toBeGreaterThan(0.01);
    expect(fusedKernels * (third ? 3 : 1), `${fusedKernels} dispatches per step, against ${layersKernels}`).toBeLessThan(layersKernels);
  }

  it('MI-Face', async () => {
    const target = await load('target-none');
    await expectSame(miFace, { target, targetClasses: CLASSES }, { steps: 100, learningRate: 0.05, tv: 0.3, l2: 0.01, init: 'zeros' as const, seed: 1 }, STEPS, true);
  });

  it('GMI', async () => {
    const [target, generator, discriminator] = await Promise.all([load('target-none'), load('gan-disjoint'), load('gan-disjoint/discriminator')]);
    await expectSame(gmi, { target, targetClasses: CLASSES, prior: { generator, discriminator, conditional: false } },
      { restarts: 2, steps: 100, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 1, seed: 1 }, STEPS);
  });

  it('PLG-MI', async () => {
    const [target, generator] = await Promise.all([load('target-none'), load('cgan-target-none-disjoint')]);
    await expectSame(plgMi, { target, targetClasses: CLASSES, prior: { generator, conditional: true } },
      { restarts: 2, steps: 100, learningRate: 0.1, seed: 1 }, STEPS);
  });

  it('KED-MI', async () => {
    const [target, generator, discriminator] = await Promise.all([load('target-none'), load('ked-target-none-disjoint'), load('ked-target-none-disjoint/discriminator')]);
    await expectSame(kedMi, { target, targetClasses: CLASSES, prior: { generator, discriminator, conditional: false } },
      { samples: 2, steps: 100, learningRate: 0.02, lambda: 100, clamp: 1, seed: 1 }, STEPS);
  });
});
