// The benchmark page's selection: one typed table, read from and written to the URL in one place. Every value is
// validated on read; a bad URL never breaks the page, it only produces corrections to show (and the defaults).
//   ?defenses=target-none,target-trap-mid &attacks=mi-face,plg-mi &seeds=1-3 &budget=browser|paper
//   &knowledge=disjoint|other-writers &steps=N &ref=N &backend=webgpu|webgl|wasm|cpu
// Defense ids are checked for shape here and against the engine's targets once it is up (reconcileDefenses).
import { ATTACKS, KNOWLEDGE_INFO } from '../../worker/catalog.ts';
import {
  DEFAULT_REFERENCE_PER_DIGIT, REFERENCE_PER_DIGIT_RANGE, STEPS_RANGE, formatSeedList, parseSeedList,
} from '../../worker/benchmark-record.ts';
import type { AttackId, BackendName, BenchmarkConfig, Budget, Knowledge } from '../../worker/protocol.ts';
import { BACKENDS, coerceNumber, isBackend, type NumberSpec } from '../attack/url-config.ts';
import type { HideableControls } from '../../ui/hide-link.ts';

export interface BenchmarkSettings {
  defenses: string[];
  attacks: AttackId[];
  seeds: number[];
  budget: Budget;
  knowledge: Knowledge;
  /** Every attack's steps replaced by this; undefined = the budget's. */
  steps?: number;
  referencePerDigit: number;
  backend?: BackendName;
}

/** A quick first look: the pixel-space attack and the strongest GAN attack, unprotected vs Trap-MID, one seed. */
export const DEFAULT_BENCHMARK_SETTINGS: BenchmarkSettings = {
  defenses: ['target-none', 'target-trap-mid'],
  attacks: ['mi-face', 'plg-mi'],
  seeds: [1],
  budget: 'browser',
  knowledge: 'disjoint',
  referencePerDigit: DEFAULT_REFERENCE_PER_DIGIT,
};

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
  const s: BenchmarkSettings = { ...DEFAULT_BENCHMARK_SETTINGS };
  const corrections: string[] = [];
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
    for (const a of ids) if (!ATTACKS.some((x) => x.id === a)) corrections.push(`Attack "${a.slice(0, 40)}" is unknown (use ${ATTACKS.map((x) => x.id).join(', ')}); ignored`);
    const good = [...new Set(ids.filter((a) => ATTACKS.some((x) => x.id === a)))] as AttackId[];
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
    if (knowledge in KNOWLEDGE_INFO) s.knowledge = knowledge as Knowledge;
    else corrections.push(`Attacker knowledge "${knowledge}" is unknown (use ${Object.keys(KNOWLEDGE_INFO).join(', ')}); using ${s.knowledge}`);
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
  const backend = q.get('backend');
  if (backend !== null && backend !== '' && backend !== 'auto') {
    const b = backend.toLowerCase();
    if (isBackend(b)) s.backend = b;
    else corrections.push(`Backend "${backend}" is unknown (use ${BACKENDS.join(', ')}); choosing one automatically`);
  }
  return { settings: s, corrections };
}

/** Drops defenses the engine does not have (reported); falls back to the default ones it has, else its first target. */
export function reconcileDefenses(defenses: string[], targets: string[]): { defenses: string[]; corrections: string[] } {
  const unknown = defenses.filter((d) => !targets.includes(d));
  const kept = defenses.filter((d) => targets.includes(d));
  const corrections = unknown.map((d) => `Defense "${d}" is not a target here (have: ${targets.join(', ')}); ignored`);
  if (kept.length || targets.length === 0) return { defenses: kept, corrections };
  const fallback = DEFAULT_BENCHMARK_SETTINGS.defenses.filter((d) => targets.includes(d));
  return { defenses: fallback.length ? fallback : targets.slice(0, 1), corrections };
}

/** The query string: only what differs from the defaults, so links stay short. */
export function benchmarkSettingsToSearch(s: BenchmarkSettings): string {
  const q = new URLSearchParams();
  const d = DEFAULT_BENCHMARK_SETTINGS;
  if (s.defenses.join(',') !== d.defenses.join(',')) q.set('defenses', s.defenses.join(','));
  if (s.attacks.join(',') !== d.attacks.join(',')) q.set('attacks', s.attacks.join(','));
  if (formatSeedList(s.seeds) !== formatSeedList(d.seeds)) q.set('seeds', formatSeedList(s.seeds));
  if (s.budget !== d.budget) q.set('budget', s.budget);
  if (s.knowledge !== d.knowledge) q.set('knowledge', s.knowledge);
  if (s.steps !== undefined) q.set('steps', String(s.steps));
  if (s.referencePerDigit !== d.referencePerDigit) q.set('ref', String(s.referencePerDigit));
  if (s.backend) q.set('backend', s.backend);
  // Commas stay readable in the address.
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/** Controls a teacher's link can hide (`hide=attacks,steps`), by URL parameter name; `open` is the Open-a-run-record button. */
const HIDEABLE_SETTINGS = ['defenses', 'attacks', 'seeds', 'budget', 'knowledge', 'steps', 'ref', 'backend', 'open'];
export const BENCHMARK_HIDEABLE: HideableControls = { names: HIDEABLE_SETTINGS, hint: HIDEABLE_SETTINGS.join(', ') };

/** The engine's config for this selection (rows and columns in the manifest's and the catalog's order; plain arrays, so it can be posted). */
export function toBenchmarkConfig(s: BenchmarkSettings, targets: string[]): BenchmarkConfig {
  return {
    defenses: targets.filter((t) => s.defenses.includes(t)), attacks: ATTACKS.map((a) => a.id).filter((a) => s.attacks.includes(a)), seeds: [...s.seeds],
    budget: s.budget, knowledge: s.knowledge, ...(s.steps !== undefined ? { steps: s.steps } : {}), referencePerDigit: s.referencePerDigit,
  };
}
