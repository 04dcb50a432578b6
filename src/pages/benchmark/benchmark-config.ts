// The benchmark page's selection: one typed table, read from and written to the URL in one place. Every value is
// validated on read; a bad URL never breaks the page, it only produces corrections to show (and the defaults).
//   ?defenses=target-none,target-trap-mid &attacks=mi-face,plg-mi &seeds=1-3 &budget=browser|paper
//   &knowledge=disjoint|other-writers &steps=N &ref=N &backend=webgpu|webgl|wasm|cpu &dataset=mnist|faces
//   &defense=<output defense> &queries=N (the columns that query the target: black-box, label-only, inversion network)
// Defense ids are checked for shape here and against the engine's targets once it is up (reconcileDefenses). The
// data set decides the rest: its own default rows and columns, the attacks that run on it, its knowledge settings.
import { ATTACKS, DATASET_IDS, DEFAULT_DATASET, KNOWLEDGE_INFO, OUTPUT_DEFENSES, attackInfo, datasetOf, isDatasetId, runsOn, type DatasetId } from '../../worker/catalog.ts';
import {
  DEFAULT_REFERENCE_PER_DIGIT, REFERENCE_PER_DIGIT_RANGE, STEPS_RANGE, formatSeedList, parseSeedList,
} from '../../worker/benchmark-record.ts';
import type { AttackId, BackendName, BenchmarkConfig, Budget, Knowledge } from '../../worker/protocol.ts';
import { BACKENDS, QUERY_BUDGET_SPEC, coerceNumber, isBackend, type NumberSpec } from '../attack/url-config.ts';
import type { HideableControls } from '../../ui/hide-link.ts';

export interface BenchmarkSettings {
  /** The data set of the rows (its targets), the columns (attacks that run on it) and the references. */
  dataset: DatasetId;
  defenses: string[];
  attacks: AttackId[];
  seeds: number[];
  budget: Budget;
  knowledge: Knowledge;
  /** Every attack's steps replaced by this; undefined = the budget's. */
  steps?: number;
  referencePerDigit: number;
  backend?: BackendName;
  /** In front of the target for the querying columns (an OUTPUT_DEFENSES value). */
  outputDefense: string;
  /** Those columns' query budget per run; 0 = no limit. */
  queryBudget: number;
}

/** A quick first look: the pixel-space attack and the strongest GAN attack, unprotected vs Trap-MID, one seed. */
export const DEFAULT_BENCHMARK_SETTINGS: BenchmarkSettings = {
  dataset: DEFAULT_DATASET,
  defenses: ['target-none', 'target-trap-mid'],
  attacks: ['mi-face', 'plg-mi'],
  seeds: [1],
  budget: 'browser',
  knowledge: 'disjoint',
  referencePerDigit: DEFAULT_REFERENCE_PER_DIGIT,
  outputDefense: 'none',
  queryBudget: QUERY_BUDGET_SPEC.default,
};

/**
 * Each data set's first look. The faces: the unprotected face CNN, Fredrikson's softmax regression (the model MI-Face
 * was first shown on) and Trap-MID where it is shipped, attacked in pixel space and through the eigenface prior.
 */
export const DATASET_DEFAULTS: Record<DatasetId, Pick<BenchmarkSettings, 'defenses' | 'attacks'>> = {
  mnist: { defenses: DEFAULT_BENCHMARK_SETTINGS.defenses, attacks: DEFAULT_BENCHMARK_SETTINGS.attacks },
  faces: { defenses: ['faces-target-none', 'faces-target-softmax'], attacks: ['mi-face', 'gmi'] },
};

/** The default selection on a data set. */
export function defaultsFor(dataset: DatasetId): BenchmarkSettings {
  return { ...DEFAULT_BENCHMARK_SETTINGS, dataset, ...DATASET_DEFAULTS[dataset] };
}

export const STEPS_SPEC: NumberSpec = { label: 'Steps', ...STEPS_RANGE, integer: true, default: 300 };
export const REFERENCE_SPEC: NumberSpec = { label: 'Reference images per digit', ...REFERENCE_PER_DIGIT_RANGE, integer: true, default: DEFAULT_REFERENCE_PER_DIGIT };
export const BUDGETS: readonly { value: Budget; label: string }[] = [
  { value: 'browser', label: 'Browser (fewer steps)' },
  { value: 'paper', label: 'Paper (slow)' },
];
const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

const list = (raw: string) => raw.split(',').map((v) => v.trim()).filter((v) => v !== '');

/** Reads the selection from a query string. Unknown parameters are ignored; bad values are corrected and reported. */
export function readBenchmarkSettings(search: string): { settings: BenchmarkSettings; corrections: string[] } {
  const q = new URLSearchParams(search);
  const corrections: string[] = [];
  // The data set first: it decides the defaults, the attacks there are and the knowledge settings.
  const dataset = q.get('dataset');
  if (dataset !== null && dataset !== '' && !isDatasetId(dataset)) {
    corrections.push(`Data set "${dataset.slice(0, 40)}" is unknown (use ${DATASET_IDS.join(', ')}); using ${DEFAULT_DATASET}`);
  }
  const s = defaultsFor(isDatasetId(dataset) ? dataset : DEFAULT_DATASET);
  const ds = datasetOf(s.dataset);
  const defenses = q.get('defenses');
  if (defenses !== null) {
    const ids = list(defenses);
    const bad = ids.filter((d) => !ID.test(d));
    if (bad.length) corrections.push(`Defense "${bad[0].slice(0, 40)}" is not a model id; ignored`);
    const good = [...new Set(ids.filter((d) => ID.test(d)))];
    if (good.length) s.defenses = good;
    else corrections.push(`No defense picked; using ${s.defenses.join(', ')}`);
  }
  const attacks = q.get('attacks');
  if (attacks !== null) {
    const ids = list(attacks);
    const known = (a: string) => ATTACKS.some((x) => x.id === a);
    for (const a of ids) {
      if (!known(a)) corrections.push(`Attack "${a.slice(0, 40)}" is unknown (use ${ATTACKS.map((x) => x.id).join(', ')}); ignored`);
      else if (!runsOn(a as AttackId, ds.id)) corrections.push(`${attackInfo(a).name} does not run on the ${ds.title} (its prior is trained per digit target); ignored`);
    }
    const good = [...new Set(ids.filter((a) => known(a) && runsOn(a as AttackId, ds.id)))] as AttackId[];
    if (good.length) s.attacks = good;
    else corrections.push(`No attack picked; using ${s.attacks.join(', ')}`);
  }
  const seeds = q.get('seeds');
  if (seeds !== null) {
    try {
      s.seeds = parseSeedList(seeds);
    } catch (e) {
      corrections.push(`Seeds: ${(e as Error).message}; using ${formatSeedList(s.seeds)}`);
    }
  }
  const budget = q.get('budget');
  if (budget !== null) {
    if (BUDGETS.some((b) => b.value === budget)) s.budget = budget as Budget;
    else corrections.push(`Budget "${budget}" is unknown (use browser or paper); using ${s.budget}`);
  }
  const knowledge = q.get('knowledge');
  if (knowledge !== null) {
    if (!(knowledge in KNOWLEDGE_INFO)) corrections.push(`Attacker knowledge "${knowledge}" is unknown (use ${Object.keys(KNOWLEDGE_INFO).join(', ')}); using ${s.knowledge}`);
    else if (ds.id !== 'mnist' && knowledge !== 'disjoint') corrections.push(`Attacker knowledge "${knowledge}" is a digits setting; the ${ds.title} have one: other people's faces`);
    else s.knowledge = knowledge as Knowledge;
  }
  const steps = q.get('steps');
  if (steps !== null && steps !== '' && steps !== 'auto') {
    const c = coerceNumber(STEPS_SPEC, steps);
    s.steps = c.correction && !Number.isFinite(Number(steps)) ? undefined : c.value;
    if (c.correction) corrections.push(s.steps === undefined ? `Steps "${steps}" is not a number; using each attack's budget` : c.correction);
  }
  const ref = q.get('ref');
  if (ref !== null) {
    const c = coerceNumber(REFERENCE_SPEC, ref);
    s.referencePerDigit = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  const defense = q.get('defense');
  if (defense !== null) {
    if (OUTPUT_DEFENSES.some((d) => d.value === defense)) s.outputDefense = defense;
    else corrections.push(`Output defense "${defense.slice(0, 40)}" is unknown (use ${OUTPUT_DEFENSES.map((d) => d.value).join(', ')}); using none`);
  }
  const queries = q.get('queries');
  if (queries !== null) {
    const c = coerceNumber(QUERY_BUDGET_SPEC, queries);
    s.queryBudget = c.value;
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

/**
 * Drops defenses the engine does not have as targets of the data set (reported); falls back to the data set's default
 * ones it has, else its first target. `targets` are all the engine's targets, with their data sets (absent = MNIST).
 */
export function reconcileDefenses(defenses: string[], targets: readonly { id: string; dataset?: string }[], dataset: DatasetId = DEFAULT_DATASET): { defenses: string[]; corrections: string[] } {
  const ds = datasetOf(dataset);
  const mine = targets.filter((t) => datasetOf(t.dataset).id === ds.id).map((t) => t.id);
  // The data set's own defaults (not asked for by a link) lose a target not shipped yet without a word.
  const defaults = defenses.join() === DATASET_DEFAULTS[ds.id].defenses.join();
  const unknown = defaults ? [] : defenses.filter((d) => !mine.includes(d));
  const kept = defenses.filter((d) => mine.includes(d));
  const corrections = unknown.map((d) => (targets.some((t) => t.id === d)
    ? `Defense "${d}" is not a target of the ${ds.title} (have: ${mine.join(', ')}); ignored`
    : `Defense "${d}" is not a target here (have: ${mine.join(', ')}); ignored`));
  if (kept.length || mine.length === 0) return { defenses: kept, corrections };
  const fallback = DATASET_DEFAULTS[ds.id].defenses.filter((d) => mine.includes(d));
  return { defenses: fallback.length ? fallback : mine.slice(0, 1), corrections };
}

/** The query string: only what differs from the defaults, so links stay short. */
export function benchmarkSettingsToSearch(s: BenchmarkSettings): string {
  const q = new URLSearchParams();
  const d = defaultsFor(s.dataset);
  if (s.dataset !== DEFAULT_DATASET) q.set('dataset', s.dataset);
  if (s.defenses.join(',') !== d.defenses.join(',')) q.set('defenses', s.defenses.join(','));
  if (s.attacks.join(',') !== d.attacks.join(',')) q.set('attacks', s.attacks.join(','));
  if (formatSeedList(s.seeds) !== formatSeedList(d.seeds)) q.set('seeds', formatSeedList(s.seeds));
  if (s.budget !== d.budget) q.set('budget', s.budget);
  if (s.knowledge !== d.knowledge) q.set('knowledge', s.knowledge);
  if (s.steps !== undefined) q.set('steps', String(s.steps));
  if (s.referencePerDigit !== d.referencePerDigit) q.set('ref', String(s.referencePerDigit));
  if (s.outputDefense !== d.outputDefense) q.set('defense', s.outputDefense);
  if (s.queryBudget !== d.queryBudget) q.set('queries', String(s.queryBudget));
  if (s.backend) q.set('backend', s.backend);
  // Commas stay readable in the address.
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/** Controls a teacher's link can hide (`hide=attacks,steps`), by URL parameter name; `open` is the Open-a-run-record button. */
const HIDEABLE_SETTINGS = ['dataset', 'defenses', 'attacks', 'seeds', 'budget', 'knowledge', 'steps', 'ref', 'defense', 'queries', 'backend', 'open'];
export const BENCHMARK_HIDEABLE: HideableControls = { names: HIDEABLE_SETTINGS, hint: HIDEABLE_SETTINGS.join(', ') };

/** The engine's config for this selection (rows and columns in the manifest's and the catalog's order; plain arrays, so it can be posted). */
export function toBenchmarkConfig(s: BenchmarkSettings, targets: string[]): BenchmarkConfig {
  return {
    // Absent for MNIST: its configs and records stay as they always were.
    ...(s.dataset !== DEFAULT_DATASET ? { dataset: s.dataset } : {}),
    defenses: targets.filter((t) => s.defenses.includes(t)), attacks: ATTACKS.map((a) => a.id).filter((a) => s.attacks.includes(a)), seeds: [...s.seeds],
    budget: s.budget, knowledge: s.knowledge, ...(s.steps !== undefined ? { steps: s.steps } : {}), referencePerDigit: s.referencePerDigit,
    ...(s.outputDefense !== 'none' ? { outputDefense: s.outputDefense } : {}), ...(s.queryBudget > 0 ? { queryBudget: s.queryBudget } : {}),
  };
}
