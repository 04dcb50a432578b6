// A lab page that runs one engine job at a time (the defense lab's training, the benchmark grid): it starts the job,
// pauses, resumes and cancels it, abandons it when the backend or the worker changes, and ignores whatever an
// abandoned job still sends. Pause and resume are the page's decisions; only the end of a job comes from the worker.
import { WorkerCrashedError, type EngineClient } from './engine-client.ts';
import { EngineLab, messageOf } from './engine-lab.svelte.ts';
import { doIf, type Shortcut } from './shortcuts.ts';
import type { BackendName, JobState } from '../worker/protocol.ts';

/** 'idle': no job; 'starting': waiting for the worker to set the job up and accept it; the rest are the job's states. */
export type RunStatus = 'idle' | 'starting' | JobState;

export function isAlive(s: RunStatus): boolean {
  return s === 'starting' || s === 'running' || s === 'paused';
}

export abstract class JobLab<S extends { backend?: BackendName }> extends EngineLab<S> {
  runStatus = $state<RunStatus>('idle');
  readonly canPause = $derived(this.engineStatus === 'ready' && this.runStatus === 'running');
  readonly canResume = $derived(this.engineStatus === 'ready' && this.runStatus === 'paused');
  readonly canCancel = $derived(this.runStatus === 'running' || this.runStatus === 'paused');
  /** Settings are locked while a job is alive (Cancel unlocks them). */
  readonly settingsLocked = $derived(isAlive(this.runStatus));

  /** The job in messages: 'the training', 'the benchmark'. */
  protected abstract readonly jobName: string;
  /** What a worker crash loses, as the crash message says it. */
  protected abstract readonly crashLoss: string;
  protected jobId: number | null = null;

  /** Forces a backend (undefined = automatic order) and restarts the engine on it. */
  async switchBackend(backend: BackendName | undefined): Promise<void> {
    this.update({ backend } as Partial<S>);
    this.dismiss('job-failed');
    await this.abandonRun();
    await this.initEngine();
  }

  /** A fresh worker (after a crash, or when the page asks). */
  async restartEngine(): Promise<void> {
    this.dismiss('crash');
    await this.abandonRun();
    this.boot();
  }

  async pause(): Promise<void> {
    if (!this.canPause) return;
    this.runStatus = 'paused';
    await this.call((c, id) => c.pause(id), `Could not pause ${this.jobName}`);
  }

  async resume(): Promise<void> {
    if (!this.canResume) return;
    this.runStatus = 'running';
    await this.call((c, id) => c.resume(id), `Could not resume ${this.jobName}`);
  }

  /** Stops the job between two steps; what it showed stays (its last message says 'cancelled'). */
  async cancel(): Promise<void> {
    if (!this.canCancel) return;
    await this.call((c, id) => c.cancel(id), `Could not cancel ${this.jobName}`);
  }

  /**
   * The page's keyboard shortcuts (for ShortcutHelp): Space starts a job with `start` (the page's `verb` button, when
   * `start.can()`), pauses it and resumes it; c cancels it.
   */
  shortcuts(verb: string, start: { can: () => boolean; run: () => Promise<void> }): Shortcut[] {
    return [
      {
        keys: ['Space'], action: `${verb}, pause, resume`,
        run: () => doIf(this.canPause, () => this.pause()) || doIf(this.canResume, () => this.resume()) || doIf(start.can(), start.run),
      },
      { keys: ['c'], action: `Cancel ${this.jobName} (what it showed stays)`, run: () => doIf(this.canCancel, () => this.cancel()) },
    ];
  }

  /**
   * Abandons the current job, lets the page `reset` what it shows, and starts a new job with `start`, whose
   * progress reaches `onProgress` until the job is abandoned. 'failed': it could not start (the page says why).
   */
  protected async startJob<P>(job: {
    reset: () => void;
    start: (client: EngineClient, onProgress: (p: P) => void) => Promise<number>;
    onProgress: (p: P) => void;
    failTitle: string;
  }): Promise<'started' | 'abandoned' | 'failed'> {
    if (!this.client) return 'failed';
    await this.abandonRun();
    const token = this.runToken;
    const client = this.client;
    job.reset();
    this.dismiss('run');
    this.dismiss('job-failed');
    this.runStatus = 'starting';
    try {
      const id = await job.start(client, (p) => {
        if (token === this.runToken) job.onProgress(p);
      });
      if (token !== this.runToken) {
        void client.cancel(id).catch(() => undefined); // abandoned while the worker was setting up
        return 'abandoned';
      }
      // A tiny job may already have ended; otherwise it runs.
      if (this.runStatus === 'starting') {
        this.jobId = id;
        this.runStatus = 'running';
      }
      return 'started';
    } catch (e) {
      if (token !== this.runToken) return 'abandoned';
      this.runStatus = 'idle';
      if (!(e instanceof WorkerCrashedError)) this.report({ key: 'run', kind: 'error', title: job.failTitle, detail: messageOf(e) });
      return 'failed';
    }
  }

  /** The job's last message came. */
  protected endJob(state: 'done' | 'cancelled' | 'failed'): void {
    this.runStatus = state;
    this.jobId = null;
  }

  /** The job failed in the worker: say so, and on a GPU backend (typically a lost device) offer the CPU's fast one. */
  protected failJob(title: string, error: string | undefined): void {
    this.endJob('failed');
    const onGpu = this.info?.backend === 'webgpu' || this.info?.backend === 'webgl';
    this.report({
      key: 'job-failed', kind: 'error', title, detail: error ?? 'the engine reported a failure without a message', switchTo: onGpu ? 'wasm' : undefined,
    });
  }

  /** Cancels the current job (if any) and ignores everything it still sends. */
  protected async abandonRun(): Promise<void> {
    this.runToken++;
    const id = this.jobId;
    this.jobId = null;
    if (isAlive(this.runStatus)) this.runStatus = 'cancelled';
    if (id !== null && this.client && !this.client.isCrashed) await this.client.cancel(id).catch(() => undefined);
  }

  protected onCrashed(e: WorkerCrashedError): void {
    this.runToken++;
    this.jobId = null;
    if (isAlive(this.runStatus)) this.runStatus = 'failed';
    this.report({
      key: 'crash', kind: 'error', title: 'The engine worker stopped unexpectedly',
      detail: `${e.message}. The browser may have run out of memory or lost the GPU; ${this.crashLoss}.`, retry: true,
    });
  }

  private async call(f: (client: EngineClient, jobId: number) => Promise<void>, title: string): Promise<void> {
    if (!this.client || this.jobId === null) return;
    try {
      await f(this.client, this.jobId);
    } catch (e) {
      if (!(e instanceof WorkerCrashedError)) this.report({ key: 'run', kind: 'error', title, detail: messageOf(e) });
    }
  }
}
