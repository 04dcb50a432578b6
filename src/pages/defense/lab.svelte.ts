// The defense lab's state and actions (Svelte 5 runes in a class). Training runs in the engine worker; this thread
// only starts, pauses and cancels the job and keeps what its progress messages say (histories in $state.raw,
// replaced, never mutated in place).
import { JobLab } from '../../ui/job-lab.svelte.ts';
import type { DefenseId, TrainingConfig, TrainingProgress } from '../../worker/protocol.ts';
import { DEFAULT_DATASET, datasetOf, defenseRunsOn, type Dataset, type DatasetId } from '../../worker/catalog.ts';
import {
  DEFAULT_DEFENSE_SETTINGS, DEFENSE_HIDEABLE, defenseSettingsToSearch, knobDefaults, readDefenseSettings, toTrainingConfig, trainingDefaults,
  type DefenseSettings, type TrainingKey,
} from './defense-config.ts';

/** One chart point per read-back: the loss terms and the running training accuracy. */
export type LossPoint = NonNullable<TrainingProgress['losses']>;
/** One chart point per measurement on the test subset. */
export type EvalPoint = NonNullable<TrainingProgress['eval']>;

export class DefenseLab extends JobLab<DefenseSettings> {
  protected override readonly workload = 'training' as const;
  settings = $state<DefenseSettings>(readDefenseSettings('').settings);
  protected readonly link = { read: readDefenseSettings, toSearch: defenseSettingsToSearch };
  protected override readonly hideable = DEFENSE_HIDEABLE;
  protected readonly jobName = 'the training';
  protected readonly crashLoss = 'the training run was lost';
  /** The config of the run on screen. */
  runConfig = $state.raw<TrainingConfig | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<LossPoint[]>([]);
  evals = $state.raw<EvalPoint[]>([]);

  readonly canTrain = $derived(this.engineStatus === 'ready' && !this.settingsLocked);

  /** The chosen data set's descriptor (classes, image side, its noun, the notice for faces of real people). */
  get dataset(): Dataset {
    return datasetOf(this.settings.dataset);
  }

  /** The data set of the run on screen (the settings may have moved on since it started). */
  get runDataset(): Dataset {
    return this.runConfig ? datasetOf(this.runConfig.dataset ?? DEFAULT_DATASET) : this.dataset;
  }

  /**
   * Switches the data set: its own training knobs (the faces are 160 images), and a defense that trains on it (the
   * current one where it does).
   */
  chooseDataset(dataset: DatasetId): void {
    if (dataset === this.settings.dataset || this.settingsLocked) return;
    const defense = defenseRunsOn(this.settings.defense, dataset) ? this.settings.defense : DEFAULT_DEFENSE_SETTINGS.defense;
    const next = { ...this.settings, dataset, defense };
    this.update({
      dataset, ...trainingDefaults(dataset),
      ...(defense !== this.settings.defense ? { defense, params: knobDefaults(next) } : {}),
    });
  }

  /** Picks a defense with its paper knobs (Trap-MID's alpha: the one the chosen injection needs). */
  chooseDefense(defense: DefenseId): void {
    if (!defenseRunsOn(defense, this.settings.dataset)) return; // the page offers it disabled, with the reason
    if (defense !== this.settings.defense) this.update({ defense, params: knobDefaults({ ...this.settings, defense }) });
  }

  /** Picks one of a setting's named modes. A new injection brings its own α along, unless α was set by hand. */
  chooseMode(key: 'naturalness' | 'injection' | 'dependence', value: string): void {
    const next = { ...this.settings, [key]: value } as DefenseSettings;
    if (key === 'injection' && this.settings.params.alpha === knobDefaults(this.settings).alpha) {
      next.params = { ...next.params, alpha: knobDefaults(next).alpha };
    }
    this.update(next);
  }

  setKnob(key: string, value: number): void {
    this.update({ params: { ...this.settings.params, [key]: value } });
  }

  setTraining(key: TrainingKey, value: number): void {
    this.update({ [key]: value });
  }

  /** Starts a fresh training run (the charts of the previous one are cleared). */
  async train(): Promise<void> {
    if (!this.canTrain) return;
    const config = toTrainingConfig(this.settings);
    await this.startJob<TrainingProgress>({
      reset: () => {
        this.runConfig = config;
        this.progress = null;
        this.losses = [];
        this.evals = [];
      },
      start: (client, onProgress) => client.startTraining(config, onProgress),
      onProgress: (p) => this.onProgress(p),
      failTitle: 'Training could not start',
    });
  }

  // ---------------------------------------------------------------------------------------------------------------

  private onProgress(p: TrainingProgress): void {
    if (p.state === 'failed') {
      this.failJob(`Training stopped at batch ${p.step}`, p.error);
      return;
    }
    this.progress = p;
    // Pause snapshots repeat the last read-back: only new ones become chart points.
    if (p.losses && p.losses.step > (this.losses.at(-1)?.step ?? -1)) this.losses = [...this.losses, p.losses];
    if (p.eval && p.eval.step > (this.evals.at(-1)?.step ?? -1)) this.evals = [...this.evals, p.eval];
    if (p.state === 'done' || p.state === 'cancelled') this.endJob(p.state);
  }
}
