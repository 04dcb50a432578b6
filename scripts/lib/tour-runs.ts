// The guided tour's live attacks measured in Node, through the worker's engine and the config the tour page builds
// (its link -> the attack lab's settings -> the worker's config), so what is measured here is what a reader sees:
// per seed the evaluator's top-1, the honest verdicts of src/ui/verdict.ts, the reconstructions' peak ink and (Trap-MID
// targets) the trapdoor detector's flagged share, and those pooled over the seeds. `npm run tour:record` and the tour's
// claims test (tests/unit/tour-claims.test.ts) share it.
import * as tf from '@tensorflow/tfjs';
import { Engine } from '../../src/worker/engine.ts';
import type { AttackSnapshot } from '../../src/worker/protocol.ts';
import { readSettings, toAttackConfig } from '../../src/pages/attack/url-config.ts';
import { DEFAULT_TOUR_STEPS, labSearch, readTourSettings } from '../../src/pages/tour/tour-config.ts';
import { countVerdicts, peakOf, verdictsOf, type VerdictKind } from '../../src/ui/verdict.ts';
import { nodeBackend, nodeLoader } from './node-io.ts';
import { datasetOf, pixelsPerImage, type DatasetId } from '../../src/core/data/datasets.ts';

export interface SeedRun {
  seed: number;
  top1: number;
  verdicts: Record<VerdictKind, number>;
  /** Mean over the reconstructions of each one's brightest pixel. */
  meanPeak: number;
  /** Trap-MID targets only, else null. */
  flagged: number | null;
}

export interface TourCell {
  attack: string;
  target: string;
  steps: number;
  seeds: SeedRun[];
  /** Pooled over every reconstruction of every seed: each verdict's share, mean top-1, peak and flagged share. */
  pooled: Record<VerdictKind, number> & { top1: number; meanPeak: number; flagged: number | null };
}

/** A cell of src/pages/tour/recorded-runs.json: shares of all reconstructions and means, to 3 decimals. */
export interface RecordedCell {
  attack: string;
  target: string;
  runs: number;
  clear: number;
  barely: number;
  wrong: number;
  blank: number;
  top1: number;
  flagged: number | null;
  meanPeak: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The worker config of the tour's live attack `attack` vs `target` on `seed`, built exactly as the tour page does. */
export function tourConfig(attack: string, target: string, seed: number, steps = DEFAULT_TOUR_STEPS, dataset: DatasetId = 'mnist') {
  const tour = { ...readTourSettings(''), seed, steps };
  return toAttackConfig(readSettings(labSearch(tour, attack, target, dataset)).settings);
}

/** Runs `config` to its end on `engine`; its final snapshot, once the job's tensors are freed. */
async function runToEnd(engine: Engine, config: ReturnType<typeof tourConfig>): Promise<AttackSnapshot> {
  let settle!: (s: AttackSnapshot) => void, fail!: (e: Error) => void;
  const ended = new Promise<AttackSnapshot>((resolve, reject) => { settle = resolve; fail = reject; });
  const id = await engine.startAttack(config, (s) => {
    if (s.state === 'done') settle(s);
    else if (s.state === 'failed' || s.state === 'cancelled') fail(new Error(`${config.attack} vs ${config.targetId}: ${s.state} (${s.error ?? ''})`));
  });
  const final = await ended;
  await engine.cancel(id); // a no-op on an ended job, but it waits for the job's loop to dispose of its tensors
  return final;
}

/**
 * Each seed of the tour's `attack` vs `target` run to the end at `steps`, and the pooled figures. Throws when tensors
 * pile up between seeds (the first seed loads and caches the models, so the count after it is the baseline).
 */
export async function measureTourRun(
  engine: Engine, attack: string, target: string, seeds: number[], steps = DEFAULT_TOUR_STEPS, dataset: DatasetId = 'mnist',
): Promise<TourCell> {
  const runs: SeedRun[] = [];
  const px = pixelsPerImage(datasetOf(dataset));
  let baseline: number | undefined;
  for (const seed of seeds) {
    const s = await runToEnd(engine, tourConfig(attack, target, seed, steps, dataset));
    if (s.classes.length === 0) throw new Error(`${attack} vs ${target}, seed ${seed}: no reconstructions`);
    runs.push({
      seed, top1: s.attackAccuracy.top1, verdicts: countVerdicts(verdictsOf(s)),
      meanPeak: mean(s.classes.map((_, k) => peakOf(s.pixels, k * px, px))), flagged: s.trapdoor?.flaggedShare ?? null,
    });
    const tensors = tf.memory().numTensors;
    if (baseline === undefined) baseline = tensors;
    else if (tensors > baseline) throw new Error(`${attack} vs ${target}, seed ${seed}: ${tensors - baseline} tensors leaked since the first seed`);
  }
  const total = runs.reduce((a, r) => a + r.verdicts.clear + r.verdicts.barely + r.verdicts.wrong + r.verdicts.blank, 0);
  const share = (k: VerdictKind) => runs.reduce((a, r) => a + r.verdicts[k], 0) / total;
  const flagged = runs.every((r) => r.flagged !== null) ? mean(runs.map((r) => r.flagged!)) : null;
  return {
    attack, target, steps, seeds: runs,
    pooled: {
      clear: share('clear'), barely: share('barely'), wrong: share('wrong'), blank: share('blank'),
      top1: mean(runs.map((r) => r.top1)), meanPeak: mean(runs.map((r) => r.meanPeak)), flagged,
    },
  };
}

/** The engine on Node's wasm backend, single-threaded as in the unit tests (same kernels, same numbers). */
export async function startTourEngine(): Promise<Engine> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await nodeBackend('wasm');
  const engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
  return engine;
}

const round3 = (v: number) => Math.round(1000 * v) / 1000;

/** `c` as recorded-runs.json holds it. */
export function recordedCell(c: TourCell): RecordedCell {
  const p = c.pooled;
  return {
    attack: c.attack, target: c.target, runs: c.seeds.length, clear: round3(p.clear), barely: round3(p.barely), wrong: round3(p.wrong),
    blank: round3(p.blank), top1: round3(p.top1), flagged: p.flagged === null ? null : round3(p.flagged), meanPeak: round3(p.meanPeak),
  };
}
