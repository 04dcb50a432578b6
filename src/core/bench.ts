// Speed figures shared by `npm run bench` (Node) and the benchmark page (the worker): milliseconds per step,
// median over repeats, of the conv filter-gradient kernel alone, a training step of the target CNN, and an
// MI-Face attack step, with our kernels and (where tfjs has them) the stock ones.
import * as tf from '@tensorflow/tfjs';
import { miFace } from './attacks/mi-face.ts';
import { gmi } from './attacks/gmi.ts';
import { plgMi } from './attacks/plg-mi.ts';
import type { Attack } from './attacks/attack.ts';
import { buildDiscriminator, buildGenerator } from './nets/gan.ts';
import type { DigitSet } from './data/mnist.ts';
import { withStockKernels } from './kernels/registry.ts';
import { withFusion } from './kernels/fusion.ts';
import { buildTarget } from './nets/architectures.ts';
import { ClassifierTrainer } from './train.ts';
import { TRAP_MID_DEFAULTS, TrapMidTrainer } from './defenses/trap-mid.ts';
import { DP_SGD_DEFAULTS, DpSgdTrainer } from './defenses/dp-sgd.ts';

/** One measurement (the same shape the worker protocol sends to pages). */
export interface BenchRow {
  backend: string;
  adapter?: string;
  what: string;
  kernels: 'ours' | 'stock';
  /** Median milliseconds per step (NaN when not measured; see note). */
  msPerStep: number;
  repeats: number;
  /**
   * tfjs kernels one step launches, counted by tf.profile: on webgpu each is at least one GPU dispatch, and the
   * host-side cost per kernel is what a fused kernel saves (absent where not counted).
   */
  kernelsPerStep?: number;
  /** GPU dispatches on webgpu (programs launched); elsewhere the kernels that do work (see dispatchesOf). */
  dispatchesPerStep?: number;
  /** The same step with the fused paths off (tfjs-layers, tfjs's composed ops and Adam): what it launched before them. */
  unfused?: { kernelsPerStep: number; dispatchesPerStep: number };
  note?: string;
}

/** What one step launches, fused and not. */
interface StepCounts { kernelsPerStep: number; dispatchesPerStep: number; unfused: { kernelsPerStep: number; dispatchesPerStep: number } }

export interface BenchOptions {
  backend: string;
  adapter?: string;
  /** Training images of the target's classes (at least one batch of 64). */
  data: DigitSet;
  classOf: (digit: number) => number;
  /** The shipped target, for the attack step (skipped when absent). */
  target?: tf.LayersModel;
  /** Measure tfjs's stock kernels too (the stock cpu training step takes about a minute). */
  includeStock: boolean;
  repeats: number;
  onRow?: (row: BenchRow) => void;
}

export const FILTER_GRAD_CASE = 'conv filter gradient (26x26x32 -> 12x12x64, batch 64)';
export const TRAIN_STEP_CASE = 'target training step (batch 64)';
export const ATTACK_STEP_CASE = 'MI-Face step (5 candidates)';
export const TRAP_MID_STEP_CASE = 'Trap-MID training step (batch 64: discriminator + triggers + target)';
export const DP_SGD_STEP_CASE = 'DP-SGD training step (Poisson batch of 64 expected: per-example clipping, noise)';
export const GMI_STEP_CASE = 'GMI step (5 digits x 5 restarts)';
export const PLG_STEP_CASE = 'PLG-MI step (5 digits x 5 restarts, 2 augmentations)';

async function median(repeats: number, f: () => Promise<void>): Promise<number> {
  await f(); // warm-up: pipeline compilation on GPU backends
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

/** Kernels that only relabel a tensor (no GPU work on webgpu). */
const NO_DISPATCH = new Set(['Identity', 'Reshape']);

/**
 * Of the kernels tf.profile recorded, those that do work: registered kernels of the current backend other than
 * identities and reshapes (custom-gradient wrappers such as 'forward' appear in the record but are no kernel). On
 * webgpu each is one GPU dispatch (the fused Adam, three).
 */
export function dispatchesOf(kernels: { name: string }[]): number {
  const backend = tf.getBackend();
  return kernels.filter((k) => !NO_DISPATCH.has(k.name) && tf.getKernel(k.name, backend)).length;
}

/**
 * Runs `f` counting the WebGPU programs it launches (each call of the backend's runWebGPUProgram is one compute
 * dispatch); null on other backends.
 */
export async function countGpuDispatches(f: () => Promise<unknown> | unknown): Promise<number | null> {
  if (tf.getBackend() !== 'webgpu') { await f(); return null; }
  const backend = tf.backend() as unknown as { runWebGPUProgram: (...args: unknown[]) => unknown };
  const original = backend.runWebGPUProgram;
  let n = 0;
  backend.runWebGPUProgram = function (this: unknown, ...args: unknown[]) { n++; return original.apply(this, args); };
  try {
    await f();
  } finally {
    backend.runWebGPUProgram = original;
  }
  return n;
}

/**
 * Kernels and dispatches that one call of `f` launches, then one more call with fusion off. Dispatches: on webgpu the
 * programs really launched (countGpuDispatches), elsewhere the kernels that do work (dispatchesOf).
 */
async function kernelsOf(f: () => Promise<unknown> | unknown): Promise<StepCounts> {
  const count = async () => {
    let gpu: number | null = null;
    const { kernels } = await tf.profile(async () => { gpu = await countGpuDispatches(f); });
    return { kernelsPerStep: kernels.length, dispatchesPerStep: gpu ?? dispatchesOf(kernels) };
  };
  const fused = await count();
  return { ...fused, unfused: await withFusion(false, count) };
}

/** The target's second conv layer's weight gradient at batch 64 (inputs made once, outside the timing), read back. */
function filterGradStep(): { run: () => Promise<void>; dispose: () => void } {
  const [x, dy] = tf.tidy(() => [tf.randomUniform([64, 26, 26, 32], 0, 1, 'float32', 1), tf.randomNormal([64, 12, 12, 64], 0, 0.01, 'float32', 2)]);
  return {
    run: async () => {
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] }) as tf.Tensor;
      await dw.data();
      dw.dispose();
    },
    dispose: () => tf.dispose([x, dy]),
  };
}

async function timeFilterGrad(repeats: number): Promise<number> {
  const f = filterGradStep();
  try {
    return await median(repeats, f.run);
  } finally {
    f.dispose();
  }
}

export async function benchmarkBackend(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const add = (what: string, kernels: BenchRow['kernels'], [ms, counts]: [number, StepCounts?], repeats: number, note?: string) => {
    const row: BenchRow = {
      backend: o.backend, adapter: o.adapter, what, kernels, msPerStep: Number(ms.toFixed(2)), repeats,
      ...(counts ?? {}), note,
    };
    rows.push(row);
    o.onRow?.(row);
  };
  const trainingStep = async (repeats: number): Promise<[number, StepCounts]> => {
    const t = new ClassifierTrainer(buildTarget(5, 1), o.data, {
      epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: o.classOf, numClasses: 5 });
    try {
      return [await median(repeats, async () => { await t.step(true); }), await kernelsOf(() => t.step(false))];
    } finally {
      t.model.dispose(); t.dispose();
    }
  };

  if (o.includeStock) {
    const ran = await withStockKernels(o.backend, async () => {
      const reps = o.backend === 'cpu' ? 1 : o.repeats;
      add(FILTER_GRAD_CASE, 'stock', [await timeFilterGrad(reps)], reps);
      add(TRAIN_STEP_CASE, 'stock', await trainingStep(reps), reps);
    });
    if (!ran) add(FILTER_GRAD_CASE, 'stock', [NaN], 0, 'tfjs has no Conv2DBackpropFilter on this backend: conv nets cannot train without ours');
  }
  add(FILTER_GRAD_CASE, 'ours', [await timeFilterGrad(o.repeats)], o.repeats);
  add(TRAIN_STEP_CASE, 'ours', await trainingStep(o.repeats), o.repeats);
  {
    // Same expected batch as the plain step, so the ratio of the two is the ratio of an epoch's cost.
    const t = new DpSgdTrainer(buildTarget(5, 1), o.data, {
      ...DP_SGD_DEFAULTS, epochs: 1e6, batchSize: 64, seed: 1, classOf: o.classOf, numClasses: 5 });
    try {
      const ms = await median(o.repeats, async () => { await t.step(true); });
      const plain = rows.find((r) => r.what === TRAIN_STEP_CASE && r.kernels === 'ours')!.msPerStep;
      add(DP_SGD_STEP_CASE, 'ours', [ms, await kernelsOf(() => t.step(false))], o.repeats, `an epoch costs ${(ms / plain).toFixed(2)}x a plain one (same images per step)`);
    } finally {
      t.model.dispose(); t.dispose();
    }
  }
  {
    const t = new TrapMidTrainer(buildTarget(5, 1), o.data, { ...TRAP_MID_DEFAULTS, epochs: 1, seed: 1, numClasses: 5, classOf: o.classOf });
    try {
      add(TRAP_MID_STEP_CASE, 'ours', [await median(o.repeats, async () => { await t.step(true); }), await kernelsOf(() => t.step(false))], o.repeats);
    } finally {
      t.model.dispose(); t.dispose();
    }
  }
  if (o.target) {
    const ctx = { target: o.target, targetClasses: [0, 1, 2, 3, 4] };
    add(ATTACK_STEP_CASE, 'ours', await attackStep(miFace, miFace.init(ctx, { steps: 1e9, learningRate: 0.05, tv: 0.005, l2: 0, init: 'zeros', seed: 1 }), o.repeats), o.repeats, TEN_STEPS);
    // The GAN attacks' step cost depends on the architectures only: freshly initialised priors time the same.
    const [g, d, cg] = [buildGenerator(1), buildDiscriminator(2), buildGenerator(3, 5)];
    try {
      add(GMI_STEP_CASE, 'ours', await attackStep(gmi, gmi.init({ ...ctx, prior: { generator: g, discriminator: d, conditional: false } },
        { steps: 1e9, restarts: 5, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 1, seed: 1 }), o.repeats), o.repeats, TEN_STEPS);
      add(PLG_STEP_CASE, 'ours', await attackStep(plgMi, plgMi.init({ ...ctx, prior: { generator: cg, discriminator: d, conditional: true } },
        { steps: 1e9, restarts: 5, learningRate: 0.1, seed: 1 }), o.repeats), o.repeats, TEN_STEPS);
    } finally {
      for (const m of [g, d, cg]) m.dispose();
    }
  }
  return rows;
}

const TEN_STEPS = 'each repeat times 10 steps and one read-back';

/**
 * ms per training step (batch 64, our kernels) of a freshly built target on random images: what the defense lab's
 * backend choice compares. One warm-up step, then the median of `repeats`.
 */
export async function timeTrainingStep(repeats = 2): Promise<number> {
  const n = 128;
  const data: DigitSet = {
    count: n, images: Uint8Array.from({ length: n * 784 }, (_, i) => (i * 2654435761) % 251), labels: Uint8Array.from({ length: n }, (_, i) => i % 5),
  };
  const t = new ClassifierTrainer(buildTarget(5, 1), data, { epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: (d) => d, numClasses: 5 });
  try {
    return await median(repeats, async () => { await t.step(true); });
  } finally {
    t.model.dispose(); t.dispose();
  }
}

/**
 * ms per MI-Face step on the current backend, on a freshly built target (the shipped targets' architecture: their
 * steps cost the same; nothing to download): what the engine's backend choice compares. One warm-up round (GPU
 * pipelines compile), then the median of `repeats` rounds of ten steps.
 */
export async function timeAttackStep(repeats = 2): Promise<number> {
  const target = buildTarget(5, 1);
  try {
    const ctx = { target, targetClasses: [0, 1, 2, 3, 4] };
    return (await attackStep(miFace, miFace.init(ctx, { steps: 1e9, learningRate: 0.05, tv: 0.3, l2: 0.01, init: 'zeros', seed: 1 }), repeats))[0];
  } finally {
    target.dispose();
  }
}

/**
 * Milliseconds per step of a white-box attack (ten steps per read-back, as the live page does) and the kernels one
 * step launches; disposes it.
 */
async function attackStep<S>(attack: Attack<unknown, S>, state: S, repeats: number): Promise<[number, StepCounts]> {
  try {
    const ms = (await median(repeats, async () => { for (let i = 0; i < 10; i++) await attack.step(state); await attack.snapshot(state); })) / 10;
    return [ms, await kernelsOf(() => attack.step(state))];
  } finally {
    attack.dispose(state);
  }
}
