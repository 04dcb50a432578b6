// The benchmark page's settings and the pure helpers of its table and record (no runes, no DOM beyond what is
// passed in): the URL is read and validated in one place, and a bad value only produces a correction to show.
//   ?backend=webgpu|webgl|wasm|cpu|auto   which backend the engine tries first (the others stay as fallbacks)
//   ?repeats=N                            timed repeats per figure (1-50; the median is shown)
//   ?stock=1|0                            measure tfjs's stock kernels too (default: yes, except on cpu)
//   ?threads=N                            WASM threads (1 = off, to measure what they give; default: tfjs's choice)
import type { BackendName, BenchRow, EngineInfo } from '../../worker/protocol.ts';

export const BENCH_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
export const REPEATS = { min: 1, max: 50, default: 3 } as const;
export const THREADS = { min: 1, max: 16 } as const;

export interface BenchSettings {
  /** Forced backend; undefined = automatic order. */
  backend?: BackendName;
  repeats: number;
  /** Measure the stock kernels too; undefined = automatic (yes, except on the cpu backend). */
  stock?: boolean;
  /** WASM threads; undefined = as many as tfjs picks (the core count) when the page is cross-origin isolated. */
  threads?: number;
}

export const DEFAULT_BENCH_SETTINGS: BenchSettings = { repeats: REPEATS.default };

export function isBenchBackend(s: string): s is BackendName {
  return (BENCH_BACKENDS as readonly string[]).includes(s);
}

/** Validates the repeat count; never throws. */
export function coerceRepeats(raw: string, current: number = REPEATS.default): { value: number; correction?: string } {
  const text = raw.trim();
  const n = text === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) return { value: current, correction: `Repeats "${text}" is not a number; using ${current}` };
  let v = Math.round(n);
  let why = v !== n ? `Repeats ${n} is not a whole number; using ${v}` : undefined;
  if (v < REPEATS.min) { v = REPEATS.min; why = `Repeats ${n} is below ${REPEATS.min}; using ${v}`; }
  if (v > REPEATS.max) { v = REPEATS.max; why = `Repeats ${n} is above ${REPEATS.max}; using ${v}`; }
  return { value: v, correction: why };
}

/** Reads the settings from a query string. Unknown parameters are ignored; bad values are corrected and reported. */
export function readBenchSettings(search: string): { settings: BenchSettings; corrections: string[] } {
  const q = new URLSearchParams(search);
  const settings: BenchSettings = { ...DEFAULT_BENCH_SETTINGS };
  const corrections: string[] = [];
  const backend = q.get('backend');
  if (backend !== null && backend !== '' && backend.toLowerCase() !== 'auto') {
    const b = backend.toLowerCase();
    if (isBenchBackend(b)) settings.backend = b;
    else corrections.push(`Backend "${backend}" is unknown (use auto, ${BENCH_BACKENDS.join(', ')}); choosing one automatically`);
  }
  const repeats = q.get('repeats');
  if (repeats !== null) {
    const c = coerceRepeats(repeats);
    settings.repeats = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  const stock = q.get('stock');
  if (stock !== null && stock !== '' && stock !== 'auto') {
    if (/^(1|yes|true|on)$/i.test(stock)) settings.stock = true;
    else if (/^(0|no|false|off)$/i.test(stock)) settings.stock = false;
    else corrections.push(`Stock kernels "${stock}" is not understood (use 1 or 0); deciding automatically`);
  }
  const threads = q.get('threads');
  if (threads !== null && threads !== '' && threads !== 'auto') {
    const n = Number(threads);
    if (Number.isInteger(n) && n >= THREADS.min && n <= THREADS.max) settings.threads = n;
    else corrections.push(`Threads "${threads}" is not a whole number from ${THREADS.min} to ${THREADS.max}; letting tfjs choose`);
  }
  return { settings, corrections };
}

/** The query string for `s`: only what differs from the defaults. */
export function benchSettingsToSearch(s: BenchSettings): string {
  const q = new URLSearchParams();
  if (s.backend) q.set('backend', s.backend);
  if (s.repeats !== REPEATS.default) q.set('repeats', String(s.repeats));
  if (s.stock !== undefined) q.set('stock', s.stock ? '1' : '0');
  if (s.threads !== undefined) q.set('threads', String(s.threads));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Whether the stock kernels are measured: the setting, or the worker's own default (all but cpu). */
export function effectiveStock(s: BenchSettings, backend: BackendName | undefined): boolean {
  return s.stock ?? backend !== 'cpu';
}


export interface TableRow {
  row: BenchRow;
  /** Stock ms / our ms, on our row when both were measured. */
  speedUp?: number;
}

/** One table row per measured figure, in the order they came, with the speed-up of ours over stock where both exist. */
export function tableRows(rows: readonly BenchRow[]): TableRow[] {
  const measured = (r: BenchRow | undefined) => r !== undefined && Number.isFinite(r.msPerStep) && r.msPerStep > 0;
  return rows.map((row) => {
    if (row.kernels !== 'ours' || !measured(row)) return { row };
    const stock = rows.find((r) => r.what === row.what && r.kernels === 'stock' && r.backend === row.backend);
    return { row, speedUp: stock && measured(stock) ? stock.msPerStep / row.msPerStep : undefined };
  });
}

export function formatSpeedUp(x: number): string {
  return `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')}×`;
}

/** What the page publishes as `window.__benchResult` when a run ends (the browser benchmark driver reads it). */
export interface BenchResult {
  status: 'done' | 'failed' | 'stopped';
  /** The backend the engine ran on, and the one asked for first (if any). */
  backend: BackendName | null;
  requested?: BackendName;
  /** WebGPU adapter, or the WebGL renderer, as the browser names it. */
  adapter?: string;
  emulated: boolean;
  /** WASM only: the threads its kernels ran on (and why one, where so). */
  threads?: EngineInfo['threads'];
  refused: EngineInfo['refused'];
  options: { repeats: number; includeStock: boolean };
  /** Rows measured before the run ended (msPerStep NaN = not measured; see note). */
  rows: BenchRow[];
  elapsedMs: number;
  error?: string;
  date: string;
  userAgent: string;
}

/** The record as JSON text: NaN (not measured) becomes null, which JSON can hold. */
export function resultToJson(r: BenchResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
