// npm run train [-- --only ID|ROLE[,...]] [--epochs N] [--seed S] [--backend wasm|cpu] [--resume]
// Trains the shipped models (classifiers and GAN priors) on real MNIST with the shared core, writes them under
// models/ and updates the manifest. ROLE: target, evaluator, prior, student, guard or lokt (LOKT's models).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeBackend, MODELS_DIR } from './lib/node-io.ts';
import { readManifest, upsertGuardEntry, upsertManifestEntry, upsertPriorEntry } from './lib/manifest.ts';
import { GUARD_RECIPES, trainGuard } from './lib/guard-recipes.ts';
import { RECIPES, trainRecipe } from './lib/recipes.ts';
import {
  C2F_RECIPES, FACE_PRIOR_RECIPES, INVERSION_RECIPES, LOKT_RECIPES, PRIOR_RECIPES, SPLIT_RECIPES, STUDENT_RECIPES,
  trainEigenPrior, trainInversionPrior, trainPrior, trainSplitPrior, trainStudent, trainC2fPrior, trainLoktPrior,
} from './lib/prior-recipes.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string' },
    // GAN priors only: train the shipped networks for --epochs more instead of starting afresh.
    resume: { type: 'boolean', default: false },
  },
});

const only = args.only?.split(',');
const chosen = RECIPES.filter((r) => !only || only.includes(r.id) || only.includes(r.role));
const priors = PRIOR_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior'));
const facePriors = FACE_PRIOR_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior'));
const students = STUDENT_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('student'));
const decoders = INVERSION_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior'));
const c2fNets = C2F_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior'));
const splitDecoders = SPLIT_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior'));
// LOKT's T-ACGAN and surrogates (label-only knowledge transfer; --only lokt trains them all).
const loktModels = LOKT_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('prior') || only.includes('lokt'));
// The defender's networks of the output defenses (purifier, mimic inversion model): ROLE 'guard'.
const guards = GUARD_RECIPES.filter((r) => !only || only.includes(r.id) || only.includes('guard'));
if (chosen.length + priors.length + facePriors.length + students.length + decoders.length + c2fNets.length + splitDecoders.length + guards.length + loktModels.length === 0) {
  console.error(`train: nothing matches --only ${args.only} (models: ${[...RECIPES, ...PRIOR_RECIPES, ...FACE_PRIOR_RECIPES, ...STUDENT_RECIPES, ...INVERSION_RECIPES, ...C2F_RECIPES, ...SPLIT_RECIPES, ...GUARD_RECIPES, ...LOKT_RECIPES].map((r) => r.id).join(', ')})`);
  process.exit(2);
}
const backend = await nodeBackend(args.backend);
console.error(`backend: ${backend.backend}`);
const seed = Number(args.seed);
const epochs = args.epochs ? Number(args.epochs) : undefined;
const commandFor = (id: string) => `npm run train -- --only ${id} --seed ${seed}${epochs ? ` --epochs ${epochs}` : ''}${args.resume ? ' --resume' : ''}`;
for (const r of chosen) {
  const entry = await trainRecipe(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertManifestEntry(entry);
  console.log(JSON.stringify({ id: entry.id, testAccuracy: entry.testAccuracy, trainSeconds: entry.trainSeconds, trapdoor: entry.trapdoor }));
}
// The attacker's models last: they need their target.
for (const r of students) {
  const entry = await trainStudent(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertManifestEntry(entry);
  console.log(JSON.stringify({ id: entry.id, testAccuracy: entry.testAccuracy, trainSeconds: entry.trainSeconds }));
}
for (const r of priors) {
  const entry = await trainPrior(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id), resume: args.resume });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, sampleDigits: entry.sampleDigits, classFidelity: entry.classFidelity }));
}
// The inversion network's decoders (Yang et al. 2019): each needs its target in the manifest.
for (const r of decoders) {
  if (!only?.includes(r.id) && !readManifest().models.some((m) => m.id === r.forTarget)) {
    console.error(`${r.id}: skipped, its target ${r.forTarget} is not trained yet`);
    continue;
  }
  const entry = await trainInversionPrior(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, queries: entry.queries, fid: entry.fid, reconstruction: entry.reconstruction }));
}
// C2FMI's inverse networks (Ye et al. 2023): each needs its target and the shared GAN prior in the manifest.
for (const r of c2fNets) {
  if (!only?.includes(r.id) && !readManifest().models.some((m) => m.id === r.forTarget)) {
    console.error(`${r.id}: skipped, its target ${r.forTarget} is not trained yet`);
    continue;
  }
  const entry = await trainC2fPrior(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, queries: entry.queries, fid: entry.fid, c2fQuality: entry.c2fQuality }));
}
// The split attack's decoders (split-learning inversion): each needs its target in the manifest.
for (const r of splitDecoders) {
  if (!only?.includes(r.id) && !readManifest().models.some((m) => m.id === r.forTarget)) {
    console.error(`${r.id}: skipped, its target ${r.forTarget} is not trained yet`);
    continue;
  }
  const entry = await trainSplitPrior(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, queries: entry.queries, fid: entry.fid, splitQuality: entry.splitQuality }));
}
// LOKT's models (Nguyen et al. 2023): each needs its target in the manifest.
for (const r of loktModels) {
  const entry = await trainLoktPrior(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, queries: entry.queries, fid: entry.fid, classFidelity: entry.classFidelity, loktQuality: entry.loktQuality }));
}
// The output defenses' networks: each needs its target and (for its quality) the attacker's decoder for that target.
for (const r of guards) {
  const entry = await trainGuard(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertGuardEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, quality: entry.quality }));
}
for (const r of facePriors) {
  const entry = await trainEigenPrior(r, { seed, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command: commandFor(r.id) });
  upsertPriorEntry(entry);
  console.log(JSON.stringify({ id: entry.id, trainSeconds: entry.trainSeconds, explained: entry.explained, fid: entry.fid }));
}
