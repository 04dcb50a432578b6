// The UI side of the engine worker: creates the module worker, wraps it with comlink and turns a crash of the worker
// into rejected calls plus one `onCrash` notice, so no promise of the page waits forever on a dead worker.
// The UI thread does no tensor work: only types come from the worker's protocol, never tfjs.
import * as Comlink from 'comlink';
import type {
  AttackConfig, AttackSnapshot, BenchRow, BenchmarkConfig, BenchmarkProgress, EngineApi, EngineInfo, InitOptions, PrivateSamples, ProbeResult, TrainingConfig, TrainingProgress, TrapdoorReference,
  UploadedFile, UploadedModelInfo,
} from '../worker/protocol.ts';
import type { DatasetId } from '../worker/catalog.ts';

export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}

/** The site root (holds models/, data/ and tfjs-wasm/), whatever sub-path the page is served from. */
export function siteBaseUrl(): string {
  return new URL('./', document.baseURI).href;
}

export class EngineClient {
  private readonly worker: Worker;
  private readonly remote: Comlink.Remote<EngineApi>;
  private readonly crashed: Promise<never>;
  private crashError?: WorkerCrashedError;
  private disposed = false;

  /** `onCrash` runs once if the worker dies (an error event it did not handle, or a message it cannot read). */
  constructor(private readonly onCrash: (error: WorkerCrashedError) => void) {
    this.worker = new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'inversion-engine' });
    let reject!: (e: WorkerCrashedError) => void;
    this.crashed = new Promise<never>((_, r) => (reject = r));
    // Calls race this promise; keep an unobserved rejection from reaching the console.
    this.crashed.catch(() => undefined);
    const die = (message: string) => {
      if (this.crashError || this.disposed) return;
      this.crashError = new WorkerCrashedError(message);
      reject(this.crashError);
      this.worker.terminate();
      this.onCrash(this.crashError);
    };
    this.worker.addEventListener('error', (e: Event) => {
      e.preventDefault();
      const ev = e as ErrorEvent;
      const where = ev.filename ? ` (${ev.filename.split('/').pop()}:${ev.lineno})` : '';
      die(ev.message ? `${ev.message}${where}` : 'the engine worker could not be loaded or stopped unexpectedly');
    });
    this.worker.addEventListener('messageerror', () => die('the engine worker sent a message that could not be read'));
    this.remote = Comlink.wrap<EngineApi>(this.worker);
  }

  get isCrashed(): boolean {
    return this.crashError !== undefined;
  }

  init(options: InitOptions): Promise<EngineInfo> {
    return this.guard(() => this.remote.init(options));
  }

  privateSamples(dataset?: DatasetId): Promise<PrivateSamples> {
    return this.guard(() => this.remote.privateSamples(dataset));
  }

  trapdoorReference(targetId: string): Promise<TrapdoorReference> {
    return this.guard(() => this.remote.trapdoorReference(targetId));
  }

  startAttack(config: AttackConfig, onSnapshot: (s: AttackSnapshot) => void, startPaused = false): Promise<number> {
    return this.guard(() => this.remote.startAttack(config, Comlink.proxy(onSnapshot), startPaused));
  }

  startTraining(config: TrainingConfig, onProgress: (p: TrainingProgress) => void, startPaused = false): Promise<number> {
    return this.guard(() => this.remote.startTraining(config, Comlink.proxy(onProgress), startPaused));
  }

  startBenchmark(config: BenchmarkConfig, onProgress: (p: BenchmarkProgress) => void, startPaused = false): Promise<number> {
    return this.guard(() => this.remote.startBenchmark(config, Comlink.proxy(onProgress), startPaused));
  }

  pause(jobId: number): Promise<void> {
    return this.guard(() => this.remote.pause(jobId));
  }

  resume(jobId: number): Promise<void> {
    return this.guard(() => this.remote.resume(jobId));
  }

  step(jobId: number): Promise<void> {
    return this.guard(() => this.remote.step(jobId));
  }

  cancel(jobId: number): Promise<void> {
    return this.guard(() => this.remote.cancel(jobId));
  }

  /** Measures this backend's speed (src/core/bench.ts in the worker); `onRow` gets each figure as it is measured. */
  benchmark(onRow: (row: BenchRow) => void, options?: { includeStock?: boolean; repeats?: number }): Promise<BenchRow[]> {
    return this.guard(() => this.remote.benchmark(Comlink.proxy(onRow), options));
  }

  /** A target's probabilities (and Trap-MID trapdoor score) for one 28x28 image: the tensor work is the worker's. */
  probe(targetId: string, pixels: Float32Array): Promise<ProbeResult> {
    return this.guard(() => this.remote.probe(targetId, pixels));
  }

  /** Checks and keeps the user's own target in the worker (the files' buffers are transferred, not copied). */
  loadUploadedModel(files: UploadedFile[]): Promise<{ uploaded: UploadedModelInfo; models: EngineInfo['models'] }> {
    return this.guard(() => this.remote.loadUploadedModel(Comlink.transfer(files, files.map((f) => f.data))));
  }

  numTensors(): Promise<number> {
    return this.guard(() => this.remote.numTensors());
  }

  /** Stops the worker for good (page teardown, or replacing a crashed one). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.worker.terminate();
  }

  private guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.crashError) return Promise.reject(this.crashError);
    if (this.disposed) return Promise.reject(new Error('the engine was shut down'));
    return Promise.race([call(), this.crashed]);
  }
}
