// `npm run mi -- sweep`: one defense knob swept on a short budget. For each value: train the target (the shipped
// recipe, the knob changed), measure its clean accuracy (and, for Trap-MID, its trapdoor accuracy), and attack it:
// MI-Face directly, PLG-MI after training the attack's conditional GAN on the new target's pseudo-labels, as the
// attack needs (PLG-MI's GAN is the target's own). Both judges read the reconstructions; on a Trap-MID target the
// trapdoor detector says which are flagged. Everything runs through src/core, as the lab and the CLI do.
import * as tf from '@tensorflow/tfjs';
import { loadSplits } from './node-io.ts';
import { RECIPES } from './recipes.ts';
import { PLG_INVERSION_WEIGHT, PSEUDO_LABELS_PER_CLASS } from './prior-recipes.ts';
import { GanTrainer, pseudoLabel } from '../../src/core/priors/gan-trainer.ts';
import { accuracy } from '../../src/core/train.ts';
import { filterDigits, publicFor } from '../../src/core/data/mnist.ts';
import { TrapdoorDetector, trapdoorAccuracy } from '../../src/core/metrics/trapdoor.ts';
import { judgeImages, type Judges } from '../../src/core/metrics/judge.ts';
import { miFace } from '../../src/core/attacks/mi-face.ts';
import { plgMi } from '../../src/core/attacks/plg-mi.ts';
import type { Attack, AttackContext, Reconstructions } from '../../src/core/attacks/attack.ts';
import { knobValues } from '../../src/worker/catalog.ts';
import type { DefenseKnobs } from '../../src/core/defenses/recipes.ts';
import type { ChartSpec } from './plot.ts';

export const SWEEP_ATTACKS = ['plg-mi', 'mi-face'] as const;
export type SweepAttack = typeof SWEEP_ATTACKS[number];

export interface SweepOptions {
  defense: string;
  knob: keyof DefenseKnobs;
  values: number[];
  attack: SweepAttack;
  /** Target training epochs (the short budget; the shipped targets train 3-6). */
  epochs: number;
  /** PLG-MI's conditional GAN: epochs on the new target's pseudo-labels (the shipped ones train 20). */
  ganEpochs: number;
  /** Attack seeds, run as one batch (browser budget). */
  seeds: number[];
  /** Training seed of every target and GAN. */
  seed: number;
  /** Tests only: stop each training after this many batches. */
  maxBatches?: number;
  /** Tests only: attack steps instead of the browser budget's. */
  attackSteps?: number;
  log?: (line: string) => void;
}

export interface SweepPoint {
  value: number;
  cleanAccuracy: number;
  /** Trap-MID targets: share of triggered test images sent to the trigger's class. */
  trapdoorAccuracy?: number;
  /** Evaluator top-1, the second judge's top-1, and the share both read as the attacked digit. */
  top1: number;
  robustTop1: number;
  bothTop1: number;
  /** Trap-MID targets: share of the reconstructions the trapdoor detector flags. */
  flaggedShare?: number;
  trainSeconds: number;
  attackSeconds: number;
}

/** Steps `trainer` until done (or `maxBatches`), saying how far it is every half minute. */
async function trainToEnd(trainer: { done: boolean; step(stats?: boolean): Promise<unknown> }, what: string, log: (l: string) => void, maxBatches = Infinity): Promise<void> {
  let last = performance.now();
  for (let b = 0; !trainer.done && b < maxBatches; b++) {
    const s = await trainer.step(false) as { epoch?: number; batch?: number; batchesPerEpoch?: number };
    if (performance.now() - last > 30_000) {
      last = performance.now();
      log(`${what}: epoch ${(s.epoch ?? 0) + 1}, batch ${s.batch}/${s.batchesPerEpoch}`);
    }
  }
}

async function runAttack<C, S>(attack: Attack<C, S>, ctx: AttackContext, options: C): Promise<Reconstructions> {
  const state = await attack.init(ctx, options);
  try {
    while (!(await attack.step(state)).done) { /* to the end */ }
    return await attack.result(state);
  } finally {
    attack.dispose(state);
  }
}

/** One value of the sweep: train, measure, attack, judge. Frees every tensor it made. */
async function sweepPoint(o: SweepOptions, value: number, judges: Judges): Promise<SweepPoint> {
  const recipe = RECIPES.find((r) => r.role === 'target' && r.defense === o.defense);
  if (!recipe) throw new Error(`no target recipe for defense '${o.defense}'`);
  const log = o.log ?? (() => {});
  const splits = loadSplits();
  const classOf = (d: number) => recipe.classes.indexOf(d);
  const t0 = performance.now();
  const trainer = recipe.make(o.seed, o.epochs, { [o.knob]: value } as Partial<DefenseKnobs>);
  await trainToEnd(trainer, `${o.knob} ${value}: target`, log, o.maxBatches);
  const trainSeconds = (performance.now() - t0) / 1000;
  const target = trainer.model;
  const cleanAccuracy = await accuracy(target, recipe.test, classOf);
  const trap = trainer.trapMid;
  const trapdoor = trap ? await trapdoorAccuracy(target, recipe.test, classOf, trap.triggers, trap.config.alpha, o.seed, 500, trap.config.injection) : undefined;
  log(`${o.knob} ${value}: trained in ${trainSeconds.toFixed(0)} s, clean accuracy ${(cleanAccuracy * 100).toFixed(2)}%` +
    (trapdoor === undefined ? '' : `, trapdoor accuracy ${(trapdoor * 100).toFixed(1)}%`));

  const t1 = performance.now();
  const ctx: AttackContext = { target, targetClasses: recipe.classes };
  const browser = knobValues(o.attack, 'browser');
  const steps = o.attackSteps ?? browser.steps;
  let gan: GanTrainer | undefined;
  let recon: Reconstructions;
  if (o.attack === 'plg-mi') {
    const data = await pseudoLabel(target, publicFor('disjoint', splits), PSEUDO_LABELS_PER_CLASS.disjoint);
    gan = new GanTrainer(data, {
      epochs: o.ganEpochs, batchSize: 64, learningRate: 2e-4, beta1: 0.5, seed: o.seed, kind: 'cgan', numClasses: recipe.classes.length,
      classOf: (c) => c, inversion: { target, weight: PLG_INVERSION_WEIGHT },
    });
    await trainToEnd(gan, `${o.knob} ${value}: conditional GAN`, log, o.maxBatches);
    log(`${o.knob} ${value}: conditional GAN trained (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
    ctx.prior = { generator: gan.generator, discriminator: gan.discriminator, conditional: true };
    recon = await runAttack(plgMi, ctx, { restarts: browser.restarts, steps, learningRate: browser.learningRate, seed: o.seeds[0], seeds: o.seeds });
  } else {
    recon = await runAttack(miFace, ctx, { steps, learningRate: browser.learningRate, tv: browser.tv, l2: browser.l2, init: 'noise', seed: o.seeds[0], seeds: o.seeds });
  }
  const verdict = await judgeImages(judges, recon.pixels, recon.classes);
  let flaggedShare: number | undefined;
  if (trap) {
    const detector = await TrapdoorDetector.build(target, trap.triggers, trap.config.alpha, trap.config.injection, filterDigits(splits.privateTrain, recipe.classes, 500));
    const x = tf.tensor4d(recon.pixels, [recon.classes.length, 28, 28, 1]);
    const scores = await detector.score(x);
    x.dispose(); // (the detector's feature model shares the target's layers: freed with it)
    flaggedShare = scores.filter((s) => s.score > detector.threshold).length / scores.length;
  }
  const attackSeconds = (performance.now() - t1) / 1000;
  if (gan) { gan.generator.dispose(); gan.discriminator.dispose(); gan.dispose(); }
  trainer.dispose(); // the target too
  const point: SweepPoint = {
    value, cleanAccuracy, ...(trapdoor === undefined ? {} : { trapdoorAccuracy: trapdoor }),
    top1: verdict.accuracy.top1, robustTop1: verdict.accuracy.robustTop1 ?? NaN, bothTop1: verdict.accuracy.bothTop1 ?? NaN,
    ...(flaggedShare === undefined ? {} : { flaggedShare }), trainSeconds, attackSeconds,
  };
  log(`${o.knob} ${value}: ${o.attack} top-1 ${point.top1.toFixed(2)} (judge 2 ${point.robustTop1.toFixed(2)}, both ${point.bothTop1.toFixed(2)})` +
    (flaggedShare === undefined ? '' : `, ${(flaggedShare * 100).toFixed(0)}% flagged`) + ` in ${attackSeconds.toFixed(0)} s`);
  return point;
}

/** Every value of the sweep, in order; `onPoint` sees each as it finishes (the CLI saves as it goes). */
export async function runSweep(o: SweepOptions, judges: Judges, onPoint: (p: SweepPoint, done: SweepPoint[]) => void = () => {}): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const value of o.values) {
    points.push(await sweepPoint(o, value, judges));
    onPoint(points[points.length - 1], points);
  }
  return points;
}

/** The chart of a sweep: clean accuracy and the attack's top-1 by both judges (and Trap-MID's trapdoor accuracy and
 *  flagged share) against the knob. */
export function sweepChart(r: { title: string; knobLabel: string; attackName: string; points: SweepPoint[] }): ChartSpec {
  const pts = r.points;
  const all = (f: (p: SweepPoint) => number | undefined) => pts.every((p) => f(p) !== undefined);
  return {
    title: r.title, xLabel: r.knobLabel, xs: pts.map((p) => p.value),
    series: [
      { label: 'clean accuracy', values: pts.map((p) => p.cleanAccuracy), color: '#222' },
      { label: `${r.attackName} top-1 (evaluator)`, values: pts.map((p) => p.top1), color: '#d62728' },
      { label: `${r.attackName} top-1 (judge 2)`, values: pts.map((p) => p.robustTop1), color: '#ff7f0e', dashed: true },
      ...(all((p) => p.trapdoorAccuracy) ? [{ label: 'trapdoor accuracy', values: pts.map((p) => p.trapdoorAccuracy!), color: '#1f77b4', dashed: true }] : []),
      ...(all((p) => p.flaggedShare) ? [{ label: 'reconstructions flagged', values: pts.map((p) => p.flaggedShare!), color: '#9467bd' }] : []),
    ],
  };
}
