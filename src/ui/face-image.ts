// Turning a photo into what the face models read: side x side grey values in [0, 1], the photo's central square.
// 2D canvas work on the page (decoding and scaling); the models only ever see the result, in the worker.
import { rgbaToGrey } from './digit-image.ts';

/** The largest centred square of a w x h image: where a face photo is cropped (portraits are taller than wide). */
export function centralSquare(width: number, height: number): { x: number; y: number; size: number } {
  const size = Math.min(width, height);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size };
}

/** An image file of any size as a face: its central square scaled to side x side, in grey (transparent = white). */
export async function imageFileToFace(file: Blob, side: number): Promise<Float32Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('the file is not an image this browser can read (use PNG, JPEG, GIF or WebP)');
  }
  try {
    if (bitmap.width < 1 || bitmap.height < 1) throw new Error('the image is empty');
    const canvas = new OffscreenCanvas(side, side);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw the image (no 2D canvas)');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, side, side);
    ctx.imageSmoothingQuality = 'high';
    const sq = centralSquare(bitmap.width, bitmap.height);
    ctx.drawImage(bitmap, sq.x, sq.y, sq.size, sq.size, 0, 0, side, side);
    return rgbaToGrey(ctx.getImageData(0, 0, side, side).data);
  } finally {
    bitmap.close();
  }
}
