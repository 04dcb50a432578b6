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
