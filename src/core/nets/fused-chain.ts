// A chain of layers as one differentiable op: what the gradient attacks call instead of `model.apply` (`infer`: the
// network is frozen, the gradient goes to its input) and what the trainers call to train one (`trainApply`: the
// gradient goes to its weights).
//
// Through tfjs-layers a forward pass of the target launches ~30 kernels (each layer's bias add and activation apart,
// identities) and tfjs's tape replays each of them backwards; on WebGPU every kernel is a dispatch and its host-side
// cost is the step's cost. Here the chain runs as fused kernels (conv + bias + activation as one FusedConv2D, dense as
// one _FusedMatMul) inside one `tf.customGrad`, and its backward pass is written out: per layer one activation-gradient
// kernel, then the input gradient (Conv2DBackpropInput, conv2d for a transposed conv, MatMul) and, when training,
// the weight gradients (Conv2DBackpropFilter or MatMul, and one bias-gradient kernel).
//
// Models this does not cover (a layer outside the table below, branches, non-trainable weights when training) run
// through `model.apply` as before, so both are always safe to call; tests/unit/fused-attack-path.test.ts and
// fused-training.test.ts compare both paths.
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_GRAD, type Activation, BIAS_GRAD } from '../kernels/layer-grads.ts';
import { unaryOp } from '../kernels/custom-grad.ts';
import { DROPOUT_MASK } from '../kernels/dropout-mask.ts';
import { fusionOn } from '../kernels/fusion.ts';

type Stage =
  | { op: 'conv' | 'deconv' | 'dense'; layer: tf.layers.Layer; strides: [number, number]; pad: 'same' | 'valid'; act: Activation; alpha: number }
  | { op: 'reshape'; shape: number[] }
  | { op: 'dropout'; rate: number; seed?: number };

interface Plan {
  /** Model inputs joined on the last axis before the chain (a conditional generator's [z, y]). */
  concatInputs: boolean;
  stages: Stage[];
}

const ACTIVATIONS: Record<string, Activation | undefined> = { linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh' };

type LayerConfig = Record<string, unknown>;
const inboundOf = (layer: tf.layers.Layer): tf.layers.Layer[] =>
  ((layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes[0]?.inboundLayers) ?? [];

/** The plan for `model`, or null where a layer or the graph's shape is outside what the fused path covers. */
function planOf(model: tf.LayersModel): Plan | null {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const inputLayers = model.layers.filter((l) => l.getClassName() === 'InputLayer');
  let concatInputs = false;
  let i = 0;
  if (model.inputs.length > 1) {
    const first = layers[0];
    if (first?.getClassName() !== 'Concatenate' || inboundOf(first).length !== model.inputs.length) return null;
    const axis = (first.getConfig() as LayerConfig).axis;
    if (axis !== -1 && axis !== 1) return null;
    if (model.inputs.some((x) => x.shape.length !== 2)) return null;
    concatInputs = true;
    i = 1;
  }
  const stages: Stage[] = [];
  let previous: tf.layers.Layer | undefined = concatInputs ? layers[0] : inputLayers[0];
  for (; i < layers.length; i++) {
    const layer = layers[i];
    const inbound = inboundOf(layer);
    // A chain: each layer reads the one before it (Sequential models built with inputShape keep no InputLayer in
    // `layers`, so their first layer reads the model input directly).
    if (inbound.length > 1 || (previous && inbound.length === 1 && inbound[0] !== previous)) return null;
    previous = layer;
    const config = layer.getConfig() as LayerConfig;
    const name = layer.getClassName();
    const activation = ACTIVATIONS[String(config.activation ?? 'linear')];
    switch (name) {
      case 'Conv2D':
      case 'Conv2DTranspose': {
        const dilation = config.dilationRate as number[] | number | undefined;
        if (!activation || config.dataFormat !== 'channelsLast' || [dilation ?? 1].flat().some((d) => d !== 1)) return null;
        const strides = [config.strides as number[] | number].flat();
        stages.push({
          op: name === 'Conv2D' ? 'conv' : 'deconv', layer, strides: [strides[0], strides[1] ?? strides[0]],
          pad: config.padding as 'same' | 'valid', act: activation, alpha: 0,
        });
        break;
      }
      case 'Dense':
        // Dense on a rank-3+ input acts on the last axis: not a chain we fuse.
        if (!activation || (layer.input as tf.SymbolicTensor).shape.length !== 2) return null;
        stages.push({ op: 'dense', layer, strides: [1, 1], pad: 'valid', act: activation, alpha: 0 });
        break;
      case 'Flatten':
      case 'Reshape':
        stages.push({ op: 'reshape', shape: (layer.outputShape as number[]).slice(1) });
        break;
      case 'Dropout':
        if (config.noiseShape != null) return null;
        stages.push({ op: 'dropout', rate: Number(config.rate), seed: config.seed as number | undefined });
        break;
      case 'LeakyReLU':
      case 'Activation': {
        const last = stages[stages.length - 1];
        const act: Activation | undefined = name === 'LeakyReLU' ? 'leakyrelu' : ACTIVATIONS[String(config.activation)];
        // Folded into the layer before it (in a chain its output feeds only this activation).
        if (!act || !last || (last.op !== 'conv' && last.op !== 'deconv' && last.op !== 'dense') || last.act !== 'linear') return null;
        last.act = act;
        last.alpha = name === 'LeakyReLU' ? Number(config.alpha) : 0;
        break;
      }
      default:
        return null;
    }
  }
  return stages.length > 0 ? { concatInputs, stages } : null;
}

/** dy * f'(x) from the activation's output y (so no pre-activation is kept). */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, act: Activation, alpha: number): tf.Tensor {
  if (act === 'linear') return dy;
  if (tf.getKernel(ACTIVATION_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(ACTIVATION_GRAD, { dy, y }, { activation: act, alpha } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  switch (act) {
    case 'relu': return tf.mul(dy, tf.step(y));
    case 'leakyrelu': return tf.where(tf.greater(y, 0), dy, tf.mul(dy, alpha));
    case 'sigmoid': return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(y)));
  }
}

type WeightStage = Extract<Stage, { layer: tf.layers.Layer }>;
const weightsOf = (s: WeightStage) => s.layer.weights.map((w) => w.read());
const weightStages = (plan: Plan) => plan.stages.filter((s): s is WeightStage => 'layer' in s);

/**
 * One stage forward. `mask` (training only) is the dropout multiplier, drawn exactly as tf.dropout draws it (so a
 * seeded layer drops what it drops through tfjs-layers).
 */
function forwardStage(s: Stage, x: tf.Tensor, training: boolean): { y: tf.Tensor; mask?: tf.Tensor } {
  if (s.op === 'reshape') return { y: tf.reshape(x, [x.shape[0], ...s.shape]) };
  if (s.op === 'dropout') {
    if (!training || s.rate === 0) return { y: x };
    const keep = 1 - s.rate;
    const u = tf.randomUniform(x.shape, 0, 1, 'float32', s.seed);
    const mask = tf.getKernel(DROPOUT_MASK, tf.getBackend())
      ? tf.engine().runKernel(DROPOUT_MASK, { u }, { keep } as unknown as tf.NamedAttrMap) as tf.Tensor
      : tf.div(tf.floor(tf.add(u, keep)), keep);
    return { y: tf.mul(x, mask), mask };
  }
  const [kernel, bias] = weightsOf(s);
  const fusable = s.act !== 'tanh';
  const activation = fusable ? s.act : 'linear';
  let y: tf.Tensor;
  // The kernels directly: tf.fused.* fall back to unfused ops whenever a gradient is being recorded.
  const attrs = { activation, leakyreluAlpha: s.alpha } as const;
  if (s.op === 'conv') {
    y = tf.engine().runKernel('FusedConv2D', bias ? { x, filter: kernel, bias } : { x, filter: kernel },
      { ...attrs, strides: s.strides, pad: s.pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
  } else if (s.op === 'dense') {
    const [n, k] = x.shape as [number, number], units = kernel.shape[1] as number;
    const a = tf.reshape(x, [1, n, k]), b = tf.reshape(kernel, [1, k, units]);
    y = tf.reshape(tf.engine().runKernel('_FusedMatMul', bias ? { a, b, bias } : { a, b },
      { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap) as tf.Tensor, [n, units]);
  } else {
    const [h, w, c] = (s.layer.outputShape as number[]).slice(1);
    y = tf.conv2dTranspose(x as tf.Tensor4D, kernel as tf.Tensor4D, [x.shape[0], h, w, c], s.strides, s.pad);
    if (bias) y = tf.add(y, bias);
    if (s.act === 'relu') y = tf.relu(y);
    else if (s.act === 'leakyrelu') y = tf.leakyRelu(y, s.alpha);
    else if (s.act === 'sigmoid') y = tf.sigmoid(y);
  }
  return { y: fusable ? y : tf.tanh(y) };
}

/** One stage backward: dL/dx (unless `needInput` is false) and, when training, dL/d[kernel, bias]. */
function backwardStage(s: Stage, dy: tf.Tensor, x: tf.Tensor, y: tf.Tensor, mask: tf.Tensor | undefined, needInput: boolean, training: boolean): { dx?: tf.Tensor; dw: tf.Tensor[] } {
  if (s.op === 'reshape') return { dx: tf.reshape(dy, x.shape), dw: [] };
  if (s.op === 'dropout') return { dx: mask ? tf.mul(dy, mask) : dy, dw: [] };
  const [kernel, bias] = weightsOf(s);
  const g = activationGrad(dy, y, s.act, s.alpha);
  let dx: tf.Tensor | undefined;
  if (needInput) {
    if (s.op === 'dense') dx = tf.matMul(g, kernel as tf.Tensor2D, false, true);
    else if (s.op === 'conv') dx = tf.conv2dTranspose(g as tf.Tensor4D, kernel as tf.Tensor4D, x.shape as [number, number, number, number], s.strides, s.pad);
    else dx = tf.conv2d(g as tf.Tensor4D, kernel as tf.Tensor4D, s.strides, s.pad);
  }
  if (!training) return { dx, dw: [] };
  const dw = s.op === 'dense'
    ? [tf.matMul(x as tf.Tensor2D, g as tf.Tensor2D, true, false)]
    : [tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g },
      { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', filterShape: kernel.shape } as unknown as tf.NamedAttrMap) as tf.Tensor];
  if (bias) {
    dw.push(tf.getKernel(BIAS_GRAD, tf.getBackend())
      ? tf.engine().runKernel(BIAS_GRAD, { dy: g }, {}) as tf.Tensor
      : tf.sum(g, s.op === 'dense' ? 0 : [0, 1, 2]));
  }
  return { dx, dw };
}

/** Forward through every stage; the activations (and dropout masks) the backward pass needs. */
function forwardAll(plan: Plan, x: tf.Tensor, training: boolean): { acts: tf.Tensor[]; masks: (tf.Tensor | undefined)[] } {
  const acts = [x], masks: (tf.Tensor | undefined)[] = [];
  for (const s of plan.stages) {
    const { y, mask } = forwardStage(s, acts[acts.length - 1], training);
    acts.push(y);
    masks.push(mask);
  }
  return { acts, masks };
}

/** The frozen chain: differentiable in its input only. */
function frozenChain(plan: Plan): (x: tf.Tensor) => tf.Tensor {
  return unaryOp((x, save) => {
    const { acts } = forwardAll(plan, x, false);
    save(acts);
    return {
      value: acts[acts.length - 1],
      gradFunc: (dy, saved) => {
        let g = dy;
        for (let k = plan.stages.length - 1; k >= 0; k--) g = backwardStage(plan.stages[k], g, saved[k], saved[k + 1], undefined, true, false).dx!;
        return g;
      },
    };
  });
}

/**
 * The chain in training (dropout on): differentiable in its weights, in the order of `weightStages` (kernel, then
 * bias); its input is data, so the first layer's input gradient is never computed.
 */
function trainedChain(plan: Plan): (x: tf.Tensor) => tf.Tensor {
  const stages = weightStages(plan);
  return (x) => {
    const weights = stages.flatMap(weightsOf);
    const op = tf.customGrad(((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const { acts, masks } = forwardAll(plan, x, true);
      const maskIndex = masks.flatMap((m, i) => (m ? [i] : []));
      save([...acts, ...maskIndex.map((i) => masks[i]!)]);
      return {
        value: acts[acts.length - 1],
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const n = plan.stages.length;
          const savedMask = (k: number) => { const j = maskIndex.indexOf(k); return j < 0 ? undefined : saved[n + 1 + j]; };
          const grads: tf.Tensor[][] = [];
          let g = dy;
          for (let k = n - 1; k >= 0; k--) {
            const r = backwardStage(plan.stages[k], g, saved[k], saved[k + 1], savedMask(k), k > 0, true);
            if (r.dw.length) grads.unshift(r.dw);
            if (r.dx) g = r.dx;
          }
          return grads.flat();
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return (op as unknown as (...w: tf.Tensor[]) => tf.Tensor)(...weights);
  };
}

interface Compiled { frozen: ((inputs: tf.Tensor[]) => tf.Tensor) | null; trained: ((x: tf.Tensor) => tf.Tensor) | null }
const compiled = new WeakMap<tf.LayersModel, Compiled>();

function compiledOf(model: tf.LayersModel): Compiled {
  let c = compiled.get(model);
  if (!c) {
    const plan = planOf(model);
    const chain = plan && frozenChain(plan);
    // Training: plain chains of conv and dense layers whose every weight trains (a generator's transposed convs and
    // a partly frozen model, e.g. TL-DMI's, go through tfjs-layers).
    const trainable = !!plan && !plan.concatInputs && !plan.stages.some((s) => s.op === 'deconv')
      && weightStages(plan).every((s) => s.layer.trainable && s.layer.weights.every((w) => w.trainable));
    c = {
      frozen: plan && chain ? (inputs) => chain(plan.concatInputs ? tf.concat(inputs, 1) : inputs[0]) : null,
      trained: plan && trainable ? trainedChain(plan) : null,
    };
    compiled.set(model, c);
  }
  return c;
}

/** The compiled frozen forward of `model` (null where it has to run through tfjs-layers). Cached per model. */
export function frozenForward(model: tf.LayersModel): ((inputs: tf.Tensor[]) => tf.Tensor) | null {
  return compiledOf(model).frozen;
}

/**
 * `model.apply(inputs, { training: false })` for a network that is not being trained (a target under attack, a
 * prior's generator): the fused path where the model is a supported chain, tfjs-layers otherwise. Gradients flow to
 * the inputs only.
 */
export function infer(model: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const f = fusionOn() ? frozenForward(model) : null;
  if (f) return f(Array.isArray(inputs) ? inputs : [inputs]);
  return model.apply(inputs, { training: false }) as tf.Tensor;
}

/**
 * `model.apply(x, { training: true })` inside a trainer's loss: gradients flow to the model's weights (not to `x`,
 * which is data). The fused path where the model is a supported chain whose weights all train, tfjs-layers otherwise.
 */
export function trainApply(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  const f = fusionOn() ? compiledOf(model).trained : null;
  return f ? f(x) : model.apply(x, { training: true }) as tf.Tensor;
}
