// How the attacker's models are trained (`npm run train -- --only gan-disjoint,...`): GMI's unconditional GAN on
// the attacker's public digits, KED-MI's GAN with the target's soft labels, PLG-MI's conditional GAN on public
// digits pseudo-labelled by a target (each saved with a 10x10 sample grid and the evaluator's reading of 1000 seeded
// samples, so quality is visible), and LOMMA's students distilled from the target on public digits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadFaceSplits, loadModelFromDir, loadSplits, MODELS_DIR, saveModel } from './node-io.ts';
import { eigenConditionalGenerator, eigenGenerator, fitEigenfaces } from '../../src/core/priors/eigenfaces.ts';
import { DATASETS } from '../../src/core/data/datasets.ts';
import { writeGridPng } from './png.ts';
import { GanTrainer, pseudoLabel, type GanConfig } from '../../src/core/priors/gan-trainer.ts';
import { buildGenerator, generate, latentDim, sampleLatents, Z_DIM } from '../../src/core/nets/gan.ts';
import { type DigitSet, type Knowledge, imagesToTensor, publicFor, sideOf } from '../../src/core/data/mnist.ts';
import { featuresOf } from '../../src/core/metrics/knn.ts';
import { fid, rowsOf } from '../../src/core/metrics/fid.ts';
import { spreadIndices } from '../../src/core/metrics/judge.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import type { C2fQuality, LoktQuality, ModelEntry, PriorEntry, ReconstructionQuality, SplitQuality } from '../../src/core/nets/manifest.ts';
import { readManifest, shippedTarget } from './manifest.ts';
import { C2F_CLAMP, InverseTrainer, buildInverseNetwork, inverseLatents, seedAnswers } from '../../src/core/attacks/c2fmi.ts';
import { DecoderTrainer, alignAnswers, buildInversionDecoder, decode, oneHotAnswers } from '../../src/core/attacks/inversion-net.ts';
import { FEATURE_SHAPE, SPLIT_LAYER, SplitClient, SplitDecoderTrainer, buildSplitDecoder, decodeFeatures } from '../../src/core/attacks/split-inversion.ts';
import { NO_DEFENSE, QueryOracle } from '../../src/core/attacks/oracle.ts';
import { mse, ssim } from '../../src/core/metrics/image-quality.ts';
import { buildStudent } from '../../src/core/nets/architectures.ts';
import { ClassifierTrainer, accuracy } from '../../src/core/train.ts';
import { softCrossEntropy } from '../../src/core/defenses/negls.ts';
import { TacganTrainer, labelGenerated } from '../../src/core/attacks/lokt.ts';
import { concatSets } from '../../src/core/data/mnist.ts';

export interface PriorRecipe {
  id: string;
  kind: PriorEntry['kind'];
  knowledge: Knowledge;
  forTarget?: string;
  epochs: number;
  /** Spectral normalisation of the discriminator's kernels (GanConfig.spectralNorm; cgan only). */
  spectralNorm?: boolean;
  /** PLG-MI: public images kept per class, when not PSEUDO_LABELS_PER_CLASS's. */
  pseudoLabels?: number;
  /** The generator's channel widths, when not nets/gan.ts's layout (a wider generator). */
  generatorWidths?: number[];
  /** Absent: MNIST. 'faces': trained on the 200 public faces with DiffAugment, judged by the faces evaluator. */
  dataset?: 'faces';
  /** 'eigen': the generator draws in eigenface space (priors/eigenfaces.ts eigenConditionalGenerator), cgan on faces only. */
  generator?: 'eigen';
  /** KED-MI: the authors' losses (GanConfig.kedAuthors). */
  kedAuthors?: boolean;
}

/**
 * PLG-MI: public images kept per target class (the most confident ones). With other writers' 0-4 public, each
 * digit has only ~500 real examples: 1000 would fill a class with look-alikes (a 3's top 1000 holds hundreds of 5s,
 * and its generator drew 5s), so that setting keeps fewer.
 */
export const PSEUDO_LABELS_PER_CLASS: Record<Knowledge, number> = { disjoint: 1000, 'other-writers': 400 };
/** PLG-MI: weight of the target's max-margin loss in the generator's objective. */
export const PLG_INVERSION_WEIGHT = 0.2;

const GAN_ARCH = 'G: z(100) -> dense 7x7x64 -> convT4/2(32) -> convT4/2(1), leaky ReLU, sigmoid; D: conv4/2(32) -> conv4/2(64) -> dense(1), leaky ReLU';
const ganArch = (w?: number[]) => w ? GAN_ARCH.replace('7x7x64 -> convT4/2(32)', `7x7x${w[0]} -> convT4/2(${w[1]})`) : GAN_ARCH;
const FACE_GAN_ARCH = 'G: z(100) -> dense 4x4x128 -> convT4/2(64) -> convT4/2(32) -> convT4/2(16) -> convT4/2(1), leaky ReLU, sigmoid; ' +
  'D: conv4/2(16) -> conv4/2(32) -> conv4/2(64) -> conv4/2(128) -> dense(1), leaky ReLU; DiffAugment (brightness, contrast, translation 1/8, cutout 1/2) on every image D sees';
/** The eigenface prior's size, and the faces' conditional generator's in eigenface space. */
const EIGEN_COMPONENTS = 100;
const EIGEN_CGAN_ARCH = `G: [z(100), y] -> dense 256, leaky ReLU -> dense ${EIGEN_COMPONENTS} eigenface weights -> frozen eigenface projection ` +
  `(mean + weighted components of the ${EIGEN_COMPONENTS}-component PCA of the public faces, as faces-eigen), clipped to [0, 1]; ` +
  FACE_GAN_ARCH.slice(FACE_GAN_ARCH.indexOf('D:'));
/** Faces: batches of 32 from 200 images (7 per epoch). */
const FACE_GAN_BATCH = 32;
/** The defended MNIST targets (beyond the capped Trap-MID) that KED-MI's GAN and LOMMA's students are trained for. */
const KED_DEFENDED = ['trap-mid', 'mid', 'bido', 'negls', 'label-smoothing', 'tl-dmi', 'trap-mid-negls', 'trap-mid-warp', 'trap-mid-ted'] as const;

export const PRIOR_RECIPES: PriorRecipe[] = [
  // 25 epochs: at 10 the evaluator read only 75% of its samples as 5-9 and GMI drew broken strokes (the shipped one
  // is 10 epochs plus 15 with --resume; the manifest keeps both commands).
  { id: 'gan-disjoint', kind: 'gan', knowledge: 'disjoint', epochs: 25 },
  { id: 'gan-other-writers', kind: 'gan', knowledge: 'other-writers', epochs: 10 },
  // 20 epochs (~1560 steps). Longer is worse on this small conditional GAN: 40 epochs (the PyTorch reference's ~3300
  // steps) gave PLG-MI top-1 0.70 at the paper budget, and the reference's other setting (200 images per class, 120
  // epochs) 0.68, against 0.82 for this one (seeds 1-10; README, "Attack strength").
  // spectralNorm: true (SN discriminator, as the reference) drew far more private-looking samples (class fidelity
  // 0.99/0.69/1.00/0.005/1.00 vs 0.32/0.19/0.31/0.005/0.20, FID 357 vs 174 against public 5-9) but gave PLG-MI
  // evaluator top-1 0.80 (judge 2 0.96, both 0.76, KNN-label 1.00, KNN 80; every 3 read as a 5 by the evaluator, as a
  // 3 by judge 2), so it is not used (seeds 1-10, paper budget, 2026-12-06). Neither are spectral norm with
  // pseudoLabels: 200 and 120 epochs (0.70, judge 2 0.90) or with generatorWidths: [128, 64] (0.76, judge 2 0.90):
  // both draw 5s for class 3, which the target rates as highly as real 3s (scripts/target-margins.ts; 2026-12-07).
  { id: 'cgan-target-none-disjoint', kind: 'cgan', knowledge: 'disjoint', forTarget: 'target-none', epochs: 20 },
  { id: 'cgan-target-none-other-writers', kind: 'cgan', knowledge: 'other-writers', forTarget: 'target-none', epochs: 20 },
  // 4 epochs: 8 more (--resume) lowered the FID to 176 from 220 but KED-MI's top-1 from 0.62 to 0.50 (seeds 1-10),
  // and generatorWidths: [128, 64] gave 0.50 too (2026-12-07).
  // kedAuthors: true (the authors' L1 feature matching, entropy term, half-weight real/fake term) lowered the FID to 208
  // and the 5-9 share to 55% but gave KED-MI 0.62 at the paper budget (judge 2 0.66; seeds 1-10, 2026-12-07): not used.
  { id: 'ked-target-none-disjoint', kind: 'ked', knowledge: 'disjoint', forTarget: 'target-none', epochs: 4 },
  { id: 'ked-target-none-other-writers', kind: 'ked', knowledge: 'other-writers', forTarget: 'target-none', epochs: 4 },
  // KED-MI against the capped Trap-MID target (its soft labels), for Trap-MID's rows against KED-MI.
  { id: 'ked-target-trap-mid-capped-disjoint', kind: 'ked', knowledge: 'disjoint', forTarget: 'target-trap-mid-capped', epochs: 4 },
  // ... and against Trap-MID's comparators (the paper's table: MID, BiDO and the uncapped Trap-MID) and the other
  // defended targets, so that every benchmark cell of KED-MI and LOMMA + KED-MI runs.
  ...KED_DEFENDED.map((d): PriorRecipe => (
    { id: `ked-target-${d}-disjoint`, kind: 'ked', knowledge: 'disjoint', forTarget: `target-${d}`, epochs: 4 })),
  // PLG-MI against the Trap-MID target (the paper's showcase): its own pseudo-labels and inversion loss.
  { id: 'cgan-target-trap-mid-disjoint', kind: 'cgan', knowledge: 'disjoint', forTarget: 'target-trap-mid', epochs: 20 },
  // ... and against the other defended targets, for the benchmark's PLG-MI column.
  ...['trap-mid-capped', 'mid', 'bido', 'negls', 'trap-mid-negls', 'label-smoothing', 'tl-dmi', 'dp-eps1', 'dp-eps8', 'dp-eps50', 'trap-mid-warp', 'trap-mid-ted'].map((d): PriorRecipe => (
    { id: `cgan-target-${d}-disjoint`, kind: 'cgan', knowledge: 'disjoint', forTarget: `target-${d}`, epochs: 20 })),
  // Faces: PLG-MI's conditional GAN on the 200 public faces, each labelled by the target, its generator in eigenface
  // space. The conv generator (FACE_GAN_ARCH) drew no faces in 300 epochs, and with PLG-MI's inversion term each
  // class collapsed onto one adversarial pattern (FID 16,220; README, "Faces").
  ...['none', 'trap-mid'].map((d): PriorRecipe => (
    { id: `cgan-faces-target-${d}-disjoint`, dataset: 'faces', kind: 'cgan', knowledge: 'disjoint', forTarget: `faces-target-${d}`, epochs: 150, generator: 'eigen' })),
];

function describeData(r: PriorRecipe, set: DigitSet): string {
  if (r.dataset === 'faces') {
    const pub = `the 200 public faces (${DATASETS.faces.publicClasses.length} people not in the target's training set)`;
    return r.kind === 'cgan' ? `${pub}, each labelled with the private person ${r.forTarget} says it is (${set.count})` : `${pub}: ${set.count} images`;
  }
  const pub = r.knowledge === 'disjoint' ? 'public digits 5-9 (MNIST train + test)' : 'public digits 5-9 plus the odd-position half of MNIST test digits 0-4 ("other writers")';
  if (r.kind === 'gan') return `${pub}: ${set.count} images`;
  if (r.kind === 'ked') return `${pub}: ${set.count} images, with ${r.forTarget}'s soft labels`;
  return `${pub}, pseudo-labelled by ${r.forTarget}: its ${r.pseudoLabels ?? PSEUDO_LABELS_PER_CLASS[r.knowledge]} most confident images per class (${set.count})`;
}

export async function trainPrior(r: PriorRecipe, opts: { seed: number; epochs?: number; dir: string; backend: string; command: string; resume?: boolean }): Promise<PriorEntry> {
  const faces = r.dataset === 'faces';
  const pub = faces ? (await loadFaceSplits()).publicSet : publicFor(r.knowledge, loadSplits());
  const epochs = opts.epochs ?? r.epochs;
  // --resume: more epochs on the shipped networks; the manifest then sums epochs and seconds and chains the commands.
  const previous = opts.resume ? readPriorEntry(r.id) : undefined;
  const init = previous ? { generator: await loadModelFromDir(opts.dir), discriminator: await loadModelFromDir(path.join(opts.dir, 'discriminator')) } : undefined;
  let data = pub;
  let config: GanConfig = { epochs, batchSize: faces ? FACE_GAN_BATCH : 64, learningRate: 2e-4, beta1: 0.5, seed: opts.seed, kind: 'gan', numClasses: 0, init, ...(faces ? { diffAugment: true } : {}) };
  let target: tf.LayersModel | undefined;
  let classes: number[] | undefined;
  if (r.kind !== 'gan') {
    const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
    const entry = manifest.models.find((m: { id: string }) => m.id === r.forTarget);
    target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
    classes = entry.classes as number[];
    if (r.kind === 'cgan') {
      data = await pseudoLabel(target, pub, r.pseudoLabels ?? PSEUDO_LABELS_PER_CLASS[r.knowledge]);
      config = { ...config, kind: 'cgan', numClasses: classes.length, classOf: (c) => c, inversion: { target, weight: PLG_INVERSION_WEIGHT }, ...(r.spectralNorm ? { spectralNorm: true } : {}) };
      if (r.generator === 'eigen' && !init) config.generator = eigenConditionalGenerator(fitEigenfaces(pub, EIGEN_COMPONENTS), classes.length, opts.seed);
    } else {
      config = { ...config, kind: 'ked', numClasses: classes.length, knowledgeTarget: target, ...(r.kedAuthors ? { kedAuthors: true } : {}) };
    }
  }
  if (r.generatorWidths && !init) config.generator = buildGenerator(opts.seed, r.kind === 'cgan' ? classes!.length : 0, 28, r.generatorWidths);
  const trainer = new GanTrainer(data, config);
  const t0 = performance.now();
  let lastLog = 0;
  while (!trainer.done) {
    const log = performance.now() - lastLog > 15000;
    const s = await trainer.step(log);
    if (log && s.losses) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${s.epoch + 1}/${epochs} batch ${s.batch}/${s.batchesPerEpoch} D ${s.losses.discriminator.toFixed(3)} G ${s.losses.generator.toFixed(3)}` +
        `${r.kind === 'cgan' ? ` inv ${s.losses.inversion.toFixed(3)}` : ''} (${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
  }
  const trainSeconds = Math.round((performance.now() - t0) / 1000) + (previous?.trainSeconds ?? 0);
  fs.mkdirSync(opts.dir, { recursive: true });
  const rel = (p: string) => path.relative(MODELS_DIR, p);
  const g = await saveModel(trainer.generator, opts.dir);
  const dDir = path.join(opts.dir, 'discriminator');
  const d = await saveModel(trainer.discriminator, dDir);
  // Judged with the seed the manifest records (a resumed prior keeps its first one), as models.test re-measures it.
  const numClasses = r.kind === 'cgan' ? classes!.length : 0;
  const samples = path.join(opts.dir, 'samples.png');
  const quality = faces
    ? await judgeFaceSamples(trainer.generator, previous?.seed ?? opts.seed, pub, samples, numClasses)
    : await judgeSamples(trainer.generator, numClasses, previous?.seed ?? opts.seed, samples);
  const entry: PriorEntry = {
    id: r.id, ...(faces ? { dataset: 'faces' as const } : {}), kind: r.kind, knowledge: r.knowledge, ...(r.forTarget ? { forTarget: r.forTarget, classes } : {}),
    generator: { path: rel(path.join(opts.dir, 'model.json')), params: trainer.generator.countParams(), ...g },
    discriminator: { path: rel(path.join(dDir, 'model.json')), params: trainer.discriminator.countParams(), ...d },
    architecture: r.kind === 'gan' ? `${faces ? FACE_GAN_ARCH : GAN_ARCH}; non-saturating GAN loss`
      : r.kind === 'ked' ? `${ganArch(r.generatorWidths)}, but D ends in one logit per target class (semi-supervised: the target's soft labels + real/fake from their log-sum-exp); G by feature matching`
      : `${r.generator === 'eigen' ? EIGEN_CGAN_ARCH : faces ? FACE_GAN_ARCH : ganArch(r.generatorWidths)}; conditional: one-hot class beside z, projection discriminator${r.spectralNorm ? ' with spectral norm (every D kernel, class embedding included, rescaled to sigma 1 after each D step; one power iteration per step)' : ''}; hinge loss + ${PLG_INVERSION_WEIGHT} x max-margin of the target on augmented fakes`,
    dataSplit: describeData(r, data), trainImages: data.count, zDim: Z_DIM, epochs: epochs + (previous?.epochs ?? 0),
    trainCommand: previous ? `${previous.trainCommand} && ${opts.command}` : opts.command, seed: previous?.seed ?? opts.seed,
    trainSeconds, trainBackend: opts.backend, samples: rel(path.join(opts.dir, 'samples.png')), ...quality,
  };
  trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose(); target?.dispose();
  return entry;
}

function readPriorEntry(id: string): PriorEntry {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
  const entry = (manifest.priors ?? []).find((p: PriorEntry) => p.id === id);
  if (!entry) throw new Error(`--resume: '${id}' is not in models/manifest.json yet; train it without --resume first`);
  return entry;
}

/** The prior's quality as the issue defines it: FID against real public digits, and the share of samples read as 5-9. */
export interface PriorQuality {
  sampleDigits: number[];
  classFidelity?: number[];
  /** FID, in the evaluator's feature space, between the 1000 samples and 1000 real public digits (5-9, spread evenly). */
  fid: number;
  /** Share of the samples the evaluator reads as a public digit (5-9). */
  publicShare: number;
}

/**
 * The evaluator's reading of 1000 seeded samples (cgan: 200 per class), their FID against 1000 real public digits, and
 * a 10x10 grid of the first ones (cgan: two rows per class). Shared with the models test, which re-measures it.
 */
export async function judgeSamples(g: tf.LayersModel, numClasses: number, seed: number, gridFile?: string): Promise<PriorQuality> {
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, 'evaluator'));
  const n = 1000;
  const rng = makeRng(seed + 777);
  const cls = numClasses > 0 ? Array.from({ length: n }, (_, i) => Math.floor(i / (n / numClasses))) : [];
  const x = tf.tidy(() => generate(g, tf.tensor2d(sampleLatents(n, rng), [n, Z_DIM]),
    numClasses > 0 ? tf.oneHot(tf.tensor1d(cls, 'int32'), numClasses).toFloat() as tf.Tensor2D : undefined));
  const pred = tf.tidy(() => (evaluator.predict(x) as tf.Tensor).argMax(-1));
  const digits = Array.from(await pred.data());
  const fakeFeatures = await featuresOf(evaluator, x);
  const pub = loadSplits().publicSet;
  const real = imagesToTensor(pub, spreadIndices(pub.count, n));
  const realFeatures = await featuresOf(evaluator, real);
  real.dispose();
  const fidValue = Number(fid(rowsOf(fakeFeatures.values, fakeFeatures.dim), rowsOf(realFeatures.values, realFeatures.dim)).toFixed(2));
  if (gridFile) {
    const pixels = await x.data() as Float32Array;
    const pick = numClasses > 0 ? Array.from({ length: 100 }, (_, k) => Math.floor(k / 20) * (n / numClasses) + (k % 20)) : Array.from({ length: 100 }, (_, k) => k);
    const grid = new Float32Array(100 * 784);
    pick.forEach((i, k) => grid.set(pixels.subarray(i * 784, (i + 1) * 784), k * 784));
    writeGridPng(gridFile, grid, 10, 10);
  }
  tf.dispose([x, pred]); evaluator.dispose();
  const sampleDigits = Array.from({ length: 10 }, (_, dgt) => Number((digits.filter((p) => p === dgt).length / n).toFixed(4)));
  const publicShare = Number((digits.filter((p) => p >= 5).length / n).toFixed(4));
  if (numClasses === 0) return { sampleDigits, fid: fidValue, publicShare };
  const per = n / numClasses;
  const classFidelity = Array.from({ length: numClasses }, (_, c) => Number((digits.slice(c * per, (c + 1) * per).filter((p) => p === c).length / per).toFixed(4)));
  return { sampleDigits, classFidelity, fid: fidValue, publicShare };
}

/**
 * LOMMA's students: three shapes per target and knowledge setting, distilled on the attacker's public digits; for
 * `target-none` in both settings, and in the papers' one for the capped Trap-MID target and every KED_DEFENDED target.
 */
export const STUDENT_RECIPES = ([['target-none', 'disjoint'], ['target-none', 'other-writers'], ['target-trap-mid-capped', 'disjoint'],
  ...KED_DEFENDED.map((d) => [`target-${d}`, 'disjoint'] as const)] as const).flatMap(([forTarget, knowledge]) =>
  [0, 1, 2].map((variant) => ({ id: `student-${forTarget}-${knowledge}-${variant}`, forTarget, knowledge, variant, epochs: 2 })));

/**
 * Distils a student from its target on the public set: soft cross-entropy against the target's probabilities (the
 * attacker can query the target; no private image is used). Accuracy is then measured on private test digits.
 */
export async function trainStudent(r: (typeof STUDENT_RECIPES)[number], opts: { seed: number; epochs?: number; dir: string; backend: string; command: string }): Promise<ModelEntry> {
  const splits = loadSplits();
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
  const entry = manifest.models.find((m: { id: string }) => m.id === r.forTarget) as ModelEntry;
  const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
  const k = entry.classes.length;
  const student = buildStudent(k, opts.seed + 31 * r.variant, r.variant);
  const epochs = opts.epochs ?? r.epochs;
  const trainer = new ClassifierTrainer(student, publicFor(r.knowledge, splits), {
    epochs, batchSize: 64, learningRate: 1e-3, seed: opts.seed, shift: 1, classOf: () => 0, numClasses: k, lrDecay: 0.6,
    loss: (model, x) => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      return { loss: softCrossEntropy(logits, tf.softmax(target.predict(x) as tf.Tensor2D) as tf.Tensor2D), logits };
    },
  });
  const t0 = performance.now();
  while (!trainer.done) await trainer.step(false);
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  const classOf = (d: number) => entry.classes.indexOf(d);
  const float32TestAccuracy = await accuracy(student, splits.privateTest, classOf);
  const { sha256, bytes, weights } = await saveModel(student, opts.dir);
  // The accuracy the manifest states is the stored (float16) student's, as for every other model.
  const shipped = await loadModelFromDir(opts.dir);
  const testAccuracy = await accuracy(shipped, splits.privateTest, classOf);
  shipped.dispose();
  trainer.dispose(); target.dispose();
  const result: ModelEntry = {
    id: r.id, role: 'student', defense: 'none', path: `${path.basename(opts.dir)}/model.json`, classes: entry.classes, input: [28, 28, 1],
    output: 'logits', architecture: `LOMMA student ${r.variant}: ${student.layers.map((l) => l.name).join('-')}, ${student.countParams()} params`,
    params: student.countParams(), testAccuracy: Math.floor(testAccuracy * 1e4) / 1e4,
    dataSplit: `distilled from ${r.forTarget}'s probabilities on the ${r.knowledge} public set (no private image); accuracy on test digits 0-4`,
    trainCommand: opts.command, seed: opts.seed, epochs, trainSeconds, trainBackend: opts.backend, sha256, bytes,
    weights: { ...weights, float32TestAccuracy: Math.floor(float32TestAccuracy * 1e4) / 1e4 },
  };
  student.dispose();
  return result;
}

/** Priors of the faces (data set 'faces'): trained on the 200 public faces, judged by the faces evaluator. */
export const FACE_PRIOR_RECIPES = [{ id: 'faces-eigen', kind: 'eigen' as const, components: EIGEN_COMPONENTS }];

/**
 * The eigenface prior: PCA of the public faces (priors/eigenfaces.ts), saved as its linear generator, with a grid of
 * 100 seeded samples and its FID against the public faces in the faces evaluator's features.
 */
export async function trainEigenPrior(r: (typeof FACE_PRIOR_RECIPES)[number], opts: { seed: number; dir: string; backend: string; command: string }): Promise<PriorEntry> {
  const faces = await loadFaceSplits();
  const t0 = performance.now();
  const eig = fitEigenfaces(faces.publicSet, r.components);
  const g = eigenGenerator(eig);
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  fs.mkdirSync(opts.dir, { recursive: true });
  const saved = await saveModel(g, opts.dir);
  const shipped = await loadModelFromDir(opts.dir);
  const quality = await judgeFaceSamples(shipped, opts.seed, faces.publicSet, path.join(opts.dir, 'samples.png'));
  shipped.dispose();
  const rel = (p: string) => path.relative(MODELS_DIR, p);
  const entry: PriorEntry = {
    id: r.id, dataset: 'faces', kind: 'eigen', knowledge: 'disjoint',
    generator: { path: rel(path.join(opts.dir, 'model.json')), params: g.countParams(), ...saved },
    architecture: `eigenfaces: mean face + ${r.components} principal components scaled by their standard deviations (dense ${r.components} -> ${eig.side}x${eig.side}), clipped to [0, 1]; Gaussian prior ||z||^2 / 2`,
    dataSplit: `the ${faces.publicSet.count} public faces (${DATASETS.faces.publicClasses.length} people not in the target's training set, all 10 images each)`,
    trainImages: faces.publicSet.count, zDim: r.components, epochs: 0, trainCommand: opts.command, seed: opts.seed, trainSeconds,
    trainBackend: 'js (ml-matrix eigendecomposition)', samples: rel(path.join(opts.dir, 'samples.png')),
    explained: Number(eig.explained.toFixed(4)), ...quality,
  };
  g.dispose();
  return entry;
}

/**
 * FID of 1000 seeded samples (z ~ N(0, 1)) against the real faces of `reference`, in the faces evaluator's features,
 * and a 10x10 grid. A conditional generator draws 1000 / numClasses per class (the grid: 5 per class, two classes a
 * row), and `classFidelity` says, per class, the share the faces evaluator reads as that private person.
 */
export async function judgeFaceSamples(g: tf.LayersModel, seed: number, reference: DigitSet, gridFile?: string, numClasses = 0): Promise<{ fid: number; classFidelity?: number[] }> {
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, 'faces-evaluator'));
  const n = 1000, dim = latentDim(g), side = sideOf(reference), per = numClasses > 0 ? n / numClasses : n;
  const cls = Array.from({ length: n }, (_, i) => Math.floor(i / per));
  const x = tf.tidy(() => generate(g, tf.tensor2d(sampleLatents(n, makeRng(seed + 777), Infinity, dim), [n, dim]),
    numClasses > 0 ? tf.oneHot(tf.tensor1d(cls, 'int32'), numClasses).toFloat() as tf.Tensor2D : undefined));
  const fake = await featuresOf(evaluator, x);
  const realX = imagesToTensor(reference, Array.from({ length: reference.count }, (_, i) => i));
  const real = await featuresOf(evaluator, realX);
  const value = Number(fid(rowsOf(fake.values, fake.dim), rowsOf(real.values, real.dim)).toFixed(2));
  if (gridFile) {
    const pixels = await x.data() as Float32Array, px = side * side;
    const pick = numClasses > 0 ? Array.from({ length: 100 }, (_, k) => Math.floor(k / 5) * per + (k % 5)) : Array.from({ length: 100 }, (_, k) => k);
    const grid = new Float32Array(100 * px);
    pick.forEach((i, k) => grid.set(pixels.subarray(i * px, (i + 1) * px), k * px));
    writeGridPng(gridFile, grid, 10, 10, 2, side);
  }
  let classFidelity: number[] | undefined;
  if (numClasses > 0) {
    const pred = tf.tidy(() => (evaluator.predict(x) as tf.Tensor).argMax(-1));
    const read = Array.from(await pred.data());
    pred.dispose();
    classFidelity = Array.from({ length: numClasses }, (_, c) => Number((read.slice(c * per, (c + 1) * per).filter((p) => p === c).length / per).toFixed(4)));
  }
  tf.dispose([x, realX]); evaluator.dispose();
  return { fid: value, ...(classFidelity ? { classFidelity } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// The attacks' decoders (the inversion network's, the split attack's): one per target, trained by one loop on the
// attacker's public digits but every tenth (held out: the decoder is judged on them), saved, and judged as shipped.

/** A decoder for one target: `epochs` over the public training digits in batches of `batchSize`, Adam at `learningRate`. */
export interface DecoderRecipe {
  id: string;
  forTarget: string;
  knowledge: Knowledge;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** Every tenth public image (index 9, 19, ...) is held out of the decoder's training; its quality is measured on them. */
export const isHeldOutPublic = (i: number): boolean => i % 10 === 9;

type DecoderTrainOptions = { seed: number; epochs?: number; dir: string; backend: string; command: string };

/** A decoder in training: the loop steps it until its epoch reaches the recipe's. */
interface DecoderTraining {
  decoder: tf.LayersModel;
  epoch(): number;
  /** One batch; returns its MSE. */
  step(): Promise<number>;
  /** What the target has answered so far (the manifest's `queries`). */
  queries(): number;
  /** Frees the trainer (not the decoder). */
  dispose(): void;
}

/** What sets one kind of decoder apart: how it is built and trained, how it is judged, how the manifest describes it. */
interface DecoderKind {
  kind: 'inv' | 'split';
  architecture: string;
  /** The decoder and its trainer over `pool` (indices into the public digits), asking `target` (`k` classes). */
  setUp(target: tf.LayersModel, k: number, pub: DigitSet, pool: number[], seed: number): DecoderTraining;
  /** How the target was asked for the training digits, in the manifest's data split. */
  asked: string;
  /** The decoder's input size (the manifest's zDim), given the target's class count. */
  zDim(k: number): number;
  judge(shipped: tf.LayersModel, target: tf.LayersModel, classes: number[], seed: number, gridFile: string): Promise<Pick<PriorEntry, 'fid' | 'reconstruction' | 'splitQuality'>>;
}

/** Trains recipe `r`'s decoder against its target (trained before it), saves it in `opts.dir`, judges it as shipped: its manifest entry. */
async function trainDecoderPrior(r: DecoderRecipe, opts: DecoderTrainOptions, how: DecoderKind): Promise<PriorEntry> {
  const splits = loadSplits();
  const pub = publicFor(r.knowledge, splits);
  const { entry, target } = await shippedTarget(r.forTarget, r.id);
  const epochs = opts.epochs ?? r.epochs;
  const pool = Array.from({ length: pub.count }, (_, i) => i).filter((i) => !isHeldOutPublic(i));
  const training = how.setUp(target, entry.classes.length, pub, pool, opts.seed);
  const { decoder } = training;
  const t0 = performance.now();
  let lastLog = t0, recent = 0, count = 0;
  while (training.epoch() < epochs) {
    recent += await training.step(); count++;
    if (performance.now() - lastLog > 15000) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${training.epoch() + 1}/${epochs} MSE ${(recent / count).toFixed(4)} queries ${training.queries()} (${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
      recent = 0; count = 0;
    }
  }
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  training.dispose();
  fs.mkdirSync(opts.dir, { recursive: true });
  const saved = await saveModel(decoder, opts.dir);
  const params = decoder.countParams();
  decoder.dispose();
  // Judged as shipped (float16 weights), as the models test re-measures it.
  const shipped = await loadModelFromDir(opts.dir);
  const quality = await how.judge(shipped, target, entry.classes, opts.seed, path.join(opts.dir, 'samples.png'));
  shipped.dispose(); target.dispose();
  const rel = (p: string) => path.relative(MODELS_DIR, p);
  return {
    id: r.id, kind: how.kind, knowledge: r.knowledge, forTarget: r.forTarget, classes: entry.classes,
    generator: { path: rel(path.join(opts.dir, 'model.json')), params, ...saved },
    architecture: how.architecture,
    dataSplit: `public digits 5-9 (MNIST train + test) but every tenth (held out): ${pool.length} images, ${how.asked}`,
    trainImages: pool.length, zDim: how.zDim(entry.classes.length), epochs, trainCommand: opts.command, seed: opts.seed, trainSeconds,
    trainBackend: opts.backend, samples: rel(path.join(opts.dir, 'samples.png')), queries: training.queries(), ...quality,
  };
}

const PX = 784;
const imageAt = (a: Float32Array, i: number) => a.subarray(i * PX, (i + 1) * PX);

/** What a decoder is judged on: 1000 of the held-out public digits and 1000 private test digits, spread over each. */
function judgedDigits() {
  const splits = loadSplits();
  const pub = splits.publicSet, test = splits.privateTest;
  const heldAll = Array.from({ length: pub.count }, (_, i) => i).filter(isHeldOutPublic);
  const held = spreadIndices(heldAll.length, 1000).map((i) => heldAll[i]);
  const priv = spreadIndices(test.count, 1000);
  return { pub, test, held, priv };
}

/** The mean MSE and SSIM of the first `n` reconstructions to their originals. */
function reconstructionScores(recon: Float32Array, originals: Float32Array, n: number) {
  let m = 0, s = 0;
  for (let i = 0; i < n; i++) { m += mse(imageAt(recon, i), imageAt(originals, i)); s += ssim(imageAt(recon, i), imageAt(originals, i)); }
  return { images: n, mse: Number((m / n).toFixed(5)), ssim: Number((s / n).toFixed(4)) };
}

/** The baseline: the mean SSIM of a random public digit (drawn from the seed) to each of the first `n` originals. */
function publicDigitSsim(pub: DigitSet, originals: Float32Array, n: number, seed: number): number {
  const rng = makeRng(seed + 4242);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = Math.floor(rng() * pub.count);
    sum += ssim(Float32Array.from(pub.images.subarray(j * PX, (j + 1) * PX), (v) => v / 255), imageAt(originals, i));
  }
  return Number((sum / n).toFixed(4));
}

/** The FID between reconstructions and their originals, in the evaluator's features. */
async function reconstructionFid(recon: Float32Array, originals: Float32Array): Promise<number> {
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, 'evaluator'));
  const asTensor = (a: Float32Array) => tf.tensor4d(a, [a.length / PX, 28, 28, 1]);
  const [fr, fo] = [asTensor(recon), asTensor(originals)];
  const a = await featuresOf(evaluator, fr), b = await featuresOf(evaluator, fo);
  tf.dispose([fr, fo]); evaluator.dispose();
  return Number(fid(rowsOf(a.values, a.dim), rowsOf(b.values, b.dim)).toFixed(2));
}

type Reconstructed = { originals: Float32Array; recon: Float32Array };

/**
 * The samples grid, ten spread examples a row: held-out public originals, their reconstructions, private originals,
 * theirs; then `lastRow` (up to ten images) if given.
 */
function writeReconstructionGrid(file: string, h: Reconstructed, p: Reconstructed, lastRow?: Float32Array): void {
  const rows = lastRow ? 5 : 4;
  const grid = new Float32Array(rows * 10 * PX);
  for (let c = 0; c < 10; c++) {
    const k = c * 97; // ten spread examples of each set
    grid.set(imageAt(h.originals, k), c * PX); grid.set(imageAt(h.recon, k), (10 + c) * PX);
    grid.set(imageAt(p.originals, k), (20 + c) * PX); grid.set(imageAt(p.recon, k), (30 + c) * PX);
  }
  if (lastRow) grid.set(lastRow, 40 * PX);
  writeGridPng(file, grid, rows, 10);
}

// ---------------------------------------------------------------------------------------------------------------
// The inversion network's decoders (Yang et al., CCS 2019; src/core/attacks/inversion-net.ts): one per target,
// trained on the attacker's public digits and the target's answers to them, asked through a QueryOracle (each public
// training digit once, counted into the manifest's `queries`).

/**
 * 6 epochs of 64 at lr 1e-3 (~2,900 steps, 3-5 minutes on WASM): on target-none the training loss was flat from
 * ~1,500 steps on (0.0545 at 1,500, 0.0542 at 2,250). The paper trains 100 epochs of 128 at lr 2e-4 on GPUs.
 */
export const INVERSION_RECIPES: DecoderRecipe[] = ['none', 'trap-mid-capped', 'dp-eps1', 'mid', 'bido'].map((d): DecoderRecipe => (
  { id: `inv-target-${d}-disjoint`, forTarget: `target-${d}`, knowledge: 'disjoint', epochs: 6, batchSize: 64, learningRate: 1e-3 }));

const INVERSION_ARCH = 'decoder: aligned answer (k largest scores as max(0, ln p + 50) / 50, the rest 0) -> dense 7x7x64 tanh -> convT4/2(32) tanh -> convT4/2(1) sigmoid; MSE, Adam (beta1 0.5)';

export function trainInversionPrior(r: DecoderRecipe, opts: DecoderTrainOptions): Promise<PriorEntry> {
  return trainDecoderPrior(r, opts, {
    kind: 'inv',
    architecture: INVERSION_ARCH,
    setUp: (target, k, pub, pool, seed) => {
      const oracle = new QueryOracle(target, k, NO_DEFENSE, seed);
      const decoder = buildInversionDecoder(k, seed);
      const trainer = new DecoderTrainer(decoder, pub, oracle, { batchSize: r.batchSize, learningRate: r.learningRate, truncation: k, seed, pool });
      return { decoder, epoch: () => trainer.epoch, step: async () => (await trainer.step()).loss, queries: () => oracle.queries, dispose: () => trainer.dispose() };
    },
    asked: `each asked of ${r.forTarget} once (exact answers, no output defense)`,
    zDim: (k) => k,
    judge: judgeDecoder,
  });
}

/**
 * An inversion decoder's quality (shared with the models test, which re-measures it): MSE / SSIM of its
 * reconstructions of 1000 held-out public digits and of 1000 private test digits from the target's exact answers
 * (asked through an oracle of their own: evaluation, not the attacker's queries), with two baselines on the private
 * ones (a random public digit; the one-hot prototype of the digit), and the FID between the held-out reconstructions
 * and their originals. A grid: held-out public originals / reconstructions, private originals / reconstructions, the
 * five prototypes.
 */
export async function judgeDecoder(decoder: tf.LayersModel, target: tf.LayersModel, classes: number[], seed: number, gridFile?: string): Promise<{ reconstruction: ReconstructionQuality; fid: number }> {
  const { pub, test, held, priv } = judgedDigits();
  const k = classes.length;
  const evalApi = new QueryOracle(target, k, NO_DEFENSE, seed);
  const reconstructOf = async (set: DigitSet, idx: number[]): Promise<Reconstructed> => {
    const x = imagesToTensor(set, idx);
    const answers = await evalApi.probabilities(x);
    const originals = new Float32Array(await x.data() as Float32Array);
    x.dispose();
    return { originals, recon: await decode(decoder, alignAnswers(answers, k, k), k) };
  };
  const h = await reconstructOf(pub, held);
  const p = await reconstructOf(test, priv);
  const prototypes = await decode(decoder, oneHotAnswers(classes.map((_, j) => j), k), k);
  let protoSsim = 0;
  for (let i = 0; i < priv.length; i++) protoSsim += ssim(imageAt(prototypes, classes.indexOf(test.labels[priv[i]])), imageAt(p.originals, i));
  const fidValue = await reconstructionFid(h.recon, h.originals);
  if (gridFile) writeReconstructionGrid(gridFile, h, p, prototypes);
  return {
    reconstruction: {
      truncation: k, heldOutPublic: reconstructionScores(h.recon, h.originals, held.length), privateTest: reconstructionScores(p.recon, p.originals, priv.length),
      publicDigitSsim: publicDigitSsim(pub, p.originals, priv.length, seed), prototypeSsim: Number((protoSsim / priv.length).toFixed(4)),
    },
    fid: fidValue,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The split attack's decoders (src/core/attacks/split-inversion.ts): one per target, trained on the attacker's public
// digits and the exact (noise-free) features the target's client part sends for them, each batch asked afresh.

/**
 * 2 epochs of 64 at lr 1e-3 (~870 steps, about 2 minutes on WASM beside two other trainings): the MSE falls from 0.24
 * to ~0.06 in the first 50 steps; the rest polishes.
 */
export const SPLIT_RECIPES: DecoderRecipe[] = ['none', 'trap-mid-capped', 'mid', 'bido'].map((d): DecoderRecipe => (
  { id: `split-target-${d}-disjoint`, forTarget: `target-${d}`, knowledge: 'disjoint', epochs: 2, batchSize: 64, learningRate: 1e-3 }));

const SPLIT_ARCH = `decoder: the target's ${SPLIT_LAYER} features (${FEATURE_SHAPE.join(' x ')}, after its ReLU) -> conv3(32, same) relu -> convT3(1, valid) sigmoid -> 28 x 28; MSE, Adam (beta1 0.5)`;

export function trainSplitPrior(r: DecoderRecipe, opts: DecoderTrainOptions): Promise<PriorEntry> {
  return trainDecoderPrior(r, opts, {
    kind: 'split',
    architecture: SPLIT_ARCH,
    setUp: (target, _k, pub, pool, seed) => {
      const client = new SplitClient(target, 0, seed);
      const decoder = buildSplitDecoder(seed);
      const trainer = new SplitDecoderTrainer(decoder, pub, client, { batchSize: r.batchSize, learningRate: r.learningRate, seed, pool });
      return { decoder, epoch: () => trainer.epoch, step: () => trainer.step(), queries: () => client.sent, dispose: () => trainer.dispose() };
    },
    asked: `sent through ${r.forTarget}'s ${SPLIT_LAYER} once per epoch (exact features, no noise)`,
    zDim: () => FEATURE_SHAPE[0] * FEATURE_SHAPE[1] * FEATURE_SHAPE[2],
    judge: (shipped, target, _classes, seed, gridFile) => judgeSplitDecoder(shipped, target, seed, gridFile),
  });
}

/**
 * A split decoder's quality (shared with the models test, which re-measures it): MSE / SSIM of its reconstructions of
 * 1000 held-out public digits and 1000 private test digits from their exact split features, a random public digit's
 * SSIM to the private ones (the baseline), the features' mean size, and the FID between the held-out reconstructions
 * and their originals. A grid: held-out public originals / reconstructions, private originals / reconstructions.
 */
export async function judgeSplitDecoder(decoder: tf.LayersModel, target: tf.LayersModel, seed: number, gridFile?: string): Promise<{ splitQuality: SplitQuality; fid: number }> {
  const { pub, test, held, priv } = judgedDigits();
  const client = new SplitClient(target, 0, seed);
  let featureSum = 0, featureCount = 0;
  const reconstructOf = async (set: DigitSet, idx: number[], measure: boolean): Promise<Reconstructed> => {
    const originals = new Float32Array(idx.length * PX), recon = new Float32Array(idx.length * PX);
    for (let start = 0; start < idx.length; start += 200) {
      const part = idx.slice(start, start + 200);
      const x = imagesToTensor(set, part);
      const f = client.send(x);
      const values = await f.data() as Float32Array;
      if (measure) { for (const v of values) featureSum += Math.abs(v); featureCount += values.length; }
      originals.set(await x.data() as Float32Array, start * PX);
      recon.set(await decodeFeatures(decoder, values), start * PX);
      tf.dispose([x, f]);
    }
    return { originals, recon };
  };
  const h = await reconstructOf(pub, held, false);
  const p = await reconstructOf(test, priv, true);
  const fidValue = await reconstructionFid(h.recon, h.originals);
  if (gridFile) writeReconstructionGrid(gridFile, h, p);
  return {
    splitQuality: {
      layer: SPLIT_LAYER, heldOutPublic: reconstructionScores(h.recon, h.originals, held.length), privateTest: reconstructionScores(p.recon, p.originals, priv.length),
      publicDigitSsim: publicDigitSsim(pub, p.originals, priv.length, seed), featureSize: Number((featureSum / Math.max(1, featureCount)).toFixed(5)),
    },
    fid: fidValue,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// C2FMI's inverse networks (Ye et al., TDSC 2023; src/core/attacks/c2fmi.ts): one per target, trained on images of
// the shared public GAN (gan-<knowledge>) and the target's answers to them, asked through a QueryOracle (each sampled
// latent's image once, counted into the manifest's `queries`). The network maps an answer to the latent that drew it.

export interface C2fRecipe {
  id: string;
  forTarget: string;
  knowledge: Knowledge;
  /** GAN latents sampled (each image asked once). */
  samples: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** 20,000 GAN images, 8 epochs of 64 at lr 1e-3 (2,500 steps of a 5 -> 128 -> 128 -> 100 MLP: a few minutes on WASM). */
export const C2F_RECIPES: C2fRecipe[] = ['none', 'trap-mid-capped', 'mid', 'bido'].map((d): C2fRecipe => (
  { id: `c2f-target-${d}-disjoint`, forTarget: `target-${d}`, knowledge: 'disjoint', samples: 20000, epochs: 8, batchSize: 64, learningRate: 1e-3 }));

const C2F_ARCH = 'inverse network: answer (every score as max(0, ln p + 50) / 50) -> dense 128 relu -> dense 128 relu -> dense 100 (the GAN latent, clamped to [-2, 2] when used); MSE on the latent, Adam';

/** Trains recipe `r`'s inverse network against its target and the shared GAN, saves it in `opts.dir`, judges it as shipped. */
export async function trainC2fPrior(r: C2fRecipe, opts: DecoderTrainOptions): Promise<PriorEntry> {
  const ganId = `gan-${r.knowledge}`;
  const gan = (readManifest().priors ?? []).find((p) => p.id === ganId);
  if (!gan) throw new Error(`${r.id}: the GAN prior '${ganId}' is not in models/manifest.json yet; train it first`);
  const { entry, target } = await shippedTarget(r.forTarget, r.id);
  const generator = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, gan.generator.path)));
  const epochs = opts.epochs ?? r.epochs;
  const k = entry.classes.length;
  const oracle = new QueryOracle(target, k, NO_DEFENSE, opts.seed);
  const net = buildInverseNetwork(k, latentDim(generator), opts.seed);
  const trainer = new InverseTrainer(net, generator, oracle, { samples: r.samples, batchSize: r.batchSize, learningRate: r.learningRate, seed: opts.seed });
  const t0 = performance.now();
  let lastLog = t0, recent = 0, count = 0;
  while (trainer.epoch < epochs) {
    recent += (await trainer.step()).loss; count++;
    if (performance.now() - lastLog > 15000) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${trainer.epoch + 1}/${epochs} latent MSE ${(recent / count).toFixed(4)} queries ${oracle.queries} (${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
      recent = 0; count = 0;
    }
  }
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  trainer.dispose();
  fs.mkdirSync(opts.dir, { recursive: true });
  const saved = await saveModel(net, opts.dir);
  const params = net.countParams();
  net.dispose();
  const shipped = await loadModelFromDir(opts.dir);
  const quality = await judgeInverseNetwork(shipped, generator, target, entry.classes, opts.seed, path.join(opts.dir, 'samples.png'));
  shipped.dispose(); generator.dispose(); target.dispose();
  const rel = (p: string) => path.relative(MODELS_DIR, p);
  return {
    id: r.id, kind: 'c2f', knowledge: r.knowledge, forTarget: r.forTarget, classes: entry.classes,
    generator: { path: rel(path.join(opts.dir, 'model.json')), params, ...saved },
    architecture: C2F_ARCH,
    dataSplit: `${r.samples} images of ${ganId} (latents N(0, 1) clamped to [-2, 2]), each asked of ${r.forTarget} once (exact answers, no output defense)`,
    trainImages: r.samples, zDim: k, epochs, trainCommand: opts.command, seed: opts.seed, trainSeconds,
    trainBackend: opts.backend, samples: rel(path.join(opts.dir, 'samples.png')), queries: oracle.queries, fid: quality.fid, c2fQuality: quality.c2fQuality,
  };
}

/**
 * An inverse network's quality (the models test re-measures it): for each class, the latent of the one-hot answer and
 * of 199 perturbed answers (the attack's seeds, c2fmi.ts seedAnswers, without the latent noise): the share of the
 * one-hot images the target reads as their class, of all 200 per class that the target and the evaluator read as it;
 * the latent MSE on 1000 fresh GAN samples (from their exact answers); and the FID between the 1000 seed images and 1000
 * private test digits (evaluator features). Grid: ten seeds a class, the one-hot one first.
 */
export async function judgeInverseNetwork(net: tf.LayersModel, generator: tf.LayersModel, target: tf.LayersModel, classes: number[], seed: number, gridFile?: string):
  Promise<{ c2fQuality: C2fQuality; fid: number }> {
  const k = classes.length, per = 200, dim = latentDim(generator);
  const rng = makeRng(seed + 2023);
  const answers = new Float32Array(k * per * k);
  for (let c = 0; c < k; c++) answers.set(seedAnswers(c, k, per, rng), c * per * k);
  const z = await inverseLatents(net, answers, k);
  const img = tf.tidy(() => generate(generator, tf.tensor2d(z, [k * per, dim])));
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, 'evaluator'));
  const labelsOf = async (m: tf.LayersModel) => { const t = tf.tidy(() => tf.argMax(m.predict(img) as tf.Tensor2D, 1)); const v = await t.data(); t.dispose(); return v; };
  const byTarget = await labelsOf(target), byEvaluator = await labelsOf(evaluator);
  const pixels = new Float32Array(await img.data() as Float32Array);
  img.dispose(); evaluator.dispose();
  let oneHot = 0, seedsT = 0, seedsE = 0;
  for (let c = 0; c < k; c++) {
    if (byTarget[c * per] === c) oneHot++;
    for (let i = 0; i < per; i++) { if (byTarget[c * per + i] === c) seedsT++; if (byEvaluator[c * per + i] === classes[c]) seedsE++; }
  }
  // Latent MSE on fresh GAN samples, from their exact answers.
  const fresh = sampleLatents(1000, makeRng(seed + 77), C2F_CLAMP, dim);
  const x = tf.tidy(() => generate(generator, tf.tensor2d(fresh, [1000, dim])));
  const probs = await new QueryOracle(target, k, NO_DEFENSE, seed).probabilities(x);
  x.dispose();
  const zHat = await inverseLatents(net, probs, k, Infinity);
  let m = 0;
  for (let i = 0; i < fresh.length; i++) m += (zHat[i] - fresh[i]) ** 2;
  const test = loadSplits().privateTest;
  const priv = imagesToTensor(test, spreadIndices(test.count, 1000));
  const privPixels = new Float32Array(await priv.data() as Float32Array);
  priv.dispose();
  const fidValue = await reconstructionFid(pixels, privPixels);
  if (gridFile) {
    const grid = new Float32Array(k * 10 * PX);
    for (let c = 0; c < k; c++) for (let i = 0; i < 10; i++) grid.set(imageAt(pixels, c * per + i * 20), (c * 10 + i) * PX);
    writeGridPng(gridFile, grid, k, 10);
  }
  return {
    c2fQuality: {
      oneHotTarget: oneHot / k, seedsTarget: Number((seedsT / (k * per)).toFixed(4)), seedsEvaluator: Number((seedsE / (k * per)).toFixed(4)),
      latentMse: Number((m / fresh.length).toFixed(4)),
    },
    fid: fidValue,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// LOKT's models (Nguyen et al., NeurIPS 2023; src/core/attacks/lokt.ts): per target, T-ACGAN trained on the public
// digits with the target's top-1 labels (public images and generated ones, through a label-only QueryOracle), then
// surrogate classifiers on generated images labelled by the target. Every label query is counted into `queries`.

export interface LoktRecipe {
  id: string;
  forTarget: string;
  knowledge: Knowledge;
  /** T-ACGAN's epochs over the public digits. */
  epochs: number;
  batchSize: number;
  /** T-ACGAN step from which the generated batch's labels are asked and learned. */
  fakeLabelsFrom: number;
  /** Generated images labelled by the target for the surrogates (each asked once). */
  surrogateSamples: number;
  surrogateEpochs: number;
  /** LOMMA student shapes (nets/architectures.ts buildStudent) of the surrogate ensemble. */
  surrogateVariants: number[];
}

/**
 * 4 epochs of T-ACGAN over the 34,265 public digits in batches of 64 (2,144 steps, ~0.4 s each on an idle 2-core
 * machine on WASM: 15-25 minutes beside other jobs), the generated images' labels from step 500 on; two surrogates
 * (student shapes 0 and 1) on 20,000 labelled generated images plus the labelled public digits, 3 epochs each (a few
 * minutes). A 1-epoch trial run already gave surrogates that agree with the target on 98% of private test digits. The
 * paper trains for hours on GPUs.
 */
export const LOKT_RECIPES: LoktRecipe[] = ['none', 'trap-mid-capped', 'mid', 'bido'].map((d): LoktRecipe => (
  { id: `lokt-target-${d}-disjoint`, forTarget: `target-${d}`, knowledge: 'disjoint', epochs: 4, batchSize: 64, fakeLabelsFrom: 500, surrogateSamples: 20000, surrogateEpochs: 3, surrogateVariants: [0, 1] }));

/** T-ACGAN's loss weights (lokt.ts TacganConfig). */
export const LOKT_WEIGHTS = { fakeClassWeight: 1, generatorClassWeight: 1 };

/** Trains recipe `r`'s T-ACGAN and surrogates against its target through a label-only oracle, saves them, judges them as shipped. */
export async function trainLoktPrior(r: LoktRecipe, opts: { seed: number; epochs?: number; dir: string; backend: string; command: string }): Promise<PriorEntry> {
  const splits = loadSplits();
  const pub = publicFor(r.knowledge, splits);
  const { entry, target } = await shippedTarget(r.forTarget, r.id);
  const k = entry.classes.length;
  const epochs = opts.epochs ?? r.epochs;
  const oracle = new QueryOracle(target, k, { kind: 'label-only' }, opts.seed);
  const trainer = new TacganTrainer(pub, oracle, { epochs, batchSize: r.batchSize, learningRate: 2e-4, beta1: 0.5, seed: opts.seed, fakeLabelsFrom: r.fakeLabelsFrom, ...LOKT_WEIGHTS });
  const t0 = performance.now();
  let lastLog = t0;
  while (!trainer.done) {
    const log = performance.now() - lastLog > 15000;
    const s = await trainer.step(log);
    if (log && s.losses) {
      lastLog = performance.now();
      console.error(`${r.id} T-ACGAN epoch ${s.epoch + 1}/${epochs} batch ${s.batch}/${s.batchesPerEpoch} adv ${s.losses.adversarial.toFixed(3)} class ${s.losses.classHead.toFixed(3)} ` +
        `G ${s.losses.generator.toFixed(3)} queries ${oracle.queries} (${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
  }
  const publicQueries = trainer.publicLabels.filter((l) => l >= 0).length;
  const tacganFakes = oracle.queries - publicQueries;
  trainer.dispose();
  // Stage 2: generated images labelled by the target, and the public labels already paid for.
  const generated = await labelGenerated(trainer.generator, oracle, r.surrogateSamples, opts.seed);
  const surrogateImages = oracle.queries - publicQueries - tacganFakes;
  const data = concatSets(generated, trainer.labelledPublic());
  const surrogates: tf.LayersModel[] = [];
  for (const variant of r.surrogateVariants) {
    const model = buildStudent(k, opts.seed + 101 * (variant + 1), variant);
    const st = new ClassifierTrainer(model, data, { epochs: r.surrogateEpochs, batchSize: 64, learningRate: 1e-3, seed: opts.seed + variant, shift: 1, classOf: (c) => c, numClasses: k, lrDecay: 0.6 });
    while (!st.done) {
      const log = performance.now() - lastLog > 15000;
      const s = await st.step(log);
      if (log) {
        lastLog = performance.now();
        console.error(`${r.id} surrogate ${variant} epoch ${s.epoch + 1}/${r.surrogateEpochs} batch ${s.batch}/${s.batchesPerEpoch} loss ${s.loss?.toFixed(3)} train acc ${s.trainAccuracy?.toFixed(3)} (${((lastLog - t0) / 1000).toFixed(0)} s)`);
      }
    }
    st.dispose();
    surrogates.push(model);
  }
  const trainSeconds = Math.round((performance.now() - t0) / 1000);
  fs.mkdirSync(opts.dir, { recursive: true });
  const rel = (p: string) => path.relative(MODELS_DIR, p);
  const g = await saveModel(trainer.generator, opts.dir);
  const files = [];
  for (const [j, m] of surrogates.entries()) {
    const dir = path.join(opts.dir, `surrogate-${j}`);
    files.push({ path: rel(path.join(dir, 'model.json')), params: m.countParams(), ...(await saveModel(m, dir)) });
  }
  const gParams = trainer.generator.countParams();
  trainer.generator.dispose(); trainer.discriminator.dispose(); surrogates.forEach((m) => m.dispose());
  // Judged as shipped (float16 weights), with the seed the manifest records.
  const shippedG = await loadModelFromDir(opts.dir);
  const shippedS = await Promise.all(files.map((f) => loadModelFromDir(path.dirname(path.join(MODELS_DIR, f.path)))));
  const samples = await judgeSamples(shippedG, k, opts.seed, path.join(opts.dir, 'samples.png'));
  const loktQuality = await judgeLokt(shippedG, shippedS, target, opts.seed, { publicImages: publicQueries, tacganFakes, surrogateImages });
  shippedG.dispose(); shippedS.forEach((m) => m.dispose()); target.dispose();
  return {
    id: r.id, kind: 'lokt', knowledge: r.knowledge, forTarget: r.forTarget, classes: entry.classes,
    generator: { path: rel(path.join(opts.dir, 'model.json')), params: gParams, ...g },
    surrogates: files,
    architecture: `${GAN_ARCH}; T-ACGAN: one-hot class beside z; D with 1 + ${k} logits (realness, class head), non-saturating GAN loss, ` +
      `class head: cross-entropy on the target's labels of public images and (weight ${LOKT_WEIGHTS.fakeClassWeight}, from step ${r.fakeLabelsFrom}) of generated ones; ` +
      `G: realness + ${LOKT_WEIGHTS.generatorClassWeight} x class-head cross-entropy of its y. Surrogates: LOMMA student shapes ${r.surrogateVariants.join(', ')} (${files.map((f) => f.params).join(', ')} params)`,
    dataSplit: `public digits 5-9 (MNIST train + test, ${pub.count} images) with ${r.forTarget}'s top-1 labels (label-only oracle, each asked once); ` +
      `T-ACGAN's generated batches labelled by ${r.forTarget} from step ${r.fakeLabelsFrom}; surrogates: ${r.surrogateSamples} generated images labelled by ${r.forTarget} plus the labelled public digits`,
    trainImages: pub.count, zDim: Z_DIM, epochs, trainCommand: opts.command, seed: opts.seed, trainSeconds, trainBackend: opts.backend,
    samples: rel(path.join(opts.dir, 'samples.png')), queries: oracle.queries, ...samples, loktQuality,
  };
}

/**
 * LOKT's quality (the models test can re-measure it): the surrogates' and their ensemble's agreement with the target's
 * labels and their accuracy on 1000 private test digits 0-4, and the share of 1000 seeded samples of G (200 per class)
 * the target labels as their class. Evaluation reads the target directly: these are not the attacker's queries.
 */
export async function judgeLokt(generator: tf.LayersModel, surrogates: tf.LayersModel[], target: tf.LayersModel, seed: number,
  queryBreakdown: LoktQuality['queryBreakdown']): Promise<LoktQuality> {
  const test = loadSplits().privateTest;
  const idx = spreadIndices(test.count, 1000);
  const x = imagesToTensor(test, idx);
  const argmax = async (logits: tf.Tensor) => { const t = tf.argMax(logits, 1); const v = Array.from(await t.data()); tf.dispose([t, logits]); return v; };
  const byTarget = await argmax(target.predict(x) as tf.Tensor);
  const bySurrogate = await Promise.all(surrogates.map((m) => argmax(m.predict(x) as tf.Tensor)));
  const byEnsemble = await argmax(tf.tidy(() => tf.addN(surrogates.map((m) => m.predict(x) as tf.Tensor2D))));
  x.dispose();
  const truth = idx.map((i) => test.labels[i]);
  const share = (a: number[], b: number[]) => Number((a.filter((v, i) => v === b[i]).length / a.length).toFixed(4));
  const k = (target.outputs[0].shape as number[])[1];
  const n = 1000, per = n / k, rng = makeRng(seed + 777);
  const cls = Array.from({ length: n }, (_, i) => Math.floor(i / per));
  const g = tf.tidy(() => generate(generator, tf.tensor2d(sampleLatents(n, rng), [n, Z_DIM]), tf.oneHot(tf.tensor1d(cls, 'int32'), k).toFloat() as tf.Tensor2D));
  const onG = await argmax(target.predict(g) as tf.Tensor);
  g.dispose();
  return {
    images: idx.length, surrogateAgreement: bySurrogate.map((p) => share(p, byTarget)), surrogateAccuracy: bySurrogate.map((p) => share(p, truth)),
    ensembleAgreement: share(byEnsemble, byTarget), targetFidelity: share(onG, cls), queryBreakdown,
  };
}
