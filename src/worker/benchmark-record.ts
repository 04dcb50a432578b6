// The benchmark's plain helpers, shared by the engine, the page and the CLI (tfjs-free): seed lists, config checks,
// the image encoding of a run record, its CSV table, and reading a saved record back.
import { ATTACKS, DATASET_IDS, attackInfo, datasetOf, isDatasetId, runsOn } from './catalog.ts';
import { QUERY_BUDGET_MAX, type AttackId, type BenchmarkCell, type BenchmarkConfig, type BenchmarkRecord } from './protocol.ts';
import { parseOutputDefense } from '../core/attacks/output-defense.ts';

/** Seeds one benchmark may run per cell (each is a whole attack per cell). */
export const MAX_SEEDS = 50;
/** Private images per digit of the browser's reference (a few hundred: cheap to featurise, enough for KNN). */
export const DEFAULT_REFERENCE_PER_DIGIT = 200;
export const REFERENCE_PER_DIGIT_RANGE = { min: 10, max: 2000 } as const;
export const STEPS_RANGE = { min: 1, max: 5000 } as const;
export const RECORD_FORMAT = 'inversion-playground-benchmark';

/** "3", "1-10", "1,4,9" or "1-3,7" -> distinct seeds in order; throws a readable message otherwise. */
export function parseSeedList(text: string): number[] {
  const out: number[] = [];
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === '')) throw new Error(`'${text}' is not a list of seeds (e.g. 1, 1-3 or 1,4,9)`);
  for (const part of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`'${part}' is not a seed or a range of seeds (e.g. 1 or 1-3)`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`'${part}': a range goes up (e.g. 1-3)`);
    if (b > 2 ** 31 - 1) throw new Error(`'${part}': seeds go up to ${2 ** 31 - 1}`);
    if (b - a + 1 > MAX_SEEDS) throw new Error(`'${part}' names more than ${MAX_SEEDS} seeds`);
    for (let s = a; s <= b; s++) if (!out.includes(s)) out.push(s);
  }
  if (out.length > MAX_SEEDS) throw new Error(`${out.length} seeds: at most ${MAX_SEEDS}`);
  return out;
}

/** Seeds back to text: consecutive runs as ranges ("1-3,7"). */
export function formatSeedList(seeds: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length; i++) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j > i ? `${seeds[i]}-${seeds[j]}` : String(seeds[i]));
    i = j;
  }
  return parts.join(',');
}

/**
 * Checks a config against the targets the engine has (with their data sets; absent = MNIST); throws a message naming
 * the bad field. The rows must be targets of the config's data set, the columns attacks that run on it.
 */
export function validateBenchmarkConfig(c: BenchmarkConfig, targets: readonly { id: string; dataset?: string }[]): void {
  const bad = (what: string): never => { throw new Error(`invalid benchmark config: ${what}`); };
  if (c.dataset !== undefined && !isDatasetId(c.dataset)) bad(`unknown data set '${String(c.dataset)}' (available: ${DATASET_IDS.join(', ')})`);
  const ds = datasetOf(c.dataset);
  const mine = targets.filter((t) => datasetOf(t.dataset).id === ds.id).map((t) => t.id);
  if (!Array.isArray(c.defenses) || c.defenses.length === 0) bad('pick at least one defense (a target)');
  for (const d of c.defenses) {
    if (mine.includes(d)) continue;
    const other = targets.find((t) => t.id === d);
    if (other) bad(`'${d}' is a target of the ${datasetOf(other.dataset).title}, not of the ${ds.title} (have: ${mine.join(', ')})`);
    bad(`no target '${String(d)}' (have: ${mine.join(', ')})`);
  }
  if (new Set(c.defenses).size !== c.defenses.length) bad('a defense is listed twice');
  if (!Array.isArray(c.attacks) || c.attacks.length === 0) bad('pick at least one attack');
  for (const a of c.attacks) if (!ATTACKS.some((x) => x.id === a)) bad(`unknown attack '${String(a)}' (available: ${ATTACKS.map((x) => x.id).join(', ')})`);
  for (const a of c.attacks) if (!runsOn(a, ds.id)) bad(`${attackInfo(a).name} does not run on the ${ds.title} (its prior is trained per digit target)`);
  if (new Set(c.attacks).size !== c.attacks.length) bad('an attack is listed twice');
  if (!Array.isArray(c.seeds) || c.seeds.length === 0 || c.seeds.length > MAX_SEEDS) bad(`give 1 to ${MAX_SEEDS} seeds`);
  for (const s of c.seeds) if (!Number.isInteger(s) || s < 0) bad(`seed ${String(s)} is not a whole number >= 0`);
  if (c.batchSeeds !== undefined && typeof c.batchSeeds !== 'boolean') bad(`batchSeeds must be true or false (got ${String(c.batchSeeds)})`);
  if (c.budget !== 'browser' && c.budget !== 'paper') bad(`budget must be 'browser' or 'paper' (got '${String(c.budget)}')`);
  if (c.knowledge !== 'disjoint' && c.knowledge !== 'other-writers') bad(`knowledge must be 'disjoint' or 'other-writers' (got '${String(c.knowledge)}')`);
  // 'Same digits, other writers' is a digits setting: the faces' attacker knows other people's faces only.
  if (ds.id !== 'mnist' && c.knowledge !== 'disjoint') bad(`knowledge on the ${ds.title} is 'disjoint' only (other people's faces)`);
  const int = (key: 'steps' | 'referencePerDigit', r: { min: number; max: number }) => {
    const v = c[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= r.min && v <= r.max)) bad(`${key} must be a whole number in ${r.min}..${r.max} (got ${String(v)})`);
  };
  int('steps', STEPS_RANGE);
  int('referencePerDigit', REFERENCE_PER_DIGIT_RANGE);
  if (c.outputDefense !== undefined) {
    try { parseOutputDefense(c.outputDefense); } catch (e) { bad((e as Error).message); }
  }
  if (c.queryBudget !== undefined && !(Number.isInteger(c.queryBudget) && c.queryBudget >= 1 && c.queryBudget <= QUERY_BUDGET_MAX)) {
    bad(`queryBudget must be a whole number in 1..${QUERY_BUDGET_MAX} (got ${String(c.queryBudget)})`);
  }
}

/** side x side values in [0, 1] (or bytes with `scale` 1) -> base64 of as many grey levels. */
export function encodeGray(pixels: ArrayLike<number>, scale = 255): string {
  let s = '';
  for (let i = 0; i < pixels.length; i++) s += String.fromCharCode(Math.max(0, Math.min(255, Math.round(pixels[i] * scale))));
  return btoa(s);
}

/** base64 grey levels -> values in [0, 1] (what ImageCanvas draws). */
export function decodeGray(text: string): Float32Array {
  const s = atob(text);
  const out = new Float32Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) / 255;
  return out;
}

const CSV_COLUMNS = [
  'defense', 'clean_accuracy', 'attack', 'status', 'seeds', 'steps', 'images', 'top1', 'top5', 'judge2_top1', 'both_top1', 'knn_label', 'public_nearest', 'knn_distance', 'fid', 'psnr', 'ssim',
  'precision', 'recall', 'density', 'coverage', 'queries_per_run', 'trapdoor_flagged', 'trapdoor_mean_score', 'seconds', 'dataset',
  'output_defense', 'query_budget', 'note',
] as const;

function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The table as CSV: one line per cell (defense x attack), in the record's order. A record saved before its data set's
 * second judge shipped leaves judge2_top1, both_top1 and knn_label empty, never a number.
 */
export function recordToCsv(record: BenchmarkRecord): string {
  const clean = new Map(record.defenses.map((d) => [d.id, d.testAccuracy]));
  const lines = [CSV_COLUMNS.join(',')];
  for (const c of record.cells) {
    const m = c.metrics;
    const queries = attackInfo(c.attack).usesOutputDefense;
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      defense: c.defense, clean_accuracy: clean.get(c.defense), attack: c.attack, status: c.status, seeds: formatSeedList(c.seeds), steps: c.steps,
      images: m?.images, top1: m?.top1, top5: m?.top5,
      judge2_top1: m?.robustTop1, both_top1: m?.bothTop1, knn_label: m?.knnLabelAccuracy, public_nearest: m?.publicNearest, knn_distance: m?.knnDistance, fid: m?.fid, psnr: m?.psnr, ssim: m?.ssim,
      precision: m?.prdc?.precision, recall: m?.prdc?.recall, density: m?.prdc?.density, coverage: m?.prdc?.coverage,
      queries_per_run: m?.queriesPerRun, trapdoor_flagged: m?.trapdoor?.flaggedShare, trapdoor_mean_score: m?.trapdoor?.meanScore, seconds: c.seconds,
      dataset: datasetOf(record.config.dataset).id,
      // Only the columns that query the target have an output defense and a query budget.
      output_defense: queries ? record.config.outputDefense ?? 'none' : undefined, query_budget: queries ? record.config.queryBudget : undefined,
      note: c.note ?? m?.fidReason,
    };
    lines.push(CSV_COLUMNS.map((k) => csvField(row[k])).join(','));
  }
  return lines.join('\n') + '\n';
}

/** The cell of a record (or undefined while it has not run). */
export function cellOf(cells: readonly BenchmarkCell[], defense: string, attack: AttackId): BenchmarkCell | undefined {
  return cells.find((c) => c.defense === defense && c.attack === attack);
}

/**
 * Reads a saved run record (the page's JSON export, `mi bench --json` or record.json); throws a readable message when
 * the text is not one. Checks the shape the page relies on, not every number.
 */
export function parseBenchmarkRecord(text: string): BenchmarkRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the file is not JSON');
  }
  const fail = (what: string): never => { throw new Error(`not a benchmark run record: ${what}`); };
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(v)) return fail('expected an object');
  if (v.format !== RECORD_FORMAT) fail(`"format" is not "${RECORD_FORMAT}"`);
  if (v.version !== 1) fail(`version ${String(v.version)} is not supported (this page reads version 1)`);
  const config = v.config;
  if (!isObj(config)) return fail('no "config"');
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!strings(config.defenses) || !strings(config.attacks) || !Array.isArray(config.seeds) || !config.seeds.every(Number.isInteger)) {
    fail('"config" needs defenses, attacks and seeds');
  }
  for (const a of config.attacks as string[]) if (!ATTACKS.some((x) => x.id === a)) fail(`unknown attack '${a}' in "config"`);
  if (config.dataset !== undefined && !isDatasetId(config.dataset)) fail(`unknown data set '${String(config.dataset)}' in "config" (this page knows ${DATASET_IDS.join(', ')})`);
  if (!Array.isArray(v.defenses) || !v.defenses.every((d) => isObj(d) && typeof d.id === 'string' && typeof d.testAccuracy === 'number')) {
    fail('"defenses" needs an id and a testAccuracy each');
  }
  if (!Array.isArray(v.cells)) return fail('no "cells"');
  for (const c of v.cells) {
    if (!isObj(c) || typeof c.defense !== 'string' || typeof c.attack !== 'string' || !['done', 'no-prior', 'failed'].includes(c.status as string)) {
      fail('every cell needs a defense, an attack and a status');
    }
    const cell = c as Record<string, unknown>;
    if (cell.status === 'done' && (!isObj(cell.metrics) || typeof cell.metrics.top1 !== 'number')) fail(`cell ${String(cell.defense)} x ${String(cell.attack)} has no metrics`);
    if (cell.images !== undefined && (!Array.isArray(cell.images) || !cell.images.every((im) => isObj(im) && typeof im.pixels === 'string' && typeof im.nearest === 'string'))) {
      fail(`cell ${String(cell.defense)} x ${String(cell.attack)} has malformed images`);
    }
  }
  return v as unknown as BenchmarkRecord;
}
