// npm run priors:quality [-- --only ID[,ID]]: re-judges the shipped GAN priors as training does (the evaluator's
// reading of 1000 seeded samples, their FID against 1000 real public digits, the share read as 5-9) and writes the
// figures into models/manifest.json. For priors trained before these figures existed; the models test re-measures them.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFromDir, MODELS_DIR, nodeBackend } from './lib/node-io.ts';
import { readManifest, upsertPriorEntry } from './lib/manifest.ts';
import { judgeSamples } from './lib/prior-recipes.ts';

const { values: args } = parseArgs({ options: { only: { type: 'string' }, backend: { type: 'string' } } });
const only = args.only?.split(',');
await nodeBackend(args.backend);
for (const prior of readManifest().priors ?? []) {
  if (only && !only.includes(prior.id)) continue;
  // The inversion network's and the split attack's decoders are judged by their reconstructions (prior-recipes.ts,
  // judgeDecoder and judgeSplitDecoder), not by samples.
  if (prior.kind === 'inv' || prior.kind === 'split' || prior.kind === 'c2f' || prior.kind === 'lokt') continue;
  const g = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, prior.generator.path)));
  const q = await judgeSamples(g, prior.kind === 'cgan' ? prior.classes!.length : 0, prior.seed);
  g.dispose();
  upsertPriorEntry({ ...prior, ...q });
  console.log(`${prior.id}: FID ${q.fid}, read as 5-9 ${(100 * q.publicShare).toFixed(1)}%${q.classFidelity ? `, class fidelity ${q.classFidelity.join(' ')}` : ''}`);
}
