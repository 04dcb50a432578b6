// A line chart of shares (0-100%) against a swept knob, drawn as SVG by our own code, and rasterised to PNG by the
// system's Chromium (the one the e2e tests use; no download). `npm run mi -- sweep` writes both.
import * as fs from 'node:fs';
import { chromium } from '@playwright/test';

export interface Series {
  label: string;
  /** One share in [0, 1] per x value (NaN: no point). */
  values: number[];
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  xs: number[];
  series: Series[];
}

const W = 760, H = 420, LEFT = 64, RIGHT = 230, TOP = 44, BOTTOM = 56;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Log scale when every x is positive and they span a factor of 8 or more (alpha 0.01 ... 0.2), else linear. */
export function xScale(xs: number[]): { log: boolean; at: (x: number) => number } {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const log = lo > 0 && hi / lo >= 8;
  const f = log ? Math.log : (x: number) => x;
  const a = f(lo), b = f(hi);
  const span = b - a || 1;
  return { log, at: (x) => LEFT + (xs.length === 1 ? 0.5 : (f(x) - a) / span) * (W - LEFT - RIGHT) };
}

const yAt = (v: number) => TOP + (1 - v) * (H - TOP - BOTTOM);

/** The chart as a standalone SVG document. */
export function chartSvg(c: ChartSpec): string {
  const { at, log } = xScale(c.xs);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  for (let p = 0; p <= 100; p += 20) {
    const y = yAt(p / 100);
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end">${p}%</text>`);
  }
  for (const x of c.xs) {
    out.push(`<line x1="${at(x)}" x2="${at(x)}" y1="${H - BOTTOM}" y2="${H - BOTTOM + 5}" stroke="#333"/>`);
    out.push(`<text x="${at(x)}" y="${H - BOTTOM + 18}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${H - BOTTOM}" y2="${H - BOTTOM}" stroke="#333"/>`);
  out.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${H - BOTTOM}" stroke="#333"/>`);
  out.push(`<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 14}" text-anchor="middle">${esc(c.xLabel)}${log ? ' (log scale)' : ''}</text>`);
  c.series.forEach((s, k) => {
    const pts = c.xs.map((x, i) => [at(x), s.values[i]] as const).filter(([, v]) => Number.isFinite(v)).map(([x, v]) => [x, yAt(v)] as const);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${dash} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${s.color}"/>`);
    const ly = TOP + 10 + k * 22;
    out.push(`<line x1="${W - RIGHT + 16}" x2="${W - RIGHT + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${dash}/>`);
    out.push(`<text x="${W - RIGHT + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** `svg` rendered to a PNG file by the system Chromium (CHROMIUM_PATH or /usr/bin/chromium). */
export async function svgToPng(svg: string, file: string): Promise<void> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (set CHROMIUM_PATH) to draw ${file}; the SVG beside it has the same chart`);
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H } });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: file });
  } finally {
    await browser.close();
  }
}
