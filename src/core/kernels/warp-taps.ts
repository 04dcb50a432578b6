// A warp as taps (data/augment.ts): out[image i, pixel p] = sum over t of x[i, index[p, t]] * weight[p, t], with its
// own taps per chunk of the batch. One loop over host memory on cpu and wasm, where a product with the dense
// 784 x 784 matrix costs ten times as much; the GPU backends keep the dense product (one dispatch), so there is no
// WGSL program.
import * as tf from '@tensorflow/tfjs';
import { type HostBackendName, hostOutput, type Info } from './programs.ts';

export const WARP_TAPS = 'InversionWarpTaps';

/** A warp's taps for `chunks` chunks: chunk k's pixel p reads index[(k * pixels + p) * taps + t], weighted. */
export interface WarpTapsAttrs { chunks: number; taps: number; index: Int32Array; weight: Float32Array }

/** Registers the kernel on cpu and wasm; idempotent. */
export function registerWarpTaps(backendName: string): void {
  if (tf.getKernel(WARP_TAPS, backendName) || !['cpu', 'wasm'].includes(backendName)) return;
  tf.registerKernel({
    kernelName: WARP_TAPS, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs as Record<'x', Info>;
      const { chunks, taps, index, weight } = attrs as unknown as WarpTapsAttrs;
      const b = x.shape[0], pixels = x.shape.slice(1).reduce((p, q) => p * q, 1), m = b / chunks;
      return hostOutput(backendName as HostBackendName, backend, [x], x.shape, ([src], out) => {
        for (let k = 0; k < chunks; k++) {
          for (let p = 0; p < pixels; p++) {
            const tap0 = (k * pixels + p) * taps;
            for (let i = k * m; i < (k + 1) * m; i++) {
              let sum = 0;
              for (let j = tap0; j < tap0 + taps; j++) sum += src[i * pixels + index[j]] * weight[j];
              out[i * pixels + p] = sum;
            }
          }
        }
      });
    },
  });
}

/** The warp on a batch x ([b, side, side, 1], b divisible by attrs.chunks), through the registered kernel. */
export function warpTaps(x: tf.Tensor, attrs: WarpTapsAttrs): tf.Tensor4D {
  return tf.engine().runKernel(WARP_TAPS, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
