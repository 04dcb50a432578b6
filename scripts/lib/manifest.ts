// models/manifest.json: one entry per shipped model. Written by the training script, read by pages, CLI and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelEntry, Manifest, PriorEntry } from '../../src/core/nets/manifest.ts';
import { MODELS_DIR } from './node-io.ts';

const FILE = path.join(MODELS_DIR, 'manifest.json');

export function readManifest(): Manifest {
  if (!fs.existsSync(FILE)) return { version: 1, models: [] };
  return JSON.parse(fs.readFileSync(FILE, 'utf8')) as Manifest;
}

/** Insert or replace the entry with the same id, keeping the file's order stable. */
export function upsertManifestEntry(entry: ModelEntry): void {
  const m = readManifest();
  const i = m.models.findIndex((e) => e.id === entry.id);
  if (i >= 0) m.models[i] = entry; else m.models.push(entry);
  fs.writeFileSync(FILE, JSON.stringify(m, null, 2) + '\n');
}

export function upsertPriorEntry(entry: PriorEntry): void {
  const m = readManifest();
  const priors = (m.priors ??= []);
  const i = priors.findIndex((e) => e.id === entry.id);
  if (i >= 0) priors[i] = entry; else priors.push(entry);
  fs.writeFileSync(FILE, JSON.stringify(m, null, 2) + '\n');
}
