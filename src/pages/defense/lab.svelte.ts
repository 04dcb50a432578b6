// The defense lab's state and actions (Svelte 5 runes in a class). Training runs in the engine worker; this thread
// only starts, pauses and cancels the job and keeps what its progress messages say (histories in $state.raw,
// replaced, never mutated in place).
import { WorkerCrashedError, type EngineClient } from '../../ui/engine-client.ts';
import { EngineLab, messageOf } from '../../ui/engine-lab.svelte.ts';
import type { BackendName, DefenseId, JobState, TrainingConfig, TrainingProgress } from '../../worker/protocol.ts';
import { defenseDefaults, defenseSettingsToSearch, readDefenseSettings, toTrainingConfig, type DefenseSettings } from './defense-config.ts';

/** 'idle': no job; 'starting': waiting for the worker to load the data and accept the job; the rest are the job's states. */
export type RunStatus = 'idle' | 'starting' | JobState;
/** One chart point per read-back: the loss terms and the running training accuracy. */
export type LossPoint = NonNullable<TrainingProgress['losses']>;
/** One chart point per measurement on the test subset. */
export type EvalPoint = NonNullable<TrainingProgress['eval']>;

export class DefenseLab extends EngineLab<DefenseSettings> {
  settings = $state<DefenseSettings>(readDefenseSettings('').settings);
  protected readonly link = { read: readDefenseSettings, toSearch: defenseSettingsToSearch };

  runStatus = $state<RunStatus>('idle');
  /** The config of the run on screen. */
  runConfig = $state.raw<TrainingConfig | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<LossPoint[]>([]);
  evals = $state.raw<EvalPoint[]>([]);

  readonly canTrain = $derived(this.engineStatus === 'ready' && !this.alive(this.runStatus));
  readonly canPause = $derived(this.engineStatus === 'ready' && this.runStatus === 'running');
  readonly canResume = $derived(this.engineStatus === 'ready' && this.runStatus === 'paused');
  readonly canCancel = $derived(this.runStatus === 'running' || this.runStatus === 'paused');
  /** Settings are locked while a run is alive (Cancel unlocks them). */
  readonly settingsLocked = $derived(this.alive(this.runStatus));

  private jobId: number | null = null;

  /** Picks a defense with its paper knobs. */
  chooseDefense(defense: DefenseId): void {
    if (defense !== this.settings.defense) this.update({ defense, params: defenseDefaults(defense) });
  }

  setKnob(key: string, value: number): void {
    this.update({ params: { ...this.settings.params, [key]: value } });
  }

  setTraining(key: 'epochs' | 'batchSize' | 'trainImages', value: number): void {
    this.update({ [key]: value });
  }

  /** Forces a backend (undefined = automatic order) and restarts the engine on it. */
  async switchBackend(backend: BackendName | undefined): Promise<void> {
    this.update({ backend });
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

  /** Starts a fresh training run (the charts of the previous one are cleared). */
  async train(): Promise<void> {
    if (!this.canTrain || !this.client) return;
    await this.abandonRun();
    const token = this.runToken;
    const client = this.client;
    const config = toTrainingConfig(this.settings);
    this.runConfig = config;
    this.progress = null;
    this.losses = [];
    this.evals = [];
    this.dismiss('run');
    this.dismiss('job-failed');
    this.runStatus = 'starting';
    try {
      const id = await client.startTraining(config, (p) => {
        if (token === this.runToken) this.onProgress(p);
      });
      if (token !== this.runToken) {
        void client.cancel(id).catch(() => undefined); // abandoned while the worker was setting up
        return;
      }
      // A tiny run may already have ended; otherwise it runs.
      if (this.runStatus === 'starting') {
        this.jobId = id;
        this.runStatus = 'running';
      }
    } catch (e) {
      if (token !== this.runToken) return;
      this.runStatus = 'idle';
      if (!(e instanceof WorkerCrashedError)) this.report({ key: 'run', kind: 'error', title: 'Training could not start', detail: messageOf(e) });
    }
  }

  async pause(): Promise<void> {
    if (!this.canPause) return;
    this.runStatus = 'paused';
    await this.call((c, id) => c.pause(id), 'Could not pause the training');
  }

  async resume(): Promise<void> {
    if (!this.canResume) return;
    this.runStatus = 'running';
    await this.call((c, id) => c.resume(id), 'Could not resume the training');
  }

  /** Stops the run; its charts stay on screen (the worker's last progress says 'cancelled'). */
  async cancel(): Promise<void> {
    if (!this.canCancel) return;
    await this.call((c, id) => c.cancel(id), 'Could not cancel the training');
  }

  // ---------------------------------------------------------------------------------------------------------------

  private alive(s: RunStatus): boolean {
    return s === 'starting' || s === 'running' || s === 'paused';
  }

  private onProgress(p: TrainingProgress): void {
    if (p.state === 'failed') {
      this.runStatus = 'failed';
      this.jobId = null;
      // A GPU backend that failed (typically a lost device): offer the CPU's fast backend.
      const onGpu = this.info?.backend === 'webgpu' || this.info?.backend === 'webgl';
      this.report({
        key: 'job-failed', kind: 'error', title: `Training stopped at batch ${p.step}`,
        detail: p.error ?? 'the engine reported a failure without a message', switchTo: onGpu ? 'wasm' : undefined,
      });
      return;
    }
    this.progress = p;
    // Pause snapshots repeat the last read-back: only new ones become chart points.
    if (p.losses && p.losses.step > (this.losses.at(-1)?.step ?? -1)) this.losses = [...this.losses, p.losses];
    if (p.eval && p.eval.step > (this.evals.at(-1)?.step ?? -1)) this.evals = [...this.evals, p.eval];
    // Pause and resume are the page's decisions: only the end of a job comes from the worker.
    if (p.state === 'done' || p.state === 'cancelled') {
      this.runStatus = p.state;
      this.jobId = null;
    }
  }

  /** Cancels the current job (if any) and ignores everything it still sends. */
  private async abandonRun(): Promise<void> {
    this.runToken++;
    const id = this.jobId;
    this.jobId = null;
    if (this.alive(this.runStatus)) this.runStatus = 'cancelled';
    if (id !== null && this.client && !this.client.isCrashed) await this.client.cancel(id).catch(() => undefined);
  }

  protected onCrashed(e: WorkerCrashedError): void {
    this.runToken++;
    this.jobId = null;
    if (this.runStatus !== 'idle') this.runStatus = 'failed';
    this.report({
      key: 'crash', kind: 'error', title: 'The engine worker stopped unexpectedly',
      detail: `${e.message}. The browser may have run out of memory or lost the GPU; the training run was lost.`, retry: true,
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
