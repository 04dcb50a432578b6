// The shipped classifiers (used by `npm run train` and `npm run mi -- train`): which defense and data each is
// trained with, and the one training loop. The defense -> trainer wiring is the core's (src/core/defenses/recipes.ts),
// shared with the browser's defense lab.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, loadSplits, saveModel } from './node-io.ts';
import { type HALF, UINT8_KERNELS } from './quantize.ts';
import { buildEvaluator, buildRobustJudge } from '../../src/core/nets/architectures.ts';
import { applyAffine, randomAffineBatch } from '../../src/core/data/augment.ts';
import { FGSM_TRAINING, linfAttack, PGD_CHECK, robustAccuracy } from '../../src/core/adversarial.ts';
import { accuracy } from '../../src/core/train.ts';
import { NEGLS_ALPHA, NEGLS_FLOOR } from '../../src/core/defenses/negls.ts';
import { MID_BETA } from '../../src/core/defenses/mid.ts';
import { BIDO_DEFAULTS, BIDO_LAYERS } from '../../src/core/defenses/bido.ts';
import { TRAP_MID_DEFAULTS } from '../../src/core/defenses/trap-mid.ts';
import { TED_SHARE, WARP_GRID } from '../../src/core/defenses/warp-trigger.ts';
import { LABEL_SMOOTHING, buildDefenseTrainer, classifierTrainer, type DefenseId, type DefenseKnobs, type DefenseTrainer } from '../../src/core/defenses/recipes.ts';
import { DP_SGD_DEFAULTS } from '../../src/core/defenses/dp-sgd.ts';
import { DP_DELTA, dpEpsilon, noiseForEpsilon } from '../../src/core/defenses/dp-accountant.ts';
import { TL_DMI_DEFAULTS } from '../../src/core/defenses/tl-dmi.ts';
import { freshDiscriminatorAuc, naturalnessAuc, trapdoorAccuracy } from '../../src/core/metrics/trapdoor.ts';
import { PRIVATE_CLASSES, filterDigits, type DigitSet } from '../../src/core/data/mnist.ts';
import type { ModelEntry } from '../../src/core/nets/manifest.ts';
import { loadFaceSplits } from './node-io.ts';
import { DATASETS, datasetOf, type DatasetId } from '../../src/core/data/datasets.ts';
import { FACES_SPLIT_SEED, PEOPLE as PEOPLE_COUNT, judgeSplit } from '../../src/core/data/faces.ts';
import { buildFaceEvaluator, buildFaceJudge, buildSoftmaxTarget } from '../../src/core/nets/architectures.ts';
import { concatSets, subset } from '../../src/core/data/mnist.ts';

export interface Recipe {
  id: string;
  /** Absent: MNIST. */
  dataset?: DatasetId;
  role: ModelEntry['role'];
  defense: string;
  classes: number[];
  architecture: string;
  dataSplit: string;
  epochs: number;
  train: DigitSet;
  test: DigitSet;
  /** How weights.bin stores the weights (default float16). */
  storage?: typeof HALF;
  /** A fresh model and the trainer that trains it (a target's knobs may differ from the shipped ones). */
  make: (seed: number, epochs: number, knobs?: Partial<DefenseKnobs>) => DefenseTrainer;
  /** Faces: a fresh trainer over other training images (k-fold cross-validation of the recipe). */
  makeOn?: (data: DigitSet, seed: number, epochs: number) => DefenseTrainer;
  /** Extra files and manifest fields once trained (e.g. Trap-MID's triggers). */
  finish?: (trainer: DefenseTrainer, dir: string, seed: number) => Promise<Partial<ModelEntry>>;
}

const splits = loadSplits();

/** Trap-MID's triggers next to the model, and what they achieve: trapdoor accuracy and the discriminator's AUC. */
async function trapMidFinish(trainer: DefenseTrainer, dir: string, seed: number, test: DigitSet = splits.privateTest, train: DigitSet = splits.privateTrain): Promise<Partial<ModelEntry>> {
  const t = trainer.trapMid!, c = t.config;
  const trapAcc = await trapdoorAccuracy(trainer.model, test, c.classOf, t.triggers, c.alpha, seed, 500, c.injection);
  // Naturalness: can the discriminator tell clean test images from triggered ones? And a fresh one, trained afterwards?
  const auc = await naturalnessAuc(t.discriminator, test, c.classOf, t.triggers, c.alpha, c.injection, 2000, seed + 1);
  const fresh = await freshDiscriminatorAuc(train, test, c.classOf, t.triggers, c.alpha, c.injection, { seed });
  const triggers = new Uint8Array((await t.triggers.data() as Float32Array).slice().buffer);
  fs.writeFileSync(path.join(dir, 'triggers.bin'), triggers);
  console.error(`trapdoor accuracy ${(trapAcc * 100).toFixed(2)}%, naturalness AUC ${auc.toFixed(3)} (fresh discriminator: ${fresh.toFixed(3)})`);
  return {
    trapdoor: {
      triggers: `${path.basename(dir)}/triggers.bin`, triggersSha256: createHash('sha256').update(triggers).digest('hex'),
      alpha: c.alpha, injection: c.injection, beta: c.beta, naturalness: c.naturalness, naturalnessWeight: c.naturalnessWeight,
      ...(c.labelSmoothing ? { cleanSmoothing: c.labelSmoothing(1) } : {}),
      ...(c.ownDigitSmoothing ? { ownDigitSmoothing: c.ownDigitSmoothing } : {}),
      trapdoorAccuracy: Math.floor(trapAcc * 1e4) / 1e4, naturalnessAuc: Number(auc.toFixed(4)), freshNaturalnessAuc: Number(fresh.toFixed(4)),
    },
  };
}

const TARGET_ARCH = 'conv3x3(32)-conv3x3/2(64)-dropout(0.25)-dense(128)-dense(5)';
const PRIVATE_SPLIT = 'MNIST train digits 0-4 (30,596); accuracy on test digits 0-4 (5,139)';

/** A target of the private digits 0-4, trained with `defense` (batch 64, the shipped knobs unless `knobs` says otherwise). */
function target(id: string, defense: DefenseId, epochs: number, dataSplit: string, architecture = TARGET_ARCH, ownKnobs: Partial<DefenseKnobs> = {}, batchSize = 64): Recipe {
  return {
    id, role: 'target', defense, classes: [...PRIVATE_CLASSES], architecture, dataSplit, epochs,
    train: splits.privateTrain, test: splits.privateTest,
    // TL-DMI pretrains on the public digits 5-9 (the attacker's own data: no private image).
    make: (seed, epochs, knobs) => buildDefenseTrainer({ defense, epochs, batchSize, seed, classes: PRIVATE_CLASSES, knobs: { ...ownKnobs, ...knobs } }, splits.privateTrain,
      defense === 'tl-dmi' ? filterDigits(splits.publicSet, PUBLIC_DIGITS) : undefined),
    ...(defense === 'trap-mid' || defense === 'trap-mid-negls' ? { finish: trapMidFinish } : {}),
    ...(defense === 'dp-sgd' ? { finish: dpFinish } : {}),
  };
}

const PUBLIC_DIGITS = [5, 6, 7, 8, 9];
/** DP-SGD's shipped targets: the expected batch and epochs, and the noise that spends each budget over them. */
const DP_BATCH = DP_SGD_DEFAULTS.batchSize, DP_EPOCHS = 6;
const dpRate = DP_BATCH / splits.privateTrain.count;
const dpSteps = (epochs: number) => epochs * Math.round(1 / dpRate);
const dpNoiseFor = (epsilon: number) => Math.ceil(noiseForEpsilon(epsilon, dpRate, dpSteps(DP_EPOCHS)) * 1000) / 1000;

/** A DP-SGD target's privacy, as its accountant reports it for the run that was actually trained. */
function dpFinish(trainer: DefenseTrainer): Promise<Partial<ModelEntry>> {
  const t = trainer.dpSgd!;
  const { epsilon } = t.accountant.epsilon();
  console.error(`DP-SGD: (${epsilon.toFixed(3)}, ${DP_DELTA})-DP after ${t.accountant.steps} steps`);
  return Promise.resolve({ privacy: {
    epsilon: Math.ceil(epsilon * 1000) / 1000, delta: DP_DELTA, noiseMultiplier: t.config.noiseMultiplier, clipNorm: t.config.clipNorm,
    samplingRate: Number(t.q.toFixed(6)), steps: t.accountant.steps, sampling: 'poisson',
  } });
}

/** A DP-SGD target at privacy budget `epsilon` (delta 1e-5). */
function dpTarget(id: string, epsilon: number): Recipe {
  const noiseMultiplier = dpNoiseFor(epsilon);
  const spent = dpEpsilon(dpRate, noiseMultiplier, dpSteps(DP_EPOCHS)).epsilon;
  return target(id, 'dp-sgd', DP_EPOCHS, `${PRIVATE_SPLIT}; DP-SGD (Poisson batches of ${DP_BATCH} expected, q ${dpRate.toFixed(5)}), ` +
    `clip ${DP_SGD_DEFAULTS.clipNorm}, noise ${noiseMultiplier}: (${spent.toFixed(2)}, ${DP_DELTA})-DP over ${DP_EPOCHS} epochs (Renyi DP accountant)`,
    TARGET_ARCH, { noiseMultiplier, clipNorm: DP_SGD_DEFAULTS.clipNorm }, DP_BATCH);
}

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/** The second judge's adversarial budget (L-inf, pixels in [0, 1]) and its warps. */
export const JUDGE_EPS = 0.1;
const JUDGE_WARPS = { rotate: 15, minScale: 0.8, shift: 3 };
/** `target-trap-mid-capped`: Trap-MID with the digits' margin capped. */
const CAPPED_KNOBS: Partial<DefenseKnobs> = { beta: 0.7, cleanSmoothing: 0.2, ownDigitSmoothing: 0.4 };
/** `target-trap-mid-warp` and `-ted`: the capped knobs with the warp (at most 1 px) and TeD (full mask) triggers. */
const WARP_KNOBS: Partial<DefenseKnobs> = { ...CAPPED_KNOBS, injection: 'warp', alpha: 1 };
const TED_KNOBS: Partial<DefenseKnobs> = { ...CAPPED_KNOBS, injection: 'ted', alpha: 1 };

export const RECIPES: Recipe[] = [
  target('target-none', 'none', 4, PRIVATE_SPLIT),
  {
    id: 'evaluator', role: 'evaluator', defense: 'none', classes: DIGITS,
    architecture: '3 x [conv3x3(c)-conv3x3/2(c)], c=32,64,128 (same padding)-dropout(0.4)-dense(256)-dense(10)',
    dataSplit: 'MNIST train, all digits (60,000), shifts of up to 2 px; accuracy on MNIST test (10,000)', epochs: 6,
    train: splits.train, test: splits.test,
    // It only judges (no attack follows its gradients): its large kernels fit in 256 levels at unchanged accuracy.
    storage: UINT8_KERNELS,
    make: (seed, epochs) => classifierTrainer(buildEvaluator(seed), splits.train, {
      batchSize: 128, learningRate: 1.5e-3, shift: 2, lrDecay: 0.6, epochs, seed, classOf: (d) => DIGITS.indexOf(d), numClasses: 10,
    }),
  },
  {
    id: 'judge-robust', role: 'evaluator', defense: 'none', classes: DIGITS,
    architecture: 'conv5x5(32)-maxpool-conv5x5(64)-maxpool-conv3x3(128)-dropout(0.3)-dense(128)-dense(10)',
    dataSplit: `MNIST train, all digits (60,000), random warps (rotation ${JUDGE_WARPS.rotate} deg, zoom ${JUDGE_WARPS.minScale}-1, ` +
      `shift ${JUDGE_WARPS.shift} px) then FGSM with a random start, L-inf eps ${JUDGE_EPS}, on every batch; accuracy on MNIST test (10,000)`,
    epochs: 4, train: splits.train, test: splits.test, storage: UINT8_KERNELS,
    make: (seed, epochs) => {
      let batch = 0;
      return classifierTrainer(buildRobustJudge(seed), splits.train, {
        batchSize: 128, learningRate: 1.5e-3, shift: 0, lrDecay: 0.6, epochs, seed, classOf: (d) => DIGITS.indexOf(d), numClasses: 10,
        transform: (model, x, y, rng) => {
          const warps = randomAffineBatch(4, rng, JUDGE_WARPS);
          const warped = applyAffine(x, warps);
          const adv = linfAttack(model, warped, y, FGSM_TRAINING(JUDGE_EPS), seed * 100_003 + batch++);
          tf.dispose([warps, warped]);
          return adv;
        },
      });
    },
    finish: async (trainer, _dir, seed) => {
      const robust = await robustAccuracy(trainer.model, splits.test, (d) => DIGITS.indexOf(d), 10, PGD_CHECK(JUDGE_EPS), 1000, seed);
      console.error(`judge-robust: accuracy under PGD-10 at eps ${JUDGE_EPS}: ${(robust * 100).toFixed(2)}%`);
      return { robustness: { attack: 'PGD', eps: JUDGE_EPS, steps: PGD_CHECK(JUDGE_EPS).steps, stepSize: PGD_CHECK(JUDGE_EPS).stepSize, images: 1000, accuracy: Math.floor(robust * 1e4) / 1e4 } };
    },
  },
  target('target-negls', 'negls', 4, `${PRIVATE_SPLIT}; negative label smoothing ${NEGLS_ALPHA} from mid-training, log-probabilities floored at log(${NEGLS_FLOOR})`),
  target('target-label-smoothing', 'label-smoothing', 4, `${PRIVATE_SPLIT}; label smoothing ${LABEL_SMOOTHING} (positive: NegLS's contrast)`),
  target('target-tl-dmi', 'tl-dmi', 4, `${PRIVATE_SPLIT}; TL-DMI: ${TL_DMI_DEFAULTS.pretrainEpochs} epochs on the public digits 5-9 (29,404 train and test images), ` +
    `then a fresh head and the last ${TL_DMI_DEFAULTS.fineTunedLayers} weight layers (dense) on the private digits, the convs frozen`),
  dpTarget('target-dp-eps1', 1),
  dpTarget('target-dp-eps8', 8),
  dpTarget('target-dp-eps50', 50),
  target('target-mid', 'mid', 4, `${PRIVATE_SPLIT}; information bottleneck beta ${MID_BETA}`,
    'conv3x3(32)-conv3x3/2(64)-dropout(0.25)-dense(128)-VIB(32: mu, softplus(s-5))-dense(5) on mu'),
  target('target-trap-mid', 'trap-mid', 3, `${PRIVATE_SPLIT}; trapdoor triggers learned alongside`),
  target('target-bido', 'bido', 4, `${PRIVATE_SPLIT}; BiDO: CE + sum over ${BIDO_LAYERS.join(', ')} of lambda_x ${BIDO_DEFAULTS.lambdaX} x ` +
    `${BIDO_DEFAULTS.dependence.toUpperCase()}(h, x) - lambda_y ${BIDO_DEFAULTS.lambdaY} x ${BIDO_DEFAULTS.dependence.toUpperCase()}(h, y), ` +
    `HSIC normalised as in BiDO's code, Gaussian kernels sigma ${BIDO_DEFAULTS.sigma} (per dimension), linear label kernel`),
  // Trap-MID against PLG-MI: a real digit's margin is capped (clean labels smoothed by 0.2), and a trigger on its own
  // digit is capped harder (0.4), so that the trapdoor pays only on *another* shape: drawing the private digit plus
  // the trigger no longer beats drawing something else plus the trigger (README, "Trap-MID against the GAN attacks").
  target('target-trap-mid-capped', 'trap-mid', 3, `${PRIVATE_SPLIT}; trapdoor triggers learned alongside; beta ${CAPPED_KNOBS.beta}, ` +
    `clean smoothing ${CAPPED_KNOBS.cleanSmoothing}, own-digit smoothing ${CAPPED_KNOBS.ownDigitSmoothing}`, TARGET_ARCH, CAPPED_KNOBS),
  // The same capped knobs with two other trigger families (issue 21): WaNet-like learned warps of at most 1 px, and
  // TeD's fixed random mask-and-pattern trapdoors (src/core/defenses/warp-trigger.ts).
  target('target-trap-mid-warp', 'trap-mid', 3, `${PRIVATE_SPLIT}; trapdoor triggers learned alongside: 'warp', a smooth displacement field per class ` +
    `(${WARP_GRID} x ${WARP_GRID} x 2 parameters, tanh, at most ${WARP_KNOBS.alpha} px, bilinear resampling); beta ${CAPPED_KNOBS.beta}, ` +
    `clean smoothing ${CAPPED_KNOBS.cleanSmoothing}, own-digit smoothing ${CAPPED_KNOBS.ownDigitSmoothing}`, TARGET_ARCH, WARP_KNOBS),
  target('target-trap-mid-ted', 'trap-mid', 3, `${PRIVATE_SPLIT}; TeD's trapdoors: a fixed random mask (${Math.round(TED_SHARE * 100)}% of the pixels, ` +
    `3 x 3 patches) and pattern per class, not learned; beta ${CAPPED_KNOBS.beta}, clean smoothing ${CAPPED_KNOBS.cleanSmoothing}, ` +
    `own-digit smoothing ${CAPPED_KNOBS.ownDigitSmoothing}`, TARGET_ARCH, TED_KNOBS),
  target('target-trap-mid-negls', 'trap-mid-negls', 3, `${PRIVATE_SPLIT}; trapdoor triggers learned alongside (alpha ${TRAP_MID_DEFAULTS.alpha}, ` +
    `beta ${TRAP_MID_DEFAULTS.beta}); clean term with negative label smoothing ${NEGLS_ALPHA} from mid-training`),
];

// Faces (data/olivetti, data/faces.ts): 20 private people, 8 training and 2 test images each.
const faces = await loadFaceSplits();
const PEOPLE = [...DATASETS.faces.privateClasses];
const FACES_SPLIT = `Olivetti faces: ${PEOPLE.length} private people (seeded choice, seed ${FACES_SPLIT_SEED}: ${PEOPLE.join(', ')}), ` +
  '8 images each (160) to train, shifts of up to 3 px and mirror images; accuracy on their other 2 images (40)';
const FACE_AUGMENT = { shift: DATASETS.faces.augment.shift, flip: DATASETS.faces.augment.flip };
const personOf = (d: number) => PEOPLE.indexOf(d);

function faceClassifier(id: string, role: ModelEntry['role'], architecture: string, epochs: number, build: (seed: number) => tf.LayersModel, learningRate: number): Recipe {
  const makeOn = (data: DigitSet, seed: number, epochs: number) => classifierTrainer(build(seed), data, {
    batchSize: 32, learningRate, ...FACE_AUGMENT, lrDecay: 0.97, epochs, seed, classOf: personOf, numClasses: PEOPLE.length,
  });
  return {
    id, dataset: 'faces', role, defense: 'none', classes: PEOPLE, architecture, dataSplit: FACES_SPLIT, epochs,
    train: faces.privateTrain, test: faces.privateTest, make: (seed, epochs) => makeOn(faces.privateTrain, seed, epochs), makeOn,
  };
}

const FACE_EPOCHS = 60;
const FACE_TARGET_ARCH = 'conv3x3/2(32)-conv3x3/2(64)-conv3x3/2(128)-dropout(0.3)-dense(128)-dense(20)';

/** A faces CNN target, trained with `defense` through the same path as the defense lab's (batch 32). */
function faceTarget(id: string, defense: DefenseId, epochs: number, note: string, knobs: Partial<DefenseKnobs> = {}): Recipe {
  const makeOn = (data: DigitSet, seed: number, epochs: number, more?: Partial<DefenseKnobs>) =>
    buildDefenseTrainer({ defense, dataset: 'faces', epochs, batchSize: 32, seed, classes: PEOPLE, knobs: { ...knobs, ...more } }, data);
  return {
    id, dataset: 'faces', role: 'target', defense, classes: PEOPLE, architecture: FACE_TARGET_ARCH, dataSplit: FACES_SPLIT + note, epochs,
    // 5-fold figures for the plain targets (a Trap-MID run costs too much to repeat five times here).
    train: faces.privateTrain, test: faces.privateTest, make: (seed, epochs, k) => makeOn(faces.privateTrain, seed, epochs, k),
    ...(defense === 'none' ? { makeOn } : {}),
    ...(defense === 'trap-mid' ? { finish: (t: DefenseTrainer, dir: string, seed: number) => trapMidFinish(t, dir, seed, faces.privateTest, faces.privateTrain) } : {}),
  };
}

const FACE_RECIPES: Recipe[] = [
  // Fredrikson et al.'s target: softmax regression on the pixels.
  faceClassifier('faces-target-softmax', 'target', 'softmax regression: flatten(4096)-dense(20)', FACE_EPOCHS, (seed) => buildSoftmaxTarget(PEOPLE.length, seed), 2e-3),
  faceTarget('faces-target-none', 'none', FACE_EPOCHS, ''),
  // Trap-MID with the paper's recipe (blend at alpha 0.02, beta 0.2, the naturalness term as published): on faces no
  // black background gives a trigger away (README, "Trap-MID on faces"). 400 epochs (2,000 batches of 32): at 100 the
  // trapdoor had not installed at all (2.5%, chance 5%); its loss falls only after ~150.
  faceTarget('faces-target-trap-mid', 'trap-mid', 400, `; Trap-MID, the paper's recipe: trigger blend alpha ${TRAP_MID_DEFAULTS.alpha}, ` +
    `beta ${TRAP_MID_DEFAULTS.beta}, naturalness 'paper' (weight ${TRAP_MID_DEFAULTS.naturalnessWeight}); augmentation: shifts of up to 2 px and mirror images`,
  { naturalness: 'paper' }),
  faceClassifier('faces-evaluator', 'evaluator', 'conv5x5(32)-maxpool-conv3x3(64)-maxpool-conv3x3(128)-maxpool-conv3x3/2(128)-dropout(0.4)-dense(256)-dense(20)', FACE_EPOCHS,
    (seed) => buildFaceEvaluator(PEOPLE.length, seed), 1e-3),
];
RECIPES.push(...FACE_RECIPES);

// The faces' second judge: all 40 people, so that a reconstruction that looks like a stranger is read as one; its
// split is judgeSplit's (data/faces.ts).
const ALL_PEOPLE = Array.from({ length: PEOPLE_COUNT }, (_, p) => p);
/** The faces judge's L-inf budget: 8/255, the usual budget for natural images. */
export const FACE_JUDGE_EPS = 0.03;
const FACE_ZOOM = 0.85, FACE_CONTRAST = 0.3, FACE_BRIGHTNESS = 0.1;
/** Batches over which the FGSM budget grows from 0 to eps: from scratch, 320 faces sit at chance for ~100 batches even without it. */
const FACE_JUDGE_RAMP = 200;
const faceJudgeSplit = judgeSplit(faces);

/** Heavy photometric and geometric jitter of a batch of faces: a random zoom (crop of 85-100% of the side, resized back), contrast and brightness. */
function jitterFaces(x: tf.Tensor4D, rng: () => number): tf.Tensor4D {
  const n = x.shape[0];
  const boxes: number[][] = [], contrast: number[] = [], brightness: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = FACE_ZOOM + (1 - FACE_ZOOM) * rng(), y = (1 - s) * rng(), xx = (1 - s) * rng();
    boxes.push([y, xx, y + s, xx + s]);
    contrast.push(1 + FACE_CONTRAST * (2 * rng() - 1));
    brightness.push(FACE_BRIGHTNESS * (2 * rng() - 1));
  }
  return tf.tidy(() => {
    const zoomed = tf.image.cropAndResize(x, tf.tensor2d(boxes), tf.range(0, n, 1, 'int32') as tf.Tensor1D, [x.shape[1], x.shape[2]]);
    const mean = tf.mean(zoomed, [1, 2, 3], true);
    const c = tf.tensor4d(contrast, [n, 1, 1, 1]), b = tf.tensor4d(brightness, [n, 1, 1, 1]);
    return tf.clipByValue(tf.add(tf.add(tf.mul(tf.sub(zoomed, mean), c), mean), b), 0, 1) as tf.Tensor4D;
  });
}

RECIPES.push({
  id: 'faces-judge-robust', dataset: 'faces', role: 'evaluator', defense: 'none', classes: ALL_PEOPLE,
  architecture: 'conv5x5/2(32)-conv3x3(64)-avgpool-conv3x3(128)-avgpool-conv3x3/2(64)-dropout(0.3)-dense(128)-dense(40)',
  dataSplit: `Olivetti faces, all 40 people: the ${faces.privateTrain.count} private training photos and 8 of each public person's 10 ` +
    `(seeded, seed ${FACES_SPLIT_SEED + 2}; ${faceJudgeSplit.train.count} in all); shifts of up to 4 px, mirror images, zoom ${FACE_ZOOM}-1, ` +
    `contrast +-${FACE_CONTRAST}, brightness +-${FACE_BRIGHTNESS}, then FGSM with a random start, L-inf eps ${FACE_JUDGE_EPS} (growing from 0 over the first ${FACE_JUDGE_RAMP} batches), on every batch; ` +
    `accuracy on the private people's 2 test photos and the public people's other 2 (${faceJudgeSplit.test.count})`,
  epochs: 240, train: faceJudgeSplit.train, test: faceJudgeSplit.test, storage: UINT8_KERNELS,
  make: (seed, epochs) => {
    let batch = 0;
    return classifierTrainer(buildFaceJudge(PEOPLE_COUNT, seed), faceJudgeSplit.train, {
      batchSize: 32, learningRate: 1.5e-3, shift: 4, flip: true, lrDecay: 0.99, epochs, seed, classOf: (p) => p, numClasses: PEOPLE_COUNT,
      transform: (model, x, y, rng) => {
        const jittered = jitterFaces(x, rng);
        const eps = FACE_JUDGE_EPS * Math.min(1, (batch + 1) / FACE_JUDGE_RAMP);
        const adv = linfAttack(model, jittered, y, FGSM_TRAINING(eps), seed * 100_003 + batch++);
        jittered.dispose();
        return adv;
      },
    });
  },
  finish: async (trainer, _dir, seed) => {
    const check = PGD_CHECK(FACE_JUDGE_EPS), n = faceJudgeSplit.test.count;
    const robust = await robustAccuracy(trainer.model, faceJudgeSplit.test, (p) => p, PEOPLE_COUNT, check, n, seed);
    console.error(`faces-judge-robust: accuracy under PGD-10 at eps ${FACE_JUDGE_EPS}: ${(robust * 100).toFixed(2)}%`);
    return { robustness: { attack: 'PGD', eps: FACE_JUDGE_EPS, steps: check.steps, stepSize: check.stepSize, images: n, accuracy: Math.floor(robust * 1e4) / 1e4 } };
  },
});


/**
 * k-fold cross-validation of a faces recipe: fold f tests on image f*2..f*2+1 of each private person (in the order of
 * all 10 of their images) and trains on the other 8. 40 test images are few; 5 folds use all 200.
 */
async function crossValidate(r: Recipe, seed: number, epochs: number, folds = 5): Promise<ModelEntry['crossValidation']> {
  const all = concatSets(faces.privateTrain, faces.privateTest);
  const byPerson = new Map<number, number[]>();
  for (let i = 0; i < all.count; i++) byPerson.set(all.labels[i], [...(byPerson.get(all.labels[i]) ?? []), i]);
  const accuracies: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [], test: number[] = [];
    for (const own of byPerson.values()) own.forEach((i, k) => (Math.floor(k * folds / own.length) === f ? test : train).push(i));
    const trainer = r.makeOn!(subset(all, train), seed + 100 * (f + 1), epochs);
    while (!trainer.done) await trainer.step(false);
    const acc = await accuracy(trainer.model, subset(all, test), (d) => r.classes.indexOf(d));
    console.error(`${r.id} fold ${f + 1}/${folds}: ${(acc * 100).toFixed(1)}%`);
    accuracies.push(Math.round(acc * 1e4) / 1e4);
    trainer.dispose();
  }
  return { folds, accuracies, mean: Math.round(accuracies.reduce((a, b) => a + b, 0) / folds * 1e4) / 1e4 };
}

const summary = (losses: Record<string, number> | undefined) =>
  Object.entries(losses ?? {}).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');

/**
 * Train `recipe` to the end, logging every ~15 s to stderr, save it into `dir` and return its manifest entry
 * (`path` relative to the parent of `dir`).
 */
export async function trainRecipe(r: Recipe, opts: { seed: number; epochs?: number; knobs?: Partial<DefenseKnobs>; dir: string; backend: string; command: string }): Promise<ModelEntry> {
  const epochs = opts.epochs ?? r.epochs;
  const trainer = r.make(opts.seed, epochs, opts.knobs);
  const model = trainer.model;
  const classOf = (d: number) => r.classes.indexOf(d);
  const t0 = performance.now();
  let lastLog = 0;
  while (!trainer.done) {
    const log = performance.now() - lastLog > 15000;
    const s = await trainer.step(log);
    if (log) {
      lastLog = performance.now();
      console.error(`${r.id} epoch ${s.epoch + 1}/${epochs} batch ${s.batch}/${s.batchesPerEpoch} ${summary(s.losses)} ` +
        `(${((lastLog - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
    }
    if (s.batch === 0 && s.epoch > 0 && s.epoch < epochs) {
      console.error(`${r.id} after epoch ${s.epoch}: test accuracy ${((await accuracy(model, r.test, classOf)) * 100).toFixed(2)}%`);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const float32TestAccuracy = await accuracy(model, r.test, classOf);
  const { sha256, bytes, weights } = await saveModel(model, opts.dir, r.storage);
  // From here on the model holds its stored (quantized) weights, so the manifest describes the model as shipped.
  const shipped = await loadModelFromDir(opts.dir);
  model.setWeights(shipped.getWeights());
  shipped.dispose();
  const testAccuracy = await accuracy(model, r.test, classOf);
  const trainAccuracy = await accuracy(model, filterDigits(r.train, r.classes, 2000), classOf);
  const extra = await r.finish?.(trainer, opts.dir, opts.seed) ?? {};
  const crossValidation = r.makeOn ? await crossValidate(r, opts.seed, epochs) : undefined;
  const side = datasetOf(r.dataset).side;
  const entry: ModelEntry = {
    id: r.id, ...(r.dataset ? { dataset: r.dataset } : {}), role: r.role, defense: r.defense, path: `${path.basename(opts.dir)}/model.json`, classes: r.classes, input: [side, side, 1],
    output: 'logits', architecture: r.architecture, params: model.countParams(),
    testAccuracy: Math.floor(testAccuracy * 1e4) / 1e4, trainAccuracy: Math.floor(trainAccuracy * 1e4) / 1e4,
    dataSplit: opts.knobs && Object.keys(opts.knobs).length ? `${r.dataSplit}; knobs ${JSON.stringify(opts.knobs)}` : r.dataSplit, trainCommand: opts.command, seed: opts.seed, epochs, trainSeconds: Math.round(trainSeconds),
    trainBackend: opts.backend, sha256, bytes, weights: { ...weights, float32TestAccuracy: Math.floor(float32TestAccuracy * 1e4) / 1e4 }, ...extra,
    ...(crossValidation ? { crossValidation } : {}),
  };
  trainer.dispose();
  return entry;
}
