// The benchmark page's state and actions (Svelte 5 runes in a class). The figures are measured in the engine worker
// (src/core/bench.ts); this thread only starts the run, collects the rows as they arrive and shows them.
import { WorkerCrashedError } from '../../ui/engine-client.ts';
import { EngineLab, messageOf } from '../../ui/engine-lab.svelte.ts';
import type { BackendName, BenchRow, EngineInfo } from '../../worker/protocol.ts';
import {
  type BenchResult, type BenchSettings, benchSettingsToSearch, effectiveStock, readBenchSettings, resultToJson,
} from './bench-config.ts';

declare global {
  interface Window {
    /** Set when a run ends (done, failed or stopped); cleared when one starts. Read by scripts/bench-browser.ts. */
    __benchResult?: BenchResult;
  }
}

export type RunStatus = 'idle' | 'running' | 'done' | 'failed' | 'stopped';

/**
 * The WebGL renderer's name (the engine's WebGL context lives in the worker, on the same GPU process), so WebGL
 * figures can be labelled like WebGPU ones. Only a context query: no tensor work.
 */
function webglRenderer(): string | undefined {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '') || undefined;
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return name;
  } catch {
    return undefined;
  }
}

export class BenchLab extends EngineLab<BenchSettings> {
  settings = $state<BenchSettings>(readBenchSettings('').settings);
  protected readonly link = { read: readBenchSettings, toSearch: benchSettingsToSearch };
  /** WebGL renderer, when the engine runs on WebGL (the worker names only WebGPU adapters). */
  renderer = $state<string | undefined>(undefined);

  runStatus = $state<RunStatus>('idle');
  rows = $state.raw<BenchRow[]>([]);
  result = $state.raw<BenchResult | null>(null);
  /** Clock of the current run, ticking a few times a second (the page stays live while the worker measures). */
  runStartedAt = $state(0);
  lastRowAt = $state(0);
  now = $state(0);

  copyState = $state<'idle' | 'copied' | 'failed'>('idle');

  readonly adapter = $derived(this.info ? (this.info.adapter ?? this.renderer) : undefined);
  readonly emulated = $derived(!!this.info?.emulated);
  readonly includeStock = $derived(effectiveStock(this.settings, this.info?.backend ?? this.settings.backend));
  readonly canRun = $derived(this.engineStatus === 'ready' && this.runStatus !== 'running');
  readonly running = $derived(this.runStatus === 'running');
  readonly elapsedMs = $derived(this.runStartedAt ? Math.max(0, this.now - this.runStartedAt) : 0);
  readonly sinceLastRowMs = $derived(this.lastRowAt ? Math.max(0, this.now - this.lastRowAt) : 0);

  private ticker?: ReturnType<typeof setInterval>;
  private copyTimer?: ReturnType<typeof setTimeout>;

  dispose(): void {
    this.stopClock();
    clearTimeout(this.copyTimer);
    super.dispose();
  }

  /** Forces a backend (undefined = automatic order) and restarts the engine on it. */
  async switchBackend(backend: BackendName | undefined): Promise<void> {
    if (this.running) return;
    this.update({ backend });
    await this.initEngine();
  }

  /** A fresh worker (after a crash, or when the page asks). */
  restartEngine(): void {
    this.dismiss('crash');
    this.boot();
  }

  async run(): Promise<void> {
    if (!this.canRun || !this.client || !this.info) return;
    const client = this.client;
    const token = ++this.runToken;
    const options = { repeats: this.settings.repeats, includeStock: this.includeStock };
    delete window.__benchResult;
    this.dismiss('run');
    this.rows = [];
    this.result = null;
    this.copyState = 'idle';
    this.runStatus = 'running';
    this.startClock();
    try {
      const rows = await client.benchmark((row) => {
        if (token !== this.runToken) return;
        this.rows = [...this.rows, row];
        this.lastRowAt = performance.now();
      }, options);
      if (token !== this.runToken) return;
      this.rows = rows;
      this.finish('done', options);
    } catch (e) {
      if (token !== this.runToken) return;
      // A crashed worker is reported once by onCrashed (with the restart offer); other errors here.
      if (!(e instanceof WorkerCrashedError)) {
        this.report({ key: 'run', kind: 'error', title: 'The benchmark stopped with an error', detail: messageOf(e) });
      }
      this.finish('failed', options, messageOf(e));
    }
  }

  /** Stops a run: the worker cannot be interrupted mid-measurement, so it is replaced by a fresh one. */
  stop(): void {
    if (!this.running) return;
    this.runToken++;
    this.finish('stopped', { repeats: this.settings.repeats, includeStock: this.includeStock });
    this.boot();
  }

  /** Copies the last run's record to the clipboard (falls back to a hidden text area where the API is refused). */
  async copyJson(): Promise<void> {
    if (!this.result) return;
    const text = resultToJson(this.result);
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = legacyCopy(text);
    }
    this.copyState = ok ? 'copied' : 'failed';
    clearTimeout(this.copyTimer);
    this.copyTimer = setTimeout(() => (this.copyState = 'idle'), ok ? 2500 : 6000);
  }

  resultJson(): string {
    return this.result ? resultToJson(this.result) : '';
  }

  // ---------------------------------------------------------------------------------------------------------------

  protected override onReady(info: EngineInfo): void {
    this.renderer = info.backend === 'webgl' ? webglRenderer() : undefined;
  }

  protected onCrashed(e: WorkerCrashedError): void {
    if (this.running) {
      this.runToken++;
      this.finish('failed', { repeats: this.settings.repeats, includeStock: this.includeStock }, e.message);
    }
    this.report({
      key: 'crash', kind: 'error', title: 'The engine worker stopped unexpectedly',
      detail: `${e.message}. The browser may have run out of memory or lost the GPU.`, retry: true,
    });
  }

  private finish(status: Exclude<RunStatus, 'idle' | 'running'>, options: BenchResult['options'], error?: string): void {
    this.stopClock();
    this.runStatus = status;
    const result: BenchResult = {
      status,
      backend: this.info?.backend ?? null,
      requested: this.settings.backend,
      adapter: this.adapter,
      emulated: this.emulated,
      ...(this.info?.threads ? { threads: this.info.threads } : {}),
      refused: this.info?.refused ?? [],
      options,
      rows: this.rows,
      elapsedMs: Math.round(this.elapsedMs),
      error,
      date: new Date().toISOString(),
      userAgent: navigator.userAgent,
    };
    this.result = result;
    window.__benchResult = result;
  }

  private startClock(): void {
    this.stopClock();
    this.runStartedAt = this.lastRowAt = this.now = performance.now();
    this.ticker = setInterval(() => (this.now = performance.now()), 250);
  }

  private stopClock(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.now = performance.now();
  }
}

/** Copy through a selected text area, for pages the Clipboard API refuses (plain http on another host, old browsers). */
function legacyCopy(text: string): boolean {
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.append(ta);
  ta.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    ta.remove();
  }
}
