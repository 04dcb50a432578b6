// Turning a picture into what the digit models read: 28x28 grey values in [0, 1], white ink on black as in MNIST.
// 2D canvas work on the page (decoding and scaling an image); the models only ever see the result, in the worker.

export const DIGIT_SIDE = 28;

/** Grey levels (0..1, Rec. 601 luma) of RGBA bytes. */
export function rgbaToGrey(rgba: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  return out;
}

/**
 * An image file of any size as a 28x28 digit: scaled to fit (aspect kept, centred, the margin black), transparent
 * parts read as white paper, and inverted when it is dark ink on a light background (judged by the image's border).
 */
export async function imageFileToDigit(file: Blob): Promise<{ pixels: Float32Array; inverted: boolean }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('the file is not an image this browser can read (use PNG, JPEG, GIF or WebP)');
  }
  const scale = Math.min(DIGIT_SIDE / bitmap.width, DIGIT_SIDE / bitmap.height);
  const w = Math.max(1, Math.round(bitmap.width * scale)), h = Math.max(1, Math.round(bitmap.height * scale));
  const x0 = Math.floor((DIGIT_SIDE - w) / 2), y0 = Math.floor((DIGIT_SIDE - h) / 2);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = DIGIT_SIDE;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, DIGIT_SIDE, DIGIT_SIDE);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, x0, y0, w, h);
  bitmap.close();
  const grey = rgbaToGrey(ctx.getImageData(0, 0, DIGIT_SIDE, DIGIT_SIDE).data);
  // The background is what the image's own border shows: light means dark ink on paper.
  let border = 0, borderCount = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      if (y === y0 || y === y0 + h - 1 || x === x0 || x === x0 + w - 1) { border += grey[y * DIGIT_SIDE + x]; borderCount++; }
    }
  }
  const inverted = border / borderCount > 0.5;
  const pixels = new Float32Array(DIGIT_SIDE * DIGIT_SIDE);
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const g = grey[y * DIGIT_SIDE + x];
      pixels[y * DIGIT_SIDE + x] = inverted ? 1 - g : g;
    }
  }
  return { pixels, inverted };
}
