// MNIST's own preprocessing, for a digit that did not come from MNIST (one drawn on the probe's pad, or a photo):
// the ink's bounding box is scaled, aspect kept and anti-aliased, so its longer side is 20 pixels, then placed in the
// 28x28 frame so that its centre of mass falls on the frame's centre. Pure (no DOM, no tfjs): a Float32Array in, one
// out, so the page, Node and the tests share it.
//
// The convention is MNIST's as measured on its 60,000 training digits (pixel (x, y) sits at the integer coordinates
// x, y, 0..27): every digit's longer bounding-box side is 20 (13 are 19), and the centre of mass averages (14.01,
// 14.00), 95% of digits within 0.49 pixel of (14, 14) on each axis: a whole-pixel shift that puts it at (14, 14).

/** MNIST's frame and the box its digits are scaled into. */
export const MNIST_SIDE = 28;
export const MNIST_BOX = 20;
/** Where MNIST puts a digit's centre of mass (pixel-index coordinates, on both axes). */
export const MNIST_CENTRE = 14;

export interface CentreOptions {
  /** The result's side (default 28). */
  outSide?: number;
  /** The side the ink's bounding box is scaled to fit (default 20). */
  box?: number;
  /** Pixels at or below this are background, not ink, when finding the bounding box (default 0.1: a photo's inverted
   *  paper is rarely exactly black). */
  inkThreshold?: number;
}

/**
 * `pixels` (side x side grey values in [0, 1], white ink on black) as MNIST would have it: the ink's bounding box
 * scaled to fit `box` x `box` (aspect kept, a tent filter as wide as the scale, so shrinking anti-aliases and
 * enlarging interpolates), then shifted by whole pixels so its centre of mass lands on MNIST's centre (14, 14 for the
 * 28 frame; `outSide / 2` in general). Where that shift would push ink out of the frame (a very lopsided digit), the
 * box is kept inside instead. No ink (nothing above `inkThreshold`) gives an all-black frame. Values stay in [0, 1].
 */
export function centreLikeMnist(pixels: Float32Array, side: number, options: CentreOptions = {}): Float32Array {
  const outSide = options.outSide ?? MNIST_SIDE;
  const box = Math.min(options.box ?? MNIST_BOX, outSide);
  const threshold = options.inkThreshold ?? 0.1;
  if (pixels.length !== side * side) throw new Error(`centreLikeMnist: ${pixels.length} pixels, expected ${side} x ${side}`);
  const out = new Float32Array(outSide * outSide);

  const bbox = inkBox(pixels, side, threshold);
  if (!bbox) return out;
  const bw = bbox.x1 - bbox.x0, bh = bbox.y1 - bbox.y0;
  const scale = box / Math.max(bw, bh);
  const w = Math.min(box, Math.max(1, Math.round(bw * scale))), h = Math.min(box, Math.max(1, Math.round(bh * scale)));

  // Rows first (side rows of w), then columns (h rows of w): the bounding box maps onto [0, w) x [0, h), centred
  // there when rounding made the patch a little wider than the scaled box.
  const rows = resampleAxis('x', pixels, side, side, bbox.x0, scale, w, (w - bw * scale) / 2);
  const patch = resampleAxis('y', rows, w, side, bbox.y0, scale, h, (h - bh * scale) / 2);

  // Centre of mass of the patch, then the whole-pixel offset that puts it on the frame's centre.
  const com = centreOfMass(patch, w, h);
  const centre = outSide / 2;
  const place = (c: number, length: number) => clamp(Math.round(centre - c), 0, outSide - length);
  const ox = com ? place(com.x, w) : Math.floor((outSide - w) / 2);
  const oy = com ? place(com.y, h) : Math.floor((outSide - h) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[(oy + y) * outSide + ox + x] = clamp(patch[y * w + x], 0, 1);
  }
  return out;
}

/** The ink's bounding box, [x0, x1) x [y0, y1) in pixels, or null when nothing is above the threshold. */
export function inkBox(pixels: Float32Array, side: number, threshold = 0.1): { x0: number; x1: number; y0: number; y1: number } | null {
  let x0 = side, x1 = -1, y0 = side, y1 = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (!(pixels[y * side + x] > threshold)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, x1: x1 + 1, y0, y1: y1 + 1 };
}

/** Centre of mass of a width x height image (square by default) in pixel-index coordinates, or null when it is all black. */
export function centreOfMass(pixels: Float32Array, width: number, height = width): { x: number; y: number } | null {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : null;
}

/**
 * Resamples one axis of a row-major grid `width` x `height`: along x it becomes `outLength` x `height`, along y
 * `width` x `outLength`. Source position s (in pixels, pixel k covering [k, k + 1)) maps to output position
 * (s - start) * scale + offset; each output pixel averages the source under a tent filter of half-width
 * max(1, 1 / scale) source pixels (anti-aliased when shrinking, linear interpolation when enlarging), the outside of
 * the source counting as black.
 */
function resampleAxis(
  axis: 'x' | 'y', src: Float32Array, width: number, height: number, start: number, scale: number, outLength: number, offset: number,
): Float32Array {
  const length = axis === 'x' ? width : height;
  const lines = axis === 'x' ? height : width;
  const outWidth = axis === 'x' ? outLength : width;
  const out = new Float32Array(lines * outLength);
  const radius = Math.max(1, 1 / scale);
  for (let i = 0; i < outLength; i++) {
    const centre = start + (i + 0.5 - offset) / scale;
    let total = 0;
    const taps: [number, number][] = [];
    for (let k = Math.floor(centre - radius); k <= Math.ceil(centre + radius); k++) {
      const weight = 1 - Math.abs(k + 0.5 - centre) / radius;
      if (weight <= 0) continue;
      total += weight;
      if (k >= 0 && k < length) taps.push([k, weight]);
    }
    for (let l = 0; l < lines; l++) {
      let sum = 0;
      for (const [k, weight] of taps) sum += weight * (axis === 'x' ? src[l * width + k] : src[k * width + l]);
      out[axis === 'x' ? l * outWidth + i : i * outWidth + l] = total > 0 ? sum / total : 0;
    }
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
