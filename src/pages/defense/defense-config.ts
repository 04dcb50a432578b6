// The defense lab's settings: one typed table, read from and written to the URL in one place (the seed included, so
// a link reproduces the run). Every value is validated and clamped on read; a bad URL only produces corrections to
// show. The defenses and their knobs come from the worker's catalog; the number checks are the attack lab's.
//   ?dataset=mnist|faces   &defense=none|mid|bido|negls|label-smoothing|dp-sgd|tl-dmi|trap-mid|trap-mid-negls   &<knob>=…   &naturalness=balanced|paper|none   &injection=blend|ink|stroke|warp|ted
//   &dependence=hsic|coco
//   &epochs=N &batch=N &images=N &seed=N &backend=webgpu|webgl|wasm|cpu
import {
  DATASET_IDS, DEFAULT_DATASET, DEFENSES, DEPENDENCE_MODES, INJECTION_MODES, NATURALNESS_MODES, datasetOf, defenseDatasetProblem, defenseInfo,
  isDatasetId, isTrapMid, trainingKnobs, type DatasetId, type DefenseId, type Dependence, type Injection, type KnobSpec, type NaturalnessMode,
} from '../../worker/catalog.ts';
import type { BackendName, TrainingConfig } from '../../worker/protocol.ts';
import { BACKENDS, SEED_SPEC, coerceNumber, isBackend } from '../attack/url-config.ts';
import type { HideableControls } from '../../ui/hide-link.ts';

export interface DefenseSettings {
  /** The data set the classifier learns (MNIST digits or Olivetti faces): it decides the defenses and the training knobs. */
  dataset: DatasetId;
  defense: DefenseId;
  /** The chosen defense's knobs (catalog keys), each within the catalog's bounds. */
  params: Record<string, number>;
  /** Trap-MID (and Trap-MID + NegLS) only. */
  naturalness: NaturalnessMode;
  /** Trap-MID (and Trap-MID + NegLS) only: how a trigger goes into an image. */
  injection: Injection;
  /** BiDO only. */
  dependence: Dependence;
  epochs: number;
  batchSize: number;
  trainImages: number;
  seed: number;
  /** Forced backend (the others stay as fallbacks); undefined = automatic order. */
  backend?: BackendName;
}

export { SEED_SPEC };

/** URL names of the training knobs (catalog key -> parameter). */
export const TRAINING_PARAMS: Record<string, string> = { epochs: 'epochs', batchSize: 'batch', trainImages: 'images' };
export type TrainingKey = 'epochs' | 'batchSize' | 'trainImages';
export const TRAINING_KEYS: readonly TrainingKey[] = ['epochs', 'batchSize', 'trainImages'];
/** A training knob of a data set (its own bounds and default: the faces are 160 images, MNIST 30,596). */
export const trainingKnob = (key: string, dataset: DatasetId = DEFAULT_DATASET): KnobSpec => trainingKnobs(dataset).find((k) => k.key === key)!;

/** The training knobs' defaults on a data set. */
export function trainingDefaults(dataset: DatasetId): Pick<DefenseSettings, TrainingKey> {
  const d = (key: TrainingKey) => trainingKnob(key, dataset).default;
  return { epochs: d('epochs'), batchSize: d('batchSize'), trainImages: d('trainImages') };
}

/** Every knob of a defense at its default (the paper's value). */
export function defenseDefaults(id: DefenseId): Record<string, number> {
  return Object.fromEntries(defenseInfo(id).knobs.map((k) => [k.key, k.default]));
}

export const DEFAULT_DEFENSE_SETTINGS: DefenseSettings = {
  dataset: DEFAULT_DATASET,
  defense: 'trap-mid',
  params: defenseDefaults('trap-mid'),
  naturalness: NATURALNESS_MODES[0].value,
  injection: INJECTION_MODES[0].value,
  dependence: DEPENDENCE_MODES[0].value,
  ...trainingDefaults(DEFAULT_DATASET),
  seed: SEED_SPEC.default,
};

/** The knob values a link can leave out: the defense's defaults, with Trap-MID's alpha the one its injection needs. */
export function knobDefaults(s: DefenseSettings): Record<string, number> {
  const defaults = defenseDefaults(s.defense);
  if (isTrapMid(s.defense)) defaults.alpha = INJECTION_MODES.find((m) => m.value === s.injection)!.alpha;
  return defaults;
}

/** Reads the settings from a query string. Unknown parameters are ignored; bad values are corrected and reported. */
export function readDefenseSettings(search: string): { settings: DefenseSettings; corrections: string[] } {
  const q = new URLSearchParams(search);
  const s: DefenseSettings = { ...DEFAULT_DEFENSE_SETTINGS };
  const corrections: string[] = [];
  // The data set first: it decides which defenses train and the training knobs' bounds.
  const dataset = q.get('dataset');
  if (dataset !== null) {
    if (isDatasetId(dataset)) s.dataset = dataset;
    else corrections.push(`Data set "${dataset}" is unknown (use ${DATASET_IDS.join(', ')}); using ${s.dataset}`);
  }
  Object.assign(s, trainingDefaults(s.dataset));
  const defense = q.get('defense');
  if (defense !== null) {
    if (DEFENSES.some((d) => d.id === defense)) s.defense = defense as DefenseId;
    else corrections.push(`Defense "${defense}" is unknown (use ${DEFENSES.map((d) => d.id).join(', ')}); using ${s.defense}`);
  }
  const problem = defenseDatasetProblem(s.defense, s.dataset);
  if (problem) {
    const fallback = DEFAULT_DEFENSE_SETTINGS.defense;
    corrections.push(`${defenseInfo(s.defense).name} does not train on the ${datasetOf(s.dataset).title} (${problem}); using ${defenseInfo(fallback).name}`);
    s.defense = fallback;
  }
  const info = defenseInfo(s.defense);
  s.params = defenseDefaults(s.defense);
  for (const knob of info.knobs) {
    const raw = q.get(knob.key);
    if (raw === null) continue;
    const c = coerceNumber(knob, raw);
    s.params[knob.key] = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  // A knob of another defense is most likely a link edited by hand: say it is ignored rather than drop it silently.
  for (const other of DEFENSES) {
    for (const knob of other.knobs) {
      if (q.has(knob.key) && !info.knobs.some((k) => k.key === knob.key)) corrections.push(`${knob.label} (${knob.key}) is not a setting of ${info.name}; ignored`);
    }
  }
  const naturalness = q.get('naturalness');
  if (naturalness !== null) {
    if (!isTrapMid(s.defense)) corrections.push(`Naturalness is a setting of Trap-MID only; ignored`);
    else if (NATURALNESS_MODES.some((m) => m.value === naturalness)) s.naturalness = naturalness as NaturalnessMode;
    else corrections.push(`Naturalness "${naturalness}" is unknown (use ${NATURALNESS_MODES.map((m) => m.value).join(', ')}); using ${s.naturalness}`);
  }
  const injection = q.get('injection');
  if (injection !== null) {
    if (!isTrapMid(s.defense)) corrections.push(`Injection is a setting of Trap-MID only; ignored`);
    else if (INJECTION_MODES.some((m) => m.value === injection)) s.injection = injection as Injection;
    else corrections.push(`Injection "${injection}" is unknown (use ${INJECTION_MODES.map((m) => m.value).join(', ')}); using ${s.injection}`);
    // Without its own alpha, a link's injection comes with the strength it needs.
    if (isTrapMid(s.defense) && q.get('alpha') === null) s.params.alpha = knobDefaults(s).alpha;
  }
  const dependence = q.get('dependence');
  if (dependence !== null) {
    if (s.defense !== 'bido') corrections.push(`Dependence is a setting of BiDO only; ignored`);
    else if (DEPENDENCE_MODES.some((m) => m.value === dependence)) s.dependence = dependence as Dependence;
    else corrections.push(`Dependence "${dependence}" is unknown (use ${DEPENDENCE_MODES.map((m) => m.value).join(', ')}); using ${s.dependence}`);
  }
  for (const knob of trainingKnobs(s.dataset)) {
    const raw = q.get(TRAINING_PARAMS[knob.key]);
    if (raw === null) continue;
    const c = coerceNumber(knob, raw);
    Object.assign(s, { [knob.key]: c.value });
    if (c.correction) corrections.push(c.correction);
  }
  const seed = q.get('seed');
  if (seed !== null) {
    const c = coerceNumber(SEED_SPEC, seed);
    s.seed = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  const backend = q.get('backend');
  if (backend !== null && backend !== '' && backend !== 'auto') {
    const b = backend.toLowerCase();
    if (isBackend(b)) s.backend = b;
    else corrections.push(`Backend "${backend}" is unknown (use ${BACKENDS.join(', ')}); choosing one automatically`);
  }
  return { settings: s, corrections };
}

/** The query string for `s`: only what applies to the chosen defense and differs from the defaults, so links stay short. */
export function defenseSettingsToSearch(s: DefenseSettings): string {
  const q = new URLSearchParams();
  if (s.dataset !== DEFAULT_DEFENSE_SETTINGS.dataset) q.set('dataset', s.dataset);
  if (s.defense !== DEFAULT_DEFENSE_SETTINGS.defense) q.set('defense', s.defense);
  const defaults = knobDefaults(s);
  for (const knob of defenseInfo(s.defense).knobs) {
    if (s.params[knob.key] !== undefined && s.params[knob.key] !== defaults[knob.key]) q.set(knob.key, String(s.params[knob.key]));
  }
  if (isTrapMid(s.defense) && s.naturalness !== DEFAULT_DEFENSE_SETTINGS.naturalness) q.set('naturalness', s.naturalness);
  if (isTrapMid(s.defense) && s.injection !== DEFAULT_DEFENSE_SETTINGS.injection) q.set('injection', s.injection);
  if (s.defense === 'bido' && s.dependence !== DEFAULT_DEFENSE_SETTINGS.dependence) q.set('dependence', s.dependence);
  for (const knob of trainingKnobs(s.dataset)) {
    const v = s[knob.key as keyof DefenseSettings];
    if (v !== knob.default) q.set(TRAINING_PARAMS[knob.key], String(v));
  }
  if (s.seed !== SEED_SPEC.default) q.set('seed', String(s.seed));
  if (s.backend) q.set('backend', s.backend);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The settings a teacher's link can hide (by URL parameter name), besides the defenses' knobs. */
const HIDEABLE_SETTINGS = ['dataset', 'defense', 'naturalness', 'injection', 'dependence', ...Object.values(TRAINING_PARAMS), 'seed', 'backend'];
/** Controls a teacher's link can hide (`hide=defense,seed`): those, and every defense's knobs (one link, several defenses). */
export const DEFENSE_HIDEABLE: HideableControls = {
  names: [...new Set([...HIDEABLE_SETTINGS, ...DEFENSES.flatMap((d) => d.knobs.map((k) => k.key))])],
  hint: `${HIDEABLE_SETTINGS.join(', ')} or a knob's name in the link, such as ${defenseInfo(DEFAULT_DEFENSE_SETTINGS.defense).knobs[0].key}`,
};

/** The worker's training config for these settings. */
export function toTrainingConfig(s: DefenseSettings): TrainingConfig {
  return {
    // Absent for MNIST: the config (and the kept model's record) stays what it was before the faces came.
    ...(s.dataset !== DEFAULT_DATASET ? { dataset: s.dataset } : {}),
    defense: s.defense, params: { ...defenseDefaults(s.defense), ...s.params }, epochs: s.epochs, batchSize: s.batchSize,
    trainImages: s.trainImages, seed: s.seed, ...(isTrapMid(s.defense) ? { naturalness: s.naturalness, injection: s.injection } : {}),
    ...(s.defense === 'bido' ? { dependence: s.dependence } : {}),
  };
}
