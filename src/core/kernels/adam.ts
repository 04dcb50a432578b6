// Adam's update of one variable as one kernel, where tfjs's AdamOptimizer launches 14 per variable (mul, add, square,
// div, sqrt, ...) and 4 more per step for its bias corrections: on WebGPU each is a GPU dispatch, and the host-side
// cost per dispatch is what these small models spend their time on. The arithmetic is tfjs's:
//   m' = b1 m + (1 - b1) g    v' = b2 v + (1 - b2) g^2    x' = x - lr (m' / c1) / (sqrt(v' / c2) + eps)
// with c1 = 1 - b1^t, c2 = 1 - b2^t at step t. Host backends (cpu, wasm) run it as one loop with three outputs;
// WebGPU as one program per output (3 dispatches; a tfjs WebGPU program has one output), each recomputing the moment
// it needs. Where the kernel is not registered (webgl) the optimizer is tfjs's own.
import * as tf from '@tensorflow/tfjs';

export const FUSED_ADAM = 'InversionFusedAdam';

interface AdamAttrs { learningRate: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number }
type Info = tf.TensorInfo;

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

function registerHost(backendName: 'cpu' | 'wasm'): void {
  tf.registerKernel({
    kernelName: FUSED_ADAM, backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', Info>;
      const b = backend as unknown as {
        typedArrayFromHeap(i: Info): Float32Array; makeOutput(s: number[], d: string): Info;
        readSync(id: object): Float32Array; makeTensorInfo(s: number[], d: string, values: Float32Array): Info;
      };
      const n = x.shape.reduce((p, c) => p * c, 1);
      if (backendName === 'cpu') {
        const [xo, mo, vo] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
        update(b.readSync(x.dataId), b.readSync(m.dataId), b.readSync(v.dataId), b.readSync(g.dataId), attrs as unknown as AdamAttrs, xo, mo, vo);
        return [b.makeTensorInfo(x.shape, 'float32', xo), b.makeTensorInfo(x.shape, 'float32', mo), b.makeTensorInfo(x.shape, 'float32', vo)];
      }
      // wasm: views into the heap, taken after the last allocation (growing the heap detaches earlier views).
      const outs = [b.makeOutput(x.shape, 'float32'), b.makeOutput(x.shape, 'float32'), b.makeOutput(x.shape, 'float32')];
      const view = (i: Info) => b.typedArrayFromHeap(i);
      update(view(x), view(m), view(v), view(g), attrs as unknown as AdamAttrs, view(outs[0]), view(outs[1]), view(outs[2]));
      return outs;
    },
  });
}

const WORKGROUP = 64;

/** One output of the update (0: the value, 1: the first moment, 2: the second) as a tfjs WebGPU program. */
class AdamProgram {
  variableNames = ['x', 'm', 'v', 'g'];
  uniforms = 'lr : f32, b1 : f32, b2 : f32, eps : f32, c1 : f32, c2 : f32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  constructor(shape: number[], private readonly output: 0 | 1 | 2) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((p, c) => p * c, 1) / WORKGROUP), 1, 1];
    this.shaderKey = `inversionFusedAdam${output}`;
  }
  getUserCode(): string {
    const result = ['x - uniforms.lr * ((m / uniforms.c1) / (sqrt(v / uniforms.c2) + uniforms.eps))', 'm', 'v'][this.output];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let g = getGByOutputIndex(index);
          let m = uniforms.b1 * getMByOutputIndex(index) + (1.0 - uniforms.b1) * g;
          let v = uniforms.b2 * getVByOutputIndex(index) + (1.0 - uniforms.b2) * (g * g);
          let x = getXByOutputIndex(index);
          setOutputAtIndex(index, ${result});
        }
      }`;
  }
}

function registerWebGpu(): void {
  tf.registerKernel({
    kernelName: FUSED_ADAM, backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', Info>;
      const a = attrs as unknown as AdamAttrs;
      const uniforms = [a.learningRate, a.beta1, a.beta2, a.epsilon, a.c1, a.c2].map((d) => ({ type: 'float32', data: [d] }));
      const b = backend as unknown as { runWebGPUProgram(p: AdamProgram, i: Info[], dtype: string, u: unknown): Info };
      return ([0, 1, 2] as const).map((o) => b.runWebGPUProgram(new AdamProgram(x.shape, o), [x, m, v, g], 'float32', uniforms));
    },
  });
}

/** Registers the fused Adam kernel on `backendName` where we have one (cpu, wasm, webgpu); idempotent. */
export function registerFusedAdam(backendName: string): void {
  if (tf.getKernel(FUSED_ADAM, backendName)) return;
  if (backendName === 'cpu' || backendName === 'wasm') registerHost(backendName);
  else if (backendName === 'webgpu') registerWebGpu();
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
    if (!tf.getKernel(FUSED_ADAM, tf.getBackend())) {
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
