// Dropout's multiplier floor(u + keep) / keep from uniform noise u as one kernel, where tf.dropout launches three
// (add, floor, divide): fused-chain.ts draws u exactly as tf.dropout does (so a seeded layer drops the same units)
// and turns it into the multiplier here. Host backends (cpu, wasm) run one loop, WebGPU one program; elsewhere (webgl)
// fused-chain.ts composes it from tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { type HostBackendName, hostOutput, type Info, float, runWgsl, WgslProgram } from './programs.ts';

export const DROPOUT_MASK = 'InversionDropoutMask';

/** Registers the kernel on `backendName` where we have one (cpu, wasm, webgpu); idempotent. */
export function registerDropoutMask(backendName: string): void {
  if (tf.getKernel(DROPOUT_MASK, backendName) || !['cpu', 'wasm', 'webgpu'].includes(backendName)) return;
  tf.registerKernel({
    kernelName: DROPOUT_MASK, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { u } = inputs as Record<'u', Info>;
      const keep = (attrs as unknown as { keep: number }).keep;
      if (backendName === 'webgpu') {
        return runWgsl(backend, new WgslProgram(['u'], u.shape, 'keep : f32,', 'inversionDropoutMask',
          '    setOutputAtIndex(index, floor(getUByOutputIndex(index) + uniforms.keep) / uniforms.keep);'), [u], [float(keep)]);
      }
      // Float32 throughout, as tfjs's add, floor and divide compute it.
      return hostOutput(backendName as HostBackendName, backend, [u], u.shape, ([v], out) => {
        for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.floor(Math.fround(v[i] + keep)) / keep);
      });
    },
  });
}
