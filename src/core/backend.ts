// Backend choice: webgpu -> webgl -> wasm -> cpu, recording why each refused. tfjs refuses a backend in two ways:
// `setBackend` throws when it was never registered and resolves `false` when its initialisation failed.
import * as tf from '@tensorflow/tfjs';
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
}

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

/**
 * Try backends in order (or only `forced`, then the rest as fallback) and keep the first that initialises.
 * Registers the project's fast conv filter-gradient kernel on it.
 */
export async function chooseBackend(order: readonly BackendName[] = BACKEND_ORDER, forced?: BackendName): Promise<BackendChoice> {
  const tryOrder = forced ? [forced, ...order.filter((b) => b !== forced)] : [...order];
  const refused: BackendChoice['refused'] = [];
  for (const name of tryOrder) {
    if (!tf.findBackendFactory(name)) {
      refused.push({ backend: name, reason: 'not available in this build' });
      continue;
    }
    try {
      const ok = await tf.setBackend(name);
      if (!ok) { refused.push({ backend: name, reason: initFailure(name) }); continue; }
      await tf.ready();
      registerTrainingKernels(name);
      return { backend: name, refused, adapter: describeAdapter(name) };
    } catch (e) {
      refused.push({ backend: name, reason: (e as Error).message || String(e) });
    }
  }
  throw new Error(`no tfjs backend could start: ${refused.map((r) => `${r.backend}: ${r.reason}`).join('; ')}`);
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
  if (name !== 'webgpu') return undefined;
  const b = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } };
  const info = b.adapterInfo;
  if (!info) return undefined;
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || undefined;
}
