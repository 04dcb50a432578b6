// npx tsx scripts/target-margins.ts [--target ID] [--digits 1,3] [--priors ID,ID] [--augment 1,1.5,2]: how sure is the target of a digit on
// real private examples of it, on the public images it pseudo-labels as it (PLG-MI's training data), and on samples
// of conditional GANs? The figure is PLG-MI's own objective, the max-margin o_y - max_{k != y} o_k. When the public
// look-alikes score as high as the real digit, nothing in the attack pulls a reconstruction towards the real one
// (README, "Why the 3s did not come back with the stock warps"). With --augment, also each real digit's and public
// look-alike's margin averaged over 20 random warps of each strength (PLG-MI's `augment` knob): where the look-alikes
// lose more, the attack's warped objective pulls towards the real digit (README, "Stronger warps bring the 3s back").
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, loadSplits, MODELS_DIR, nodeBackend } from './lib/node-io.ts';
import { findModel, findPrior } from '../src/core/nets/manifest.ts';
import { readManifest } from './lib/manifest.ts';
import { filterDigits, imagesToTensor, publicFor, type DigitSet } from '../src/core/data/mnist.ts';
import { pseudoLabel } from '../src/core/priors/gan-trainer.ts';
import { composedClassLoss } from '../src/core/kernels/attack-losses.ts';
import { generate, sampleLatents, Z_DIM } from '../src/core/nets/gan.ts';
import { makeRng } from '../src/core/data/rng.ts';
import { applyAffine, randomAffineBatch, scaledAugment } from '../src/core/data/augment.ts';
import { PSEUDO_LABELS_PER_CLASS } from './lib/prior-recipes.ts';

const { values: args } = parseArgs({ options: { target: { type: 'string', default: 'target-none' }, digits: { type: 'string', default: '0,1,2,3,4' }, priors: { type: 'string', default: '' }, augment: { type: 'string', default: '' } } });
const WARPS = 20;
const SAMPLES = 500;

async function main(): Promise<void> {
  const strengths = args.augment!.split(',').filter(Boolean).map(Number);
  if (strengths.some((v) => !(v >= 0 && v <= 3))) throw new Error(`--augment: strengths between 0 and 3, comma-separated (got '${args.augment}')`);
  await nodeBackend('wasm');
  const manifest = readManifest();
  const entry = findModel(manifest, args.target!);
  if (entry.dataset === 'faces') throw new Error(`--target: ${entry.id} is a faces model; this script reads MNIST digits`);
  const target = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
  const evaluator = await loadModelFromDir(path.join(MODELS_DIR, 'evaluator'));
  const splits = loadSplits();
  const pseudo = await pseudoLabel(target, publicFor('disjoint', splits), PSEUDO_LABELS_PER_CLASS.disjoint);
  const priors = await Promise.all(args.priors!.split(',').filter(Boolean).map(async (id) => {
    const prior = findPrior(manifest, id);
    if (prior.kind !== 'cgan') throw new Error(`--priors: '${id}' is a ${prior.kind} prior; only conditional GANs (cgan-...) draw a chosen digit`);
    return { id, g: await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path))) };
  }));

  /** Mean, quartiles and 90th percentile of per-image margins `m` (disposed). */
  async function summary(m: tf.Tensor1D): Promise<string> {
    const v = Array.from(await m.data()).sort((a, b) => a - b);
    m.dispose();
    const q = (p: number) => v[Math.floor(p * (v.length - 1))].toFixed(1);
    return `mean ${(v.reduce((s, a) => s + a, 0) / v.length).toFixed(1)} (quartiles ${q(0.25)} / ${q(0.5)} / ${q(0.75)}, 90th percentile ${q(0.9)}; ${v.length} images)`;
  }
  const classRows = (n: number, c: number) => tf.oneHot(tf.fill([n], c, 'int32'), entry.classes.length).toFloat() as tf.Tensor2D;

  /** The target's max-margin for output `c` over images `x` (disposed), summarised. */
  async function margins(x: tf.Tensor4D, c: number): Promise<string> {
    const m = tf.tidy(() => tf.neg(composedClassLoss(target.predict(x) as tf.Tensor2D, classRows(x.shape[0], c), 'max-margin')));
    x.dispose();
    return summary(m);
  }

  /** Each image's max-margin for output `c` averaged over `WARPS` random warps of strength `strength` (the same warps on
   *  every call), summarised: what PLG-MI's warped objective sees of these images. */
  async function warpedMargins(x: tf.Tensor4D, c: number, strength: number): Promise<string> {
    const rng = makeRng(11);
    let sum: tf.Tensor1D = tf.zeros([x.shape[0]]);
    for (let k = 0; k < WARPS; k++) {
      const w = randomAffineBatch(1, rng, scaledAugment(strength));
      const next = tf.tidy(() => tf.sub(sum, composedClassLoss(target.predict(applyAffine(x, w)) as tf.Tensor2D, classRows(x.shape[0], c), 'max-margin')) as tf.Tensor1D);
      tf.dispose([sum, w]);
      sum = next;
    }
    const mean = tf.div(sum, WARPS) as tf.Tensor1D;
    sum.dispose();
    return summary(mean);
  }

  /** The evaluator's readings of `x`, most common first ("5 97%, 8 2%"). */
  async function readings(x: tf.Tensor4D): Promise<string> {
    const read = await tf.tidy(() => (evaluator.predict(x) as tf.Tensor2D).argMax(1)).data();
    const counts = new Map<number, number>();
    for (const r of read) counts.set(r, (counts.get(r) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).filter(([, n]) => n / read.length >= 0.01).map(([d, n]) => `${d} ${((n / read.length) * 100).toFixed(0)}%`).join(', ');
  }

  /** All of `set`'s images with this label (at most `limit`), as a tensor. */
  const imagesOf = (set: DigitSet, label: number, limit = Infinity) => { const sub = filterDigits(set, [label], limit); return imagesToTensor(sub, Array.from({ length: sub.count }, (_, i) => i)); };
  for (const digit of args.digits!.split(',').map(Number)) {
    const c = entry.classes.indexOf(digit);
    if (c < 0) throw new Error(`${args.target} has no class for digit ${digit} (classes: ${entry.classes.join(', ')})`);
    console.log(`digit ${digit}: the target's max-margin for it`);
    console.log(`  real private training ${digit}s: ${await margins(imagesOf(splits.privateTrain, digit, 1000), c)}`);
    const pub = imagesOf(pseudo, c);
    const pubReading = await readings(pub);
    console.log(`  public images it pseudo-labels ${digit} (PLG-MI's training data): ${await margins(pub, c)}; the evaluator reads them as ${pubReading}`);
    if (strengths.length) {
      const [real, lookAlikes] = [imagesOf(splits.privateTrain, digit, 1000), imagesOf(pseudo, c)];
      for (const strength of strengths) {
        console.log(`  under warps of strength ${strength} (each image's mean over ${WARPS}):`);
        console.log(`    real ${digit}s ${await warpedMargins(real, c, strength)}`);
        console.log(`    public look-alikes ${await warpedMargins(lookAlikes, c, strength)}`);
      }
      tf.dispose([real, lookAlikes]);
    }
    for (const { id, g } of priors) {
      const img = tf.tidy(() => generate(g, tf.tensor2d(sampleLatents(SAMPLES, makeRng(7)), [SAMPLES, Z_DIM]), classRows(SAMPLES, c)));
      const reading = await readings(img);
      console.log(`  ${id}, ${SAMPLES} class-${digit} samples: ${await margins(img, c)}; the evaluator reads them as ${reading}`);
    }
  }
}

// Bad arguments (an unknown target or prior, a digit the target lacks) print one line and exit 2, as `npm run mi` does.
main().catch((e: Error) => { console.error(`target-margins: ${e.message}`); process.exit(2); });
