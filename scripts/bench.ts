// npm run bench [-- --quick] [--out FILE] [--backends cpu,wasm,webgpu]
// Milliseconds per step (median) for each backend Node has, measured by src/core/bench.ts (the benchmark page runs
// the same code in the browser's worker): the conv filter-gradient kernel alone, a training step of the target, an
// MI-Face, GMI and PLG-MI step; ours and, where tfjs has them, the stock kernels. webgpu runs through Dawn (the `webgpu` package)
// when it finds an adapter: a real GPU, or SwiftShader on the CPU with
// VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (labelled with that adapter: not a GPU figure).
// --quick skips the stock cpu figures (about a minute). It also lists each GAN prior's recorded training time and backend.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ROOT, loadSplits, loadModelFromDir, MODELS_DIR } from './lib/node-io.ts';
import { readManifest } from './lib/manifest.ts';
import { registerNodeWebGpu } from './lib/node-webgpu.ts';
import { type BackendName, registerTrainingKernels, softwareAdapter } from '../src/core/backend.ts';
import { benchmarkBackend, type BenchRow, FILTER_GRAD_CASE, TRAIN_STEP_CASE } from '../src/core/bench.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'out', 'bench.json') },
    backends: { type: 'string', default: 'cpu,wasm,webgpu' },
  },
});

const splits = loadSplits();
const rows: BenchRow[] = [];
const print = (r: BenchRow) => console.error(`  ${r.backend.padEnd(7)} ${r.what.padEnd(56)} ${r.kernels.padEnd(5)} ${Number.isNaN(r.msPerStep) ? `   - (${r.note})` : `${r.msPerStep.toFixed(1).padStart(9)} ms`}` +
  (r.kernelsPerStep !== undefined ? `  ${String(r.kernelsPerStep).padStart(4)} kernels/step` : '') +
  (r.dispatchesPerStep !== undefined ? `  ${String(r.dispatchesPerStep).padStart(4)} dispatches/step` : '') +
  (r.unfused ? ` (unfused: ${r.unfused.kernelsPerStep} / ${r.unfused.dispatchesPerStep})` : '') +
  (r.note && !Number.isNaN(r.msPerStep) ? `  (${r.note})` : ''));

console.error(`tfjs ${tf.version.tfjs}, Node ${process.version}`);
for (const backend of args.backends.split(',')) {
  let adapter: string | undefined;
  if (backend === 'webgpu') {
    const gpu = await registerNodeWebGpu();
    if (!gpu.ok) {
      const row: BenchRow = { backend, what: 'all', kernels: 'ours', msPerStep: NaN, repeats: 0, note: `skipped: ${gpu.reason}` };
      rows.push(row); print(row);
      continue;
    }
    adapter = gpu.adapter;
    console.error(`  webgpu adapter: ${adapter}`);
  }
  if (!(await tf.setBackend(backend))) { console.error(`  ${backend}: failed to initialise`); continue; }
  await tf.ready();
  registerTrainingKernels(backend);
  const target = await loadModelFromDir(path.join(MODELS_DIR, 'target-none')).catch(() => undefined);
  const emulated = (await softwareAdapter(backend as BackendName)) !== null;
  rows.push(...await benchmarkBackend({
    backend, adapter, data: splits.privateTrain, classOf: (d) => d, target,
    includeStock: !(args.quick && backend === 'cpu'), repeats: backend === 'cpu' || emulated ? 3 : 10, onRow: print,
  }));
  target?.dispose();
}

const summary: Record<string, number> = {};
const find = (b: string, what: string, k: string) => rows.find((r) => r.backend === b && r.what === what && r.kernels === k && !Number.isNaN(r.msPerStep))?.msPerStep;
const stockCpuTrain = find('cpu', TRAIN_STEP_CASE, 'stock'), wasmTrain = find('wasm', TRAIN_STEP_CASE, 'ours');
if (stockCpuTrain && wasmTrain) summary.wasmTrainingStepSpeedupOverStockCpu = Number((stockCpuTrain / wasmTrain).toFixed(1));
const gpuTrain = find('webgpu', TRAIN_STEP_CASE, 'ours'), gpuGrad = find('webgpu', FILTER_GRAD_CASE, 'ours');
if (gpuTrain && gpuGrad) summary.webgpuFilterGradShareOfTrainingStep = Number((gpuGrad / gpuTrain).toFixed(3));

// How long each shipped GAN prior took to train, and on what (from the manifest its training wrote).
const priors = (readManifest().priors ?? []).map((p) => ({ id: p.id, epochs: p.epochs, trainSeconds: p.trainSeconds, trainBackend: p.trainBackend, fid: p.fid, publicShare: p.publicShare }));
console.error('GAN priors (training time as recorded by npm run train; FID vs 1000 public digits; share of samples read as 5-9):');
for (const p of priors) {
  console.error(`  ${p.id.padEnd(38)} ${String(p.epochs).padStart(3)} epochs  ${(p.trainSeconds / 60).toFixed(1).padStart(6)} min on ${p.trainBackend}  FID ${p.fid?.toFixed(1) ?? '-'}  5-9 ${p.publicShare !== undefined ? `${(100 * p.publicShare).toFixed(1)}%` : '-'}`);
}

const record = { date: new Date().toISOString(), tfjs: tf.version.tfjs, node: process.version, rows, summary, priors };
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(record, null, 2) + '\n');
console.log(JSON.stringify(summary));
console.error(`written to ${path.relative(ROOT, args.out)}`);
process.exit(0); // Dawn keeps the process alive otherwise
