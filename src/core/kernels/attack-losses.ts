// The gradient attacks' loss terms as one kernel forward and one backward each, where tfjs's ops launch ~10 and ~15:
//  - classLoss: per row, cross-entropy -sum_j y_j log softmax(l)_j (MI-Face, GMI, KED-MI; soft labels too, as the
//    trainers use it), PLG-MI's max-margin max_{k != y} l_k - l_y (one-hot y), or (one logit per row, a target y in
//    [0, 1]) the binary logistic loss of a discriminator, from logits and labels;
//  - pixelPrior: per image, tv * TV(x) + l2 * ||x||^2 (MI-Face's priors), TV the anisotropic total variation
//    mean |dx| + mean |dy|.
// Each is a tf.customGrad op whose forward and backward are our kernels on cpu, wasm (one host loop) and webgpu (one
// WGSL program: a thread per row or per image forward, per element backward). The arithmetic, subgradients included
// (d|t|/dt at t = 0 is -1, as tfjs's Abs; max-margin's gradient goes to the first largest other logit, where tfjs's
// Max splits it among ties, which never occur in practice), is that of the tfjs ops they replace, which run instead on a backend without our kernels (webgl).
// tests/unit/attack-losses.test.ts compares values and gradients with the composed tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { unaryOp } from './custom-grad.ts';
import { fusionOn } from './fusion.ts';
import { hostOutput, type Info, float, int, runWgsl, WgslProgram } from './programs.ts';

export const CLASS_LOSS = 'InversionClassLoss';
export const CLASS_LOSS_GRAD = 'InversionClassLossGrad';
export const PIXEL_PRIOR = 'InversionPixelPrior';
export const PIXEL_PRIOR_GRAD = 'InversionPixelPriorGrad';

export type ClassLossKind = 'cross-entropy' | 'max-margin' | 'binary';
const KINDS: ClassLossKind[] = ['cross-entropy', 'max-margin', 'binary'];

// ---- host arithmetic (cpu, wasm) ----

/** Per row: loss (out[r]) or, with dy, the gradient d loss / d logits scaled by dy[r] (out[r * k + j]). */
function classLossHost(l: Float32Array, y: Float32Array, n: number, k: number, kind: number, out: Float32Array, dy?: Float32Array): void {
  for (let r = 0; r < n; r++) {
    const o = r * k;
    if (kind === 2) {
      // tfjs's sigmoidCrossEntropy: max(l, 0) - l y + log(1 + exp(-|l|)); gradient sigmoid(l) - y.
      const v = l[o], t = y[o];
      out[o] = dy ? dy[r] * (1 / (1 + Math.exp(-v)) - t) : Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
      continue;
    }
    let own = 0, hot = 0;
    for (let j = 0; j < k; j++) if (y[o + j] > 0.5) { own = l[o + j]; hot = j; break; }
    if (kind === 0) {
      // sum_j y_j (lse - l_j) = Y lse - sum_j y_j l_j, Y = sum_j y_j (1 for one-hot labels).
      let m = -Infinity, total = 0, dot = 0;
      for (let j = 0; j < k; j++) { m = Math.max(m, l[o + j]); total += y[o + j]; dot += y[o + j] * l[o + j]; }
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(l[o + j] - m);
      if (!dy) { out[r] = total * (m + Math.log(s)) - dot; continue; }
      for (let j = 0; j < k; j++) out[o + j] = dy[r] * (total * Math.exp(l[o + j] - m) / s - y[o + j]);
    } else {
      let best = -1;
      for (let j = 0; j < k; j++) if (j !== hot && (best < 0 || l[o + j] > l[o + best])) best = j;
      if (!dy) { out[r] = l[o + best] - own; continue; }
      for (let j = 0; j < k; j++) out[o + j] = j === best ? dy[r] : j === hot ? -dy[r] : 0;
    }
  }
}

const sgn = (t: number) => (t > 0 ? 1 : -1); // tfjs's Abs gradient: step(t, -1)

/** Per image: tv * TV + l2 * ||x||^2 (out[b]) or, with dy, its gradient scaled by dy[b]. */
function pixelPriorHost(x: Float32Array, [n, h, w, c]: number[], tv: number, l2: number, out: Float32Array, dy?: Float32Array): void {
  const nh = (h - 1) * w * c, nw = h * (w - 1) * c, size = h * w * c;
  const at = (b: number, i: number, j: number, ch: number) => x[b * size + (i * w + j) * c + ch];
  for (let b = 0; b < n; b++) {
    if (!dy) {
      let sh = 0, sw = 0, sq = 0;
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < c; ch++) {
        const v = at(b, i, j, ch);
        sq += v * v;
        if (i + 1 < h) sh += Math.abs(at(b, i + 1, j, ch) - v);
        if (j + 1 < w) sw += Math.abs(at(b, i, j + 1, ch) - v);
      }
      out[b] = tv * (sh / nh + sw / nw) + l2 * sq;
      continue;
    }
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < c; ch++) {
      const v = at(b, i, j, ch);
      let g = 0;
      if (i > 0) g += sgn(v - at(b, i - 1, j, ch)) / nh;
      if (i + 1 < h) g -= sgn(at(b, i + 1, j, ch) - v) / nh;
      if (j > 0) g += sgn(v - at(b, i, j - 1, ch)) / nw;
      if (j + 1 < w) g -= sgn(at(b, i, j + 1, ch) - v) / nw;
      out[b * size + (i * w + j) * c + ch] = dy[b] * (tv * g + 2 * l2 * v);
    }
  }
}

function registerHost(backendName: 'cpu' | 'wasm'): void {
  const reg = (kernelName: string, f: (inputs: Record<string, Info>, attrs: Record<string, number>, backend: unknown) => Info) =>
    tf.registerKernel({ kernelName, backendName, kernelFunc: ({ inputs, attrs, backend }) => f(inputs as Record<string, Info>, attrs as unknown as Record<string, number>, backend) });
  // With `mean`, the forward returns the mean over rows ([1]) and the backward takes its scalar gradient ([1]).
  reg(CLASS_LOSS, ({ logits, labels }, { kind, mean }, be) => {
    const [n, k] = logits.shape;
    return hostOutput(backendName, be, [logits, labels], [mean ? 1 : n], ([l, y], out) => {
      if (!mean) return classLossHost(l, y, n, k, kind, out);
      const rows = new Float32Array(n);
      classLossHost(l, y, n, k, kind, rows);
      out[0] = rows.reduce((a, b) => a + b, 0) / n;
    });
  });
  reg(CLASS_LOSS_GRAD, ({ logits, labels, dy }, { kind, mean }, be) => {
    const [n, k] = logits.shape;
    return hostOutput(backendName, be, [logits, labels, dy], [n, k],
      ([l, y, d], out) => classLossHost(l, y, n, k, kind, out, mean ? new Float32Array(n).fill(d[0] / n) : d));
  });
  reg(PIXEL_PRIOR, ({ x }, { tv, l2 }, be) =>
    hostOutput(backendName, be, [x], [x.shape[0]], ([v], out) => pixelPriorHost(v, x.shape, tv, l2, out)));
  reg(PIXEL_PRIOR_GRAD, ({ x, dy }, { tv, l2 }, be) =>
    hostOutput(backendName, be, [x, dy], x.shape, ([v, d], out) => pixelPriorHost(v, x.shape, tv, l2, out, d)));
}

// ---- WebGPU ----

/** WGSL: the row's hot class and own logit, then (cross-entropy) its max and sum of exps / (max-margin) best other. */
const ROW_SCAN = (kind: number) => `
    let k = uniforms.k;
    var hot = 0;
    for (var j = 0; j < k; j++) { if (getLabels(r, j) > 0.5) { hot = j; break; } }
    let own = getLogits(r, hot);
    ${kind === 0 ? `var m = getLogits(r, 0);
    var total = 0.0; var dot = 0.0;
    for (var j = 0; j < k; j++) { m = max(m, getLogits(r, j)); total += getLabels(r, j); dot += getLabels(r, j) * getLogits(r, j); }
    var s = 0.0;
    for (var j = 0; j < k; j++) { s += exp(getLogits(r, j) - m); }` : `var best = -1;
    for (var j = 0; j < k; j++) { if (j != hot && (best < 0 || getLogits(r, j) > getLogits(r, best))) { best = j; } }`}`;

function classLossProgram(n: number, k: number, kind: number, grad: boolean, mean: boolean): WgslProgram {
  const key = `inversionClassLoss${grad ? 'Grad' : ''}${kind}${mean ? 'Mean' : ''}`;
  const scan = kind === 2 ? '\n    let v = getLogits(r, 0);' : ROW_SCAN(kind);
  const value = ['total * (m + log(s)) - dot', 'getLogits(r, best) - own', 'max(v, 0.0) - v * getLabels(r, 0) + log(1.0 + exp(-abs(v)))'][kind];
  if (grad) {
    const d = mean ? `(getDy(0) / f32(${n}))` : 'getDy(r)';
    const gradValue = [`${d} * (total * exp(getLogits(r, col) - m) / s - getLabels(r, col))`,
      `select(select(0.0, -${d}, col == hot), ${d}, col == best)`, `${d} * (1.0 / (1.0 + exp(-v)) - getLabels(r, 0))`][kind];
    return new WgslProgram(['logits', 'labels', 'dy'], [n, k], 'k : i32,', key,
      `    let r = index / uniforms.k;\n    let col = index % uniforms.k;${scan}\n    setOutputAtIndex(index, ${gradValue});`);
  }
  if (!mean) return new WgslProgram(['logits', 'labels'], [n], 'k : i32,', key, `    let r = index;${scan}\n    setOutputAtIndex(index, ${value});`);
  // The mean: one thread walks the rows (a batch's 64 rows of a few logits).
  return new WgslProgram(['logits', 'labels'], [1], 'k : i32,', key,
    `    var acc = 0.0;\n    for (var r = 0; r < ${n}; r++) {${scan}\n    acc += ${value};\n    }\n    setOutputAtIndex(index, acc / f32(${n}));`);
}

const SGN = 'fn sgn(t : f32) -> f32 { return select(-1.0, 1.0, t > 0.0); }';

function pixelPriorProgram(shape: number[], grad: boolean): WgslProgram {
  const uniforms = 'h : i32, w : i32, c : i32, tv : f32, l2 : f32,';
  if (!grad) {
    return new WgslProgram(['x'], [shape[0]], uniforms, 'inversionPixelPrior', `
    let b = index;
    let h = uniforms.h; let w = uniforms.w; let c = uniforms.c;
    var sh = 0.0; var sw = 0.0; var sq = 0.0;
    for (var i = 0; i < h; i++) { for (var j = 0; j < w; j++) { for (var ch = 0; ch < c; ch++) {
      let v = getX(b, i, j, ch);
      sq += v * v;
      if (i + 1 < h) { sh += abs(getX(b, i + 1, j, ch) - v); }
      if (j + 1 < w) { sw += abs(getX(b, i, j + 1, ch) - v); }
    } } }
    setOutputAtIndex(index, uniforms.tv * (sh / f32((h - 1) * w * c) + sw / f32(h * (w - 1) * c)) + uniforms.l2 * sq);`);
  }
  return new WgslProgram(['x', 'dy'], shape, uniforms, 'inversionPixelPriorGrad', `
    let h = uniforms.h; let w = uniforms.w; let c = uniforms.c;
    let ch = index % c; let j = (index / c) % w; let i = (index / (c * w)) % h; let b = index / (c * w * h);
    let nh = f32((h - 1) * w * c); let nw = f32(h * (w - 1) * c);
    let v = getX(b, i, j, ch);
    var g = 0.0;
    if (i > 0) { g += sgn(v - getX(b, i - 1, j, ch)) / nh; }
    if (i + 1 < h) { g -= sgn(getX(b, i + 1, j, ch) - v) / nh; }
    if (j > 0) { g += sgn(v - getX(b, i, j - 1, ch)) / nw; }
    if (j + 1 < w) { g -= sgn(getX(b, i, j + 1, ch) - v) / nw; }
    setOutputAtIndex(index, getDy(b) * (uniforms.tv * g + 2.0 * uniforms.l2 * v));`, { prelude: SGN });
}

function registerWebGpu(): void {
  const reg = (kernelName: string, f: (inputs: Record<string, Info>, attrs: Record<string, number>, gpu: unknown) => Info) =>
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: ({ inputs, attrs, backend }) => f(inputs as Record<string, Info>, attrs as unknown as Record<string, number>, backend) });
  reg(CLASS_LOSS, ({ logits, labels }, { kind, mean }, gpu) =>
    runWgsl(gpu, classLossProgram(logits.shape[0], logits.shape[1], kind, false, !!mean), [logits, labels], [int(logits.shape[1])]));
  reg(CLASS_LOSS_GRAD, ({ logits, labels, dy }, { kind, mean }, gpu) =>
    runWgsl(gpu, classLossProgram(logits.shape[0], logits.shape[1], kind, true, !!mean), [logits, labels, dy], [int(logits.shape[1])]));
  const priorUniforms = (x: Info, a: Record<string, number>) => [int(x.shape[1]), int(x.shape[2]), int(x.shape[3]), float(a.tv), float(a.l2)];
  reg(PIXEL_PRIOR, ({ x }, a, gpu) => runWgsl(gpu, pixelPriorProgram(x.shape, false), [x], priorUniforms(x, a)));
  reg(PIXEL_PRIOR_GRAD, ({ x, dy }, a, gpu) => runWgsl(gpu, pixelPriorProgram(x.shape, true), [x, dy], priorUniforms(x, a)));
}

/** Registers the loss kernels on `backendName` where we have them (cpu, wasm, webgpu); idempotent. */
export function registerAttackLosses(backendName: string): void {
  if (tf.getKernel(CLASS_LOSS, backendName)) return;
  if (backendName === 'cpu' || backendName === 'wasm') registerHost(backendName);
  else if (backendName === 'webgpu') registerWebGpu();
}

// ---- the ops ----

const ours = () => fusionOn() && !!tf.getKernel(CLASS_LOSS, tf.getBackend());
const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number>) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

/** The tfjs-ops form of classLoss (and the reference the tests compare with). */
export function composedClassLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D, kind: ClassLossKind): tf.Tensor1D {
  return tf.tidy(() => {
    if (kind === 'cross-entropy') return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), 1)) as tf.Tensor1D;
    if (kind === 'binary') return tf.reshape(tf.losses.sigmoidCrossEntropy(oneHot, logits, undefined, undefined, tf.Reduction.NONE), [-1]) as tf.Tensor1D;
    const own = tf.sum(tf.mul(logits, oneHot), 1);
    const others = tf.max(tf.sub(logits, tf.mul(oneHot, 1e9)), 1);
    return tf.sub(others, own) as tf.Tensor1D;
  });
}

/** Per-row cross-entropy, max-margin or binary loss of `logits` for `labels` (differentiable in the logits). */
export function classLoss(logits: tf.Tensor2D, labels: tf.Tensor2D, kind: ClassLossKind): tf.Tensor1D {
  return ours() ? classLossOp(logits, labels, kind, false) as tf.Tensor1D : composedClassLoss(logits, labels, kind);
}

/** The mean over rows of classLoss, as one kernel each way (a trainer's loss: no Mean and its gradient apart). */
export function meanClassLoss(logits: tf.Tensor2D, labels: tf.Tensor2D, kind: ClassLossKind): tf.Scalar {
  return ours() ? classLossOp(logits, labels, kind, true) as tf.Scalar : tf.tidy(() => tf.mean(composedClassLoss(logits, labels, kind)) as tf.Scalar);
}

function classLossOp(logits: tf.Tensor2D, labels: tf.Tensor2D, kind: ClassLossKind, mean: boolean): tf.Tensor {
  const attrs = { kind: KINDS.indexOf(kind), mean: mean ? 1 : 0 };
  const op = unaryOp((l, save) => {
    save([l, labels]); // the labels too: a caller's tidy may free them before the backward pass
    const value = run(CLASS_LOSS, { logits: l, labels }, attrs);
    return {
      value: mean ? tf.reshape(value, []) : value,
      gradFunc: (dy, [saved, y]) => run(CLASS_LOSS_GRAD, { logits: saved, labels: y, dy: mean ? tf.reshape(dy, [1]) : dy }, attrs),
    };
  });
  return op(logits);
}

/** Anisotropic total variation per image: mean |dx| + mean |dy| (tfjs ops). */
export function totalVariation(x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const dh = tf.abs(tf.sub(x.slice([0, 1, 0, 0], [-1, -1, -1, -1]), x.slice([0, 0, 0, 0], [-1, x.shape[1] - 1, -1, -1])));
    const dw = tf.abs(tf.sub(x.slice([0, 0, 1, 0], [-1, -1, -1, -1]), x.slice([0, 0, 0, 0], [-1, -1, x.shape[2] - 1, -1])));
    return tf.add(dh.mean([1, 2, 3]), dw.mean([1, 2, 3])) as tf.Tensor1D;
  });
}

/** The tfjs-ops form of pixelPrior. */
export function composedPixelPrior(x: tf.Tensor4D, tv: number, l2: number): tf.Tensor1D {
  return tf.tidy(() => {
    let total = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    if (tv > 0) total = tf.add(total, tf.mul(totalVariation(x), tv));
    if (l2 > 0) total = tf.add(total, tf.mul(tf.sum(tf.square(x), [1, 2, 3]), l2));
    return total;
  });
}

/** Per image tv * TV(x) + l2 * ||x||^2 (differentiable in x). */
export function pixelPrior(x: tf.Tensor4D, tv: number, l2: number): tf.Tensor1D {
  if (!ours()) return composedPixelPrior(x, tv, l2);
  const op = unaryOp((v, save) => {
    save([v]);
    return {
      value: run(PIXEL_PRIOR, { x: v }, { tv, l2 }),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => run(PIXEL_PRIOR_GRAD, { x: saved, dy }, { tv, l2 }),
    };
  });
  return op(x) as tf.Tensor1D;
}
