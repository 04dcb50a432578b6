// npm run trap-mid:fresh-auc [-- --only ID[,ID...]] [--steps 400] [--seed S] [--write] [--backend wasm|cpu]
// Naturalness measured a second time for shipped Trap-MID targets, without retraining them: a fresh discriminator
// (src/core/metrics/trapdoor.ts freshDiscriminatorAuc) learns clean vs triggered private training images, and its
// ROC-AUC on the private test images is printed beside the jointly trained discriminator's (from the manifest).
// "Natural" means both are at most 0.75. --write records the fresh AUC in the manifest (trapdoor.freshNaturalnessAuc).
import { parseArgs } from 'node:util';
import { loadFaceSplits, loadSplits, nodeBackend } from './lib/node-io.ts';
import { readManifest, upsertManifestEntry } from './lib/manifest.ts';
import { readTriggers } from './lib/detector.ts';
import { datasetOf } from '../src/core/data/datasets.ts';
import { FRESH_DISCRIMINATOR_DEFAULTS, freshDiscriminatorAuc } from '../src/core/metrics/trapdoor.ts';

/** Both discriminators' AUC at most this: the triggers count as natural. */
export const NATURAL_AUC = 0.75;

const { values: a } = parseArgs({
  options: {
    only: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' }, write: { type: 'boolean', default: false }, backend: { type: 'string' },
  },
});
const steps = a.steps === undefined ? FRESH_DISCRIMINATOR_DEFAULTS.steps : Number(a.steps);
if (!Number.isInteger(steps) || steps < 1) { console.error(`--steps must be a positive whole number (got '${a.steps}')`); process.exit(2); }
const trapMid = readManifest().models.filter((m) => m.trapdoor);
const only = a.only?.split(',');
const unknown = only?.filter((id) => !trapMid.some((m) => m.id === id)) ?? [];
if (unknown.length) {
  console.error(`not a shipped Trap-MID target: ${unknown.join(', ')} (these are: ${trapMid.map((m) => m.id).join(', ')})`);
  process.exit(2);
}
await nodeBackend(a.backend);
const mnist = loadSplits();
for (const entry of trapMid.filter((m) => !only || only.includes(m.id))) {
  const info = entry.trapdoor!;
  const faces = entry.dataset === 'faces' ? await loadFaceSplits() : undefined;
  const [train, test] = faces ? [faces.privateTrain, faces.privateTest] : [mnist.privateTrain, mnist.privateTest];
  const triggers = readTriggers(info.triggers, entry.classes.length, info.injection, datasetOf(entry.dataset).side);
  const seed = a.seed === undefined ? entry.seed : Number(a.seed);
  const t0 = performance.now();
  const fresh = await freshDiscriminatorAuc(train, test, (d) => entry.classes.indexOf(d), triggers, info.alpha, info.injection, { steps, seed });
  triggers.dispose();
  console.log(JSON.stringify({
    id: entry.id, injection: info.injection, alpha: info.alpha, trapdoorAccuracy: info.trapdoorAccuracy, naturalnessAuc: info.naturalnessAuc,
    freshNaturalnessAuc: Number(fresh.toFixed(4)), natural: info.naturalnessAuc <= NATURAL_AUC && fresh <= NATURAL_AUC, steps, seed,
    seconds: Math.round((performance.now() - t0) / 1000),
  }));
  if (a.write) {
    // Re-read: another job may have written the manifest meanwhile.
    const now = readManifest().models.find((m) => m.id === entry.id)!;
    upsertManifestEntry({ ...now, trapdoor: { ...now.trapdoor!, freshNaturalnessAuc: Number(fresh.toFixed(4)) } });
  }
}
