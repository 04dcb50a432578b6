// Which training kernels each backend gets, and a way to run code on tfjs's stock kernels (for benchmarks).
import * as tf from '@tensorflow/tfjs';
import { registerFastConvFilterGrad } from './conv2d-backprop-filter.ts';
import { registerHostTrainingKernels } from './host-kernels.ts';
import { registerFusedAdam } from './adam.ts';
import { registerLayerGrads } from './layer-grads.ts';
import { registerAttackLosses } from './attack-losses.ts';
import { registerDropoutMask } from './dropout-mask.ts';
import { registerSignedStep } from './signed-step.ts';
import { registerWarpTaps } from './warp-taps.ts';

const REPLACED = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul'] as const;
const stock = new Map<string, tf.KernelConfig | null>();
const ours = new Map<string, tf.KernelConfig>();

/** Install the project's training kernels on `backendName` (idempotent). */
export function registerTrainingKernels(backendName: string): void {
  for (const name of REPLACED) {
    const key = `${backendName}/${name}`;
    if (!stock.has(key)) stock.set(key, tf.getKernel(name, backendName) ?? null);
  }
  registerFastConvFilterGrad(backendName);
  registerHostTrainingKernels(backendName);
  registerFusedAdam(backendName);
  registerLayerGrads(backendName);
  registerAttackLosses(backendName);
  registerDropoutMask(backendName);
  registerSignedStep(backendName);
  registerWarpTaps(backendName);
  for (const name of REPLACED) {
    const k = tf.getKernel(name, backendName);
    if (k && k !== stock.get(`${backendName}/${name}`)) ours.set(`${backendName}/${name}`, k);
  }
}

function swap(backendName: string, to: 'stock' | 'ours'): void {
  for (const name of REPLACED) {
    const key = `${backendName}/${name}`;
    const k = (to === 'stock' ? stock.get(key) : ours.get(key)) ?? undefined;
    if (!ours.has(key)) continue; // never replaced: nothing to swap
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    if (k) tf.registerKernel(k);
  }
}

/**
 * Runs `f` with tfjs's stock kernels on `backendName`, then restores ours. Returns false (without running `f`)
 * when the backend has no stock filter-gradient kernel at all (wasm).
 */
export async function withStockKernels(backendName: string, f: () => Promise<void>): Promise<boolean> {
  registerTrainingKernels(backendName);
  if (!stock.get(`${backendName}/Conv2DBackpropFilter`)) return false;
  swap(backendName, 'stock');
  try {
    await f();
  } finally {
    swap(backendName, 'ours');
  }
  return true;
}
