// npm run bench:browser [-- --backends webgpu,webgl,wasm] [--repeats 3] [--stock auto|on|off] [--threads auto|N] [--timeout-min 20]
//                         [--out out/bench-browser.json] [--headed]
// The benchmark page (bench.html) in the system Chromium, once per backend: the same figures as `npm run bench`
// (src/core/bench.ts), measured in the page's engine worker. Starts Vite's dev server on a free port, opens
// bench.html?backend=<b>&repeats=<n>, presses Run and waits for the page to publish `window.__benchResult`;
// prints each row as it appears and a table at the end (stderr), and writes rows, adapters and the Chromium version
// to out/bench-browser.json. `npm run bench:browser` builds the browser assets first (`npm run assets`); when running
// this file directly, run that once before.
//
// Headless Chromium has no GPU here: WebGPU and WebGL run on SwiftShader (the CPU), correct but slow, and their
// figures say nothing about GPU speed (each result says `emulated`). With --stock auto (the default) tfjs's stock
// kernels are measured only on a real GPU and on wasm/cpu: on SwiftShader they add minutes per backend.
// A backend the browser refuses (no WebGPU adapter, ...) is recorded as skipped with the reason, not run on a
// fallback. Chromium: CHROMIUM_PATH or /usr/bin/chromium. Exit code 1 when a run failed or timed out, 2 on bad
// arguments.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import type { BenchResult } from '../src/pages/bench/bench-config.ts';
import type { BenchRow } from '../src/worker/protocol.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];

function usage(message: string): never {
  console.error(`bench:browser: ${message}`);
  console.error('usage: npm run bench:browser -- [--backends webgpu,webgl,wasm] [--repeats N] [--stock auto|on|off] [--threads auto|N] [--timeout-min M] [--out FILE] [--headed]');
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        backends: { type: 'string', default: 'webgpu,webgl,wasm' },
        repeats: { type: 'string', default: '3' },
        stock: { type: 'string', default: 'auto' },
        threads: { type: 'string', default: 'auto' },
        'timeout-min': { type: 'string', default: '20' },
        out: { type: 'string', default: path.join(ROOT, 'out', 'bench-browser.json') },
        headed: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
}
const args = parse();
const backends = args.backends.split(',').map((b) => b.trim().toLowerCase()).filter(Boolean);
const unknown = backends.filter((b) => !BACKENDS.includes(b));
if (!backends.length || unknown.length) usage(`unknown backend(s) "${unknown.join(',')}" (use ${BACKENDS.join(', ')})`);
const repeats = Number(args.repeats);
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 50) usage(`--repeats must be a whole number from 1 to 50, not "${args.repeats}"`);
if (!['auto', 'on', 'off'].includes(args.stock)) usage(`--stock must be auto, on or off, not "${args.stock}"`);
if (args.threads !== 'auto' && !/^([1-9]|1[0-6])$/.test(args.threads)) usage(`--threads must be auto or a whole number from 1 to 16, not "${args.threads}"`);
const timeoutMs = Number(args['timeout-min']) * 60_000;
if (!(timeoutMs > 0)) usage(`--timeout-min must be a positive number, not "${args['timeout-min']}"`);

for (const f of ['public/models/manifest.json', 'public/data/private-sample-images.idx.gz', 'public/tfjs-wasm']) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    console.error(`bench:browser: ${f} is missing: run \`npm run assets\` first (npm run bench:browser does)`);
    process.exit(1);
  }
}

interface BackendRecord {
  requested: string;
  status: BenchResult['status'] | 'skipped' | 'timeout';
  /** Why it was skipped, failed or timed out. */
  reason?: string;
  backend?: string;
  adapter?: string;
  emulated?: boolean;
  /** WASM: the threads its kernels ran on. */
  threads?: number;
  options?: BenchResult['options'];
  elapsedMs?: number;
  rows: BenchRow[];
  refused?: BenchResult['refused'];
  consoleErrors: string[];
}

const fmtMs = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? '-' : ms.toFixed(ms < 10 ? 2 : 1));
const printRow = (b: string, what: string, kernels: string, ms: number | null, note = '') =>
  console.error(`  ${b.padEnd(7)} ${what.padEnd(56)} ${kernels.padEnd(5)} ${ms === null || !Number.isFinite(ms) ? `        - ${note}` : `${fmtMs(ms).padStart(9)} ms`}`);

const server = await createServer({
  root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'error', clearScreen: false,
  server: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
});
await server.listen();
const base = server.resolvedUrls?.local[0];
if (!base) throw new Error('Vite did not report its address');
const origin = new URL(base).origin;

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, headless: !args.headed, args: ['--enable-unsafe-webgpu', '--disable-quic'] });
const chromiumVersion = browser.version();
console.error(`Chromium ${chromiumVersion} (${executablePath}), page ${base}bench.html, ${repeats} repeat(s), stock kernels: ${args.stock}`);

const records: BackendRecord[] = [];
let userAgent = '';

async function measure(page: Page, requested: string, rec: BackendRecord): Promise<void> {
  const query = new URLSearchParams({ backend: requested, repeats: String(repeats) });
  if (args.stock !== 'auto') query.set('stock', args.stock === 'on' ? '1' : '0');
  if (args.threads !== 'auto') query.set('threads', args.threads);
  await page.goto(`${base}bench.html?${query}`);
  userAgent ||= await page.evaluate(() => navigator.userAgent);
  const root = page.getByTestId('bench-page');
  const badge = page.getByTestId('backend-badge');
  await page.waitForFunction(() => /ready|failed/.test(document.querySelector('[data-testid="backend-badge"]')?.getAttribute('data-status') ?? ''), null, { timeout: 180_000 });
  if ((await badge.getAttribute('data-status')) !== 'ready') {
    rec.status = 'failed';
    rec.reason = `the engine did not start: ${(await page.locator('[role="alert"]').allInnerTexts()).join(' / ') || 'no message'}`;
    return;
  }
  rec.backend = (await root.getAttribute('data-backend')) ?? undefined;
  rec.adapter = (await root.getAttribute('data-adapter')) || undefined;
  rec.emulated = (await root.getAttribute('data-emulated')) === 'true';
  rec.threads = Number(await root.getAttribute('data-threads')) || undefined;
  if (rec.backend !== requested) {
    // The page fell back: these would be another backend's figures.
    const why = (await badge.locator('details li').allInnerTexts()).find((t) => t.toLowerCase().includes(requested === 'webgl' ? 'webgl' : requested));
    rec.status = 'skipped';
    rec.reason = `${requested} could not start (${why ?? 'no reason given'}); the page fell back to ${rec.backend}`;
    return;
  }
  if (args.stock === 'auto') {
    // The stock kernels on an emulated GPU add minutes: measure them on a real GPU and on the CPU backends.
    const stock = page.getByTestId('f-stock');
    await stock.setChecked(!rec.emulated);
  }
  console.error(`${requested}: ${rec.adapter ?? (requested === 'wasm' || requested === 'cpu' ? `on the processor${rec.threads ? `, ${rec.threads} thread(s)` : ''}` : '(no adapter name)')}${rec.emulated ? ' [emulated: not a GPU figure]' : ''}`);
  await page.getByTestId('run').click();

  // Print rows as the page shows them, until it publishes its result.
  const t0 = Date.now();
  let printed = 0;
  for (;;) {
    const shown = await page.getByTestId('bench-row').evaluateAll((trs) => trs.map((tr) => ({
      what: tr.getAttribute('data-what') ?? '', kernels: tr.getAttribute('data-kernels') ?? '', ms: tr.getAttribute('data-ms') ?? '',
      note: tr.querySelector('.note')?.textContent ?? '' })));
    for (; printed < shown.length; printed++) {
      const r = shown[printed];
      printRow(requested, r.what, r.kernels, r.ms === '' ? null : Number(r.ms), r.note);
    }
    const result = await page.evaluate(() => window.__benchResult ?? null);
    if (result) {
      rec.status = result.status;
      rec.reason = result.error;
      rec.options = result.options;
      rec.elapsedMs = result.elapsedMs;
      rec.rows = result.rows;
      rec.refused = result.refused;
      return;
    }
    if (Date.now() - t0 > timeoutMs) {
      rec.status = 'timeout';
      rec.reason = `no result after ${args['timeout-min']} min (raise --timeout-min, or --stock off on an emulated GPU)`;
      return;
    }
    await page.waitForTimeout(1000);
  }
}

try {
  for (const requested of backends) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const rec: BackendRecord = { requested, status: 'failed', rows: [], consoleErrors: [] };
    page.on('console', (m) => { if (m.type() === 'error') rec.consoleErrors.push(`${m.worker() ? '[worker] ' : ''}${m.text()}`); });
    page.on('pageerror', (e) => rec.consoleErrors.push(`pageerror: ${e.message}`));
    context.on('request', (r) => {
      const u = r.url();
      if (!/^(data|blob):/.test(u) && new URL(u).origin !== origin) rec.consoleErrors.push(`request left the origin: ${u}`);
    });
    try {
      await measure(page, requested, rec);
    } catch (e) {
      rec.status = 'failed';
      rec.reason = (e as Error).message.split('\n')[0];
    }
    if (rec.status !== 'done') console.error(`  ${requested.padEnd(7)} ${rec.status}: ${rec.reason ?? ''}`);
    for (const c of rec.consoleErrors) console.error(`  ${requested.padEnd(7)} console error: ${c}`);
    records.push(rec);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}

// The table: one line per figure, with the speed-up of ours over stock where both were measured.
console.error(`\nms per step (median), Chromium ${chromiumVersion}`);
console.error(`  ${'backend'.padEnd(7)} ${'measurement'.padEnd(56)} ${'kern.'.padEnd(5)} ${'ms'.padStart(9)}    speed-up`);
for (const rec of records) {
  if (rec.status !== 'done' && !rec.rows.length) {
    console.error(`  ${rec.requested.padEnd(7)} ${rec.status}: ${rec.reason ?? ''}`);
    continue;
  }
  for (const r of rec.rows) {
    const stock = rec.rows.find((s) => s.what === r.what && s.kernels === 'stock' && Number.isFinite(s.msPerStep));
    const up = r.kernels === 'ours' && stock && r.msPerStep > 0 ? `   ${(stock.msPerStep / r.msPerStep).toFixed(1)}x` : '';
    console.error(`  ${rec.requested.padEnd(7)} ${r.what.padEnd(56)} ${r.kernels.padEnd(5)} ${Number.isFinite(r.msPerStep) ? `${fmtMs(r.msPerStep).padStart(9)} ms` : '        -   '}${up}`);
  }
  if (rec.adapter) console.error(`  ${rec.requested.padEnd(7)} adapter: ${rec.adapter}${rec.emulated ? ' (emulated on the CPU: not a GPU figure)' : ''}`);
}

const record = {
  date: new Date().toISOString(), chromium: chromiumVersion, userAgent, executablePath,
  options: { repeats, stock: args.stock },
  // NaN (not measured) is written as null.
  results: records,
};
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
console.error(`written to ${path.relative(ROOT, args.out)}`);
process.exit(records.some((r) => r.status === 'failed' || r.status === 'timeout' || r.status === 'stopped') ? 1 : 0);
