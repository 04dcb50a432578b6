// npx tsx scripts/target-margins.ts [--target ID] [--digits 1,3] [--priors ID,ID]: how sure is the target of a digit on
// real private examples of it, on the public images it pseudo-labels as it (PLG-MI's training data), and on samples
// of conditional GANs? The figure is PLG-MI's own objective, the max-margin o_y - max_{k != y} o_k. When the public
// look-alikes score as high as the real digit, nothing in the attack pulls a reconstruction towards the real one
// (README, "Why the 3s do not come back").
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
import { PSEUDO_LABELS_PER_CLASS } from './lib/prior-recipes.ts';

const { values: args } = parseArgs({ options: { target: { type: 'string', default: 'target-none' }, digits: { type: 'string', default: '0,1,2,3,4' }, priors: { type: 'string', default: '' } } });
const SAMPLES = 500;

async function main(): Promise<void> {
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

  /** Mean, quartiles and 90th percentile of the target's max-margin for output `c` over images `x` (disposed). */
  async function margins(x: tf.Tensor4D, c: number): Promise<string> {
    const m = tf.tidy(() => tf.neg(composedClassLoss(target.predict(x) as tf.Tensor2D, tf.oneHot(tf.fill([x.shape[0]], c, 'int32'), entry.classes.length).toFloat() as tf.Tensor2D, 'max-margin')));
    const v = Array.from(await m.data()).sort((a, b) => a - b);
    tf.dispose([m, x]);
    const q = (p: number) => v[Math.floor(p * (v.length - 1))].toFixed(1);
    return `mean ${(v.reduce((s, a) => s + a, 0) / v.length).toFixed(1)} (quartiles ${q(0.25)} / ${q(0.5)} / ${q(0.75)}, 90th percentile ${q(0.9)}; ${v.length} images)`;
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
    for (const { id, g } of priors) {
      const img = tf.tidy(() => generate(g, tf.tensor2d(sampleLatents(SAMPLES, makeRng(7)), [SAMPLES, Z_DIM]), tf.oneHot(tf.fill([SAMPLES], c, 'int32'), entry.classes.length).toFloat() as tf.Tensor2D));
      const reading = await readings(img);
      console.log(`  ${id}, ${SAMPLES} class-${digit} samples: ${await margins(img, c)}; the evaluator reads them as ${reading}`);
    }
  }
}

// Bad arguments (an unknown target or prior, a digit the target lacks) print one line and exit 2, as `npm run mi` does.
main().catch((e: Error) => { console.error(`target-margins: ${e.message}`); process.exit(2); });
