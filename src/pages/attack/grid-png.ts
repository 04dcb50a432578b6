// The reconstruction grid as a PNG (Export image): one kept reconstruction per attacked digit, its label and the
// evaluator's verdict drawn under it, so the picture explains itself on a slide. 2D canvas drawing only.
import type { AttackSnapshot } from '../../worker/protocol.ts';
import { pct } from '../../ui/format.ts';

const SIDE = 28;
/** Each 28x28 reconstruction is drawn this many times larger, with crisp pixels. */
const ZOOM = 5;
const PAD = 16;
const HEAD = 58;
const FOOT = 78;
const OK = '#1e7d4f';
const BAD = '#b65a12';

/** A 28x28 image (values in [0, 1] from `offset`) as its own small canvas. */
function digitCanvas(pixels: Float32Array, offset: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = SIDE;
  const img = c.getContext('2d')!.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const g = Math.round(255 * Math.min(1, Math.max(0, pixels[offset + i] || 0)));
    img.data.set([g, g, g, 255], i * 4);
  }
  c.getContext('2d')!.putImageData(img, 0, 0);
  return c;
}

/**
 * Draws the kept reconstructions of `snap` side by side under `title` and `subtitle`: per digit the image, "digit d"
 * beside a chip of its colour, the target's confidence and both judges' verdicts (green when they see the attacked digit).
 */
export function drawReconstructionGrid(snap: AttackSnapshot, title: string, subtitle: string, colors: readonly string[]): HTMLCanvasElement {
  const n = snap.classes.length;
  const cell = SIDE * ZOOM;
  const canvas = document.createElement('canvas');
  canvas.width = PAD + n * (cell + PAD);
  canvas.height = HEAD + cell + FOOT;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.textBaseline = 'top';
  ctx.fillStyle = '#1d2330';
  ctx.font = 'bold 16px system-ui, sans-serif';
  ctx.fillText(title, PAD, 12, canvas.width - 2 * PAD);
  ctx.fillStyle = '#5b6472';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(subtitle, PAD, 34, canvas.width - 2 * PAD);
  ctx.imageSmoothingEnabled = false;
  snap.classes.forEach((digit, k) => {
    const x = PAD + k * (cell + PAD);
    ctx.drawImage(digitCanvas(snap.pixels, k * SIDE * SIDE), x, HEAD, cell, cell);
    let y = HEAD + cell + 6;
    ctx.font = 'bold 14px system-ui, sans-serif';
    // The colour as a chip, the words in ink: light palette colours are too faint for text on white.
    ctx.fillStyle = colors[digit % colors.length];
    ctx.fillRect(x, y + 2, 11, 11);
    ctx.fillStyle = '#1d2330';
    ctx.fillText(`digit ${digit}`, x + 16, y);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#5b6472';
    ctx.fillText(`target is sure: ${pct(snap.targetConfidence[k])}`, x, (y += 19), cell);
    const predicted = snap.evaluator.predicted[k];
    if (predicted !== undefined) {
      const match = predicted === digit;
      ctx.font = 'bold 12px system-ui, sans-serif';
      ctx.fillStyle = match ? OK : BAD;
      ctx.fillText(`evaluator sees ${predicted} (${pct(snap.evaluator.confidence[k])}) ${match ? '✓' : '✗'}`, x, (y += 17), cell);
    }
    const second = snap.robust?.predicted[k];
    if (second !== undefined) {
      ctx.font = '12px system-ui, sans-serif';
      ctx.fillStyle = second === digit ? OK : BAD;
      ctx.fillText(`judge 2 sees ${second} (${pct(snap.robust!.confidence[k])}) ${second === digit ? '✓' : '✗'}`, x, (y += 16), cell);
    }
  });
  return canvas;
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}
