// Pixel-space similarity of a reconstruction to a private image: PSNR and SSIM, pixels in [0, 1].
// Choices (documented here because they move the numbers):
// - PSNR = 10 log10(1 / MSE), with the MSE floored at 1e-10, so identical images give 100 dB instead of Infinity:
//   means over images and JSON (where Infinity becomes null) stay meaningful.
// - SSIM (Wang et al. 2004) with a 7 x 7 uniform window over every fully-inside position (22 x 22 windows on a
//   28 x 28 digit; an 11 x 11 Gaussian would leave only 18 x 18 on such small images), window moments with weights
//   1/49 (population, not n - 1), C1 = (0.01)^2, C2 = (0.03)^2 for range 1; the mean over windows.
export const PSNR_CAP_DB = 100;
export const SSIM_WINDOW = 7;
const C1 = 0.01 ** 2, C2 = 0.03 ** 2;

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: images differ in size (${a.length} vs ${b.length} pixels)`);
  if (a.length === 0) throw new Error(`${what}: empty images`);
}

/** Mean squared error between two images of the same size. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, 'MSE');
  let s = 0;
  for (let i = 0; i < a.length; i++) { const t = a[i] - b[i]; s += t * t; }
  return s / a.length;
}

/** PSNR in dB for pixels in [0, 1]; at most PSNR_CAP_DB (identical images). */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 10 * Math.log10(1 / Math.max(mse(a, b), 10 ** (-PSNR_CAP_DB / 10)));
}

/** Mean SSIM of two width x height grayscale images (row-major, range [0, 1]; 28 x 28 by default). */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width = 28, height = 28): number {
  checkPair(a, b, 'SSIM');
  if (a.length !== width * height) throw new Error(`SSIM: ${a.length} pixels is not ${width} x ${height}`);
  const w = SSIM_WINDOW;
  if (width < w || height < w) throw new Error(`SSIM: images smaller than the ${w} x ${w} window`);
  const area = w * w;
  let total = 0, windows = 0;
  for (let y0 = 0; y0 + w <= height; y0++) {
    for (let x0 = 0; x0 + w <= width; x0++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let y = y0; y < y0 + w; y++) {
        for (let x = x0; x < x0 + w; x++) {
          const p = a[y * width + x], q = b[y * width + x];
          sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q;
        }
      }
      const ma = sa / area, mb = sb / area;
      // Clamp: float rounding can make a flat window's variance a hair below 0.
      const va = Math.max(saa / area - ma * ma, 0), vb = Math.max(sbb / area - mb * mb, 0), cab = sab / area - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      windows++;
    }
  }
  return total / windows;
}
