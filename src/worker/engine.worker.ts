// The Web Worker entry: registers the tfjs backends, then exposes the engine through comlink. All tensor work of
// the pages happens here.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Engine } from './engine.ts';
import { browserLoader } from './browser-loader.ts';
import type { AttackConfig, AttackSnapshot, EngineApi, InitOptions, TrainingProgress } from './protocol.ts';
import type { DatasetId } from '../core/data/datasets.ts';

let engine: Engine | undefined;

const api: EngineApi = {
  async init(options: InitOptions) {
    setWasmPaths(new URL('tfjs-wasm/', options.baseUrl).href);
    // tfjs runs its threaded build whenever the page is cross-origin isolated, with half the logical processors as
    // threads. Where that is one thread anyway (2 processors), the single-threaded build is used: it is no slower and
    // starts no helper workers. threads=1 asks for it; threads=N for N threads.
    const threads = options.threads ?? Math.floor((self.navigator.hardwareConcurrency ?? 1) / 2);
    if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    else if (options.threads) askForThreads(options.threads);
    engine ??= new Engine(browserLoader(options.baseUrl));
    return engine.init(options);
  },
  privateSamples: async (dataset?: DatasetId) => {
    const s = await need().privateSamples(dataset);
    return Comlink.transfer(s, [s.pixels.buffer]);
  },
  startAttack: (config: AttackConfig, onSnapshot: (s: AttackSnapshot) => void, startPaused?: boolean) =>
    // Pixel buffers are fresh copies, so they can be transferred rather than cloned.
    need().startAttack(config, (s) => onSnapshot(Comlink.transfer(s, [s.pixels.buffer])), startPaused),
  startTraining: (config, onProgress, startPaused) =>
    need().startTraining(config, (p) => onProgress(Comlink.transfer(p, transferables(p))), startPaused),
  // Benchmark progress is plain data (images are base64 text): cloned as it is.
  startBenchmark: (config, onProgress, startPaused) => need().startBenchmark(config, onProgress, startPaused),
  pause: (id) => need().pause(id),
  resume: (id) => need().resume(id),
  step: (id) => need().step(id),
  cancel: (id) => need().cancel(id),
  benchmark: (onRow, options) => need().benchmark(onRow, options),
  trapdoorReference: async (targetId) => {
    const r = await need().trapdoorReference(targetId);
    return Comlink.transfer(r, [r.triggers.buffer]);
  },
  probe: (targetId, pixels) => need().probe(targetId, pixels),
  loadUploadedModel: (files) => need().loadUploadedModel(files),
  numTensors: () => need().numTensors(),
};

/**
 * tfjs's WASM backend caps its thread pool at half of navigator.hardwareConcurrency (it assumes two hardware threads
 * per core), read once when the module starts. To run exactly `n` threads where asked, it is told of 2n before that.
 */
function askForThreads(n: number): void {
  Object.defineProperty(self.navigator, 'hardwareConcurrency', { value: 2 * n, configurable: true });
  setThreadsCount(n);
}

/** A progress message's pixel buffers (fresh copies, so they can be transferred rather than cloned). */
function transferables(p: TrainingProgress): ArrayBuffer[] {
  const t = p.trapdoor;
  return t ? [t.triggers, t.sample.clean, t.sample.triggered, t.sample.exaggerated].map((a) => a.buffer as ArrayBuffer) : [];
}

function need(): Engine {
  if (!engine) throw new Error('engine not initialised');
  return engine;
}

Comlink.expose(api);
