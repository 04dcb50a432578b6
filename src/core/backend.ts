// Backend choice: of webgpu, webgl, wasm (cpu only when none starts) the fastest for the workload, never a software
// GPU over WASM; recording why each other one was not chosen. tfjs refuses a backend in two ways: `setBackend`
// throws when it was never registered and resolves `false` when its initialisation failed.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from './kernels/registry.ts';

export { registerTrainingKernels };

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendChoice {
  backend: BackendName;
  /** Why each backend tried before the chosen one was refused. */
  refused: { backend: BackendName; reason: string }[];
  /** Adapter or device description when the backend exposes one. */
  adapter?: string;
  /** The chosen GPU backend's adapter is software (asked for, or nothing else started): no GPU figures. */
  emulated?: boolean;
  /** ms per step of the workload on each backend that was timed, fastest (the chosen one) first. */
  timings?: BackendTiming[];
  /** The device the timings belong to (its usable backends and their adapters), to remember them by. */
  timingKey?: string;
  /** The timings were remembered from an earlier start on this device, not measured now. */
  timedEarlier?: boolean;
  /** WASM only: the threads its kernels run on, and why only one where that is so. */
  threads?: { count: number; single?: string };
}

export interface BackendTiming { backend: BackendName; msPerStep: number }

/** Timings measured on a device, kept by the page (the worker has no storage of its own). */
export interface RememberedTimings { key: string; timings: BackendTiming[] }

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

/** Times one step of the workload at hand on the current backend (ms), or throws / returns Infinity if it cannot. */
export type StepTimer = (backend: BackendName) => Promise<number>;

/**
 * Without `forced`: start every backend of `order`, refuse the GPU ones whose adapter is software (the processor
 * emulating a GPU: slower than WASM here), and when more than one remains, time a step of the workload on each
 * (`timeStep`) and keep the fastest; timings `remembered` for the same device (same usable backends and adapters)
 * are used instead of timing again. A software GPU is still used when nothing else but cpu starts.
 * With `forced`: that backend if it starts, else the first of the rest, as asked. Either way the project's
 * training kernels are registered on the chosen backend.
 */
export async function chooseBackend(
  order: readonly BackendName[] = BACKEND_ORDER, forced?: BackendName, timeStep?: StepTimer, remembered: RememberedTimings[] = [],
): Promise<BackendChoice> {
  const refused: BackendChoice['refused'] = [];
  if (forced) {
    for (const name of [forced, ...order.filter((b) => b !== forced)]) {
      const problem = await start(name);
      if (problem === null) return choose(name, refused);
      refused.push({ backend: name, reason: problem });
    }
    throw noBackend(refused);
  }
  const usable: BackendName[] = [];
  const adapters: string[] = [];
  const software: BackendName[] = [];
  for (const name of order) {
    if (name === 'cpu' && (usable.length || software.length)) break; // cpu only when nothing faster starts
    const problem = await start(name);
    if (problem !== null) { refused.push({ backend: name, reason: problem }); continue; }
    const emulated = await softwareAdapter(name);
    if (emulated) {
      software.push(name);
      refused.push({ backend: name, reason: `its adapter is software (${emulated}): the processor emulating a graphics card, slower than WASM` });
    } else {
      usable.push(name);
      adapters.push(`${name}: ${describeAdapter(name) ?? ''}`);
    }
  }
  if (usable.length === 0 && software.length > 0) {
    // Nothing but an emulated GPU (or cpu): the emulated GPU it is, and it is not refused after all.
    const name = software[0];
    await tf.setBackend(name);
    return choose(name, refused.filter((r) => r.backend !== name));
  }
  if (usable.length === 0) throw noBackend(refused);
  if (usable.length === 1 || !timeStep) return choose(usable[0], refused);
  const timingKey = adapters.join(' | ');
  const earlier = remembered.find((r) => r.key === timingKey)?.timings.filter((t) => usable.includes(t.backend));
  const timings: BackendTiming[] = earlier?.length ? [...earlier] : [];
  for (const name of earlier?.length ? [] : usable) {
    await tf.setBackend(name);
    registerTrainingKernels(name);
    let ms = Infinity;
    try { ms = await timeStep(name); } catch (e) { refused.push({ backend: name, reason: `its timing step failed: ${(e as Error).message}` }); }
    if (Number.isFinite(ms)) timings.push({ backend: name, msPerStep: ms });
  }
  if (timings.length === 0) { await tf.setBackend(usable[0]); return choose(usable[0], refused); }
  timings.sort((a, b) => a.msPerStep - b.msPerStep);
  const best = timings[0];
  for (const t of timings.slice(1)) {
    refused.push({ backend: t.backend, reason: `measured slower${earlier?.length ? ' (earlier, on this device)' : ''}: ${formatMs(t.msPerStep)} per step against ${formatMs(best.msPerStep)}` });
  }
  await tf.setBackend(best.backend);
  return { ...(await choose(best.backend, refused)), timings, timingKey, ...(earlier?.length ? { timedEarlier: true } : {}) };
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Starts `name`: null when it runs, else why not. */
async function start(name: BackendName): Promise<string | null> {
  if (!tf.findBackendFactory(name)) return 'not available in this build';
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return initFailure(name);
    await tf.ready();
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

async function choose(name: BackendName, refused: BackendChoice['refused']): Promise<BackendChoice> {
  registerTrainingKernels(name);
  const emulated = (await softwareAdapter(name)) !== null;
  return { backend: name, refused, adapter: describeAdapter(name), ...(emulated ? { emulated } : {}), ...(name === 'wasm' ? { threads: wasmThreads() } : {}) };
}

/**
 * The WASM backend's thread count. Threads need memory shared between workers (SharedArrayBuffer), which a browser
 * grants only to a cross-origin isolated page: one whose server (or the site's service worker) sends COOP and COEP.
 */
function wasmThreads(): NonNullable<BackendChoice['threads']> {
  const count = getThreadsCount();
  if (count > 1) return { count };
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  let single = 'threads were turned off (threads=1)';
  if (g.crossOriginIsolated === false) single = 'the page is not cross-origin isolated (no COOP/COEP headers yet: the site\'s service worker adds them from the next visit), so WebAssembly cannot share memory between threads';
  else if (g.crossOriginIsolated === undefined) single = 'tfjs runs WASM single-threaded in Node';
  else if (cores < 4) single = `this device has ${cores} logical processor${cores === 1 ? '' : 's'}, and tfjs gives WASM half of them`;
  return { count, single };
}

function noBackend(refused: BackendChoice['refused']): Error {
  return new Error(`no tfjs backend could start: ${refused.map((r) => `${r.backend}: ${r.reason}`).join('; ')}`);
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render|microsoft basic/i;

/**
 * What names the current GPU backend's adapter as software, or null for hardware (and for wasm / cpu): WebGPU's own
 * isFallbackAdapter flag or the adapter's description; WebGL's unmasked renderer string.
 */
export async function softwareAdapter(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const described = describeAdapter(name) ?? '';
    if (SOFTWARE.test(described)) return described;
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<{ isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } } | null> } } }).navigator?.gpu;
    const adapter = await gpu?.requestAdapter().catch(() => null);
    return adapter && (adapter.info?.isFallbackAdapter || adapter.isFallbackAdapter) ? `a fallback adapter${described ? `: ${described}` : ''}` : null;
  }
  if (name === 'webgl') {
    const renderer = webglRenderer();
    return renderer && SOFTWARE.test(renderer) ? renderer : null;
  }
  return null;
}

/** The WebGL backend's renderer string, unmasked where the browser allows. */
function webglRenderer(): string | undefined {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '') || undefined;
}

function initFailure(name: BackendName): string {
  if (name === 'webgpu') {
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    return gpu ? 'navigator.gpu exists but no adapter or device could be had' : 'this browser has no WebGPU (navigator.gpu is missing)';
  }
  if (name === 'webgl') return 'no WebGL2 context could be created';
  return 'initialisation failed';
}

function describeAdapter(name: BackendName): string | undefined {
  if (name === 'webgl') return webglRenderer();
  if (name !== 'webgpu') return undefined;
  const b = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } };
  const info = b.adapterInfo;
  if (!info) return undefined;
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || undefined;
}
