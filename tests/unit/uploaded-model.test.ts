// A target the user brings: small models built here and saved to memory as model.json + weight bytes, loaded
// through the engine as the browser does. Good models are accepted (a softmax output made linear, a flat input
// reshaped), attacked by MI-Face for a few steps on the private digits they cover, and leave no tensors behind across
// load / replace / attack; every bad file gives its own message; the shipped target-none, loaded as an uploaded
// model, measures as the real digit classifier it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import { UPLOADED_MODEL_ID, type AttackConfig, type AttackSnapshot, type UploadedFile } from '../../src/worker/protocol.ts';
import { DEFAULT_MI_FACE } from '../../src/worker/protocol.ts';
import { MAX_UPLOADED_PARAMS, attackedDigits, checkOutputShape, inputReshape } from '../../src/worker/uploaded-model.ts';
import { nodeLoader } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

let engine: Engine;
beforeAll(async () => {
  await useWasm();
  engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
});

const encode = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

/** model.json and its one weight file, as `model.save()` in TensorFlow.js writes them. */
async function filesOf(model: tf.LayersModel, bin = 'weights.bin'): Promise<{ json: Record<string, unknown>; weights: ArrayBuffer }> {
  let artifacts!: tf.io.ModelArtifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
  return { json: { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: [`./${bin}`], weights: artifacts.weightSpecs }] }, weights };
}

function upload(json: Record<string, unknown> | string, weights: Record<string, ArrayBuffer>): UploadedFile[] {
  return [{ name: 'model.json', data: encode(typeof json === 'string' ? json : JSON.stringify(json)) }, ...Object.entries(weights).map(([name, data]) => ({ name, data }))];
}

/** A small conv classifier of 28x28x1 images with `k` outputs. */
/** An untrained classifier. Its weights are seeded: with tfjs's unseeded default some draws label no GAN sample as 0,
 *  and BREP-MI (which must start from a latent the target labels with each class) then fails at random. */
function convNet(k: number, activation: 'softmax' | 'linear' | 'relu' = 'softmax'): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: k, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }),
    ],
  });
}

async function load(model: tf.LayersModel) {
  const { json, weights } = await filesOf(model);
  return engine.loadUploadedModel(upload(json, { 'weights.bin': weights }));
}

/** Runs an attack on the uploaded target to its end; its last snapshot. */
async function attack(config: Partial<AttackConfig> = {}): Promise<AttackSnapshot> {
  let last!: AttackSnapshot;
  await new Promise<void>((resolve, reject) => {
    engine.startAttack({ ...DEFAULT_MI_FACE, targetId: UPLOADED_MODEL_ID, steps: 3, snapshotEvery: 1, ...config } as AttackConfig, (s) => {
      last = s;
      if (s.state === 'failed') reject(new Error(s.error));
      if (s.state === 'done') resolve();
    }).catch(reject);
  });
  return last;
}

describe('uploaded targets: accepted', () => {
  it('a softmax classifier of 3 outputs: listed, softmax removed, attacked on digits 0-2; no tensors leak across load, replace and attack', async () => {
    const { uploaded, models } = await load(convNet(3));
    expect(uploaded).toMatchObject({ id: 'uploaded', label: 'Your model (model.json)', classes: [0, 1, 2], attacked: [0, 1, 2], softmaxRemoved: true, reshaped: false, inputShape: [null, 28, 28, 1] });
    expect(uploaded.params).toBe(4 * 9 + 4 + 13 * 13 * 4 * 3 + 3);
    expect(uploaded.testImages).toBe(500);
    expect(uploaded.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(models.find((m) => m.id === UPLOADED_MODEL_ID)).toMatchObject({ role: 'target', label: uploaded.label, classes: [0, 1, 2], params: uploaded.params });

    const first = await attack();
    expect(first.classes).toEqual([0, 1, 2]);
    expect(first.step).toBe(3);
    expect(first.pixels.length).toBe(3 * 784);
    // The target's confidence is a softmax of the logits the attack reads: a probability, not the softmax of a softmax.
    for (const c of first.targetConfidence) expect(c).toBeGreaterThan(0);

    // Replacing the model and attacking again leaves the same tensors (evaluator loaded, one uploaded model of the same shape).
    const before = await engine.numTensors();
    await load(convNet(3));
    await attack();
    await load(convNet(3));
    expect(await engine.numTensors()).toBe(before);
  });

  it('a flat [null, 784] input of 10 outputs (logits) is reshaped; the attack covers the private digits 0-4 only; probe answers all 10', async () => {
    const mlp = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 16, activation: 'relu' }), tf.layers.dense({ units: 10 })] });
    const { uploaded } = await load(mlp);
    expect(uploaded).toMatchObject({ classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], attacked: [0, 1, 2, 3, 4], reshaped: true, softmaxRemoved: false, inputShape: [null, 784] });
    expect((await attack()).classes).toEqual([0, 1, 2, 3, 4]);
    const probe = await engine.probe(UPLOADED_MODEL_ID, new Float32Array(784));
    expect(probe.classes).toHaveLength(10);
    // A backend re-initialisation rebuilds it from the kept files.
    await engine.init({ baseUrl: '' });
    expect((await attack()).classes).toEqual([0, 1, 2, 3, 4]);
  });

  it('attacks that need a per-target prior say there is none for an uploaded model; GMI and BREP-MI run', async () => {
    await load(convNet(5));
    for (const a of ['ked-mi', 'plg-mi', 'lomma-ked-mi'] as const) {
      await expect(engine.startAttack({ attack: a, targetId: UPLOADED_MODEL_ID, knowledge: 'disjoint', params: { steps: 2 }, seed: 1, snapshotEvery: 1 }, () => undefined))
        .rejects.toThrow(/there is no prior for an uploaded model/);
    }
    await expect(engine.startAttack({ attack: 'lomma-gmi', targetId: UPLOADED_MODEL_ID, knowledge: 'disjoint', params: { steps: 2 }, seed: 1, snapshotEvery: 1 }, () => undefined))
      .rejects.toThrow(/penultimate features/);
    for (const a of ['gmi', 'brep-mi'] as const) {
      const s = await attack({ attack: a, knowledge: 'disjoint', params: { steps: 2 } } as Partial<AttackConfig>);
      expect(s.classes).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('the shipped target-none, loaded as an uploaded model, measures as the digit classifier it is (> 95% on 500 private test digits)', async () => {
    const dir = path.resolve(import.meta.dirname, '../../models/target-none');
    const bytes = (f: string) => { const b = fs.readFileSync(path.join(dir, f)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer; };
    const { uploaded } = await engine.loadUploadedModel([{ name: 'model.json', data: bytes('model.json') }, { name: 'weights.bin', data: bytes('weights.bin') }]);
    expect(uploaded).toMatchObject({ classes: [0, 1, 2, 3, 4], attacked: [0, 1, 2, 3, 4], params: 1_199_237, testImages: 500, softmaxRemoved: false });
    expect(uploaded.testAccuracy).toBeGreaterThan(0.95);
  }, 60_000);
});

describe('uploaded targets: refused, each with its message, leaving no tensors behind', () => {
  async function refused(files: UploadedFile[] | Promise<UploadedFile[]>, message: RegExp): Promise<void> {
    const resolved = await files;
    const before = await engine.numTensors();
    await expect(engine.loadUploadedModel(resolved)).rejects.toThrow(message);
    expect(await engine.numTensors()).toBe(before);
  }
  const good = () => filesOf(convNet(5));

  it('no model.json, or one that is not JSON, or a graph model', async () => {
    await refused([{ name: 'weights.bin', data: new ArrayBuffer(8) }], /no model\.json among the files/);
    await refused(upload('{"format": "layers-model", ', {}), /model\.json is not valid JSON/);
    await refused(upload({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }, {}), /graph model/);
    await refused(upload({ weightsManifest: [] }, {}), /no modelTopology/);
  });

  it('a weight file missing or of the wrong size', async () => {
    const { json, weights } = await good();
    await refused(upload(json, {}), /needs the weight file 'weights\.bin', which is not among the picked files/);
    await refused(upload(json, { 'weights.bin': weights.slice(0, 100) }), /weights\.bin holds 100 bytes, but model\.json describes [\d,]+ bytes/);
  });

  it('an input that is not a 28x28 image, an output that is not [null, k] with 2 <= k <= 10', async () => {
    const wrongInput = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [32, 32, 1] }), tf.layers.dense({ units: 5 })] });
    let f = await filesOf(wrongInput);
    await refused(upload(f.json, { 'weights.bin': f.weights }), /input shape is \[null, 32, 32, 1\]; it must take 28x28 grey images/);
    f = await filesOf(convNet(1));
    await refused(upload(f.json, { 'weights.bin': f.weights }), /has 1 output; it must have 2 to 10/);
    f = await filesOf(convNet(12));
    await refused(upload(f.json, { 'weights.bin': f.weights }), /has 12 outputs; it must have 2 to 10/);
    const noFlatten = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 5, kernelSize: 28 })] });
    f = await filesOf(noFlatten);
    await refused(upload(f.json, { 'weights.bin': f.weights }), /output shape is \[null, 1, 1, 5\]; a classifier outputs one score per class/);
  });

  it('too many parameters (the number is said), a last layer that is not softmax or linear, answers that are not numbers', async () => {
    const big = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 6400 }), tf.layers.dense({ units: 5 })] });
    let f = await filesOf(big);
    await refused(upload(f.json, { 'weights.bin': f.weights }), new RegExp(`has 5,056,005 parameters; at most ${MAX_UPLOADED_PARAMS.toLocaleString('en-US')}`));
    f = await filesOf(convNet(5, 'relu'));
    await refused(upload(f.json, { 'weights.bin': f.weights }), /last layer has the activation 'relu'/);
    f = await filesOf(convNet(5));
    new Float32Array(f.weights).fill(NaN);
    await refused(upload(f.json, { 'weights.bin': f.weights }), /answer for a blank image is not a number/);
  });

  it('a layer TensorFlow.js does not know: the message carries tfjs\'s', async () => {
    const { json, weights } = await good();
    const topology = json.modelTopology as { config: { layers: { class_name: string }[] } };
    topology.config.layers[1].class_name = 'MyCustomLayer';
    await refused(upload(json, { 'weights.bin': weights }), /TensorFlow\.js could not build the model from model\.json: .*MyCustomLayer/);
  });
});

describe('uploaded-model checks', () => {
  it('input shapes: 28x28x1 as is, flat and channel-less reshaped, others refused', () => {
    expect(inputReshape([null, 28, 28, 1])).toBeNull();
    expect(inputReshape([null, 784])).toEqual([784]);
    expect(inputReshape([null, 28, 28])).toEqual([28, 28]);
    expect(() => inputReshape([null, 1, 28, 28])).toThrow(/must take 28x28 grey images/);
    expect(() => inputReshape([null, 28, 28, 3])).toThrow(/\[null, 28, 28, 3\]/);
  });

  it('outputs and the attacked digits', () => {
    expect(checkOutputShape([null, 2])).toBe(2);
    expect(checkOutputShape([null, 10])).toBe(10);
    expect(() => checkOutputShape([null, null])).toThrow(/\[null, k\]/);
    expect(attackedDigits(3)).toEqual([0, 1, 2]);
    expect(attackedDigits(10)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('attacks on an uploaded target', () => {
  it('runs those whose prior is shared, and names them where it refuses one trained per target', async () => {
    const { uploadedTargetProblem } = await import('../../src/worker/catalog.ts');
    for (const a of ['mi-face', 'gmi', 'ppa', 'genetic', 'brep-mi'] as const) expect(uploadedTargetProblem(a), a).toBeNull();
    for (const a of ['plg-mi', 'ked-mi', 'lomma-gmi', 'inversion-net', 'split-inversion'] as const) {
      expect(uploadedTargetProblem(a), a).toMatch(/Pick MI-Face, GMI, PPA, the genetic search or BREP-MI\.$/);
    }
  });
});
