// Training kernels for the backends whose tensors live in host memory (cpu, wasm), where tfjs 4.22 is slow:
//  - BatchMatMul with a transposed operand: wasm's XNNPACK path is ~10x slower with transposeA than without, and
//    every dense layer's weight gradient (x^T @ dy) asks for it. We transpose explicitly, then multiply.
//  - Conv2DBackpropInput (the input gradient of conv2d): wasm's is a naive C++ loop. We compute
//    cols = dy @ W^T with the backend's matmul, then scatter-add the columns back into the image (col2im).
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
interface HostBackend {
  disposeData(id: object): boolean;
  /** Float32 view of a tensor's data (wasm: a view into the heap; cpu: its values array). */
  view(info: Info): Float32Array;
  /** A new zero-filled float32 tensor. Take its view (and every other view) after the last allocation: growing
   *  the wasm heap detaches earlier views. */
  alloc(shape: number[]): { info: Info };
}

function host(backendName: string, backend: unknown): HostBackend {
  const b = backend as unknown as {
    disposeData(id: object): boolean;
    typedArrayFromHeap(i: Info): Float32Array; makeOutput(s: number[], d: string): Info;
    readSync(id: object): Float32Array; makeTensorInfo(s: number[], d: string, v: Float32Array): Info;
  };
  if (backendName === 'wasm') {
    return {
      disposeData: (id) => b.disposeData(id),
      view: (i) => b.typedArrayFromHeap(i),
      alloc: (shape) => { const info = b.makeOutput(shape, 'float32'); b.typedArrayFromHeap(info).fill(0); return { info }; },
    };
  }
  return {
    disposeData: (id) => b.disposeData(id),
    view: (i) => b.readSync(i.dataId),
    alloc: (shape) => ({ info: b.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, c) => a * c, 1))) }),
  };
}

/** Transpose the last two axes of a [batch, rows, cols] array. */
function transposeLast2(src: Float32Array, batch: number, rows: number, cols: number, dst: Float32Array): void {
  for (let b = 0; b < batch; b++) {
    const o = b * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[o + c * rows + r] = src[o + r * cols + c];
  }
}

function registerMatMulTransposeFirst(backendName: string): void {
  const stock = tf.getKernel('BatchMatMul', backendName);
  if (!stock) return;
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({
    kernelName: 'BatchMatMul', backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: Info; b: Info };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs });
      const h = host(backendName, backend);
      const temps: Info[] = [];
      const materialise = (t: Info, yes: boolean): Info => {
        if (!yes) return t;
        const s = t.shape; const rows = s[s.length - 2], cols = s[s.length - 1];
        const batch = t.shape.slice(0, -2).reduce((p, c) => p * c, 1);
        const out = h.alloc([...s.slice(0, -2), cols, rows]);
        transposeLast2(h.view(t), batch, rows, cols, h.view(out.info));
        temps.push(out.info);
        return out.info;
      };
      try {
        return stock.kernelFunc({ inputs: { a: materialise(a, transposeA), b: materialise(b, transposeB) }, backend: backend as tf.KernelBackend,
          attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temps) h.disposeData(t.dataId);
      }
    },
  });
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

function registerConvInputGradByCol2im(backendName: string): void {
  const stock = tf.getKernel('Conv2DBackpropInput', backendName);
  const matmul = () => tf.getKernel('BatchMatMul', backendName)!;
  if (!stock) return;
  tf.unregisterKernel('Conv2DBackpropInput', backendName);
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput', backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      const a = attrs as unknown as BackpropInputAttrs;
      if (a.dataFormat === 'NCHW' || dy.dtype !== 'float32') return stock.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs });
      const conv = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number],
        a.strides, 1, a.pad as 'same', a.dimRoundingMode, false, 'channelsLast');
      const [kh, kw, cin, cout] = filter.shape;
      const [n, h, w] = a.inputShape;
      const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = conv;
      const { top, left } = conv.padInfo;
      const m = n * oh * ow, k = kh * kw * cin;
      const hb = host(backendName, backend);
      const temps: Info[] = [];
      try {
        // W as [1, Cout, K] (the transpose of the [K, Cout] filter), so cols = dy @ W^T needs no transposed operand.
        const wt = hb.alloc([1, cout, k]);
        temps.push(wt.info);
        transposeLast2(hb.view(filter), 1, k, cout, hb.view(wt.info));
        const dy3 = { dataId: dy.dataId, shape: [1, m, cout], dtype: dy.dtype } as Info;
        const cols = matmul().kernelFunc({ inputs: { a: dy3, b: wt.info }, backend: backend as tf.KernelBackend, attrs: { transposeA: false, transposeB: false } }) as Info;
        temps.push(cols);
        const dx = hb.alloc([n, h, w, cin]);
        // Views only now: an allocation may grow the wasm heap, which detaches every earlier view.
        const c = hb.view(cols);
        const out = hb.view(dx.info);
        let row = 0;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < oh; y++) {
            for (let x = 0; x < ow; x++, row++) {
              const base = row * k;
              for (let i = 0; i < kh; i++) {
                const r = y * sh + i - top;
                if (r < 0 || r >= h) continue;
                for (let j = 0; j < kw; j++) {
                  const cc = x * sw + j - left;
                  if (cc < 0 || cc >= w) continue;
                  const src = base + (i * kw + j) * cin;
                  const dst = ((b * h + r) * w + cc) * cin;
                  for (let ch = 0; ch < cin; ch++) out[dst + ch] += c[src + ch];
                }
              }
            }
          }
        }
        return dx.info;
      } finally {
        for (const t of temps) hb.disposeData(t.dataId);
      }
    },
  });
}

const registered = new Set<string>();

/** Install the host-memory training kernels on `backendName` ('cpu' or 'wasm'); a no-op elsewhere. Idempotent. */
export function registerHostTrainingKernels(backendName: string): void {
  if (registered.has(backendName) || (backendName !== 'wasm' && backendName !== 'cpu')) return;
  registered.add(backendName);
  if (backendName === 'wasm') registerMatMulTransposeFirst(backendName);
  registerConvInputGradByCol2im(backendName);
}
