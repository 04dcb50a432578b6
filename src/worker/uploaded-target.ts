// A target the user brings, built and tried in the engine: the files are checked (uploaded-model.ts), the model is
// built from memory, fed 28x28x1 images (reshaped where it wants a flat or channel-less input), tried on a blank and
// a real digit, and its accuracy on the private test digits it covers is measured once.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, PIXELS, subset } from '../core/data/mnist.ts';
import type { ModelEntry } from '../core/nets/manifest.ts';
import { accuracy } from '../core/train.ts';
import { UPLOADED_MODEL_ID, type UploadedFile, type UploadedModelInfo } from './protocol.ts';
import { type CheckedUpload, attackedDigits, checkAnswers, checkOutputShape, checkUploadFiles, inputReshape } from './uploaded-model.ts';

/** Private test images the accuracy is measured on, spread over the covered digits: a few hundred is enough to tell a classifier. */
const ACCURACY_IMAGES = 500;

/**
 * The model as the attacks use it: takes [n, 28, 28, 1], outputs logits (rebuilt from `checked` after a backend
 * change); with the input shape the file declares, and whether a reshape was put in front of it.
 */
export async function buildUploaded(checked: CheckedUpload): Promise<{ model: tf.LayersModel; inputShape: (number | null)[]; reshaped: boolean }> {
  let model: tf.LayersModel;
  const variables = () => tf.engine().state.registeredVariables;
  const existing = new Set(Object.keys(variables()));
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: checked.modelTopology, weightSpecs: checked.weightSpecs as tf.io.WeightsManifestEntry[], weightData: checked.weightData,
    }));
  } catch (e) {
    // tfjs builds layers one by one: those built before the failing one hold weights nothing else can reach.
    for (const [name, v] of Object.entries(variables())) if (!existing.has(name)) v.dispose();
    throw new Error(`TensorFlow.js could not build the model from ${checked.fileName}: ${(e as Error).message}`);
  }
  try {
    if (model.inputs.length !== 1) throw new Error(`The model has ${model.inputs.length} inputs; a classifier of images has one.`);
    const inputShape = model.inputs[0].shape;
    const reshape = inputReshape(inputShape);
    if (!reshape) return { model, inputShape, reshaped: false };
    const input = tf.input({ shape: [28, 28, 1] });
    const reshaped = tf.layers.reshape({ targetShape: reshape }).apply(input) as tf.SymbolicTensor;
    return { model: tf.model({ inputs: input, outputs: model.apply(reshaped) as tf.SymbolicTensor, name: 'uploaded' }), inputShape, reshaped: true };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Checks the files, builds the model and tries it: a blank image and a real digit must each get k finite answers.
 * `sample` holds real private digits, `test` the private test images the accuracy is measured on.
 */
export async function loadUploadedTarget(files: readonly UploadedFile[], sample: DigitSet, test: DigitSet):
  Promise<{ model: tf.LayersModel; checked: CheckedUpload; info: UploadedModelInfo }> {
  const checked = checkUploadFiles(files);
  const { model, inputShape, reshaped } = await buildUploaded(checked);
  try {
    if (model.outputs.length !== 1) throw new Error(`The model has ${model.outputs.length} outputs; a classifier has one.`);
    const k = checkOutputShape(model.outputs[0].shape);
    const digit = new Float32Array(PIXELS);
    const first = sample.labels.indexOf(0);
    for (let p = 0; p < PIXELS; p++) digit[p] = sample.images[first * PIXELS + p] / 255;
    const answers = tf.tidy(() => model.predict(tf.tensor4d([...new Float32Array(PIXELS), ...digit], [2, 28, 28, 1])) as tf.Tensor);
    const values = await answers.data();
    answers.dispose();
    checkAnswers(values, k, ['a blank image', 'a real digit 0']);
    const classes = Array.from({ length: k }, (_, d) => d);
    const attacked = attackedDigits(k);
    const covered = Array.from({ length: test.count }, (_, i) => i).filter((i) => attacked.includes(test.labels[i]));
    const n = Math.min(ACCURACY_IMAGES, covered.length);
    const picked = subset(test, Array.from({ length: n }, (_, j) => covered[Math.floor(j * covered.length / n)]));
    const testAccuracy = await accuracy(model, picked, (d) => d, 100);
    return {
      model, checked,
      info: {
        id: UPLOADED_MODEL_ID, label: `Your model (${checked.fileName})`, fileName: checked.fileName, classes, attacked, params: checked.params,
        inputShape, reshaped, softmaxRemoved: checked.outputActivation === 'softmax',
        testAccuracy, testImages: n,
      },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The uploaded target as the engine's manifest lists it (beside the shipped ones). */
export function uploadedEntry(info: UploadedModelInfo): ModelEntry {
  return {
    id: UPLOADED_MODEL_ID, role: 'target', defense: 'unknown', path: UPLOADED_MODEL_ID, classes: info.classes, input: [28, 28, 1], output: 'logits',
    architecture: `${info.fileName}, loaded in this page`, params: info.params, testAccuracy: info.testAccuracy,
    dataSplit: 'unknown (brought by the user)', trainCommand: 'unknown', seed: 0, epochs: 0, trainSeconds: 0, trainBackend: 'unknown', sha256: '', bytes: 0,
  };
}
