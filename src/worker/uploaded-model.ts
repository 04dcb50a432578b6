// Checks on a target the user brings (a TensorFlow.js layers model: model.json and its .bin weight files). Pure
// functions over the files' contents and the built model's shapes, no tensors: each failure is one message that says
// what is wrong and what to do. uploaded-target.ts does the tensor work (building the model, trying it on images,
// measuring its accuracy) and calls these.
import { PRIVATE_CLASSES } from '../core/data/mnist.ts';
import type { UploadedFile } from './protocol.ts';

/** More parameters than this and the attacks crawl in a browser (the shipped targets have 1.2 million). */
export const MAX_UPLOADED_PARAMS = 5_000_000;
/** Outputs are digits 0..k-1: at least two classes, at most ten digits. */
export const MIN_OUTPUTS = 2;
export const MAX_OUTPUTS = 10;

const CONVERT_HINT = 'export it with model.save(...) in TensorFlow.js, or convert a Keras model with ' +
  '`tensorflowjs_converter --input_format keras model.h5 out/`';

/** One weight as model.json's weightsManifest describes it (the fields tfjs's WeightsManifestEntry has). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

/** What the files hold once checked: tfjs's in-memory model artifacts, and what the checks learnt on the way. */
export interface CheckedUpload {
  /** The model.json's file name (the target's label). */
  fileName: string;
  /** The topology with a softmax output made linear: the attacks read logits, as they do from the shipped targets. */
  modelTopology: object;
  weightSpecs: WeightSpec[];
  /** Every weight file's bytes, in the manifest's order (what tf.io.fromMemory wants). */
  weightData: ArrayBuffer;
  params: number;
  /** The output layer's activation in the file. */
  outputActivation: 'softmax' | 'linear';
}

/** Bytes per stored value: a quantized weight's storage type, else its own dtype. */
const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/**
 * Reads model.json and the weight files it names, checking everything that can be checked without building the
 * model: JSON, a layers model (not a graph model), every weight file present at its size, the parameter count, and
 * an output layer that gives logits or softmax probabilities.
 */
export function checkUploadFiles(files: readonly UploadedFile[]): CheckedUpload {
  const jsons = files.filter((f) => /\.json$/i.test(f.name));
  if (jsons.length === 0) {
    throw new Error('There is no model.json among the files: pick the model.json of a TensorFlow.js layers model together with its .bin weight ' +
      `files (a Keras .h5 or .keras file must be converted first: ${CONVERT_HINT}).`);
  }
  if (jsons.length > 1) throw new Error(`Pick one model.json at a time (got ${jsons.map((f) => f.name).join(', ')}).`);
  const jsonFile = jsons[0];
  const json = parseModelJson(jsonFile);
  const { modelTopology, weightsManifest } = json as { modelTopology?: unknown; weightsManifest?: unknown };
  if (json.format === 'graph-model' || isGraphTopology(modelTopology)) {
    throw new Error(`${jsonFile.name} is a TensorFlow.js graph model (from a SavedModel or a frozen graph). The attacks need the model's ` +
      `layers and gradients, which only a layers model has: ${CONVERT_HINT}.`);
  }
  if (!isObject(modelTopology)) throw new Error(`${jsonFile.name} has no modelTopology: it is not a TensorFlow.js layers model (${CONVERT_HINT}).`);
  if (!Array.isArray(weightsManifest) || weightsManifest.length === 0) {
    throw new Error(`${jsonFile.name} lists no weight files (its weightsManifest is missing or empty): save the model with its weights.`);
  }
  const groups = weightsManifest.map((g, i) => checkGroup(g, i, jsonFile.name));
  const weightSpecs = groups.flatMap((g) => g.weights);
  const params = weightSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  checkParams(params);
  const weightData = concatWeightFiles(groups, files, jsonFile.name);
  const output = outputLayer(modelTopology, jsonFile.name);
  const outputActivation = checkOutputActivation(activationOf(output));
  return { fileName: jsonFile.name, modelTopology: withLinearOutput(modelTopology, jsonFile.name), weightSpecs, weightData, params, outputActivation };
}

export function checkParams(params: number): void {
  if (params > MAX_UPLOADED_PARAMS) {
    throw new Error(`The model has ${params.toLocaleString('en-US')} parameters; at most ${MAX_UPLOADED_PARAMS.toLocaleString('en-US')} are ` +
      'allowed, so that an attack runs in a browser (the shipped targets have 1.2 million).');
  }
}

/**
 * What must be done to the model's input shape (batch dimension first) to feed it 28x28x1 images: nothing (null),
 * or a reshape to the returned shape ([784] for a flat input, [28, 28] without a channel). Throws for anything else.
 */
export function inputReshape(shape: readonly (number | null)[]): number[] | null {
  const dims = shape.slice(1);
  const is = (s: number[]) => dims.length === s.length && s.every((v, i) => dims[i] === v);
  if (is([28, 28, 1])) return null;
  if (is([784]) || is([28, 28])) return dims as number[];
  throw new Error(`The model's input shape is [${shape.map((v) => (v === null ? 'null' : v)).join(', ')}]; it must take 28x28 grey images: ` +
    '[null, 28, 28, 1] (or [null, 28, 28] or [null, 784], which are reshaped).');
}

/** The number of outputs k of a classifier's output shape [null, k]; throws for anything else. */
export function checkOutputShape(shape: readonly (number | null)[]): number {
  const k = shape[1];
  if (shape.length !== 2 || k === null || k === undefined) {
    throw new Error(`The model's output shape is [${shape.map((v) => (v === null ? 'null' : v)).join(', ')}]; a classifier outputs one score per class: [null, k].`);
  }
  if (k < MIN_OUTPUTS || k > MAX_OUTPUTS) {
    throw new Error(`The model has ${k} output${k === 1 ? '' : 's'}; it must have ${MIN_OUTPUTS} to ${MAX_OUTPUTS}, one per digit 0..k-1.`);
  }
  return k;
}

/** A classifier's last layer gives logits (no activation) or softmax probabilities; anything else is refused. */
export function checkOutputActivation(activation: string): 'softmax' | 'linear' {
  if (activation === 'softmax' || activation === 'linear') return activation;
  throw new Error(`The model's last layer has the activation '${activation}'; a classifier ends with a softmax or with no activation (logits), ` +
    'so this does not look like a classifier.');
}

/** The answers for a few test images (`what` names each row) must be k finite numbers each. */
export function checkAnswers(values: ArrayLike<number>, k: number, what: readonly string[]): void {
  if (values.length !== k * what.length) {
    throw new Error(`The model answered ${values.length} numbers for ${what.length} images; expected ${k} per image.`);
  }
  what.forEach((name, row) => {
    for (let j = 0; j < k; j++) {
      const v = values[row * k + j];
      if (!Number.isFinite(v)) throw new Error(`The model's answer for ${name} is not a number (output ${j} is ${v}): it does not work as a classifier.`);
    }
  });
}

/** The private digits (0-4) an attack on a model of k outputs (digits 0..k-1) reconstructs. */
export function attackedDigits(k: number): number[] {
  return PRIVATE_CLASSES.filter((d) => d < k);
}

// ---------------------------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseModelJson(file: UploadedFile): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(file.data));
  } catch (e) {
    throw new Error(`${file.name} is not valid JSON (${(e as Error).message}).`);
  }
  if (!isObject(json)) throw new Error(`${file.name} is JSON, but not a model description (an object with modelTopology and weightsManifest).`);
  return json;
}

/** Graph models describe TensorFlow ops (a GraphDef: `node`), not Keras layers. */
function isGraphTopology(t: unknown): boolean {
  return isObject(t) && Array.isArray(t.node);
}

interface WeightGroup { paths: string[]; weights: WeightSpec[] }

function checkGroup(g: unknown, i: number, jsonName: string): WeightGroup {
  const bad = () => new Error(`${jsonName}: weightsManifest group ${i + 1} is malformed (it needs paths and weights with names, shapes and dtypes).`);
  if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights) || !g.paths.every((p) => typeof p === 'string')) throw bad();
  for (const w of g.weights) {
    if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad();
    const storedAs = isObject(w.quantization) ? w.quantization.dtype : w.dtype;
    if (typeof storedAs !== 'string' || !(storedAs in BYTES_PER_VALUE)) {
      throw new Error(`${jsonName}: the weight '${w.name}' is stored as '${String(storedAs)}', which a layers model's weights cannot be.`);
    }
  }
  return { paths: g.paths as string[], weights: g.weights as WeightSpec[] };
}

function bytesOf(w: WeightSpec): number {
  return BYTES_PER_VALUE[w.quantization?.dtype ?? w.dtype] * w.shape.reduce((a, b) => a * b, 1);
}

/** A manifest path's file name: the picked files carry no folders. */
const baseName = (p: string) => p.split('/').pop() ?? p;

/** The weight files in manifest order, concatenated; each group's files must hold exactly its weights' bytes. */
function concatWeightFiles(groups: WeightGroup[], files: readonly UploadedFile[], jsonName: string): ArrayBuffer {
  const byName = new Map(files.map((f) => [f.name, f]));
  const parts: ArrayBuffer[] = [];
  for (const g of groups) {
    const found = g.paths.map((p) => {
      const f = byName.get(baseName(p));
      if (!f) {
        throw new Error(`${jsonName} needs the weight file '${baseName(p)}', which is not among the picked files: pick model.json and all ` +
          `its .bin files together (it lists ${groups.flatMap((x) => x.paths).map(baseName).join(', ')}).`);
      }
      return f;
    });
    const have = found.reduce((n, f) => n + f.data.byteLength, 0);
    const want = g.weights.reduce((n, w) => n + bytesOf(w), 0);
    if (have !== want) {
      const names = found.map((f) => f.name).join(' + ');
      throw new Error(`${names} hold${found.length === 1 ? 's' : ''} ${have.toLocaleString('en-US')} bytes, but ${jsonName} describes ` +
        `${want.toLocaleString('en-US')} bytes of weights there: the file is truncated or belongs to another model.`);
    }
    parts.push(...found.map((f) => f.data));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(new Uint8Array(p), at); at += p.byteLength; }
  return out.buffer;
}

interface LayerJson { class_name: string; config: Record<string, unknown> }

/** The model config: Keras's converter wraps it in `model_config`, tfjs's own model.save() does not. */
function modelConfig(topology: Record<string, unknown>): Record<string, unknown> {
  return isObject(topology.model_config) ? topology.model_config : topology;
}

/** The output layer's JSON: a Sequential's last layer, or a functional model's single output layer. */
function outputLayer(topology: Record<string, unknown>, jsonName: string): LayerJson {
  const { class_name: kind, config } = modelConfig(topology) as { class_name?: string; config?: unknown };
  const layers = (Array.isArray(config) ? config : isObject(config) ? config.layers : undefined) as LayerJson[] | undefined;
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => isObject(l) && isObject(l.config))) {
    throw new Error(`${jsonName}: its modelTopology lists no layers: it is not a TensorFlow.js layers model (${CONVERT_HINT}).`);
  }
  if (kind === 'Sequential') return layers[layers.length - 1];
  const outputs = isObject(config) && Array.isArray(config.output_layers) ? config.output_layers as unknown[][] : [];
  if (outputs.length !== 1) throw new Error(`The model has ${outputs.length} outputs; a classifier has one.`);
  const name = outputs[0][0];
  const layer = layers.find((l) => l.config.name === name || (l as unknown as { name?: string }).name === name);
  if (!layer) throw new Error(`${jsonName}: its output layer '${String(name)}' is not among its layers.`);
  return layer;
}

/** A layer's activation ('linear' for layers without one, such as Dense without activation or Dropout). */
function activationOf(layer: LayerJson): string {
  if (layer.class_name === 'Softmax') return 'softmax';
  const a = layer.config.activation;
  // Keras 3 writes activations as objects ({ class_name: 'function', config: 'softmax' }).
  const name = isObject(a) ? (typeof a.config === 'string' ? a.config : a.class_name) : a;
  return typeof name === 'string' ? name : 'linear';
}

/** A copy of the topology whose output layer gives logits (a softmax output made linear; a Softmax layer an identity). */
function withLinearOutput(topology: Record<string, unknown>, jsonName: string): object {
  const copy = structuredClone(topology);
  const layer = outputLayer(copy, jsonName);
  if (activationOf(layer) !== 'softmax') return copy;
  if (layer.class_name === 'Softmax') {
    layer.class_name = 'Activation';
    layer.config = { name: layer.config.name, trainable: false, activation: 'linear' };
  } else {
    layer.config.activation = 'linear';
  }
  return copy;
}
