// The attack lab's settings: one typed table, read from and written to the URL in one place (the seed included, so
// a shared link reproduces the run). Every value is validated and clamped on read; a bad URL never breaks the page,
// it only produces a list of corrections to show. The attacks and their knobs come from the worker's catalog.
import { DEFAULT_MI_FACE, QUERY_BUDGET_MAX, type AttackConfig, type AttackId, type BackendName, type Knowledge } from '../../worker/protocol.ts';
import {
  ATTACKS, DATASET_IDS, DEFAULT_DATASET, DEFAULT_TARGET, KNOWLEDGE_INFO, OUTPUT_DEFENSES, attackInfo, datasetOf, knobValues, runsOn, type DatasetId, type KnobSpec,
} from '../../worker/catalog.ts';
import type { HideableControls } from '../../ui/hide-link.ts';

export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface LabSettings {
  /** The data set whose targets are attacked (MNIST digits or Olivetti faces). */
  dataset: DatasetId;
  attack: AttackId;
  /** The attacked model (a shipped target's id; checked against the manifest once the engine is up). */
  targetId: string;
  seed: number;
  /** The chosen attack's knobs (catalog keys), each within the catalog's bounds. */
  params: Record<string, number>;
  /** GAN attacks: what the attacker knows (picks the prior). */
  knowledge: Knowledge;
  /** Black-box and label-only attacks: the output-side defense in front of the target. */
  outputDefense: string;
  /** Black-box and label-only attacks: images the target answers at most (0 = no limit). */
  queryBudget: number;
  /** MI-Face only. */
  init: 'zeros' | 'noise';
  /** Forced backend (the others stay as fallbacks); undefined = automatic order. */
  backend?: BackendName;
}

/** A numeric setting's bounds (the catalog's KnobSpec is one). */
export type NumberSpec = Pick<KnobSpec, 'label' | 'min' | 'max' | 'integer' | 'default'>;

export const SEED_SPEC: NumberSpec = { label: 'Seed', min: 0, max: 2 ** 31 - 1, integer: true, default: DEFAULT_MI_FACE.seed };

/** The query budget (`budget` in the link), 0 for none: the oracle's attacks only. */
export const QUERY_BUDGET_SPEC: NumberSpec = { label: 'Query budget', min: 0, max: QUERY_BUDGET_MAX, integer: true, default: 0 };
const QUERY_BUDGET_PARAM = 'budget';

/** URL names of knobs whose catalog key is long (`lr` keeps older links working); the others use the key. */
const KNOB_PARAMS: Record<string, string> = { learningRate: 'lr' };
export const knobParam = (key: string) => KNOB_PARAMS[key] ?? key;

/** The settings that take one of a few values: URL parameter, label, values, default and the attacks they apply to. */
interface ChoiceSpec {
  param: string;
  label: string;
  values: readonly string[];
  default: string;
  appliesTo(attack: AttackId): boolean;
}

export const CHOICE_SPECS = {
  // The data set first: it decides which attacks and targets there are.
  dataset: { param: 'dataset', label: 'Data set', values: DATASET_IDS, default: DEFAULT_DATASET, appliesTo: () => true },
  attack: { param: 'attack', label: 'Attack', values: ATTACKS.map((a) => a.id), default: 'mi-face', appliesTo: () => true },
  knowledge: {
    param: 'knowledge', label: 'Attacker knowledge', values: Object.keys(KNOWLEDGE_INFO), default: 'disjoint',
    appliesTo: (a) => attackInfo(a).prior !== 'none',
  },
  outputDefense: {
    param: 'defense', label: 'Output defense', values: OUTPUT_DEFENSES.map((d) => d.value), default: 'none',
    appliesTo: (a) => attackInfo(a).usesOutputDefense,
  },
  init: { param: 'init', label: 'Start image', values: ['noise', 'zeros'], default: DEFAULT_MI_FACE.init, appliesTo: (a) => a === 'mi-face' },
} as const satisfies Record<string, ChoiceSpec>;

type ChoiceKey = keyof typeof CHOICE_SPECS;

export const DEFAULT_SETTINGS: LabSettings = {
  dataset: DEFAULT_DATASET,
  attack: 'mi-face',
  targetId: DEFAULT_MI_FACE.targetId,
  seed: SEED_SPEC.default,
  params: knobValues('mi-face'),
  knowledge: 'disjoint',
  outputDefense: 'none',
  queryBudget: QUERY_BUDGET_SPEC.default,
  init: DEFAULT_MI_FACE.init,
};

export interface Coerced {
  value: number;
  /** Why the raw value was changed, or undefined when it was fine. */
  correction?: string;
}

/** Validates and clamps one numeric setting; never throws. A value that is not a number becomes `fallback`. */
export function coerceNumber(spec: NumberSpec, raw: string | number | null | undefined, fallback?: number): Coerced {
  const use = fallback ?? spec.default;
  const text = typeof raw === 'number' ? String(raw) : (raw ?? '').trim();
  const n = typeof raw === 'number' ? raw : text === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) {
    const what = text === '' ? `${spec.label} is empty or not a number` : `${spec.label} "${text}" is not a number`;
    return { value: use, correction: `${what}; using ${use}` };
  }
  let v = spec.integer ? Math.round(n) : n;
  let why: string | undefined;
  if (spec.integer && v !== n) why = `${spec.label} ${n} is not a whole number; using ${v}`;
  if (v < spec.min) { v = spec.min; why = `${spec.label} ${n} is below ${spec.min}; using ${v}`; }
  if (v > spec.max) { v = spec.max; why = `${spec.label} ${n} is above ${spec.max}; using ${v}`; }
  return { value: v, correction: why };
}

export function isBackend(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}

const notASetting = (label: string, param: string, attack: AttackId) => `${label} (${param}) is not a setting of ${attackInfo(attack).name}; ignored`;

/** Reads the settings from a query string. Unknown parameters are ignored; bad values are corrected and reported. */
export function readSettings(search: string): { settings: LabSettings; corrections: string[] } {
  const q = new URLSearchParams(search);
  const settings: LabSettings = { ...DEFAULT_SETTINGS };
  const corrections: string[] = [];
  // The attack first: it decides which of the other settings apply.
  for (const key of Object.keys(CHOICE_SPECS) as ChoiceKey[]) {
    const spec: ChoiceSpec = CHOICE_SPECS[key];
    const raw = q.get(spec.param);
    if (raw === null) continue;
    if (!spec.appliesTo(settings.attack)) corrections.push(notASetting(spec.label, spec.param, settings.attack));
    else if (spec.values.includes(raw)) Object.assign(settings, { [key]: raw });
    else corrections.push(`${spec.label} "${raw}" is unknown (use ${spec.values.join(', ')}); using ${settings[key]}`);
  }
  const ds = datasetOf(settings.dataset);
  if (!runsOn(settings.attack, ds.id)) {
    corrections.push(`${attackInfo(settings.attack).name} does not run on the ${ds.title} (its prior is trained on digits); using ${attackInfo('mi-face').name}`);
    settings.attack = 'mi-face';
  }
  if (ds.id !== 'mnist' && settings.knowledge !== 'disjoint') {
    corrections.push(`${CHOICE_SPECS.knowledge.label} "${settings.knowledge}" is a digits setting; the ${ds.title} have one: other people's faces`);
    settings.knowledge = 'disjoint';
  }
  settings.targetId = DEFAULT_TARGET[ds.id];
  const info = attackInfo(settings.attack);
  settings.params = knobValues(settings.attack, 'browser', ds.id);
  for (const knob of info.knobs) {
    const raw = q.get(knobParam(knob.key));
    if (raw === null) continue;
    const c = coerceNumber(knob, raw);
    settings.params[knob.key] = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  // A knob of another attack is most likely a link edited by hand: say it is ignored rather than drop it silently
  // (once, though several attacks share it).
  for (const other of ATTACKS) {
    for (const knob of other.knobs) {
      const param = knobParam(knob.key);
      if (q.has(param) && !info.knobs.some((k) => knobParam(k.key) === param)) {
        corrections.push(notASetting(knob.label, param, settings.attack));
        q.delete(param);
      }
    }
  }
  const budget = q.get(QUERY_BUDGET_PARAM);
  if (budget !== null) {
    if (!info.usesOutputDefense) corrections.push(notASetting(QUERY_BUDGET_SPEC.label, QUERY_BUDGET_PARAM, settings.attack));
    else {
      const c = coerceNumber(QUERY_BUDGET_SPEC, budget);
      settings.queryBudget = c.value;
      if (c.correction) corrections.push(c.correction);
    }
  }
  const seed = q.get('seed');
  if (seed !== null) {
    const c = coerceNumber(SEED_SPEC, seed);
    settings.seed = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  const target = q.get('target');
  if (target !== null) {
    if (/^[a-z0-9][a-z0-9-]{0,63}$/.test(target)) settings.targetId = target;
    else corrections.push(`Target "${target}" is not a model name; using ${settings.targetId}`);
  }
  const backend = q.get('backend');
  if (backend !== null && backend !== '' && backend !== 'auto') {
    const b = backend.toLowerCase();
    if (isBackend(b)) settings.backend = b;
    else corrections.push(`Backend "${backend}" is unknown (use ${BACKENDS.join(', ')}); choosing one automatically`);
  }
  return { settings, corrections };
}

/** The query string for `s`: only what applies to the chosen attack and differs from the defaults, so links stay short. */
export function settingsToSearch(s: LabSettings): string {
  const q = new URLSearchParams();
  for (const key of Object.keys(CHOICE_SPECS) as ChoiceKey[]) {
    const spec: ChoiceSpec = CHOICE_SPECS[key];
    if (spec.appliesTo(s.attack) && s[key] !== spec.default) q.set(spec.param, s[key]);
  }
  const defaults = knobValues(s.attack, 'browser', s.dataset);
  for (const knob of attackInfo(s.attack).knobs) {
    const v = s.params[knob.key];
    if (v !== undefined && v !== defaults[knob.key]) q.set(knobParam(knob.key), String(v));
  }
  if (attackInfo(s.attack).usesOutputDefense && s.queryBudget !== QUERY_BUDGET_SPEC.default) q.set(QUERY_BUDGET_PARAM, String(s.queryBudget));
  if (s.seed !== SEED_SPEC.default) q.set('seed', String(s.seed));
  if (s.targetId !== DEFAULT_TARGET[s.dataset]) q.set('target', s.targetId);
  if (s.backend) q.set('backend', s.backend);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The worker's attack config for these settings. */
export function toAttackConfig(s: LabSettings): AttackConfig {
  const p = { ...knobValues(s.attack, 'browser', s.dataset), ...s.params };
  // Short runs show every step; long ones every few (the worker also throttles to ~20 messages a second).
  const snapshotEvery = Math.max(1, Math.min(10, Math.round(p.steps / 100)));
  if (s.attack === 'mi-face') {
    return {
      ...DEFAULT_MI_FACE, targetId: s.targetId, seed: s.seed, steps: p.steps, learningRate: p.learningRate, tv: p.tv, l2: p.l2,
      init: s.init, snapshotEvery,
    };
  }
  return {
    attack: s.attack, targetId: s.targetId, knowledge: s.knowledge, params: p, seed: s.seed, snapshotEvery,
    ...(attackInfo(s.attack).usesOutputDefense ? { outputDefense: s.outputDefense, ...(s.queryBudget > 0 ? { queryBudget: s.queryBudget } : {}) } : {}),
  };
}

/** The settings that run `c` again (a saved run record's config); the backend stays the one in `keep`. */
export function settingsFromConfig(c: AttackConfig, keep: Pick<LabSettings, 'backend'>, dataset: DatasetId = DEFAULT_DATASET): LabSettings {
  const base = { ...DEFAULT_SETTINGS, dataset, attack: c.attack, targetId: c.targetId, seed: c.seed, backend: keep.backend };
  if (c.attack === 'mi-face') return { ...base, params: { steps: c.steps, learningRate: c.learningRate, tv: c.tv, l2: c.l2 }, init: c.init };
  return {
    ...base, params: { ...knobValues(c.attack, 'browser', dataset), ...c.params }, knowledge: c.knowledge,
    outputDefense: c.outputDefense ?? DEFAULT_SETTINGS.outputDefense, queryBudget: c.queryBudget ?? DEFAULT_SETTINGS.queryBudget,
  };
}

/** Every URL parameter readSettings reads: the choices, every attack's knobs, the query budget, the seed, the target and the backend. */
export const SETTING_PARAMS: readonly string[] = [
  ...new Set([...Object.values(CHOICE_SPECS).map((s) => s.param), ...ATTACKS.flatMap((a) => a.knobs.map((k) => knobParam(k.key))), 'seed', 'target', 'backend', QUERY_BUDGET_PARAM]),
];

/** The settings (by URL parameter name) and the preset buttons a link can hide, besides the knobs. */
const HIDEABLE_SETTINGS = [...Object.values(CHOICE_SPECS).map((s) => s.param), QUERY_BUDGET_PARAM, 'target', 'backend', 'seed', 'presets'];
/**
 * Controls a teacher's link can hide (`hide=backend,seed`): those, and every attack's knobs by URL parameter name (so
 * one link can serve several attacks).
 */
export const ATTACK_HIDEABLE: HideableControls = {
  names: [...new Set([...HIDEABLE_SETTINGS, ...ATTACKS.flatMap((a) => a.knobs.map((k) => knobParam(k.key)))])],
  hint: `${HIDEABLE_SETTINGS.join(', ')} or a knob's name in the link, such as steps`,
};
