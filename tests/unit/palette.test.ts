// The shared palette under simulated colour-vision deficiencies: every pair of categorical colours must stay apart
// (CIE76 delta-E) for deuteranopes, protanopes and tritanopes, and the heat ramp must keep the cell text readable.
import { describe, expect, it } from 'vitest';
import { ATTACKS } from '../../src/worker/catalog.ts';
import { CATEGORICAL, CONTEXT_GREY, DIGIT_COLORS, heatColor } from '../../src/ui/palette.ts';

type Rgb = [number, number, number];

/** Machado, Oliveira & Fernandes (2009), severity 1.0: applied to linear sRGB. */
const MACHADO: Record<string, number[][]> = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
/** The minimum CIE76 delta-E between two categorical colours, with any of the three deficiencies. */
const MIN_DELTA_E = 10;

function parseColor(css: string): Rgb {
  const rgb = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(css);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (!hex) throw new Error(`not a colour: ${css}`);
  const n = parseInt(hex[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const linearRgb = (css: string): Rgb => parseColor(css).map((c) => toLinear(c / 255)) as Rgb;
const multiply = (m: number[][], v: Rgb): Rgb => m.map((row) => Math.min(1, Math.max(0, row[0] * v[0] + row[1] * v[1] + row[2] * v[2]))) as Rgb;

/** CIELAB (D65) of a linear sRGB colour. */
function lab([r, g, b]: Rgb): Rgb {
  const xyz = [
    (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047,
    0.2126729 * r + 0.7151522 * g + 0.072175 * b,
    (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883,
  ];
  const [fx, fy, fz] = xyz.map((t) => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29));
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}
const deltaE = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Every pair closer than MIN_DELTA_E under some deficiency, as 'a/b (deficiency: dE)'. */
function confusedPairs(colors: readonly string[]): string[] {
  const out: string[] = [];
  for (const [deficiency, m] of Object.entries(MACHADO)) {
    const seen = colors.map((c) => lab(multiply(m, linearRgb(c))));
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) {
        const d = deltaE(seen[i], seen[j]);
        if (d < MIN_DELTA_E) out.push(`${colors[i]}/${colors[j]} (${deficiency}: ${d.toFixed(1)})`);
      }
    }
  }
  return out;
}

/** WCAG 2 contrast ratio of two colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => { const [r, g, b2] = linearRgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b2; };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('the shared palette', () => {
  it('keeps every pair of categorical colours apart under simulated deuteranopia, protanopia and tritanopia', () => {
    expect(new Set(CATEGORICAL.map((c) => c.toLowerCase())).size).toBe(CATEGORICAL.length);
    // The context grey is drawn beside them (the defense lab's accuracy chart).
    expect(confusedPairs([...CATEGORICAL, CONTEXT_GREY])).toEqual([]);
    expect(DIGIT_COLORS).toHaveLength(5);
    // One colour per attack, so no two attacks share one in the benchmark's scatter plot.
    expect(CATEGORICAL.length).toBeGreaterThanOrEqual(ATTACKS.length);
  });

  it('catches a red/green pair that a deuteranope or protanope cannot tell apart', () => {
    // Red and green pairs obvious to most eyes (delta-E above 90) that collapse with a red-green deficiency.
    expect(confusedPairs(['#d62728', '#6b8e23'])).toEqual([expect.stringMatching(/deuteranopia/)]);
    expect(confusedPairs(['#e41a1c', '#206020'])).toEqual([expect.stringMatching(/protanopia/)]);
    // Blue against orange, the classic safe pair, passes: the check is not simply strict.
    expect(confusedPairs(['#0072B2', '#E69F00'])).toEqual([]);
  });

  it('draws the heat ramp on one hue, darker as the share grows, with the cell text readable at its darkest', () => {
    const shades = [0, 0.25, 0.5, 0.75, 1].map((v) => lab(linearRgb(heatColor(v)))[0]);
    for (let i = 1; i < shades.length; i++) expect(shades[i]).toBeLessThan(shades[i - 1]);
    expect(heatColor(0)).toBe('rgb(255, 255, 255)');
    expect(heatColor(Number.NaN)).toBe(heatColor(0));
    // The cells' ink and secondary text (theme.css, BenchmarkPage) on the darkest cell: WCAG AA for small text.
    for (const text of ['#1d2330', '#3a4150']) expect(contrast(text, heatColor(1)), text).toBeGreaterThanOrEqual(4.5);
  });
});
