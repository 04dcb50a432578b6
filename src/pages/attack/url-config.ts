// The attack lab's settings: one typed table, read from and written to the URL in one place (the seed included, so
// a shared link reproduces the run). Every value is validated and clamped on read; a bad URL never breaks the page,
// it only produces a list of corrections to show.
import { DEFAULT_MI_FACE, type BackendName, type MiFaceConfig } from '../../worker/protocol.ts';

export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface LabSettings {
  /** The attacked model (a shipped target's id; checked against the manifest once the engine is up). */
  targetId: string;
  seed: number;
  steps: number;
  learningRate: number;
  tv: number;
  l2: number;
  init: 'zeros' | 'noise';
  /** Forced backend (the others stay as fallbacks); undefined = automatic order. */
  backend?: BackendName;
}

interface NumberSpec {
  param: string;
  label: string;
  min: number;
  max: number;
  integer: boolean;
  default: number;
}

/** The numeric settings: URL parameter, bounds, default. The inputs of the page use the same table. */
export const NUMBER_SPECS = {
  seed: { param: 'seed', label: 'Seed', min: 0, max: 2 ** 31 - 1, integer: true, default: DEFAULT_MI_FACE.seed },
  steps: { param: 'steps', label: 'Steps', min: 1, max: 5000, integer: true, default: DEFAULT_MI_FACE.steps },
  learningRate: { param: 'lr', label: 'Learning rate', min: 0.001, max: 1, integer: false, default: DEFAULT_MI_FACE.learningRate },
  tv: { param: 'tv', label: 'TV weight', min: 0, max: 5, integer: false, default: DEFAULT_MI_FACE.tv },
  l2: { param: 'l2', label: 'L2 weight', min: 0, max: 1, integer: false, default: DEFAULT_MI_FACE.l2 },
} as const satisfies Record<string, NumberSpec>;

export type NumberKey = keyof typeof NUMBER_SPECS;

export const DEFAULT_SETTINGS: LabSettings = {
  targetId: DEFAULT_MI_FACE.targetId,
  seed: NUMBER_SPECS.seed.default,
  steps: NUMBER_SPECS.steps.default,
  learningRate: NUMBER_SPECS.learningRate.default,
  tv: NUMBER_SPECS.tv.default,
  l2: NUMBER_SPECS.l2.default,
  init: DEFAULT_MI_FACE.init,
};

export interface Coerced {
  value: number;
  /** Why the raw value was changed, or undefined when it was fine. */
  correction?: string;
}

/** Validates and clamps one numeric setting; never throws. A value that is not a number becomes `fallback`. */
export function coerceNumber(key: NumberKey, raw: string | number | null | undefined, fallback?: number): Coerced {
  const spec: NumberSpec = NUMBER_SPECS[key];
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

/** Reads the settings from a query string. Unknown parameters are ignored; bad values are corrected and reported. */
export function readSettings(search: string): { settings: LabSettings; corrections: string[] } {
  const q = new URLSearchParams(search);
  const settings: LabSettings = { ...DEFAULT_SETTINGS };
  const corrections: string[] = [];
  for (const key of Object.keys(NUMBER_SPECS) as NumberKey[]) {
    const raw = q.get(NUMBER_SPECS[key].param);
    if (raw === null) continue;
    const c = coerceNumber(key, raw);
    settings[key] = c.value;
    if (c.correction) corrections.push(c.correction);
  }
  const target = q.get('target');
  if (target !== null) {
    if (/^[a-z0-9][a-z0-9-]{0,63}$/.test(target)) settings.targetId = target;
    else corrections.push(`Target "${target}" is not a model name; using ${settings.targetId}`);
  }
  const init = q.get('init');
  if (init !== null) {
    if (init === 'zeros' || init === 'noise') settings.init = init;
    else corrections.push(`Start image "${init}" is unknown (use zeros or noise); using ${settings.init}`);
  }
  const backend = q.get('backend');
  if (backend !== null && backend !== '' && backend !== 'auto') {
    const b = backend.toLowerCase();
    if (isBackend(b)) settings.backend = b;
    else corrections.push(`Backend "${backend}" is unknown (use ${BACKENDS.join(', ')}); choosing one automatically`);
  }
  return { settings, corrections };
}

/** The query string for `s`: only values that differ from the defaults, so links stay short. */
export function settingsToSearch(s: LabSettings): string {
  const q = new URLSearchParams();
  for (const key of Object.keys(NUMBER_SPECS) as NumberKey[]) {
    if (s[key] !== NUMBER_SPECS[key].default) q.set(NUMBER_SPECS[key].param, String(s[key]));
  }
  if (s.targetId !== DEFAULT_SETTINGS.targetId) q.set('target', s.targetId);
  if (s.init !== DEFAULT_SETTINGS.init) q.set('init', s.init);
  if (s.backend) q.set('backend', s.backend);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The worker's attack config for these settings. */
export function toAttackConfig(s: LabSettings): MiFaceConfig {
  return {
    ...DEFAULT_MI_FACE,
    targetId: s.targetId,
    seed: s.seed,
    steps: s.steps,
    learningRate: s.learningRate,
    tv: s.tv,
    l2: s.l2,
    init: s.init,
    // Short runs show every step; long ones every few (the worker also throttles to ~20 messages a second).
    snapshotEvery: Math.max(1, Math.min(10, Math.round(s.steps / 100))),
  };
}
