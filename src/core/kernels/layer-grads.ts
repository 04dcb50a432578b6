// Two pieces of a layer's backward pass as one kernel each, for the fused layer chains (nets/fused-chain.ts):
//  - the activation's gradient from its output y: dx = dy * f'(x). tfjs's own gradients launch two to four kernels
//    for it (relu: step, cast, multiply; leaky ReLU: greater, multiply, select);
//  - the bias gradient, the sum of dy over every axis but the last. On WebGPU tfjs's sum over a leading axis first
//    transposes (two dispatches); ours is one workgroup per channel reducing in shared memory.
// Host backends (cpu, wasm) run one loop, WebGPU one program. Where they are not registered (webgl) fused-chain.ts
// composes them from tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { type HostBackendName, hostOutput, type Info, int, float, runWgsl, WgslProgram, WORKGROUP } from './programs.ts';

export const ACTIVATION_GRAD = 'InversionActivationGrad';
export const BIAS_GRAD = 'InversionBiasGrad';

export type Activation = 'linear' | 'relu' | 'leakyrelu' | 'sigmoid' | 'tanh';
interface Attrs { activation: Activation; alpha: number }

/** f'(x) * dy written in terms of y = f(x) (valid for these activations: sign(y) = sign(x) for (leaky) ReLU). */
function activationLoop(dy: Float32Array, y: Float32Array, out: Float32Array, { activation, alpha }: Attrs): void {
  for (let i = 0; i < out.length; i++) {
    const v = y[i], d = dy[i];
    out[i] = activation === 'relu' ? (v > 0 ? d : 0)
      : activation === 'leakyrelu' ? (v > 0 ? d : alpha * d)
        : activation === 'sigmoid' ? d * v * (1 - v)
          : activation === 'tanh' ? d * (1 - v * v) : d;
  }
}

const WGSL: Record<Activation, string> = {
  linear: 'd',
  relu: 'select(0.0, d, v > 0.0)',
  leakyrelu: 'select(uniforms.alpha * d, d, v > 0.0)',
  sigmoid: 'd * v * (1.0 - v)',
  tanh: 'd * (1.0 - v * v)',
};

const activationProgram = (shape: number[], act: Activation) => new WgslProgram(['dy', 'y'], shape, 'alpha : f32,', `inversionActivationGrad_${act}`,
  `    let d = getDyByOutputIndex(index);\n    let v = getYByOutputIndex(index);\n    setOutputAtIndex(index, ${WGSL[act]});`);

/** Column sums of a [rows, c] matrix: one workgroup per column, a tree reduction in shared memory. */
const biasProgram = (c: number) => new WgslProgram(['g'], [c], 'rows : i32, c : i32,', 'inversionBiasGrad', `
    let col = index / ${WORKGROUP};
    var acc = 0.0;
    if (col < uniforms.c) {
      for (var r = i32(localId.x); r < uniforms.rows; r = r + ${WORKGROUP}) { acc = acc + g[r * uniforms.c + col]; }
    }
    partial[localId.x] = acc;
    workgroupBarrier();
    for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
      if (localId.x < s) { partial[localId.x] = partial[localId.x] + partial[localId.x + s]; }
      workgroupBarrier();
    }
    if (localId.x == 0u && col < uniforms.c) { setOutputAtIndex(col, partial[0]); }`,
{ prelude: `var<workgroup> partial : array<f32, ${WORKGROUP}>;`, workgroupPerElement: true });

/** Registers both kernels on `backendName` where we have them (cpu, wasm, webgpu); idempotent. */
export function registerLayerGrads(backendName: string): void {
  if (tf.getKernel(ACTIVATION_GRAD, backendName) || !['cpu', 'wasm', 'webgpu'].includes(backendName)) return;
  const host = backendName === 'webgpu' ? null : backendName as HostBackendName;
  tf.registerKernel({
    kernelName: ACTIVATION_GRAD, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, y } = inputs as Record<'dy' | 'y', Info>;
      const a = attrs as unknown as Attrs;
      return host ? hostOutput(host, backend, [dy, y], y.shape, ([d, v], out) => activationLoop(d, v, out, a))
        : runWgsl(backend, activationProgram(y.shape, a.activation), [dy, y], [float(a.alpha)]);
    },
  });
  tf.registerKernel({
    kernelName: BIAS_GRAD, backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy } = inputs as Record<'dy', Info>;
      const c = dy.shape[dy.shape.length - 1], rows = dy.shape.reduce((p, q) => p * q, 1) / c;
      if (!host) return runWgsl(backend, biasProgram(c), [dy], [int(rows), int(c)]);
      return hostOutput(host, backend, [dy], [c], ([g], out) => {
        out.fill(0); // a wasm output is not zeroed
        for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) out[j] += g[r * c + j];
      });
    },
  });
}
