// models/manifest.json: one entry per shipped model. Written by the training script, read by pages, CLI and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GuardEntry, ModelEntry, Manifest, PriorEntry } from '../../src/core/nets/manifest.ts';
import { MODELS_DIR } from './node-io.ts';

const FILE = path.join(MODELS_DIR, 'manifest.json');

export function readManifest(): Manifest {
  if (!fs.existsSync(FILE)) return { version: 1, models: [] };
  return JSON.parse(fs.readFileSync(FILE, 'utf8')) as Manifest;
}

/** Inserts or replaces the entry with the same id in one of the manifest's lists, keeping the file's order stable. */
function upsert<K extends 'models' | 'priors' | 'guards'>(list: K, entry: NonNullable<Manifest[K]>[number]): void {
  const m = readManifest();
  const entries = (m[list] ??= [] as Manifest[K]) as { id: string }[];
  const i = entries.findIndex((e) => e.id === entry.id);
  if (i >= 0) entries[i] = entry; else entries.push(entry);
  fs.writeFileSync(FILE, JSON.stringify(m, null, 2) + '\n');
}

export const upsertManifestEntry = (entry: ModelEntry): void => upsert('models', entry);
export const upsertPriorEntry = (entry: PriorEntry): void => upsert('priors', entry);
export const upsertGuardEntry = (entry: GuardEntry): void => upsert('guards', entry);
