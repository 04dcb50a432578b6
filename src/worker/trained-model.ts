// The target trained on the defense page, kept so the attack page can attack it: the weights and a description
// (defense, accuracy, Trap-MID's triggers) travel together as one tfjs model record with user-defined metadata. In
// the browser it lives in IndexedDB (same origin, nothing uploaded); in Node (the tests) in memory.
import * as tf from '@tensorflow/tfjs';
import type { Manifest, ModelEntry, TrapdoorInfo } from '../core/nets/manifest.ts';
import { datasetOf, isDatasetId, type DatasetId } from '../core/data/datasets.ts';
import { TRAINED_MODEL_ID, type DefenseId, type TrainingConfig } from './protocol.ts';

export interface ModelStore {
  /** Keeps `model` with its user-defined metadata, replacing the one kept before. */
  save(model: tf.LayersModel): Promise<void>;
  /** The kept model's artifacts, or null when none is kept. */
  load(): Promise<tf.io.ModelArtifacts | null>;
}

/** What the kept model's metadata says about it. */
export interface TrainedMeta {
  kind: typeof META_KIND;
  /** The data set it was trained on (absent: MNIST, as every model kept before the faces came). */
  dataset?: DatasetId;
  defense: DefenseId;
  classes: number[];
  params: number;
  /** On all private test images. */
  testAccuracy: number;
  config: TrainingConfig;
  trainSeconds: number;
  backend: string;
  savedAt: string;
  /** Trap-MID: the trapdoor, its triggers as plain numbers (metadata is JSON). */
  trapdoor?: Omit<TrapdoorInfo, 'triggers' | 'triggersSha256'> & { triggerValues: number[] };
}

const META_KIND = 'inversion-playground/trained-target';
const IDB_URL = `indexeddb://inversion-playground/${TRAINED_MODEL_ID}`;
/** Where the manifest entry says the triggers are (the engine reads them from the metadata instead). */
export const TRAINED_TRIGGERS = `${TRAINED_MODEL_ID}/triggers`;

export function memoryStore(): ModelStore {
  let kept: tf.io.ModelArtifacts | null = null;
  return {
    async save(model) {
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        kept = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
    },
    load: async () => kept,
  };
}

export function indexedDbStore(): ModelStore {
  return {
    async save(model) {
      await model.save(IDB_URL);
    },
    async load() {
      const handler = tf.io.getLoadHandlers(IDB_URL)[0];
      if (!handler?.load) throw new Error('this browser offers no IndexedDB model storage');
      try {
        return await handler.load();
      } catch (e) {
        if (/Cannot find model/.test((e as Error).message)) return null;
        throw e;
      }
    },
  };
}

/**
 * The kept model's artifacts and description, or null when none is kept (or it is not one of ours, or of a data set
 * this version does not know: it is not listed as an MNIST one).
 */
export async function loadTrained(store: ModelStore): Promise<{ artifacts: tf.io.ModelArtifacts; meta: TrainedMeta } | null> {
  const artifacts = await store.load();
  const meta = artifacts?.userDefinedMetadata as TrainedMeta | undefined;
  return artifacts && meta?.kind === META_KIND && (meta.dataset === undefined || isDatasetId(meta.dataset)) ? { artifacts, meta } : null;
}

/** Keeps a freshly trained model with its description. */
export async function saveTrained(store: ModelStore, model: tf.LayersModel, meta: Omit<TrainedMeta, 'kind' | 'savedAt'>): Promise<void> {
  model.setUserDefinedMetadata({ ...meta, kind: META_KIND, savedAt: new Date().toISOString() });
  await store.save(model);
}

/** The manifest with the kept model listed as a target (replacing an older listing). */
export function withTrained(manifest: Manifest, meta: TrainedMeta | undefined): Manifest {
  const models = manifest.models.filter((m) => m.id !== TRAINED_MODEL_ID);
  return meta ? { ...manifest, models: [...models, trainedEntry(meta)] } : { ...manifest, models };
}

function trainedEntry(meta: TrainedMeta): ModelEntry {
  const c = meta.config;
  const ds = datasetOf(meta.dataset);
  let trapdoor: TrapdoorInfo | undefined;
  if (meta.trapdoor) {
    const { triggerValues: _, ...info } = meta.trapdoor;
    trapdoor = { ...info, triggers: TRAINED_TRIGGERS, triggersSha256: '' };
  }
  return {
    id: TRAINED_MODEL_ID, ...(ds.id !== 'mnist' ? { dataset: ds.id } : {}), role: 'target', defense: meta.defense, path: IDB_URL,
    classes: meta.classes, input: [ds.side, ds.side, 1], output: 'logits',
    architecture: 'the target architecture of its defense', params: meta.params, testAccuracy: meta.testAccuracy,
    dataSplit: `${c.trainImages ?? 'all'} private training images of the ${ds.title}, in this browser`, trainCommand: 'defense lab', seed: c.seed,
    epochs: c.epochs, trainSeconds: meta.trainSeconds, trainBackend: meta.backend, sha256: '', bytes: 0, ...(trapdoor ? { trapdoor } : {}),
  };
}
