// The benchmark page's state and actions (Svelte 5 runes in a class). The grid runs in the engine worker as one job;
// this thread starts, pauses and cancels it, keeps the cells as they arrive, and opens saved run records.
import { messageOf } from '../../ui/engine-lab.svelte.ts';
import { JobLab } from '../../ui/job-lab.svelte.ts';
import { ATTACKS, DEFAULT_DATASET, datasetOf, type Dataset, type DatasetId } from '../../worker/catalog.ts';
import { parseBenchmarkRecord, recordToCsv } from '../../worker/benchmark-record.ts';
import type {
  AttackId, BenchmarkCell, BenchmarkConfig, BenchmarkDefense, BenchmarkProgress, BenchmarkRecord,
} from '../../worker/protocol.ts';
import {
  BENCHMARK_HIDEABLE, benchmarkSettingsToSearch, defaultsFor, readBenchmarkSettings, reconcileDefenses, toBenchmarkConfig, type BenchmarkSettings,
} from './benchmark-config.ts';

/** What the table shows: the selection before a run, a run (live or finished), or a record opened from a file. */
export interface TableView {
  source: 'selection' | 'run' | 'file';
  config: BenchmarkConfig;
  /** The config's data set: image side, what a class is. */
  dataset: Dataset;
  defenses: BenchmarkDefense[];
  attacks: { id: AttackId; name: string }[];
  cells: BenchmarkCell[];
}

export class BenchmarkLab extends JobLab<BenchmarkSettings> {
  settings = $state<BenchmarkSettings>(readBenchmarkSettings('').settings);
  protected readonly link = { read: readBenchmarkSettings, toSearch: benchmarkSettingsToSearch };
  protected override readonly hideable = BENCHMARK_HIDEABLE;
  protected readonly jobName = 'the benchmark';
  protected readonly crashLoss = 'the cells finished so far stay on screen';
  progress = $state.raw<BenchmarkProgress | null>(null);
  /** The config of the run on screen, and its cells as they arrive. */
  runConfig = $state.raw<BenchmarkConfig | null>(null);
  cells = $state.raw<BenchmarkCell[]>([]);
  /** The finished run's record, or one opened from a file (then `openedFile` names it). */
  record = $state.raw<BenchmarkRecord | null>(null);
  openedFile = $state<string | null>(null);
  /** The cell whose reconstructions are open. */
  selected = $state<{ defense: string; attack: AttackId } | null>(null);

  /** The engine's targets of the chosen data set (the rows one can pick). */
  readonly targets = $derived(this.info?.models.filter((m) => m.role === 'target' && (m.dataset ?? DEFAULT_DATASET) === this.settings.dataset) ?? []);
  /** Every target of the engine, with its data set (to say which data set a target in a link belongs to). */
  private get allTargets() {
    return this.info?.models.filter((m) => m.role === 'target') ?? [];
  }
  /** The chosen data set's descriptor. */
  readonly dataset = $derived(datasetOf(this.settings.dataset));
  readonly canRun = $derived(this.engineStatus === 'ready' && !this.settingsLocked && this.settings.defenses.length > 0 && this.settings.attacks.length > 0);

  readonly view = $derived.by((): TableView => {
    const r = this.record;
    if (r) return { source: this.openedFile ? 'file' : 'run', config: r.config, dataset: datasetOf(r.config.dataset), defenses: r.defenses, attacks: r.attacks, cells: r.cells };
    const config = this.runConfig ?? toBenchmarkConfig(this.settings, this.targets.map((t) => t.id));
    return {
      source: this.runConfig ? 'run' : 'selection', config, dataset: datasetOf(config.dataset), cells: this.cells,
      defenses: config.defenses.map((id) => {
        const m = this.targets.find((t) => t.id === id);
        return { id, defense: m?.defense ?? '', testAccuracy: m?.testAccuracy ?? NaN, ...(m?.label ? { label: m.label } : {}) };
      }),
      attacks: config.attacks.map((id) => ({ id, name: ATTACKS.find((a) => a.id === id)!.name })),
    };
  });

  /** Once the engine is up: defenses in the link that are not targets here are dropped, with a notice. */
  protected override onReady(): void {
    const r = reconcileDefenses(this.settings.defenses, this.allTargets, this.settings.dataset);
    if (r.corrections.length || r.defenses.join() !== this.settings.defenses.join()) {
      this.urlCorrections = [...this.urlCorrections, ...r.corrections];
      this.update({ defenses: r.defenses });
    }
  }

  /**
   * Switches the data set: its own default rows and columns (those it has), the papers' knowledge setting; the table
   * of a previous run or an opened record is cleared (its rows belong to the other data set).
   */
  chooseDataset(dataset: DatasetId): void {
    if (dataset === this.settings.dataset || this.settingsLocked) return;
    const d = defaultsFor(dataset);
    this.clearTable();
    this.update({ dataset, defenses: d.defenses, attacks: d.attacks, knowledge: d.knowledge });
    if (this.info) this.update({ defenses: reconcileDefenses(d.defenses, this.allTargets, dataset).defenses });
  }

  toggle(kind: 'defenses' | 'attacks', id: string, on: boolean): void {
    const now = this.settings[kind] as string[];
    const next = on ? [...now.filter((x) => x !== id), id] : now.filter((x) => x !== id);
    this.update({ [kind]: next } as Partial<BenchmarkSettings>);
  }

  /** Runs the selected grid (the table of the previous run or file is cleared). */
  async run(): Promise<void> {
    if (!this.canRun) return;
    const config = toBenchmarkConfig(this.settings, this.targets.map((t) => t.id));
    const started = await this.startJob<BenchmarkProgress>({
      reset: () => {
        this.clearTable();
        this.runConfig = config;
      },
      start: (client, onProgress) => client.startBenchmark(config, onProgress),
      onProgress: (p) => this.onProgress(p),
      failTitle: 'The benchmark could not start',
    });
    if (started === 'failed') this.runConfig = null;
  }

  select(defense: string, attack: AttackId): void {
    this.selected = this.selected?.defense === defense && this.selected.attack === attack ? null : { defense, attack };
  }

  /** The table as CSV and the whole record as JSON (null while there is no finished run or opened file). */
  exportCsv(): string | null {
    return this.record ? recordToCsv(this.record) : null;
  }

  exportJson(): string | null {
    return this.record ? JSON.stringify(this.record, null, 1) : null;
  }

  /** Opens a saved run record: its table, and its selection (written to the URL). */
  async open(file: File): Promise<void> {
    let record: BenchmarkRecord;
    try {
      record = parseBenchmarkRecord(await file.text());
    } catch (e) {
      this.report({ key: 'open', kind: 'error', title: `${file.name} could not be opened`, detail: messageOf(e) });
      return;
    }
    this.dismiss('open');
    await this.abandonRun();
    this.clearTable();
    this.record = record;
    this.openedFile = file.name;
    const c = record.config;
    const refPerDigit = c.referencePerDigit ?? record.reference.perDigit;
    this.update({
      dataset: datasetOf(c.dataset).id, defenses: [...c.defenses], attacks: [...c.attacks], seeds: [...c.seeds], budget: c.budget, knowledge: c.knowledge, steps: c.steps,
      ...(refPerDigit ? { referencePerDigit: refPerDigit } : {}),
      outputDefense: c.outputDefense ?? 'none', queryBudget: c.queryBudget ?? 0,
    });
    // A record's cells may not match this engine's targets; only the selection is reconciled with them.
    if (this.engineStatus === 'ready') {
      const r = reconcileDefenses(this.settings.defenses, this.allTargets, this.settings.dataset);
      this.settings = { ...this.settings, defenses: r.defenses };
      this.writeUrl();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private clearTable(): void {
    this.record = null;
    this.openedFile = null;
    this.runConfig = null;
    this.progress = null;
    this.cells = [];
    this.selected = null;
  }

  private onProgress(p: BenchmarkProgress): void {
    this.progress = p;
    if (p.cells.length) this.cells = [...this.cells, ...p.cells];
    if (p.state === 'failed') {
      if (p.record) this.record = p.record;
      this.failJob(`The benchmark stopped after ${p.cellsDone} of ${p.cellsTotal} cells`, p.error);
      return;
    }
    if (p.state === 'done' || p.state === 'cancelled') {
      this.endJob(p.state);
      if (p.record) this.record = p.record;
    }
  }
}
