// A fast Conv2DBackpropFilter (the weight gradient of conv2d) for every tfjs backend.
//
// Why: tfjs 4.22's cpu kernel is a naive 7-deep loop (about a minute for one layer of a small CNN), wasm has no
// such kernel at all (conv nets cannot train there), and the webgpu program runs one long serial loop per filter
// element, which leaves most of a GPU idle. We rewrite dW as one big matrix product that each backend already
// does well:
//
//   patches = im2col(x)                       [N*OH*OW, KH*KW*Cin]
//   dW      = patches^T @ dy                  [KH*KW*Cin, Cout]      (the backend's own BatchMatMul)
//
// On cpu and wasm the patches are built by one JS pass over host memory, already transposed; on webgpu by one WGSL
// program, also transposed (one dispatch, where pad + a strided slice per filter tap + concat + the product's
// transposes took ~14; with the fused paths off, the composed version below). On webgl they are composed from the backend's own kernels (pad, one strided slice per filter
// tap, concat), so nothing is read back.
import * as tf from '@tensorflow/tfjs';
import { fusionOn } from './fusion.ts';
import { int, runWgsl, WgslProgram } from './programs.ts';

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(dataId: object): boolean };

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

const KERNEL = 'Conv2DBackpropFilter';
const replaced = new Set<string>();

/** Calls another of the backend's kernels directly (we are already inside a kernel: no tape, no scopes). */
function kernelRunner(backendName: string, backend: Backend) {
  return (name: string, inputs: Record<string, Info>, attrs: object): Info => {
    const kernel = tf.getKernel(name, backendName);
    if (!kernel) throw new Error(`backend ${backendName} has no ${name} kernel`);
    return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
  };
}

interface Geometry { n: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number;
  oh: number; ow: number; sh: number; sw: number; top: number; left: number }

function geometry(x: Info, attrs: FilterGradAttrs): Geometry {
  const [kh, kw, cin, cout] = attrs.filterShape;
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad as 'same',
    attrs.dimRoundingMode, false, 'channelsLast');
  const [n, h, w] = x.shape;
  return { n, h, w, cin, cout, kh, kw, oh: conv.outHeight, ow: conv.outWidth, sh: conv.strideHeight,
    sw: conv.strideWidth, top: conv.padInfo.top, left: conv.padInfo.left };
}

/**
 * im2col written straight into a [KH*KW*Cin, N*OH*OW] array (already transposed, so the product below needs no
 * transpose: wasm's matmul is ~10x slower with transposeA). For backends whose data is readable synchronously.
 */
export function im2colTransposed(src: ArrayLike<number>, g: Geometry, out: Float32Array): void {
  const m = g.n * g.oh * g.ow;
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const rowBase = (i * g.kw + j) * g.cin;
      let col = 0;
      for (let b = 0; b < g.n; b++) {
        for (let y = 0; y < g.oh; y++) {
          const r = y * g.sh + i - g.top;
          for (let x = 0; x < g.ow; x++, col++) {
            const c = x * g.sw + j - g.left;
            if (r < 0 || r >= g.h || c < 0 || c >= g.w) {
              for (let ch = 0; ch < g.cin; ch++) out[(rowBase + ch) * m + col] = 0;
            } else {
              const s = ((b * g.h + r) * g.w + c) * g.cin;
              for (let ch = 0; ch < g.cin; ch++) out[(rowBase + ch) * m + col] = src[s + ch];
            }
          }
        }
      }
    }
  }
}

/** Patches as [1, K, M] on the CPU-memory backends (cpu, wasm): one JS pass over x. */
function patchesOnHost(x: Info, g: Geometry, backend: Backend, backendName: string): { info: Info; transposed: true } {
  const shape = [1, g.kh * g.kw * g.cin, g.n * g.oh * g.ow];
  if (backendName === 'wasm') {
    const wasm = backend as unknown as {
      makeOutput(s: number[], d: string): Info; typedArrayFromHeap(i: Info): Float32Array };
    const info = wasm.makeOutput(shape, 'float32');
    im2colTransposed(wasm.typedArrayFromHeap(x), g, wasm.typedArrayFromHeap(info));
    return { info, transposed: true };
  }
  const cpu = backend as unknown as {
    readSync(id: object): Float32Array; makeTensorInfo(s: number[], d: string, v: Float32Array): Info };
  const values = new Float32Array(shape[1] * shape[2]);
  im2colTransposed(cpu.readSync(x.dataId), g, values);
  return { info: cpu.makeTensorInfo(shape, 'float32', values), transposed: true };
}

/** im2col on WebGPU: patches^T [1, KH*KW*Cin, N*OH*OW], one thread per element (the host loop's layout). */
function patchesOnWebGpu(x: Info, g: Geometry, backend: Backend): { info: Info; transposed: true } {
  const m = g.n * g.oh * g.ow;
  const program = new WgslProgram(['x'], [1, g.kh * g.kw * g.cin, m],
    'm : i32, h : i32, w : i32, cin : i32, kw : i32, oh : i32, ow : i32, sh : i32, sw : i32, top : i32, left : i32,', 'inversionIm2colTransposed', `
    let row = index / uniforms.m; let col = index % uniforms.m;
    let c = row % uniforms.cin; let tap = row / uniforms.cin;
    let j = tap % uniforms.kw; let i = tap / uniforms.kw;
    let xo = col % uniforms.ow; let yo = (col / uniforms.ow) % uniforms.oh; let b = col / (uniforms.ow * uniforms.oh);
    let r = yo * uniforms.sh + i - uniforms.top; let cc = xo * uniforms.sw + j - uniforms.left;
    var v = 0.0;
    if (r >= 0 && r < uniforms.h && cc >= 0 && cc < uniforms.w) { v = getX(b, r, cc, c); }
    setOutputAtIndex(index, v);`);
  const info = runWgsl(backend, program, [x], [m, g.h, g.w, g.cin, g.kw, g.oh, g.ow, g.sh, g.sw, g.top, g.left].map(int));
  return { info, transposed: true };
}

/** Patches as [1, M, K] on GPU backends, composed from the backend's own kernels (no read-back). */
function patchesOnDevice(x: Info, g: Geometry, run: ReturnType<typeof kernelRunner>, temps: Info[]): { info: Info; transposed: false } {
  const keep = (i: Info) => (temps.push(i), i);
  // Rows/columns of the padded input that the last output position still reads.
  const bottom = Math.max(0, (g.oh - 1) * g.sh + g.kh - g.h - g.top);
  const right = Math.max(0, (g.ow - 1) * g.sw + g.kw - g.w - g.left);
  const padded = g.top || g.left || bottom || right
    ? keep(run('PadV2', { x }, { paddings: [[0, 0], [g.top, bottom], [g.left, right], [0, 0]], constantValue: 0 }))
    : x;
  const taps: Info[] = [];
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      taps.push(keep(run('StridedSlice', { x: padded }, {
        begin: [0, i, j, 0], end: [g.n, i + (g.oh - 1) * g.sh + 1, j + (g.ow - 1) * g.sw + 1, g.cin],
        strides: [1, g.sh, g.sw, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
      })));
    }
  }
  // Channel index of the concatenation is (i*KW + j)*Cin + c: exactly the [KH, KW, Cin] filter order.
  const cols = taps.length === 1 ? taps[0] : keep(run('Concat', taps as unknown as Record<string, Info>, { axis: 3 }));
  return { info: run('Reshape', { x: cols }, { shape: [1, g.n * g.oh * g.ow, g.kh * g.kw * g.cin] }), transposed: false };
}

/** dW for NHWC input `x`, output gradient `dy`; returns a [KH, KW, Cin, Cout] tensor info on `backend`. */
export function conv2dFilterGradByMatMul(x: Info, dy: Info, backend: Backend, attrs: FilterGradAttrs, backendName: string,
  options: { forceDevicePath?: boolean } = {}): Info {
  const run = kernelRunner(backendName, backend);
  const g = geometry(x, attrs);
  const temps: Info[] = [];
  const keep = (i: Info) => (temps.push(i), i);
  try {
    const onHost = (backendName === 'cpu' || backendName === 'wasm') && !options.forceDevicePath;
    const { info, transposed } = onHost ? patchesOnHost(x, g, backend, backendName)
      : backendName === 'webgpu' && fusionOn() && !options.forceDevicePath ? patchesOnWebGpu(x, g, backend) : patchesOnDevice(x, g, run, temps);
    const patches = keep(info);
    const grads = keep(run('Reshape', { x: dy }, { shape: [1, g.n * g.oh * g.ow, g.cout] }));
    const dw = keep(run('BatchMatMul', { a: patches, b: grads }, { transposeA: !transposed, transposeB: false }));
    return run('Reshape', { x: dw }, { shape: [g.kh, g.kw, g.cin, g.cout] });
  } finally {
    for (const t of temps) if (t !== x) backend.disposeData(t.dataId);
  }
}

function supported(x: Info, attrs: FilterGradAttrs): boolean {
  return attrs.dataFormat !== 'NCHW' && x.dtype === 'float32' && x.shape.length === 4;
}

/**
 * Replace `backendName`'s Conv2DBackpropFilter with the matrix-product version. Idempotent. Falls back to the
 * stock kernel (when there is one) for the cases it does not cover (NCHW).
 */
export function registerFastConvFilterGrad(backendName: string): void {
  if (replaced.has(backendName)) return;
  replaced.add(backendName);
  const stock = tf.getKernel(KERNEL, backendName);
  if (stock) tf.unregisterKernel(KERNEL, backendName);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const a = attrs as unknown as FilterGradAttrs;
      if (!supported(x, a)) {
        if (!stock) throw new Error(`${KERNEL} on ${backendName}: only NHWC float32 is supported`);
        return stock.kernelFunc({ inputs, backend, attrs });
      }
      return conv2dFilterGradByMatMul(x, dy, backend as Backend, a, backendName);
    },
  });
}
