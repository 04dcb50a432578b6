// The attack lab's state and actions (Svelte 5 runes in a class). It talks to the engine worker only through the
// EngineClient; pixel buffers and histories are kept in $state.raw and replaced, never mutated in place.
import { WorkerCrashedError } from '../../ui/engine-client.ts';
import { EngineLab, messageOf } from '../../ui/engine-lab.svelte.ts';
import { UPLOADED_MODEL_ID, queryBudgetStop, type AttackConfig, type AttackId, type AttackSnapshot, type BackendName, type EngineInfo, type JobState, type PrivateSamples, type TrapdoorReference, type UploadedModelInfo } from '../../worker/protocol.ts';
import { DEFAULT_DATASET, DEFAULT_TARGET, attackInfo, datasetOf, knobValues, runsOn, type Dataset, type DatasetId } from '../../worker/catalog.ts';
import { buildAttackRecord, parseAttackRecord, snapshotOfRecord, type AttackRecord } from '../../worker/attack-record.ts';
import { ATTACK_HIDEABLE, readSettings, settingsFromConfig, settingsToSearch, toAttackConfig, type LabSettings } from './url-config.ts';
import { DigitProbe } from './probe.svelte.ts';

/** 'idle': no job; 'starting': waiting for the worker to accept one; the rest are the worker's job states. */
export type RunStatus = 'idle' | 'starting' | JobState;

/** One chart point per snapshot. */
export interface HistoryPoint {
  step: number;
  meanLoss: number;
  confidence: number[];
  /** Mean identity and prior terms, for attacks that report them. */
  terms?: { identity: number; prior: number };
  /** BREP-MI: sphere radius per attacked digit. */
  radius?: number[];
}

/** Restarting a crashed worker at most this often in CRASH_WINDOW_MS; then the page asks the user. */
const MAX_AUTO_RESTARTS = 2;
const CRASH_WINDOW_MS = 60_000;

export class AttackLab extends EngineLab<LabSettings> {
  settings = $state<LabSettings>(readSettings('').settings);
  protected readonly link = { read: readSettings, toSearch: settingsToSearch };
  protected override readonly hideable = ATTACK_HIDEABLE;
  samples = $state.raw<PrivateSamples | null>(null);
  /** Trapdoor detection reference of the current target (Trap-MID targets only). */
  trapdoor = $state.raw<TrapdoorReference | null>(null);

  runStatus = $state<RunStatus>('idle');
  snapshot = $state.raw<AttackSnapshot | null>(null);
  history = $state.raw<HistoryPoint[]>([]);
  /** A Step request is on its way to the worker. */
  stepping = $state(false);
  /** The user's own target, once the worker accepted it (it lives in the worker: a new worker has none). */
  uploaded = $state.raw<UploadedModelInfo | null>(null);
  /** Files of an own target are on their way to the worker. */
  uploading = $state(false);
  /** The run record the reconstructions come from when they were opened from a file (not run here). */
  opened = $state.raw<{ fileName: string; record: AttackRecord } | null>(null);
  /** "Probe a digit": the user's own image and the current target's answer. */
  readonly probe = new DigitProbe({
    client: () => (this.engineStatus === 'ready' ? this.client : undefined),
    side: () => this.dataset.side,
    targetId: () => this.settings.targetId,
    onError: (title, detail) => this.report({ key: 'probe', kind: 'error', title, detail }),
  });

  readonly canRun = $derived(this.engineStatus === 'ready' && (this.runStatus !== 'running' && this.runStatus !== 'starting'));
  readonly canPause = $derived(this.engineStatus === 'ready' && this.runStatus === 'running');
  readonly canStep = $derived(this.engineStatus === 'ready' && !this.stepping && this.runStatus !== 'running' && this.runStatus !== 'starting');
  readonly canReset = $derived(this.runStatus !== 'idle' || this.snapshot !== null);
  /** Something to export: kept reconstructions of a run (or of an opened record). */
  readonly canExport = $derived((this.snapshot?.classes.length ?? 0) > 0);
  /** Settings are locked while a run is alive (Reset unlocks them). */
  readonly settingsLocked = $derived(this.runStatus === 'running' || this.runStatus === 'paused' || this.runStatus === 'starting');

  private jobId: number | null = null;
  /** The config of the run on show (the settings may have changed since it ran). */
  private runConfig = $state.raw<AttackConfig | null>(null);
  /** The query budget of the run on show, if it has one. */
  readonly queryBudget = $derived(this.runConfig && 'queryBudget' in this.runConfig ? this.runConfig.queryBudget ?? null : null);
  /** The query budget the run on show stopped at (its queries reached it), or null. */
  readonly budgetStop = $derived(queryBudgetStop(this.runConfig, this.snapshot));
  private crashTimes: number[] = [];

  /** The targets the engine knows of the chosen data set. */
  get targets(): EngineInfo['models'] {
    return this.info?.models.filter((m) => m.role === 'target' && (m.dataset ?? DEFAULT_DATASET) === this.settings.dataset) ?? [];
  }

  /** The data set's descriptor (classes, image size, the notice for faces of real people). */
  get dataset(): Dataset {
    return datasetOf(this.settings.dataset);
  }

  /**
   * Switches the data set: its default target, an attack that runs on it (the current one where it does), and its own
   * real examples beside the reconstructions.
   */
  async chooseDataset(dataset: DatasetId): Promise<void> {
    if (dataset === this.settings.dataset) return;
    await this.reset();
    const attack = runsOn(this.settings.attack, dataset) ? this.settings.attack : 'mi-face';
    this.update({
      dataset, targetId: DEFAULT_TARGET[dataset], knowledge: 'disjoint',
      // The knobs start from the new data set's defaults (a face needs other priors than a digit).
      attack, params: knobValues(attack, 'browser', dataset),
    });
    if (this.info) this.keepKnownTarget(this.info);
    this.samples = null;
    void this.loadSamples();
    void this.probe.refresh();
    await this.loadTrapdoor();
  }

  /** Picks an attack with its browser-budget knobs; the view of the previous attack's run is cleared. */
  async chooseAttack(attack: AttackId): Promise<void> {
    if (attack === this.settings.attack) return;
    await this.reset();
    this.update({ attack, params: knobValues(attack, 'browser', this.settings.dataset) });
  }

  setKnob(key: string, value: number): void {
    this.update({ params: { ...this.settings.params, [key]: value } });
  }

  /** Every knob to the paper's value or back to the browser budget (MI-Face: the paper starts from a blank image). */
  applyPreset(budget: 'paper' | 'browser'): void {
    const attack = this.settings.attack;
    // A defense's setting among the knobs (the split attack's noise) is not part of the attack's budget: it stays.
    const kept = Object.fromEntries(attackInfo(attack).knobs.filter((k) => k.defense).map((k) => [k.key, this.settings.params[k.key]]));
    this.update({ params: { ...knobValues(attack, budget, this.settings.dataset), ...kept }, ...(attack === 'mi-face' ? { init: budget === 'paper' ? 'zeros' : 'noise' } : {}) });
  }

  /** Picks the attacked model (settings are unlocked: no run is alive). */
  async chooseTarget(targetId: string): Promise<void> {
    await this.reset();
    this.update({ targetId });
    void this.probe.refresh();
    await this.loadTrapdoor();
  }

  /**
   * Sends the user's own model (model.json and its .bin files) to the worker, which checks and keeps it; once
   * accepted it becomes the target. Files the worker refuses only add a message saying why: nothing else changes.
   */
  async uploadModel(files: File[]): Promise<void> {
    const client = this.client;
    if (!client || this.engineStatus !== 'ready' || this.settingsLocked || !files.length) return;
    const token = this.initToken;
    this.uploading = true;
    try {
      const read = await Promise.all(files.map(async (f) => ({ name: f.name, data: await f.arrayBuffer() })));
      const { uploaded, models } = await client.loadUploadedModel(read);
      if (token !== this.initToken || !this.info) return;
      this.uploaded = uploaded;
      this.info = { ...this.info, models };
      this.dismiss('upload');
      await this.chooseTarget(uploaded.id);
    } catch (e) {
      if (token !== this.initToken || e instanceof WorkerCrashedError) return;
      this.report({ key: 'upload', kind: 'error', title: `${files.map((f) => f.name).join(', ')}: not loaded as a target`, detail: messageOf(e) });
    } finally {
      this.uploading = false;
    }
  }

  /** The run on show as a record (an opened one as it was read), or null when there is nothing to export. */
  exportRecord(): AttackRecord | null {
    if (this.opened) return this.opened.record;
    if (!this.snapshot || !this.runConfig || !this.info) return null;
    return buildAttackRecord(this.snapshot, this.runConfig, this.info);
  }

  /**
   * Opens a saved run record: its reconstructions and figures replace the view, and its settings the page's (in the
   * URL; the backend stays). A file that is not a record only adds a message: nothing on the page changes.
   */
  async open(file: File): Promise<void> {
    let record: AttackRecord;
    try {
      record = parseAttackRecord(await file.text());
    } catch (e) {
      this.report({ key: 'open', kind: 'error', title: `${file.name} could not be opened`, detail: messageOf(e) });
      return;
    }
    this.dismiss('open');
    await this.reset();
    const recordTarget = this.info?.models.find((m) => m.id === record.config.targetId);
    const before = this.settings.dataset;
    this.update(settingsFromConfig(record.config, this.settings, recordTarget?.dataset ?? DEFAULT_DATASET));
    if (this.settings.dataset !== before) { this.samples = null; void this.loadSamples(); }
    if (this.info) this.keepKnownTarget(this.info);
    this.snapshot = snapshotOfRecord(record);
    this.runConfig = record.config;
    this.opened = { fileName: file.name, record };
    void this.probe.refresh();
    await this.loadTrapdoor();
  }

  /** Forces a backend (undefined = automatic order) and restarts the engine on it (the same worker, or a fresh one if it died). */
  async switchBackend(backend: BackendName | undefined): Promise<void> {
    this.update({ backend });
    this.dismiss('job-failed');
    await this.abandonRun();
    this.clearView();
    await this.initEngine();
  }

  /** A fresh worker (after a crash, or when the page asks). */
  async restartEngine(): Promise<void> {
    this.crashTimes = [];
    this.dismiss('crash');
    await this.abandonRun();
    this.boot();
  }

  async run(): Promise<void> {
    if (!this.canRun || !this.client) return;
    if (this.runStatus === 'paused' && this.jobId !== null) {
      this.runStatus = 'running';
      await this.call(() => this.client!.resume(this.jobId!), 'run', 'Could not resume the attack');
      return;
    }
    await this.startJob(false);
  }

  async pause(): Promise<void> {
    if (!this.canPause || !this.client || this.jobId === null) return;
    this.runStatus = 'paused';
    await this.call(() => this.client!.pause(this.jobId!), 'run', 'Could not pause the attack');
  }

  async step(): Promise<void> {
    if (!this.canStep || !this.client) return;
    this.stepping = true;
    try {
      if (this.runStatus !== 'paused' || this.jobId === null) {
        if (!(await this.startJob(true))) return;
      }
      const token = this.runToken;
      await this.call(() => this.client!.step(this.jobId!), 'run', 'The step failed');
      if (token !== this.runToken) return;
    } finally {
      this.stepping = false;
    }
  }

  /** Cancels the run and clears the reconstructions and charts. */
  async reset(): Promise<void> {
    this.stepping = false;
    await this.abandonRun();
    this.clearView();
    this.dismiss('run');
    this.dismiss('job-failed');
  }

  /**
   * Cancels the run (if one is alive) but keeps its last reconstructions and charts on show, as 'cancelled' (Run
   * starts a fresh one): a page that stops a run it no longer shows (the guided tour leaving a step).
   */
  async stop(): Promise<void> {
    if (this.runStatus !== 'running' && this.runStatus !== 'paused' && this.runStatus !== 'starting') return;
    this.stepping = false;
    const cancelled = this.abandonRun();
    if (this.snapshot) this.runStatus = 'cancelled';
    await cancelled;
  }

  /**
   * Leaves the engine: the run alive (if any) is cancelled first, since a shared worker (the embedded elements') goes
   * on without this lab.
   */
  override dispose(): void {
    const client = this.client, id = this.jobId;
    this.jobId = null;
    this.stepping = false;
    if (id !== null && client && !client.isCrashed) void client.cancel(id).catch(() => undefined);
    super.dispose();
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Once the engine is up: a target the link names that is not shipped is replaced, with a notice; then the trapdoor reference and the private digits. */
  protected override onReady(info: EngineInfo): void {
    if (!info.models.some((m) => m.id === UPLOADED_MODEL_ID)) this.uploaded = null;
    this.keepKnownTarget(info);
    void this.loadTrapdoor();
    void this.probe.refresh();
    if (!this.samples) void this.loadSamples();
  }

  /** A target the settings name that this engine lacks (a link, a record) is replaced by a shipped one, with a notice. */
  private keepKnownTarget(info: EngineInfo): void {
    const mine = info.models.filter((m) => m.role === 'target' && (m.dataset ?? DEFAULT_DATASET) === this.settings.dataset);
    if (mine.some((m) => m.id === this.settings.targetId)) return;
    const fallback = mine.find((m) => m.id === DEFAULT_TARGET[this.settings.dataset])?.id ?? mine[0]?.id ?? this.settings.targetId;
    // An own model lives only in the page that loaded it (and its worker): a link or a reload cannot bring it back.
    const why = this.settings.targetId === UPLOADED_MODEL_ID
      ? 'Your own model is not loaded in this page (load it again with "Load your own model…")'
      : info.models.some((m) => m.id === this.settings.targetId && m.role === 'target')
        ? `Target "${this.settings.targetId}" is not one of the ${this.dataset.title}`
        : `There is no target "${this.settings.targetId}"`;
    this.urlCorrections = [...this.urlCorrections, `${why}; using ${fallback}`];
    this.update({ targetId: fallback });
  }

  /** No reconstructions, charts or opened record on show. */
  private clearView(): void {
    this.snapshot = null;
    this.history = [];
    this.opened = null;
    this.runConfig = null;
  }

  /** The real private digits shown beside the reconstructions (loaded once). */
  private async loadSamples(): Promise<void> {
    const token = this.initToken, dataset = this.settings.dataset;
    try {
      const samples = await this.client!.privateSamples(dataset);
      if (token === this.initToken && dataset === this.settings.dataset) this.samples = samples;
    } catch (e) {
      if (token !== this.initToken || e instanceof WorkerCrashedError) return;
      this.report({ key: 'samples', kind: 'warning', title: `The real private ${this.dataset.noun === 'digit' ? 'digits' : 'faces'} could not be loaded`, detail: messageOf(e) });
    }
  }

  /** Fetches the detection reference when the target carries a trapdoor (the worker builds it once). */
  private async loadTrapdoor(): Promise<void> {
    const id = this.settings.targetId;
    const hasTrapdoor = this.targets.find((m) => m.id === id)?.trapdoor;
    if (this.trapdoor?.targetId !== id) this.trapdoor = null;
    if (!hasTrapdoor || !this.client || this.trapdoor) return;
    const token = this.initToken;
    try {
      const ref = await this.client.trapdoorReference(id);
      if (token === this.initToken && this.settings.targetId === id) this.trapdoor = ref;
    } catch (e) {
      if (e instanceof WorkerCrashedError) return;
      this.report({ key: 'trapdoor', kind: 'warning', title: 'Trapdoor detection is unavailable for this target', detail: messageOf(e) });
    }
  }

  /** Starts a new job; resolves true once the worker accepted it. */
  private async startJob(paused: boolean): Promise<boolean> {
    await this.abandonRun();
    const token = this.runToken;
    this.clearView();
    this.dismiss('run');
    this.dismiss('job-failed');
    this.runStatus = 'starting';
    const client = this.client!;
    const config = toAttackConfig(this.settings);
    this.runConfig = config;
    try {
      const id = await client.startAttack(config, (s) => {
        if (token === this.runToken) this.onSnapshot(s);
      }, paused);
      if (token !== this.runToken) {
        // Reset while the job was being set up: stop it.
        void client.cancel(id).catch(() => undefined);
        return false;
      }
      // A snapshot may already have ended the job (a one-step run); otherwise it runs or waits.
      if (this.runStatus === 'starting') {
        this.jobId = id;
        this.runStatus = paused ? 'paused' : 'running';
      }
      return true;
    } catch (e) {
      if (token !== this.runToken) return false;
      this.runStatus = 'idle';
      if (!(e instanceof WorkerCrashedError)) {
        // A GAN prior that is not shipped (yet) is the likely failure of a new attack: say what to do about it.
        const detail = messageOf(e) + (/no GAN prior/.test(messageOf(e)) ? '. This attack needs that GAN prior; pick another attack, target or attacker knowledge.' : '');
        this.report({ key: 'run', kind: 'error', title: 'The attack could not start', detail });
      }
      return false;
    }
  }

  private onSnapshot(s: AttackSnapshot): void {
    if (this.jobId === null) this.jobId = s.jobId;
    if (s.state === 'failed') {
      this.runStatus = 'failed';
      this.jobId = null;
      // A GPU backend that failed (typically a lost device): offer the CPU's fast backend.
      const onGpu = this.info?.backend === 'webgpu' || this.info?.backend === 'webgl';
      this.report({
        key: 'job-failed', kind: 'error', title: `The attack stopped at step ${s.step}`,
        detail: s.error ?? 'the engine reported a failure without a message',
        switchTo: onGpu ? 'wasm' : undefined,
      });
      return;
    }
    this.snapshot = s;
    const n = s.loss.length;
    const meanLoss = n ? s.loss.reduce((a, b) => a + b, 0) / n : NaN;
    const last = this.history[this.history.length - 1];
    const point = { step: s.step, meanLoss, confidence: [...s.targetConfidence], terms: s.terms, radius: s.radius };
    // A manual step can report a step already shown; replace it rather than draw a backwards line.
    this.history = last && last.step >= s.step ? [...this.history.filter((p) => p.step < s.step), point] : [...this.history, point];
    // Pause/resume are the page's decisions: only the end of a job comes from the worker.
    if (s.state === 'done' || s.state === 'cancelled') {
      this.runStatus = s.state;
      this.jobId = null;
    }
  }

  /** Cancels the current job (if any) and ignores everything it still sends. */
  private async abandonRun(): Promise<void> {
    this.runToken++;
    const id = this.jobId;
    this.jobId = null;
    this.runStatus = 'idle';
    if (id !== null && this.client && !this.client.isCrashed) {
      await this.client.cancel(id).catch(() => undefined);
    }
  }

  /** Restarts a crashed worker by itself, unless it keeps crashing: then the page offers the restart. */
  protected onCrashed(e: WorkerCrashedError): void {
    this.runToken++;
    this.jobId = null;
    this.stepping = false;
    if (this.runStatus !== 'idle') this.runStatus = 'failed';
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashTimes.length > MAX_AUTO_RESTARTS) {
      this.report({
        key: 'crash', kind: 'error', title: 'The engine worker keeps crashing',
        detail: `${e.message}. Try another backend, or restart the engine.`, retry: true,
      });
      return;
    }
    this.report({
      key: 'crash', kind: 'warning', title: 'The engine worker crashed and was restarted',
      detail: `${e.message}. The current run was lost; press Run to start again.`,
    });
    this.boot();
  }

  private async call(f: () => Promise<void>, key: string, title: string): Promise<void> {
    try {
      await f();
    } catch (e) {
      if (e instanceof WorkerCrashedError) return;
      this.report({ key, kind: 'error', title, detail: messageOf(e) });
    }
  }
}
