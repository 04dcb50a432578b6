// The shipped architectures. Outputs are logits; inputs are [28, 28, 1] images in [0, 1].
import * as tf from '@tensorflow/tfjs';

const init = (seed: number) => tf.initializers.heNormal({ seed });

/**
 * The target (what is attacked): the small CNN of the GMI / KED-MI MNIST experiments, conv 32 -> conv 64 stride 2
 * -> dense 128 -> one logit per private class. Its last hidden layer (`features`) is the penultimate feature.
 */
export function buildTarget(numClasses: number, seed: number): tf.LayersModel {
  return tf.sequential({
    name: 'target',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.25, seed, name: 'drop' }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(seed + 2), name: 'features' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }), name: 'logits' }),
    ],
  });
}

/**
 * The evaluator (the judge): a different, deeper architecture over all ten digits - three conv blocks (two 3x3
 * convs each, the second strided), a 256-unit feature layer and ten logits. Never shown to an attack.
 */
export function buildEvaluator(seed: number): tf.LayersModel {
  const conv = (filters: number, strides: number, name: string, k: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu', kernelInitializer: init(seed + k), name });
  return tf.sequential({
    name: 'evaluator',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed), name: 'conv1a' }),
      conv(32, 2, 'conv1b', 1),
      conv(64, 1, 'conv2a', 2),
      conv(64, 2, 'conv2b', 3),
      conv(128, 1, 'conv3a', 4),
      conv(128, 2, 'conv3b', 5),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.4, seed, name: 'drop' }),
      tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(seed + 6), name: 'features' }),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 7 }), name: 'logits' }),
    ],
  });
}

/**
 * The second judge: another family than the evaluator (5x5 convs with max-pooling, a 128-unit feature layer),
 * trained with heavy warps and adversarially (FGSM with a random start), so that it does not share the evaluator's
 * or the target's adversarial features. Never shown to an attack.
 */
export function buildRobustJudge(seed: number): tf.LayersModel {
  return tf.sequential({
    name: 'judge_robust',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.conv2d({ filters: 128, kernelSize: 3, activation: 'relu', kernelInitializer: init(seed + 2), name: 'conv3' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.3, seed, name: 'drop' }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(seed + 3), name: 'features' }),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), name: 'logits' }),
    ],
  });
}

/** A model that maps images to [penultimate features, logits] (for KNN / FID / trapdoor signatures). */
export function withFeatures(model: tf.LayersModel): tf.LayersModel {
  const features = model.getLayer('features');
  return tf.model({ inputs: model.inputs, outputs: [features.output as tf.SymbolicTensor, model.outputs[0]] });
}

export function countParams(model: tf.LayersModel): number {
  return model.countParams();
}

/**
 * LOMMA's student models (model augmentation): small classifiers of different shapes, distilled from the target on
 * public data. `variant` picks the shape, so the students disagree with each other where the target is brittle.
 */
export function buildStudent(numClasses: number, seed: number, variant: number): tf.LayersModel {
  const widths = [[16, 32, 64], [32, 32, 128], [8, 16, 32]][variant % 3];
  return tf.sequential({
    name: `student${variant}`,
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: widths[0], kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.conv2d({ filters: widths[1], kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: widths[2], activation: 'relu', kernelInitializer: init(seed + 2), name: 'features' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }), name: 'logits' }),
    ],
  });
}

// Faces (64 x 64 x 1, data/faces.ts): 160 training images, so the networks are small and strided early.

/**
 * The faces CNN target: three strided 3x3 convs (32, 64, 128) -> dropout -> dense(128) -> one logit per private person.
 * Its last hidden layer (`features`) is the penultimate feature, as the digit target's.
 */
export function buildFaceTarget(numClasses: number, seed: number, side = 64): tf.LayersModel {
  return tf.sequential({
    name: 'target',
    layers: [
      tf.layers.conv2d({ inputShape: [side, side, 1], filters: 32, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.conv2d({ filters: 128, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(seed + 2), name: 'conv3' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.3, seed, name: 'drop' }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(seed + 3), name: 'features' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), name: 'logits' }),
    ],
  });
}

/**
 * Fredrikson et al.'s softmax regression target (CCS 2015): one linear layer from the pixels to a logit per person.
 * Its gradient with respect to the image is its weight template, which is why MI-Face rebuilt recognisable faces from it.
 */
export function buildSoftmaxTarget(numClasses: number, seed: number, side = 64): tf.LayersModel {
  return tf.sequential({
    name: 'softmax_target',
    layers: [
      tf.layers.flatten({ inputShape: [side, side, 1], name: 'flatten' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'logits' }),
    ],
  });
}

/**
 * The faces evaluator: another family than the target (5x5 and 3x3 convs with max-pooling, a 256-unit feature
 * layer), trained on the same private training images. Never shown to an attack.
 */
export function buildFaceEvaluator(numClasses: number, seed: number, side = 64): tf.LayersModel {
  return tf.sequential({
    name: 'face_evaluator',
    layers: [
      tf.layers.conv2d({ inputShape: [side, side, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 2), name: 'conv3' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool3' }),
      tf.layers.conv2d({ filters: 128, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 3), name: 'conv4' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.4, seed, name: 'drop' }),
      tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(seed + 4), name: 'features' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }), name: 'logits' }),
    ],
  });
}

/**
 * The faces' second judge: another architecture than the faces evaluator (a strided 5x5 stem, average instead of max
 * pooling, other widths), over all 40 people, so that a stranger's face is read as a stranger.
 */
export function buildFaceJudge(numClasses: number, seed: number, side = 64): tf.LayersModel {
  return tf.sequential({
    name: 'face_judge',
    layers: [
      tf.layers.conv2d({ inputShape: [side, side, 1], filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(seed), name: 'conv1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 1), name: 'conv2' }),
      tf.layers.averagePooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 2), name: 'conv3' }),
      tf.layers.averagePooling2d({ poolSize: 2, name: 'pool3' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 3), name: 'conv4' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.3, seed, name: 'drop' }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(seed + 4), name: 'features' }),
      tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }), name: 'logits' }),
    ],
  });
}

/** The CNN target of a data set (what the defenses train). */
export function buildTargetFor(dataset: 'mnist' | 'faces', numClasses: number, seed: number): tf.LayersModel {
  return dataset === 'faces' ? buildFaceTarget(numClasses, seed) : buildTarget(numClasses, seed);
}
