// The fused training path (nets/fused-chain.ts trainApply, the mean loss kernels, the dropout-mask kernel, the fused
// Adam) against tfjs-layers, tfjs's composed ops and tfjs's Adam (the path before them, `withFusion(false)`): the
// same weights after a few steps of a plain and of a Trap-MID training step, the same seeded dropout, no tensor left
// behind, and at most a third of the dispatches per step. The chain on cpu and wasm, the steps on wasm.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { dispatchesOf } from '../../src/core/bench.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { TRAP_MID_DEFAULTS, TrapMidTrainer } from '../../src/core/defenses/trap-mid.ts';
import { withFusion } from '../../src/core/kernels/fusion.ts';
import { signedStep } from '../../src/core/kernels/signed-step.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { trainApply } from '../../src/core/nets/fused-chain.ts';
import { ClassifierTrainer } from '../../src/core/train.ts';
import { maxAbsDiff } from './helpers.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

const N = 256;
const data: DigitSet = {
  count: N, images: Uint8Array.from({ length: N * 784 }, (_, i) => ((i * 2654435761) >>> 0) % 251), labels: Uint8Array.from({ length: N }, (_, i) => i % 5),
};

type Trainer = { model: tf.LayersModel; step(wantStats?: boolean): Promise<unknown>; dispose(): void };
const makers: [string, () => Trainer][] = [
  ['a plain training step', () => new ClassifierTrainer(buildTarget(5, 1), data, { epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: (d) => d, numClasses: 5 })],
  ['a Trap-MID training step', () => new TrapMidTrainer(buildTarget(5, 1), data, { ...TRAP_MID_DEFAULTS, epochs: 1, seed: 1, numClasses: 5, classOf: (d) => d })],
];

/** The model's weights after `steps` steps, and the dispatches of one more step. */
async function train(make: () => Trainer, steps: number): Promise<[Float32Array[], number]> {
  const t = make();
  try {
    for (let i = 0; i < steps; i++) await t.step(i === steps - 1);
    const weights = await Promise.all(t.model.getWeights().map(async (w) => await w.data() as Float32Array));
    const dispatches = dispatchesOf((await tf.profile(async () => { await t.step(false); })).kernels);
    return [weights, dispatches];
  } finally {
    t.model.dispose(); t.dispose();
  }
}

describe.each(['cpu', 'wasm'])('fused training on %s', (backend) => {
  it('the trained chain (seeded dropout on) gives tfjs-layers\' output and weight gradients', async () => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    const model = buildTarget(5, 3);
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 4);
    const r = tf.randomNormal([8, 5], 0, 1, 'float32', 5);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const run = (f: () => tf.Tensor) => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), r)) as tf.Scalar, vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    const before = tf.memory().numTensors;
    const ours = run(() => trainApply(model, x));
    const theirs = run(() => model.apply(x, { training: true }) as tf.Tensor);
    for (let i = 0; i < ours.length; i++) {
      const [a, b] = [await ours[i].data(), await theirs[i].data()];
      const scale = Math.max(1e-6, Array.from(b as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      expect(maxAbsDiff(a, b) / scale, i === 0 ? 'output' : `gradient of ${vars[i - 1].name}`).toBeLessThan(1e-5);
    }
    tf.dispose([...ours, ...theirs]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, r]);
    model.dispose();
  });

  it('the trigger step kernel gives tfjs\'s ops: balanced, paper and no naturalness term, a gradient of 0 included', async () => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    const x = tf.randomUniform([5, 28, 28, 1], 0, 1, 'float32', 6);
    const a = tf.concat([tf.zeros([1, 28, 28, 1]), tf.randomNormal([4, 28, 28, 1], 0, 1e-3, 'float32', 7)]);
    const b = tf.randomNormal([5, 28, 28, 1], 0, 5, 'float32', 8);
    for (const o of [{ weight: 0.5, normalize: true }, { weight: 2, normalize: false }, { weight: 0, normalize: false }]) {
      const options = { ...o, step: 0.01, lo: 0, hi: 1 };
      const ours = signedStep(x, a, b, options), theirs = await withFusion(false, () => signedStep(x, a, b, options));
      expect(maxAbsDiff(await ours.data(), await theirs.data()), JSON.stringify(o)).toBeLessThan(1e-6);
      expect(maxAbsDiff(await ours.data(), await x.data()), 'it moved').toBeGreaterThan(0.005);
      tf.dispose([ours, theirs]);
    }
    tf.dispose([x, a, b]);
  });

  // The steps on wasm only: tfjs's cpu backend takes minutes for a Trap-MID step through tfjs-layers.
  it.skipIf(backend === 'cpu').each(makers)('%s: the same weights as tfjs-layers and tfjs\'s Adam after 3 steps, a third of the dispatches, no tensor left behind', async (what, make) => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    await train(make, 1); // warm-up
    const before = tf.memory().numTensors;
    const [fused, fusedDispatches] = await train(make, 3);
    const [layers, layersDispatches] = await withFusion(false, () => train(make, 3));
    expect(tf.memory().numTensors).toBe(before);
    const [start] = await train(make, 0);
    fused.forEach((w, i) => {
      // Adam's normalised step amplifies float rounding where a gradient is near 0: a few 1e-5 after 3 steps.
      expect(maxAbsDiff(w, layers[i]), `${what}: weight ${i}`).toBeLessThan(1e-4);
    });
    expect(Math.max(...fused.map((w, i) => maxAbsDiff(w, start[i]))), 'the weights moved').toBeGreaterThan(1e-3);
    expect(fusedDispatches * 3, `${fusedDispatches} dispatches per step against ${layersDispatches}`).toBeLessThanOrEqual(layersDispatches);
  });
});
