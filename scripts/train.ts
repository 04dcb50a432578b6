// npm run train [-- --only ID|ROLE[,...]] [--epochs N] [--seed S] [--backend wasm|cpu]
// Trains the shipped models on real MNIST with the shared core, writes them under models/ and updates the manifest.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeBackend, MODELS_DIR } from './lib/node-io.ts';
import { upsertManifestEntry } from './lib/manifest.ts';
import { RECIPES, trainRecipe } from './lib/recipes.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string' },
  },
});

const only = args.only?.split(',');
const chosen = RECIPES.filter((r) => !only || only.includes(r.id) || only.includes(r.role));
if (chosen.length === 0) {
  console.error(`train: nothing matches --only ${args.only} (models: ${RECIPES.map((r) => r.id).join(', ')})`);
  process.exit(2);
}
const backend = await nodeBackend(args.backend);
console.error(`backend: ${backend.backend}`);
const seed = Number(args.seed);
for (const r of chosen) {
  const epochs = args.epochs ? Number(args.epochs) : undefined;
  const command = `npm run train -- --only ${r.id} --seed ${seed}${epochs ? ` --epochs ${epochs}` : ''}`;
  const entry = await trainRecipe(r, { seed, epochs, dir: path.join(MODELS_DIR, r.id), backend: backend.backend, command });
  upsertManifestEntry(entry);
  console.log(JSON.stringify({ id: entry.id, testAccuracy: entry.testAccuracy, trainSeconds: entry.trainSeconds, trapdoor: entry.trapdoor }));
}
