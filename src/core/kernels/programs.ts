// What our kernels share: running a loop over host memory on cpu and wasm, and a one-output WGSL program in tfjs's
// WebGPU frame. A kernel file then holds only its arithmetic (the host loop and the WGSL body) and its registration.
import * as tf from '@tensorflow/tfjs';

export type Info = tf.TensorInfo;
export type HostBackendName = 'cpu' | 'wasm';

interface HostBackend {
  typedArrayFromHeap(i: Info): Float32Array; makeOutput(s: number[], d: string): Info;
  readSync(id: object): Float32Array; makeTensorInfo(s: number[], d: string, values: Float32Array): Info;
}

/**
 * New float32 outputs of `shapes`, filled by `fill` from float32 views of `inputs`. On wasm the views are taken after
 * the outputs are allocated (growing the heap detaches earlier views); on cpu the outputs are made from the arrays.
 */
export function hostOutputs(backendName: HostBackendName, backend: unknown, inputs: Info[], shapes: number[][],
  fill: (views: Float32Array[], outs: Float32Array[]) => void): Info[] {
  const b = backend as HostBackend;
  if (backendName === 'cpu') {
    const outs = shapes.map((s) => new Float32Array(s.reduce((p, q) => p * q, 1)));
    fill(inputs.map((i) => b.readSync(i.dataId)), outs);
    return outs.map((o, k) => b.makeTensorInfo(shapes[k], 'float32', o));
  }
  const infos = shapes.map((s) => b.makeOutput(s, 'float32'));
  fill(inputs.map((i) => b.typedArrayFromHeap(i)), infos.map((i) => b.typedArrayFromHeap(i)));
  return infos;
}

/** hostOutputs with one output. */
export function hostOutput(backendName: HostBackendName, backend: unknown, inputs: Info[], shape: number[],
  fill: (views: Float32Array[], out: Float32Array) => void): Info {
  return hostOutputs(backendName, backend, inputs, [shape], (views, [out]) => fill(views, out))[0];
}

export const WORKGROUP = 64;

/**
 * A one-output WGSL program (a tfjs WebGPU program has one output): `body` is the inside of `main(index)`, run for
 * each output element under `if (index < uniforms.size)`. `prelude` goes before main (helper functions, workgroup
 * memory); with `workgroupPerElement`, one workgroup of WORKGROUP threads runs per output element instead and the body is not
 * guarded (a barrier needs every thread of its workgroup).
 */
export class WgslProgram {
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  constructor(public variableNames: string[], public outputShape: number[], public uniforms: string, public shaderKey: string,
    private readonly body: string, private readonly options: { prelude?: string; workgroupPerElement?: boolean } = {}) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const n = outputShape.reduce((p, c) => p * c, 1);
    this.dispatch = [options.workgroupPerElement ? n : Math.ceil(n / WORKGROUP), 1, 1];
  }
  getUserCode(): string {
    const body = this.options.workgroupPerElement ? this.body : `  if (index < uniforms.size) {\n${this.body}\n  }`;
    return `${this.options.prelude ?? ''}\nfn main(index : i32) {\n${body}\n}`;
  }
}

export const int = (v: number) => ({ type: 'int32', data: [v] });
export const float = (v: number) => ({ type: 'float32', data: [v] });

/** Runs `program` on the WebGPU backend with its uniforms (in the order the program declares them). */
export function runWgsl(backend: unknown, program: WgslProgram, inputs: Info[], uniforms: { type: string; data: number[] }[] = []): Info {
  return (backend as { runWebGPUProgram(p: WgslProgram, i: Info[], dtype: string, u: unknown): Info }).runWebGPUProgram(program, inputs, 'float32', uniforms);
}
