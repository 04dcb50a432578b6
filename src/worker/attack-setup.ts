// Turns an attack config (catalog knobs) into a running core attack: validates it, loads what the attack needs
// (GAN prior, oracle, public features for LOMMA) through the engine's model cache, and builds the core options.
import * as tf from '@tensorflow/tfjs';
import type { Attack, AttackContext } from '../core/attacks/attack.ts';
import { miFace } from '../core/attacks/mi-face.ts';
import { gmi } from '../core/attacks/gmi.ts';
import { plgMi } from '../core/attacks/plg-mi.ts';
import { plgMiAdaptive, type TrapdoorRecipe } from '../core/attacks/plg-mi-adaptive.ts';
import { ppa } from '../core/attacks/ppa.ts';
import { kedMi } from '../core/attacks/ked-mi.ts';
import type { LommaOptions } from '../core/attacks/lomma.ts';
import { genetic } from '../core/attacks/genetic.ts';
import { brepMi } from '../core/attacks/brep-mi.ts';
import { c2fmi } from '../core/attacks/c2fmi.ts';
import { lokt } from '../core/attacks/lokt.ts';
import { inversionNet, type Victims } from '../core/attacks/inversion-net.ts';
import { SplitClient, splitInversion, type SplitVictims } from '../core/attacks/split-inversion.ts';
import { spreadIndices } from '../core/metrics/judge.ts';
import { QueryOracle, needsGuard, parseOutputDefense, type OutputGuard } from '../core/attacks/oracle.ts';
import { purifierGuard } from '../core/defenses/purifier.ts';
import { adversarialNoiseGuard } from '../core/defenses/adversarial-noise.ts';
import { guardId } from '../core/nets/manifest.ts';
import { imagesToTensor, type DigitSet } from '../core/data/mnist.ts';
import { makeRng } from '../core/data/rng.ts';
import type { Dataset } from '../core/data/datasets.ts';
import { withFeatures } from '../core/nets/architectures.ts';
import { TRAP_MID_DEFAULTS } from '../core/defenses/trap-mid.ts';
import { ATTACKS, attackInfo, knobValues, priorId } from './catalog.ts';
import { QUERY_BUDGET_MAX, type AttackConfig, type AttackId, type GanAttackConfig } from './protocol.ts';

export interface RunningAttack {
  attack: Attack<unknown, { stepCount: number }>;
  state: { stepCount: number };
  maxSteps: number;
  /** The seeds it runs (several: one batch, whose snapshots splitSeeds cuts into one per seed). */
  seeds: number[];
}

/** The core attack behind each catalog id (LOMMA is GMI's or KED-MI's identity loss). */
const CORE_ATTACKS: Record<AttackId, { id: string; batchesSeeds?: boolean }> = {
  'mi-face': miFace, gmi, 'lomma-gmi': gmi, 'ked-mi': kedMi, 'lomma-ked-mi': kedMi, 'plg-mi': plgMi, ppa, genetic, 'brep-mi': brepMi,
  'inversion-net': inversionNet, 'split-inversion': splitInversion, c2fmi, 'plg-mi-adaptive': plgMiAdaptive, lokt,
};

/**
 * How a run of several seeds is split into runs: the seeds a setUpAttack call takes together. White-box gradient
 * attacks (MI-Face, GMI, PLG-MI, KED-MI, LOMMA) optimise candidates whose losses are independent, so all seeds are
 * one batch (each seed's slice as its separate run; on a GPU ten seeds then cost about one step each). Black-box and
 * label-only attacks (the genetic search, BREP-MI) run seeds one after another: they query an oracle, seeded per run,
 * and count queries per run; so does PPA, whose near-sign Adam steps would let a batched seed drift from its own run
 * (src/core/attacks/ppa.ts). `batch: false` runs every attack one seed at a time (timing comparisons).
 */
export function seedGroups(attack: AttackId, seeds: number[], batch = true): number[][] {
  return batch && CORE_ATTACKS[attack].batchesSeeds && seeds.length > 1 ? [seeds] : seeds.map((s) => [s]);
}

export interface AttackDeps {
  target: tf.LayersModel;
  targetClasses: number[];
  /** The target's data set: its private classes are what is attacked (an uploaded target has public ones too). */
  dataset: Dataset;
  /** Loads a GAN prior by id (generator, discriminator; LOKT's: generator, surrogates and the label queries its training spent). */
  prior(id: string): Promise<{ generator: tf.LayersModel; discriminator?: tf.LayersModel; surrogates?: tf.LayersModel[]; queries?: number }>;
  /** The public digits of a knowledge setting (LOMMA's feature mean). */
  publicSet(knowledge: 'disjoint' | 'other-writers'): Promise<DigitSet>;
  /** LOMMA's students distilled from this target on this public set (none shipped: no model augmentation). */
  students(targetId: string, knowledge: 'disjoint' | 'other-writers'): Promise<tf.LayersModel[]>;
  /** The private test images (the inversion network's and the split attack's victims); absent: the inversion network runs without victims. */
  privateTest?(): Promise<DigitSet>;
  /** What the defender of target `id` publishes of its Trap-MID recipe (its model card); undefined: no trapdoor declared. */
  trapdoorRecipe?(id: string): TrapdoorRecipe | undefined;
  /** Loads the defender's network of an output defense by id (manifest `guards`); absent: no such defense here. */
  guard?(id: string): Promise<tf.LayersModel>;
}

/** Validates a config; throws a message that names the bad field. */
export function validateAttackConfig(c: AttackConfig): void {
  const bad = (what: string): never => { throw new Error(`invalid attack config: ${what}`); };
  if (!ATTACKS.some((a) => a.id === c.attack)) bad(`unknown attack '${String(c.attack)}' (available: ${ATTACKS.map((a) => a.id).join(', ')})`);
  if (!Number.isInteger(c.seed)) bad('seed must be an integer');
  if (c.attack === 'mi-face') {
    if (!Number.isInteger(c.steps) || c.steps < 1 || c.steps > 100000) bad(`steps must be an integer in 1..100000 (got ${c.steps})`);
    if (!(c.learningRate > 0 && c.learningRate <= 10)) bad(`learningRate must be in (0, 10] (got ${c.learningRate})`);
    if (!(c.tv >= 0) || !(c.l2 >= 0)) bad('tv and l2 must be >= 0');
    if (c.init !== 'zeros' && c.init !== 'noise') bad(`init must be 'zeros' or 'noise'`);
    return;
  }
  if (c.knowledge !== 'disjoint' && c.knowledge !== 'other-writers') bad(`knowledge must be 'disjoint' or 'other-writers' (got '${String(c.knowledge)}')`);
  const info = attackInfo(c.attack);
  for (const [key, v] of Object.entries(c.params ?? {})) {
    const k = info.knobs.find((x) => x.key === key);
    if (!k) bad(`${c.attack} has no knob '${key}' (knobs: ${info.knobs.map((x) => x.key).join(', ')})`);
    else if (!Number.isFinite(v) || v < k.min || v > k.max || (k.integer && !Number.isInteger(v))) bad(`${key} must be ${k.integer ? 'an integer' : 'a number'} in ${k.min}..${k.max} (got ${v})`);
  }
  if (c.outputDefense !== undefined) {
    try { parseOutputDefense(c.outputDefense); } catch (e) { bad((e as Error).message); }
  }
  // PPA starts each digit from the best `restarts` latents of its initial pool: the pool must hold that many.
  if (c.attack === 'ppa') {
    const p = { ...knobValues('ppa'), ...c.params };
    if (p.pool < p.restarts) bad(`pool (${p.pool}) must be at least restarts (${p.restarts}): each digit starts from the best restarts latents of the pool`);
  }
  if (c.queryBudget !== undefined) {
    if (!info.usesOutputDefense) bad(`queryBudget applies to the black-box and label-only attacks, not ${c.attack}`);
    if (!Number.isInteger(c.queryBudget) || c.queryBudget < 1 || c.queryBudget > QUERY_BUDGET_MAX) {
      bad(`queryBudget must be a whole number in 1..${QUERY_BUDGET_MAX} (got ${c.queryBudget})`);
    }
  }
}

/** Sets an attack up for `seeds` (default: the config's seed); several seeds only for an attack that batches them (seedGroups). */
export async function setUpAttack(c: AttackConfig, deps: AttackDeps, seeds: number[] = [c.seed]): Promise<RunningAttack> {
  if (seeds.length > 1 && !CORE_ATTACKS[c.attack].batchesSeeds) throw new Error(`${c.attack} runs one seed at a time (seedGroups)`);
  const running = await setUp({ ...c, seed: seeds[0] }, deps, seeds.length > 1 ? seeds : undefined);
  return { ...running, seeds };
}

async function setUp(c: AttackConfig, deps: AttackDeps, seeds: number[] | undefined): Promise<Omit<RunningAttack, 'seeds'>> {
  const ctx: AttackContext = { target: deps.target, targetClasses: deps.targetClasses };
  // The private digits among the target's classes: a target of more outputs (an uploaded one) has public digits too.
  const classes = deps.targetClasses.filter((d) => deps.dataset.privateClasses.includes(d));
  const as = <C, S extends { stepCount: number }>(attack: Attack<C, S>) => attack as unknown as RunningAttack['attack'];
  if (c.attack === 'mi-face') {
    const state = miFace.init(ctx, { classes, steps: c.steps, learningRate: c.learningRate, tv: c.tv, l2: c.l2, init: c.init, seed: c.seed, seeds, patience: 0 });
    return { attack: as(miFace), state, maxSteps: c.steps };
  }
  const p = { ...knobValues(c.attack), ...c.params };
  let latentClamp = 1;
  const info = attackInfo(c.attack);
  let prior: Awaited<ReturnType<AttackDeps['prior']>> | undefined;
  if (info.prior !== 'none') {
    prior = await deps.prior(priorId(info.prior, c.knowledge, c.targetId, deps.dataset.id));
    // PLG-MI's GAN and LOKT's T-ACGAN generator are conditional on the target's classes.
    ctx.prior = { generator: prior.generator, discriminator: prior.discriminator, conditional: info.prior === 'cgan' || info.prior === 'lokt' };
    // The eigenface prior's latents are standardised PCA weights: the Gaussian penalty keeps them plausible, and the
    // clamp only stops a runaway (3 standard deviations), where a GAN's latents stay within its training range (1).
    if (!prior.discriminator) latentClamp = 3;
  }
  if (info.usesOutputDefense) {
    const defense = parseOutputDefense(c.outputDefense ?? 'none');
    ctx.oracle = new QueryOracle(deps.target, deps.targetClasses.length, defense, c.seed, c.queryBudget ?? Infinity, await outputGuard(c, deps));
  }
  const seed = c.seed;
  const clamp = latentClamp;
  switch (c.attack) {
    case 'gmi':
      return { attack: as(gmi), state: gmi.init(ctx, { classes, steps: p.steps, restarts: p.restarts, learningRate: p.learningRate, momentum: 0.9, lambda: p.lambda, augment: p.augment, clamp, seed, seeds }), maxSteps: p.steps };
    case 'lomma-gmi': {
      const lomma = await lommaFor(c, deps, p.featureWeight, ctx);
      const state = gmi.init(ctx, { classes, steps: p.steps, restarts: p.restarts, learningRate: p.learningRate, momentum: 0.9, lambda: p.lambda, clamp, seed, seeds, lomma });
      return { attack: as(gmi), state, maxSteps: p.steps };
    }
    case 'ked-mi':
      return { attack: as(kedMi), state: kedMi.init(ctx, { classes, steps: p.steps, samples: p.samples, learningRate: p.learningRate, lambda: p.lambda, augment: p.augment, clamp: 1, seed, seeds }), maxSteps: p.steps };
    case 'lomma-ked-mi': {
      const lomma = await lommaFor(c, deps, p.featureWeight, ctx);
      return { attack: as(kedMi), state: kedMi.init(ctx, { classes, steps: p.steps, samples: p.samples, learningRate: p.learningRate, lambda: p.lambda, clamp: 1, seed, seeds, lomma }), maxSteps: p.steps };
    }
    case 'ppa': {
      // One seed per run (ppa.ts: its near-sign Adam steps amplify the rounding differences of a batch).
      const options = { classes, steps: p.steps, restarts: p.restarts, pool: p.pool, learningRate: p.learningRate, finalAugmentations: p.finalAugmentations, seed };
      return { attack: as(ppa), state: await ppa.init(ctx, options), maxSteps: p.steps };
    }
    case 'plg-mi':
      return { attack: as(plgMi), state: plgMi.init(ctx, { classes, steps: p.steps, restarts: p.restarts, learningRate: p.learningRate, augment: p.augment, seed, seeds }), maxSteps: p.steps };
    case 'plg-mi-adaptive': {
      // The published recipe of a declared Trap-MID target; otherwise the attacker assumes Trap-MID's default (blend, 0.02).
      const recipe = deps.trapdoorRecipe?.(c.targetId) ?? { injection: 'blend', alpha: TRAP_MID_DEFAULTS.alpha };
      const pub = await deps.publicSet(c.knowledge);
      const publicImages = imagesToTensor(pub, spreadIndices(pub.count, AWARE_PUBLIC_IMAGES));
      try {
        const state = await plgMiAdaptive.init(ctx, {
          classes, steps: p.steps, restarts: p.restarts, learningRate: p.learningRate, augment: p.augment, seed, seeds,
          trapdoorWeight: p.trapdoorWeight, recipe, publicImages, estimate: { steps: p.reverseSteps },
        });
        return { attack: as(plgMiAdaptive), state, maxSteps: p.steps };
      } finally {
        publicImages.dispose();
      }
    }
    case 'genetic':
      return { attack: as(genetic), state: await genetic.init(ctx, { classes, steps: p.steps, population: p.population, elite: 2, mutationRate: p.mutationRate, mutationScale: p.mutationScale, clamp: 2, seed }), maxSteps: p.steps };
    case 'brep-mi':
      return {
        attack: as(brepMi), maxSteps: p.steps,
        state: await brepMi.init(ctx, { classes, steps: p.steps, probes: p.probes, initialRadius: p.initialRadius, growth: p.growth, growWhenInside: 0.9, maxRadius: 8 * p.initialRadius / 2, clamp: 1.5, seed }),
      };
    case 'c2fmi': {
      // ctx.prior holds the inverse network (c2f-<target>-<knowledge>); the search runs in the shared GAN.
      const inverse = ctx.prior!.generator;
      const gan = await deps.prior(priorId('gan', c.knowledge, c.targetId, deps.dataset.id));
      ctx.prior = { ...gan, conditional: false };
      const options = { classes, steps: p.steps, population: p.population, differentialWeight: p.differentialWeight, crossover: p.crossover, seedSpread: p.seedSpread, clamp: 2, seed, inverse };
      return { attack: as(c2fmi), state: await c2fmi.init(ctx, options), maxSteps: p.steps };
    }
    case 'lokt': {
      // LOKT (Nguyen et al. 2023): the attack differentiates through the surrogates; its query count is its training's.
      const options = { classes, steps: p.steps, restarts: p.restarts, learningRate: p.learningRate, seed, seeds, surrogates: prior!.surrogates ?? [], trainingQueries: prior!.queries ?? 0 };
      return { attack: as(lokt), state: lokt.init(ctx, options), maxSteps: p.steps };
    }
    case 'inversion-net': {
      const victims = deps.privateTest ? await interceptedAnswers(c, deps, classes, await deps.privateTest()) : undefined;
      const state = await inversionNet.init(ctx, {
        classes, steps: p.steps, batchSize: p.batchSize, truncation: p.truncation, learningRate: p.learningRate, seed,
        publicSet: await deps.publicSet(c.knowledge), victims,
      });
      return { attack: as(inversionNet), state, maxSteps: p.steps };
    }
    case 'split-inversion': {
      // The split attack's reconstructions are its victims': it needs them (and the noisy split's accuracy is measured on
      // SPLIT_ACCURACY_IMAGES private test digits spread over the set).
      if (!deps.privateTest) throw new Error('the split attack needs the private test images (its victims)');
      const test = await deps.privateTest();
      const victims = await sentFeatures(c, deps, classes, test, p.splitNoise);
      const state = await splitInversion.init(ctx, {
        classes, steps: p.steps, batchSize: p.batchSize, learningRate: p.learningRate, seed,
        publicSet: await deps.publicSet(c.knowledge), client: new SplitClient(deps.target, p.splitNoise, seed),
        victims: victims.victims, cleanFeatureSize: victims.cleanSize,
        accuracyImages: { set: test, indices: spreadIndices(test.count, SPLIT_ACCURACY_IMAGES) },
      });
      return { attack: as(splitInversion), state, maxSteps: p.steps };
    }
  }
}

/** Public digits the trapdoor-aware attacker reverse-engineers triggers on and takes its feature statistics from. */
const AWARE_PUBLIC_IMAGES = 512;

/** Private test digits the split attack's accuracy line is measured on (the lab's and the CLI's; seeded noise per run). */
export const SPLIT_ACCURACY_IMAGES = 1000;

/** One private test image of each attacked digit, drawn with the run's seed: the victims of the inversion network and of the split attack. */
function drawVictims(seed: number, classes: number[], test: DigitSet): number[] {
  const rng = makeRng(seed ^ 0x71c7);
  return classes.map((d) => {
    const of: number[] = [];
    for (let i = 0; i < test.count; i++) if (test.labels[i] === d) of.push(i);
    if (!of.length) throw new Error(`no private test image of digit ${d}`);
    return of[Math.floor(rng() * of.length)];
  });
}

/**
 * The split attack's victims: the seed's private test image of each attacked digit (the same ones the inversion network
 * decodes) and the features their devices sent, with the run's noise (a client of their own: the victims' inferences,
 * not the attacker's queries), and the mean size of their clean features (display: what the noise compares with).
 */
async function sentFeatures(c: GanAttackConfig, deps: AttackDeps, classes: number[], test: DigitSet, noise: number): Promise<{ victims: SplitVictims; cleanSize: number }> {
  const x = imagesToTensor(test, drawVictims(c.seed, classes, test));
  const sent = new SplitClient(deps.target, noise, c.seed + 1).send(x);
  const cleanSize = tf.tidy(() => tf.mean(tf.abs(new SplitClient(deps.target, 0, c.seed + 1).send(x))));
  try {
    const features = new Float32Array(await sent.data() as Float32Array);
    return { victims: { digits: [...classes], pixels: new Float32Array(await x.data() as Float32Array), features }, cleanSize: (await cleanSize.data())[0] };
  } finally {
    tf.dispose([x, sent, cleanSize]);
  }
}

/**
 * The inversion network's victims: one private test image per attacked digit, drawn with the run's seed, and the
 * target's answers to them as the victims' own queries got them (the run's output defense applies, through an oracle
 * of their own: the attacker intercepted these answers, it did not pay for them, so its query count and budget are
 * untouched).
 */
async function interceptedAnswers(c: GanAttackConfig, deps: AttackDeps, classes: number[], test: DigitSet): Promise<Victims> {
  const x = imagesToTensor(test, drawVictims(c.seed, classes, test));
  try {
    const victimsApi = new QueryOracle(deps.target, deps.targetClasses.length, parseOutputDefense(c.outputDefense ?? 'none'), c.seed + 1, Infinity, await outputGuard(c, deps));
    const answers = await victimsApi.probabilities(x);
    return { digits: [...classes], pixels: new Float32Array(await x.data() as Float32Array), answers };
  } finally {
    x.dispose();
  }
}

/** The defender's network behind a purifier or adversarial-noise output defense (undefined for the other defenses). */
async function outputGuard(c: GanAttackConfig, deps: AttackDeps): Promise<OutputGuard | undefined> {
  const defense = parseOutputDefense(c.outputDefense ?? 'none');
  if (!needsGuard(defense)) return undefined;
  const kind = defense.kind === 'purifier' ? 'purifier' : 'mimic-inversion';
  if (!deps.guard) throw new Error(`the output defense '${c.outputDefense}' needs a network the defender trained for each target; there is none for this target`);
  const net = await deps.guard(guardId(kind, c.targetId));
  return defense.kind === 'purifier' ? purifierGuard(net) : adversarialNoiseGuard(net, defense.budget);
}

/** LOMMA's ingredients: the students (into the context) and the public features' mean. */
async function lommaFor(c: AttackConfig & { knowledge: 'disjoint' | 'other-writers' }, deps: AttackDeps, featureWeight: number, ctx: AttackContext): Promise<LommaOptions> {
  ctx.students = await deps.students(c.targetId, c.knowledge);
  return { featureWeight, publicFeatureMean: await meanFeatures(deps.target, await deps.publicSet(c.knowledge)) };
}

/** Mean penultimate feature of the target over (up to 2000 of) the public images. */
async function meanFeatures(target: tf.LayersModel, pub: DigitSet): Promise<Float32Array> {
  const fm = withFeatures(target);
  const idx = Array.from({ length: Math.min(2000, pub.count) }, (_, i) => Math.floor(i * pub.count / Math.min(2000, pub.count)));
  const mean = tf.tidy(() => ((fm.predict(imagesToTensor(pub, idx)) as tf.Tensor[])[0]).mean(0));
  const out = new Float32Array(await mean.data() as Float32Array);
  mean.dispose();
  return out;
}
