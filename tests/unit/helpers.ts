// Shared set-up for unit tests: tfjs on Node's wasm backend with the project's kernels.
import * as tf from '@tensorflow/tfjs';
import { nodeBackend } from '../../scripts/lib/node-io.ts';

export async function useWasm(): Promise<void> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await nodeBackend('wasm');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** An engine over the file system on wasm, initialised (the engine tests' set-up). */
export async function nodeEngine(): Promise<import('../../src/worker/engine.ts').Engine> {
  const { Engine } = await import('../../src/worker/engine.ts');
  const { nodeLoader } = await import('../../scripts/lib/node-io.ts');
  await useWasm();
  const engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
  return engine;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `what` holds, polling every 20 ms; throws after `ms`. */
export async function until(what: () => boolean, ms = 60_000): Promise<void> {
  for (const t0 = performance.now(); !what(); await sleep(20)) if (performance.now() - t0 > ms) throw new Error('timed out');
}

/** Runs a benchmark grid to its end; all its progress messages. */
export async function runGrid(
  engine: import('../../src/worker/engine.ts').Engine, config: import('../../src/worker/protocol.ts').BenchmarkConfig,
): Promise<import('../../src/worker/protocol.ts').BenchmarkProgress[]> {
  const seen: import('../../src/worker/protocol.ts').BenchmarkProgress[] = [];
  await new Promise<void>((resolve, reject) => {
    engine.startBenchmark(config, (p) => {
      seen.push(p);
      if (p.state === 'failed') reject(new Error(p.error));
      if (p.state === 'done' || p.state === 'cancelled') resolve();
    }).catch(reject);
  });
  return seen;
}

/** Two variables driven by the same gradients through `opt` for `steps` steps; their final values. */
export async function runAdam(opt: tf.Optimizer, steps: number): Promise<Float32Array[]> {
  const a = tf.variable(tf.randomNormal([3, 4, 5], 0, 1, 'float32', 1));
  const b = tf.variable(tf.randomNormal([7], 0, 1, 'float32', 2));
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      // Gradients of a loss whose scale changes from step to step, so that both moments matter.
      const ga = tf.mul(tf.randomNormal(a.shape, 0, 1, 'float32', 100 + s), s % 3 === 0 ? 5 : 0.1);
      const gb = tf.sin(tf.mul(b, s + 1));
      opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    });
  }
  const out = [await a.data() as Float32Array, await b.data() as Float32Array];
  tf.dispose([a, b]);
  opt.dispose();
  return out;
}

/**
 * The warps warpPerStream makes (on wasm / cpu: loops over four bilinear taps, the transpose for the gradient) against
 * the dense 784 x 784 matrices drawn from the same streams (randomAffineBatch + applyAffine), on the current backend: the
 * largest difference of the warped images and of the input gradients, and the tensors left after disposing.
 */
export async function sparseVsDenseWarps(chunks: number, perChunk: number): Promise<{ forward: number; gradient: number; gradientScale: number; leaked: number }> {
  const { applyAffine, randomAffineBatch, scaledAugment, warpPerStream } = await import('../../src/core/data/augment.ts');
  const { makeRng } = await import('../../src/core/data/rng.ts');
  const before = tf.memory().numTensors;
  const streams = () => Array.from({ length: chunks }, (_, k) => makeRng(40 + k));
  const x = tf.randomUniform([chunks * perChunk, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const r = tf.randomNormal(x.shape, 0, 1, 'float32', 8) as tf.Tensor4D;
  const sparse = warpPerStream(28, streams(), scaledAugment(1.5));
  const dense = tf.tidy(() => tf.concat(streams().map((rng) => randomAffineBatch(1, rng, scaledAugment(1.5))), 0) as tf.Tensor3D);
  const grad = (f: (v: tf.Tensor4D) => tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor4D), r)))(x);
  const [a, b, ga, gb] = [sparse.apply(x), applyAffine(x, dense), grad((v) => sparse.apply(v)), grad((v) => applyAffine(v, dense))];
  const [av, bv, gav, gbv] = await Promise.all([a, b, ga, gb].map((t) => t.data()));
  sparse.dispose();
  tf.dispose([x, r, dense, a, b, ga, gb]);
  return {
    forward: maxAbsDiff(av, bv), gradient: maxAbsDiff(gav, gbv),
    gradientScale: Array.from(gbv as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0), leaked: tf.memory().numTensors - before,
  };
}
