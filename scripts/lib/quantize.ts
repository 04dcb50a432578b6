// Weight quantization in the standard tfjs weights manifest (`quantization: {dtype, scale?, min?}` per weight), which
// tf.loadLayersModel reads natively and turns back into float32 on load: float16 halves a model's download, uint8
// (an affine map of 256 levels per tensor) quarters it. Only the stored weights change; the model computes in float32.
import type * as tf from '@tensorflow/tfjs';

/** How far a quantized classifier's test accuracy may move: 0.05 percentage points, five of 10,000 test digits. */
export const ACCURACY_TOLERANCE = 0.0005;

export type WeightDtype = 'float32' | 'float16' | 'uint8';
type Spec = tf.io.WeightsManifestEntry;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a float32, rounded to nearest, ties to even (what tfjs's decoder inverts). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large for a half: inf
  let shift = 13;
  let half: number;
  if (e <= 0) {
    // A half subnormal: the implicit leading bit becomes explicit and shifts out with the rest.
    if (e < -10) return sign;
    mant |= 0x800000;
    shift = 14 - e;
    half = mant >>> shift;
  } else {
    half = (e << 10) | (mant >>> 13);
  }
  const rest = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
  // A carry out of the mantissa rightly bumps the exponent.
  if (rest > halfway || (rest === halfway && (half & 1))) half++;
  return sign | half;
}

/** 256 levels from the tensor's min to its max, nudged so that 0 is one of them (zeros stay exactly zero). */
function uint8Params(values: Float32Array): { min: number; scale: number } {
  let lo = 0, hi = 0;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi === lo) return { min: lo, scale: 1 };
  const scale = (hi - lo) / 255;
  const zero = Math.round(-lo / scale);
  return { min: -zero * scale, scale };
}

/**
 * Re-encodes float32 weights (`data`, laid out as `specs` says) with the dtype `plan` picks for each weight;
 * weights that are not float32 or already quantized keep their bytes.
 */
export function quantizeWeights(specs: Spec[], data: ArrayBuffer, plan: (spec: Spec, size: number) => WeightDtype): { specs: Spec[]; data: ArrayBuffer } {
  const stored = (spec: Spec, size: number) => size * (spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : 4);
  const described = specs.reduce((n, spec) => n + stored(spec, spec.shape.reduce((a, b) => a * b, 1)), 0);
  if (described !== data.byteLength) throw new Error(`the weights hold ${data.byteLength} bytes, their specs describe ${described}`);
  const parts: Uint8Array[] = [];
  const out: Spec[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = stored(spec, size);
    const raw = new Uint8Array(data, offset, bytes);
    offset += bytes;
    const dtype = spec.dtype === 'float32' && !spec.quantization ? plan(spec, size) : 'float32';
    if (dtype === 'float32') {
      parts.push(raw.slice());
      out.push(spec);
      continue;
    }
    const values = new Float32Array(raw.slice().buffer);
    if (dtype === 'float16') {
      const halves = new Uint16Array(size);
      for (let i = 0; i < size; i++) halves[i] = toFloat16Bits(values[i]);
      parts.push(new Uint8Array(halves.buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const { min, scale } = uint8Params(values);
      const q = new Uint8Array(size);
      for (let i = 0; i < size; i++) q[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
      parts.push(q);
      out.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    }
  }
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  return { specs: out, data: joined.buffer };
}

/** The storage a model's weights use, for the manifest: 'float32', 'float16', or 'float16+uint8' when mixed. */
export function weightStorage(specs: Spec[]): string {
  const kinds = new Set(specs.filter((s) => s.dtype === 'float32').map((s) => s.quantization?.dtype ?? 'float32'));
  return [...kinds].sort().join('+');
}

/** Plans: every float32 weight in half precision; or the large kernels (>= 4,096 values) in uint8, the rest float16. */
export const HALF: (spec: Spec, size: number) => WeightDtype = () => 'float16';
export const UINT8_KERNELS: (spec: Spec, size: number) => WeightDtype = (_spec, size) => (size >= 4096 ? 'uint8' : 'float16');
