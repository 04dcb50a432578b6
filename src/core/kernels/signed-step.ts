// Trap-MID's trigger update as one kernel: x' = clip(x - step * sign(a / rms(a) + w * b / rms(b)), lo, hi), the
// rms taken per trigger (per index of the leading axis) - the 'balanced' naturalness term - or, without
// normalising, sign(a + w * b). tfjs's ops launch ~16 kernels for it (square, mean, add, sqrt and divide twice,
// multiply, add, sign, multiply, subtract, clip), and on WebGPU the means over trailing axes transpose first.
// Host backends (cpu, wasm) run one loop; WebGPU one program (a thread per element, each recomputing its trigger's two
// rms: a trigger is one image). Where it is not registered (webgl) trap-mid.ts composes it from tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { fusionOn } from './fusion.ts';
import { type HostBackendName, hostOutput, type Info, float, int, runWgsl, WgslProgram } from './programs.ts';

export const SIGNED_STEP = 'InversionSignedStep';
interface Attrs { weight: number; normalize: number; step: number; lo: number; hi: number }

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0); // tfjs's Sign: 0 stays 0

function hostStep(x: Float32Array, a: Float32Array, b: Float32Array, per: number, { weight, normalize, step, lo, hi }: Attrs, out: Float32Array): void {
  for (let t = 0; t * per < x.length; t++) {
    let sa = 0, sb = 0;
    for (let i = t * per; i < (t + 1) * per; i++) { sa += a[i] * a[i]; sb += b[i] * b[i]; }
    const ra = normalize ? Math.sqrt(sa / per + 1e-20) : 1, rb = normalize ? Math.sqrt(sb / per + 1e-20) : 1;
    for (let i = t * per; i < (t + 1) * per; i++) out[i] = Math.min(hi, Math.max(lo, x[i] - step * sign(a[i] / ra + weight * (b[i] / rb))));
  }
}

const stepProgram = (shape: number[]) => new WgslProgram(['x', 'a', 'b'], shape,
  'per : i32, weight : f32, normalize : f32, step : f32, lo : f32, hi : f32,', 'inversionSignedStep', `
    let start = (index / uniforms.per) * uniforms.per;
    var sa = 0.0; var sb = 0.0;
    for (var i = start; i < start + uniforms.per; i++) { sa += a[i] * a[i]; sb += b[i] * b[i]; }
    var ra = 1.0; var rb = 1.0;
    if (uniforms.normalize > 0.5) { ra = sqrt(sa / f32(uniforms.per) + 1e-20); rb = sqrt(sb / f32(uniforms.per) + 1e-20); }
    let g = a[index] / ra + uniforms.weight * (b[index] / rb);
    setOutputAtIndex(index, clamp(x[index] - uniforms.step * sign(g), uniforms.lo, uniforms.hi));`);

/** Registers the kernel on `backendName` where we have one (cpu, wasm, webgpu); idempotent. */
export function registerSignedStep(backendName: string): void {
  if (tf.getKernel(SIGNED_STEP, backendName) || !['cpu', 'wasm', 'webgpu'].includes(backendName)) return;
  tf.registerKernel({
    kernelName: SIGNED_STEP, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, a, b } = inputs as Record<'x' | 'a' | 'b', Info>;
      const at = attrs as unknown as Attrs;
      const per = x.shape.slice(1).reduce((p, c) => p * c, 1);
      if (backendName === 'webgpu') {
        return runWgsl(backend, stepProgram(x.shape), [x, a, b], [int(per), float(at.weight), float(at.normalize), float(at.step), float(at.lo), float(at.hi)]);
      }
      return hostOutput(backendName as HostBackendName, backend, [x, a, b], x.shape, ([xv, av, bv], out) => hostStep(xv, av, bv, per, at, out));
    },
  });
}

/**
 * clip(x - step * sign(a / rms(a) + weight * b / rms(b)), lo, hi) with per-trigger rms when `normalize` (else the
 * plain sum a + weight * b): one kernel where registered and fusion is on, tfjs's ops otherwise.
 */
export function signedStep(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, o: { weight: number; normalize: boolean; step: number; lo: number; hi: number }): tf.Tensor {
  if (fusionOn() && tf.getKernel(SIGNED_STEP, tf.getBackend())) {
    return tf.engine().runKernel(SIGNED_STEP, { x, a, b }, { ...o, normalize: o.normalize ? 1 : 0 } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return tf.tidy(() => {
    const axes = x.shape.slice(1).map((_, i) => i + 1);
    const rms = (v: tf.Tensor) => tf.sqrt(tf.add(tf.mean(tf.square(v), axes, true), 1e-20));
    const g = o.weight === 0 ? a : o.normalize ? tf.add(tf.div(a, rms(a)), tf.mul(tf.div(b, rms(b)), o.weight)) : tf.add(a, tf.mul(b, o.weight));
    return tf.clipByValue(tf.sub(x, tf.mul(tf.sign(g), o.step)), o.lo, o.hi);
  });
}
