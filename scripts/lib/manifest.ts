// models/manifest.json: one entry per shipped model. Written by the training script, read by pages, CLI and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GuardEntry, ModelEntry, Manifest, PriorEntry } from '../../src/core/nets/manifest.ts';
import type * as tf from '@tensorflow/tfjs';
import { MODELS_DIR, loadModelFromDir } from './node-io.ts';

const FILE = path.join(MODELS_DIR, 'manifest.json');

export function readManifest(): Manifest {
  if (!fs.existsSync(FILE)) return { version: 1, models: [] };
  return JSON.parse(fs.readFileSync(FILE, 'utf8')) as Manifest;
}

/** A shipped target that a recipe trains against (`what` names the recipe): its entry and its model, or a clear error. */
export async function shippedTarget(id: string, what: string): Promise<{ entry: ModelEntry; target: tf.LayersModel }> {
  const entry = readManifest().models.find((m) => m.id === id);
  if (!entry) throw new Error(`${what}: its target '${id}' is not in models/manifest.json yet; train it first`);
  return { entry, target: await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path))) };
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
