// The guided tour's steps, and what its link can say: which step is open (`#step-N`), the live attacks' step budget
// (`steps=`, small in tests), their seed (`seed=`, the one setting the tour lets the reader change), a forced backend
// (`backend=`) and the narrated mode (`narrated=1`). Pure functions.
import type { BackendName } from '../../worker/protocol.ts';
import type { DatasetId } from '../../worker/catalog.ts';
import { SEED_SPEC, coerceNumber } from '../attack/url-config.ts';

export interface TourStep {
  n: number;
  /** Short name in the step list. */
  short: string;
  /** The step's heading. */
  title: string;
}

export const TOUR_STEPS: readonly TourStep[] = [
  { n: 1, short: 'What a classifier memorises', title: 'What a classifier memorises' },
  { n: 2, short: 'What an attack recovers', title: 'What a model inversion attack recovers' },
  { n: 3, short: 'Why a GAN prior helps', title: 'Why a GAN prior makes it stronger' },
  { n: 4, short: 'How a trapdoor fools it', title: 'How a trapdoor fools it' },
  { n: 5, short: 'Reading the benchmark', title: 'How the benchmark numbers are read' },
  // Added after the benchmark so that every older link (#step-5: the benchmark) still opens the step it named.
  { n: 6, short: 'The same attack on a face', title: 'The same attack on a face recogniser' },
];

/** The step a location hash opens (`#step-3`); anything else opens the first. */
export function stepFromHash(hash: string, count = TOUR_STEPS.length): number {
  const m = /^#?step-(\d+)$/.exec(hash.trim());
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= count ? n : 1;
}

export const hashOf = (n: number) => `#step-${n}`;

/**
 * The live attack of each step and the target it attacks. Chosen (with the default budget below) so that each step's
 * claim holds on every seed 1-20 (tests/unit/tour-claims.test.ts re-measures it on the shipped models):
 * step 2, MI-Face: faint, judged right often but never clearly; step 3, PLG-MI: whole digits, clearly right more often
 * than MI-Face on the same seed; step 4, MI-Face against Trap-MID (the capped target, whose trapdoor takes every run):
 * never right, and flagged by the trapdoor detector.
 */
export const TOUR_RUNS = {
  miFace: { attack: 'mi-face', target: 'target-none', dataset: 'mnist' },
  plg: { attack: 'plg-mi', target: 'target-none', dataset: 'mnist' },
  trapped: { attack: 'mi-face', target: 'target-trap-mid-capped', dataset: 'mnist' },
  faces: { attack: 'mi-face', target: 'faces-target-softmax', dataset: 'faces' },
} as const satisfies Record<string, { attack: string; target: string; dataset: DatasetId }>;

/** The live attacks' budget when the link does not set one: about 100 steps, a few seconds on WASM. */
export const DEFAULT_TOUR_STEPS = 100;
const MAX_TOUR_STEPS = 5000;

export interface TourSettings {
  /** Steps of each live attack. */
  steps: number;
  /** Seed of every live attack (the attack lab's seed: same seed, same run). */
  seed: number;
  backend?: BackendName;
  narrated: boolean;
}

const BACKENDS: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Reads the tour's settings from its query string; a bad value falls back to the default (the tour has no settings panel to correct). */
export function readTourSettings(search: string): TourSettings {
  const q = new URLSearchParams(search);
  const raw = Number(q.get('steps') ?? NaN);
  const steps = Number.isFinite(raw) && raw >= 1 ? Math.min(MAX_TOUR_STEPS, Math.round(raw)) : DEFAULT_TOUR_STEPS;
  const b = (q.get('backend') ?? '').toLowerCase();
  const narrated = ['1', 'true', 'yes', 'on'].includes((q.get('narrated') ?? '').toLowerCase());
  return { steps, seed: readSeed(q.get('seed')), backend: BACKENDS.includes(b) ? (b as BackendName) : undefined, narrated };
}

/** A seed typed or linked: a whole number in the attack lab's range (rounded, clamped; not a number: the default). */
export function readSeed(raw: string | null): number {
  return coerceNumber(SEED_SPEC, raw ?? '').value;
}

/** The tour's query string `search` with its seed set to `seed` (left out when it is the default); the rest is kept as it is. */
export function withSeed(search: string, seed: number): string {
  return withParam(search, 'seed', seed === SEED_SPEC.default ? null : String(seed));
}

/** `search` with the narrated mode written in (`narrated=1`), or left out when it is off (the default). */
export function withNarrated(search: string, narrated: boolean): string {
  return withParam(search, 'narrated', narrated ? '1' : null);
}

/** `search` with one parameter set, or removed when `value` is null; the others keep their order. */
function withParam(search: string, name: string, value: string | null): string {
  const q = new URLSearchParams(search);
  if (value === null) q.delete(name);
  else q.set(name, value);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The attack lab's query string for one of the tour's live attacks (its settings reader validates the rest). */
export function labSearch(t: TourSettings, attack: string, targetId: string, dataset: DatasetId = 'mnist'): string {
  const q = new URLSearchParams({ attack, steps: String(t.steps), target: targetId, seed: String(t.seed) });
  // The digits are the attack lab's default data set: their links stay as they were.
  if (dataset !== 'mnist') q.set('dataset', dataset);
  if (t.backend) q.set('backend', t.backend);
  return `?${q.toString()}`;
}
