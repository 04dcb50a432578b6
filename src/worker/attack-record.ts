// The attack lab's run record (tfjs-free, shared by the page and the tests): what "Export run record" writes, and a
// strict reader for "Open a run record…". The kept reconstructions are stored as base64 grey levels (encodeGray).
import { ATTACKS, KNOWLEDGE_INFO, OUTPUT_DEFENSES, attackInfo } from './catalog.ts';
import { decodeGray, encodeGray } from './benchmark-record.ts';
import { QUERY_BUDGET_MAX, type AttackConfig, type AttackSnapshot, type JobState } from './protocol.ts';

export const ATTACK_RECORD_FORMAT = 'inversion-playground-attack';
/** Version 2 adds the second judge's verdicts; version 1 records (one judge) still open. */
export const ATTACK_RECORD_VERSION = 2;

/** One kept reconstruction (one per attacked digit), with what the target and the evaluator said about it. */
export interface AttackRecordImage {
  digit: number;
  /** 784 grey levels (0-255, 0 = black background), base64 (encodeGray). */
  pixels: string;
  targetConfidence: number;
  evaluator: { predicted: number; confidence: number; top5: number[] };
  /** The second judge's digit and probability (version 2). */
  robust?: { predicted: number; confidence: number };
  /** Trap-MID targets: the trapdoor detector's cosine score. */
  trapdoorScore?: number;
}

export interface AttackRecord {
  format: typeof ATTACK_RECORD_FORMAT;
  version: 1 | 2;
  createdAt: string;
  /** The attack, its knobs, target and seed: enough to run it again. */
  config: AttackConfig;
  backend: string;
  adapter?: string;
  state: JobState;
  step: number;
  maxSteps: number;
  elapsedMs: number;
  /** Share of the kept reconstructions the evaluator calls their attacked digit (top-1, top-5), the second judge (top-1), both. */
  attackAccuracy: AttackSnapshot['attackAccuracy'];
  images: AttackRecordImage[];
  /** Trap-MID targets: the detector's threshold, the share flagged and the ROC-AUC of reconstructions vs public digits. */
  trapdoor?: { threshold: number; flaggedShare: number; aucVsPublic: number };
  /** Black-box and label-only attacks: queries made to the target. */
  queries?: number;
  /** BREP-MI: sphere radius per attacked digit. */
  radius?: number[];
}

const PIXELS = 784;

/** The record of a run as a snapshot shows it (the kept reconstructions only, not a GAN attack's whole population). */
export function buildAttackRecord(snap: AttackSnapshot, config: AttackConfig, engine: { backend: string; adapter?: string }, createdAt = new Date()): AttackRecord {
  return {
    // A run with no second judge (a reopened version 1 record) is saved as version 1 again.
    format: ATTACK_RECORD_FORMAT, version: snap.robust ? ATTACK_RECORD_VERSION : 1, createdAt: createdAt.toISOString(), config,
    backend: engine.backend, ...(engine.adapter ? { adapter: engine.adapter } : {}),
    state: snap.state, step: snap.step, maxSteps: snap.maxSteps, elapsedMs: snap.elapsedMs, attackAccuracy: { ...snap.attackAccuracy },
    images: snap.classes.map((digit, k) => ({
      digit,
      pixels: encodeGray(snap.pixels.subarray(k * PIXELS, (k + 1) * PIXELS)),
      targetConfidence: snap.targetConfidence[k],
      evaluator: { predicted: snap.evaluator.predicted[k], confidence: snap.evaluator.confidence[k], top5: [...snap.evaluator.top5[k]] },
      ...(snap.robust ? { robust: { predicted: snap.robust.predicted[k], confidence: snap.robust.confidence[k] } } : {}),
      ...(snap.trapdoor ? { trapdoorScore: snap.trapdoor.scores[k] } : {}),
    })),
    ...(snap.trapdoor ? { trapdoor: { threshold: snap.trapdoor.threshold, flaggedShare: snap.trapdoor.flaggedShare, aucVsPublic: snap.trapdoor.aucVsPublic } } : {}),
    ...(snap.queries !== undefined ? { queries: snap.queries } : {}),
    ...(snap.radius ? { radius: [...snap.radius] } : {}),
  };
}

/** A record as the snapshot the page draws (no job behind it: jobId 0, no losses). */
export function snapshotOfRecord(r: AttackRecord): AttackSnapshot {
  const pixels = new Float32Array(r.images.length * PIXELS);
  r.images.forEach((im, k) => pixels.set(decodeGray(im.pixels), k * PIXELS));
  return {
    jobId: 0, step: r.step, maxSteps: r.maxSteps, classes: r.images.map((im) => im.digit), pixels,
    targetConfidence: r.images.map((im) => im.targetConfidence), loss: [],
    evaluator: {
      predicted: r.images.map((im) => im.evaluator.predicted), confidence: r.images.map((im) => im.evaluator.confidence),
      top5: r.images.map((im) => [...im.evaluator.top5]),
    },
    ...(r.images.every((im) => im.robust) ? { robust: { predicted: r.images.map((im) => im.robust!.predicted), confidence: r.images.map((im) => im.robust!.confidence) } } : {}),
    attackAccuracy: { ...r.attackAccuracy }, state: r.state, elapsedMs: r.elapsedMs,
    ...(r.trapdoor ? { trapdoor: { ...r.trapdoor, scores: r.images.map((im) => im.trapdoorScore ?? NaN) } } : {}),
    ...(r.queries !== undefined ? { queries: r.queries } : {}),
    ...(r.radius ? { radius: [...r.radius] } : {}),
  };
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const JOB_STATES: readonly JobState[] = ['running', 'paused', 'done', 'cancelled', 'failed'];

/**
 * Reads a saved attack run record; throws a message naming the first field that is missing or wrong. Everything the
 * page shows or runs from it is checked (the config as strictly as the engine checks a run's).
 */
export function parseAttackRecord(text: string): AttackRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the file is not JSON');
  }
  const fail = (what: string): never => { throw new Error(`not an attack run record: ${what}`); };
  if (!isObj(v)) return fail('expected a JSON object');
  if (v.format !== ATTACK_RECORD_FORMAT) fail(`"format" is ${JSON.stringify(v.format)}, expected "${ATTACK_RECORD_FORMAT}"`);
  if (v.version !== 1 && v.version !== ATTACK_RECORD_VERSION) fail(`"version" ${JSON.stringify(v.version)} is not supported (this page reads versions 1 and ${ATTACK_RECORD_VERSION})`);
  const twoJudges = v.version === 2;

  const num = (o: Obj, key: string, where: string, range?: [number, number], integer = false): number => {
    const x = o[key];
    if (typeof x !== 'number' || !Number.isFinite(x)) return fail(`"${where}${key}" must be a number`);
    if (integer && !Number.isInteger(x)) fail(`"${where}${key}" must be a whole number (got ${x})`);
    if (range && (x < range[0] || x > range[1])) fail(`"${where}${key}" must be in ${range[0]}..${range[1]} (got ${x})`);
    return x;
  };
  const share: [number, number] = [0, 1];
  const digitRange: [number, number] = [0, 9];
  const count: [number, number] = [0, Number.MAX_SAFE_INTEGER];

  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt))) fail('"createdAt" must be a date (ISO text)');
  if (typeof v.backend !== 'string' || v.backend === '') fail('"backend" must name a backend');
  if (v.adapter !== undefined && typeof v.adapter !== 'string') fail('"adapter" must be text');
  if (!JOB_STATES.includes(v.state as JobState)) fail(`"state" must be one of ${JOB_STATES.join(', ')}`);
  const maxSteps = num(v, 'maxSteps', '', [1, Number.MAX_SAFE_INTEGER], true);
  num(v, 'step', '', [0, maxSteps], true);
  num(v, 'elapsedMs', '', count);
  if (!isObj(v.attackAccuracy)) fail('"attackAccuracy" must be an object with top1 and top5');
  num(v.attackAccuracy as Obj, 'top1', 'attackAccuracy.', share);
  num(v.attackAccuracy as Obj, 'top5', 'attackAccuracy.', share);
  if (twoJudges) {
    num(v.attackAccuracy as Obj, 'robustTop1', 'attackAccuracy.', share);
    num(v.attackAccuracy as Obj, 'bothTop1', 'attackAccuracy.', share);
  }
  checkConfig(v.config, fail);

  if (!Array.isArray(v.images) || v.images.length === 0) fail('"images" must be a non-empty list');
  const images = v.images as unknown[];
  const digits = new Set<number>();
  images.forEach((im, i) => {
    const at = `images[${i}].`;
    if (!isObj(im)) return fail(`"images[${i}]" must be an object`);
    const digit = num(im, 'digit', at, digitRange, true);
    if (digits.has(digit)) fail(`"${at}digit" ${digit} appears twice`);
    digits.add(digit);
    if (typeof im.pixels !== 'string') return fail(`"${at}pixels" must be base64 text`);
    let size: number;
    try { size = atob(im.pixels).length; } catch { return fail(`"${at}pixels" is not base64`); }
    if (size !== PIXELS) fail(`"${at}pixels" holds ${size} pixels, expected ${PIXELS} (28 x 28)`);
    num(im, 'targetConfidence', at, share);
    if (!isObj(im.evaluator)) return fail(`"${at}evaluator" must be an object`);
    num(im.evaluator, 'predicted', `${at}evaluator.`, digitRange, true);
    num(im.evaluator, 'confidence', `${at}evaluator.`, share);
    const top5 = im.evaluator.top5;
    if (!Array.isArray(top5) || top5.length < 1 || top5.length > 10 || !top5.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)) {
      fail(`"${at}evaluator.top5" must be a list of digits`);
    }
    if (twoJudges) {
      if (!isObj(im.robust)) return fail(`"${at}robust" must be an object (the second judge's verdict)`);
      num(im.robust, 'predicted', `${at}robust.`, digitRange, true);
      num(im.robust, 'confidence', `${at}robust.`, share);
    }
    if (im.trapdoorScore !== undefined) num(im, 'trapdoorScore', at, [-1, 1]);
  });

  if (v.trapdoor !== undefined) {
    if (!isObj(v.trapdoor)) fail('"trapdoor" must be an object');
    const t = v.trapdoor as Obj;
    num(t, 'threshold', 'trapdoor.', [-1, 1]);
    num(t, 'flaggedShare', 'trapdoor.', share);
    num(t, 'aucVsPublic', 'trapdoor.', share);
    const missing = images.findIndex((im) => (im as Obj).trapdoorScore === undefined);
    if (missing >= 0) fail(`"images[${missing}].trapdoorScore" is missing (the record has trapdoor figures)`);
  }
  if (v.queries !== undefined) num(v, 'queries', '', count, true);
  if (v.radius !== undefined && (!Array.isArray(v.radius) || v.radius.length !== images.length || !v.radius.every((r) => typeof r === 'number' && Number.isFinite(r)))) {
    fail('"radius" must be one number per image');
  }
  return v as unknown as AttackRecord;
}

/** The attack config, as strictly as the engine validates one (attack, target, seed, every knob within its bounds). */
function checkConfig(c: unknown, fail: (what: string) => never): void {
  if (!isObj(c)) return fail('"config" must be an object');
  if (!ATTACKS.some((a) => a.id === c.attack)) fail(`"config.attack" ${JSON.stringify(c.attack)} is unknown (available: ${ATTACKS.map((a) => a.id).join(', ')})`);
  if (typeof c.targetId !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(c.targetId)) fail('"config.targetId" must be a model name');
  const int = (key: string, min: number, max: number) => {
    const x = c[key];
    if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) fail(`"config.${key}" must be a whole number in ${min}..${max} (got ${JSON.stringify(x)})`);
  };
  int('seed', 0, 2 ** 31 - 1);
  int('snapshotEvery', 1, 100_000);
  const info = attackInfo(c.attack as string);
  const knob = (key: string, x: unknown, where: string) => {
    const k = info.knobs.find((s) => s.key === key);
    if (!k) return fail(`"${where}" is not a knob of ${info.name} (knobs: ${info.knobs.map((s) => s.key).join(', ')})`);
    if (typeof x !== 'number' || !Number.isFinite(x) || x < k.min || x > k.max || (k.integer && !Number.isInteger(x))) {
      fail(`"${where}" must be ${k.integer ? 'a whole number' : 'a number'} in ${k.min}..${k.max} (got ${JSON.stringify(x)})`);
    }
  };
  if (c.attack === 'mi-face') {
    for (const k of info.knobs) knob(k.key, c[k.key], `config.${k.key}`);
    if (c.init !== 'zeros' && c.init !== 'noise') fail(`"config.init" must be "zeros" or "noise" (got ${JSON.stringify(c.init)})`);
    return;
  }
  if (!Object.keys(KNOWLEDGE_INFO).includes(c.knowledge as string)) {
    fail(`"config.knowledge" must be one of ${Object.keys(KNOWLEDGE_INFO).join(', ')} (got ${JSON.stringify(c.knowledge)})`);
  }
  if (!isObj(c.params)) return fail('"config.params" must be an object of knobs');
  for (const [key, x] of Object.entries(c.params)) knob(key, x, `config.params.${key}`);
  if (c.params.steps === undefined) fail('"config.params.steps" is missing');
  if (c.outputDefense !== undefined && !OUTPUT_DEFENSES.some((d) => d.value === c.outputDefense)) {
    fail(`"config.outputDefense" must be one of ${OUTPUT_DEFENSES.map((d) => d.value).join(', ')} (got ${JSON.stringify(c.outputDefense)})`);
  }
  if (c.queryBudget !== undefined) {
    if (!info.usesOutputDefense) fail(`"config.queryBudget" applies to the black-box and label-only attacks, not ${info.name}`);
    int('queryBudget', 1, QUERY_BUDGET_MAX);
  }
}
