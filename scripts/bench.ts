// npm run bench [-- --quick] [--out FILE] [--backends cpu,wasm,webgpu]
// Prints (and writes as JSON) milliseconds per step, median over repeats, for each available backend in Node:
//   - the conv filter-gradient kernel alone (the target's second conv layer, batch 64), ours vs tfjs's stock one
//   - one training step of the target CNN (batch 64), with our kernels and with the stock ones
//   - one MI-Face attack step (five candidates)
// webgpu runs through Dawn (the `webgpu` package) when it finds an adapter: a real GPU, or SwiftShader on the CPU
// when VK_ICD_FILENAMES points at Chromium's ICD (then the figures say so). The stock cpu training step takes about
// a minute; --quick skips stock figures that take longer than a few seconds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ROOT, loadSplits, loadModelFromDir, MODELS_DIR } from './lib/node-io.ts';
import { registerNodeWebGpu } from './lib/node-webgpu.ts';
import { registerTrainingKernels } from '../src/core/backend.ts';
import { buildTarget } from '../src/core/nets/architectures.ts';
import { ClassifierTrainer } from '../src/core/train.ts';
import { miFace } from '../src/core/attacks/mi-face.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'out', 'bench.json') },
    backends: { type: 'string', default: 'cpu,wasm,webgpu' },
  },
});

interface Row { backend: string; adapter?: string; what: string; kernels: 'ours' | 'stock'; msPerStep: number; repeats: number; note?: string }
const rows: Row[] = [];

async function median(repeats: number, f: () => Promise<void>): Promise<number> {
  await f(); // warm-up (pipeline compilation on GPUs)
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const splits = loadSplits();

async function filterGradStep(): Promise<void> {
  const [x, dy] = tf.tidy(() => [tf.randomUniform([64, 26, 26, 32], 0, 1, 'float32', 1), tf.randomNormal([64, 12, 12, 64], 0, 0.01, 'float32', 2)]);
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] }) as tf.Tensor;
  await dw.data();
  tf.dispose([x, dy, dw]);
}

async function measureBackend(backend: string, adapter: string | undefined, slow: boolean): Promise<void> {
  const add = (what: string, kernels: Row['kernels'], msPerStep: number, repeats: number) => {
    rows.push({ backend, adapter, what, kernels, msPerStep: Number(msPerStep.toFixed(2)), repeats });
    console.error(`  ${backend.padEnd(7)} ${what.padEnd(48)} ${kernels.padEnd(5)} ${msPerStep.toFixed(1).padStart(9)} ms`);
  };
  const trainer = () => new ClassifierTrainer(buildTarget(5, 1), splits.privateTrain, {
    epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: (d) => d, numClasses: 5 });

  // Stock kernels first, before ours replace them.
  if (!tf.getKernel('Conv2DBackpropFilter', backend)) {
    rows.push({ backend, adapter, what: 'stock kernels', kernels: 'stock', msPerStep: NaN, repeats: 0, note: 'tfjs has no Conv2DBackpropFilter here: conv nets cannot train' });
    console.error(`  ${backend.padEnd(7)} stock: no Conv2DBackpropFilter kernel (conv nets cannot train without ours)`);
  } else if (!args.quick || !slow) {
    const reps = slow ? 1 : 3;
    add('conv filter gradient (26x26x32->12x12x64, b64)', 'stock', await median(reps, filterGradStep), reps);
    const t = trainer();
    add('target training step (batch 64)', 'stock', await median(reps, async () => { await t.step(true); }), reps);
    t.model.dispose(); t.dispose();
  }
  registerTrainingKernels(backend);
  const reps = backend === 'cpu' ? 3 : 10;
  add('conv filter gradient (26x26x32->12x12x64, b64)', 'ours', await median(reps, filterGradStep), reps);
  const t = trainer();
  add('target training step (batch 64)', 'ours', await median(reps, async () => { await t.step(true); }), reps);
  t.model.dispose(); t.dispose();
  const target = await loadModelFromDir(path.join(MODELS_DIR, 'target-none')).catch((e) => {
    console.error(`  ${backend}: MI-Face skipped, the shipped target did not load (${(e as Error).message})`);
  });
  if (target) {
    const state = miFace.init({ target, targetClasses: [0, 1, 2, 3, 4] }, { steps: 1e6, learningRate: 0.05, tv: 0.005, l2: 0, init: 'zeros', seed: 1 });
    // Ten steps per read-back, as the live page does.
    const ms = await median(5, async () => { for (let i = 0; i < 10; i++) miFace.step(state); await miFace.snapshot(state); }) / 10;
    add('MI-Face step (5 candidates)', 'ours', ms, 50);
    miFace.dispose(state);
    target.dispose();
  }
}

console.error(`tfjs ${tf.version.tfjs}, Node ${process.version}`);
const wanted = args.backends.split(',');
for (const backend of ['cpu', 'wasm', 'webgpu']) {
  if (!wanted.includes(backend)) continue;
  let adapter: string | undefined;
  if (backend === 'webgpu') {
    const gpu = await registerNodeWebGpu();
    if (!gpu.ok) { console.error(`  webgpu: skipped (${gpu.reason})`); rows.push({ backend, what: 'skipped', kernels: 'ours', msPerStep: NaN, repeats: 0, note: gpu.reason }); continue; }
    adapter = gpu.adapter;
  }
  if (!(await tf.setBackend(backend))) { console.error(`  ${backend}: failed to initialise`); continue; }
  await tf.ready();
  // Reload the target's weights on this backend.
  await measureBackend(backend, adapter, backend !== 'wasm' && !(adapter && !/swiftshader/i.test(adapter)));
}

const summary: Record<string, number> = {};
const find = (b: string, w: string, k: string) => rows.find((r) => r.backend === b && r.what.startsWith(w) && r.kernels === k)?.msPerStep;
const stockCpuTrain = find('cpu', 'target training', 'stock'), wasmTrain = find('wasm', 'target training', 'ours');
if (stockCpuTrain && wasmTrain) summary.wasmTrainingSpeedupOverStockCpu = Number((stockCpuTrain / wasmTrain).toFixed(1));
const gpuTrain = find('webgpu', 'target training', 'ours'), gpuGrad = find('webgpu', 'conv filter', 'ours');
if (gpuTrain && gpuGrad) summary.webgpuFilterGradShareOfTrainingStep = Number((gpuGrad / gpuTrain).toFixed(3));

const record = { date: new Date().toISOString(), tfjs: tf.version.tfjs, node: process.version, rows, summary };
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(record, null, 2) + '\n');
console.log(JSON.stringify(record));
console.error(`summary: ${JSON.stringify(summary)}; written to ${path.relative(ROOT, args.out)}`);
