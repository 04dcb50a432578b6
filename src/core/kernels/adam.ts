// Adam's update of one variable as one kernel, where tfjs's AdamOptimizer launches 14 per variable (mul, add, square,
// div, sqrt, ...) and 4 more per step for its bias corrections: on WebGPU each is a GPU dispatch, and the host-side
// cost per dispatch is what these small models spend their time on. The arithmetic is tfjs's:
//   m' = b1 m + (1 - b1) g    v' = b2 v + (1 - b2) g^2    x' = x - lr (m' / c1) / (sqrt(v' / c2) + eps)
// with c1 = 1 - b1^t, c2 = 1 - b2^t at step t. Host backends (cpu, wasm) run it as one loop with three outputs;
// WebGPU as one program per output (3 dispatches; a tfjs WebGPU program has one output), each recomputing the moment
// it needs. Where the kernel is not registered (webgl) the optimizer is tfjs's own.
import * as tf from '@tensorflow/tfjs';
import { fusionOn } from './fusion.ts';
import { type HostBackendName, hostOutputs, type Info, float, runWgsl, WgslProgram } from './programs.ts';

export const FUSED_ADAM = 'InversionFusedAdam';

interface AdamAttrs { learningRate: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number }

function update(x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, a: AdamAttrs,
  xOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, c1, c2 } = a;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i];
    const mi = Math.fround(Math.fround(b1 * m[i]) + Math.fround((1 - b1) * gi));
    const vi = Math.fround(Math.fround(b2 * v[i]) + Math.fround((1 - b2) * Math.fround(gi * gi)));
    mOut[i] = mi;
    vOut[i] = vi;
    xOut[i] = x[i] - lr * ((mi / c1) / (Math.sqrt(vi / c2) + eps));
  }
}

/** One output of the update (0: the value, 1: the first moment, 2: the second), each recomputing the moments it needs. */
const adamProgram = (shape: number[], output: 0 | 1 | 2) => new WgslProgram(['x', 'm', 'v', 'g'], shape,
  'lr : f32, b1 : f32, b2 : f32, eps : f32, c1 : f32, c2 : f32,', `inversionFusedAdam${output}`, `
    let g = getGByOutputIndex(index);
    let m = uniforms.b1 * getMByOutputIndex(index) + (1.0 - uniforms.b1) * g;
    let v = uniforms.b2 * getVByOutputIndex(index) + (1.0 - uniforms.b2) * (g * g);
    let x = getXByOutputIndex(index);
    setOutputAtIndex(index, ${['x - uniforms.lr * ((m / uniforms.c1) / (sqrt(v / uniforms.c2) + uniforms.eps))', 'm', 'v'][output]});`);

function registerKernel(backendName: string): void {
  tf.registerKernel({
    kernelName: FUSED_ADAM, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', Info>;
      const a = attrs as unknown as AdamAttrs;
      if (backendName === 'webgpu') {
        const uniforms = [a.learningRate, a.beta1, a.beta2, a.epsilon, a.c1, a.c2].map(float);
        return ([0, 1, 2] as const).map((o) => runWgsl(backend, adamProgram(x.shape, o), [x, m, v, g], uniforms));
      }
      return hostOutputs(backendName as HostBackendName, backend, [x, m, v, g], [x.shape, x.shape, x.shape],
        ([xv, mv, vv, gv], [xo, mo, vo]) => update(xv, mv, vv, gv, a, xo, mo, vo));
    },
  });
}

/** Registers the fused Adam kernel on `backendName` where we have one (cpu, wasm, webgpu); idempotent. */
export function registerFusedAdam(backendName: string): void {
  if (tf.getKernel(FUSED_ADAM, backendName) || !['cpu', 'wasm', 'webgpu'].includes(backendName)) return;
  registerKernel(backendName);
}

/** What AdamOptimizer keeps (its fields are not part of tfjs's typings). */
interface AdamState {
  learningRate: number; beta1: number; beta2: number; epsilon: number; iterations: number;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  accBeta1: tf.Variable; accBeta2: tf.Variable;
}

/**
 * tfjs's Adam with each variable's update as one fused kernel where the backend has it; tfjs's own update where not.
 * Same state (moments, iterations), so its weights save and load as tfjs's do.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!fusionOn() || !tf.getKernel(FUSED_ADAM, tf.getBackend())) {
      this.syncBiasCorrections();
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamState;
    const t = s.iterations + 1;
    const c1 = 1 - s.beta1 ** t, c2 = 1 - s.beta2 ** t;
    const named: { name: string; tensor: tf.Tensor }[] = Array.isArray(variableGradients)
      ? variableGradients : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    tf.tidy(() => {
      named.forEach(({ name, tensor: g }, i) => {
        const value = tf.engine().registeredVariables[name];
        if (g == null || !value) return;
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const m = s.accumulatedFirstMoment[i].variable, v = s.accumulatedSecondMoment[i].variable;
        const [x2, m2, v2] = tf.engine().runKernel(FUSED_ADAM, { x: value, m, v, g },
          { learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, c1, c2 } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m2);
        v.assign(v2);
        value.assign(x2);
      });
    });
    this.incrementIterations();
    this.biasCorrectionsStale = true;
  }

  private biasCorrectionsStale = false;

  /** tfjs's own update reads b^t from two tensors it keeps; the fused one counts t instead: catch those up first. */
  private syncBiasCorrections(): void {
    if (!this.biasCorrectionsStale) return;
    const s = this as unknown as AdamState;
    tf.tidy(() => {
      s.accBeta1.assign(tf.scalar(s.beta1 ** (s.iterations + 1)));
      s.accBeta2.assign(tf.scalar(s.beta2 ** (s.iterations + 1)));
    });
    this.biasCorrectionsStale = false;
  }
}

/** Adam (tfjs's defaults: beta1 0.9, beta2 0.999, epsilon 1e-7 as tf.train.adam sets it), fused where possible. */
export function adam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon ?? tf.backend().epsilon());
}
