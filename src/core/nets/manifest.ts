// The shape of models/manifest.json, shared by the browser, the CLI and the tests.
import type { DatasetId } from '../data/datasets.ts';

export type ModelRole = 'target' | 'evaluator' | 'generator' | 'discriminator' | 'student';

export interface ModelEntry {
  id: string;
  role: ModelRole;
  /** The data set it was trained on (absent: 'mnist'). */
  dataset?: DatasetId;
  /** Training-time defense of a target ('none' for the unprotected one and for non-targets). */
  defense: string;
  /** model.json, relative to the models folder. */
  path: string;
  /** Digit label of each output, in output order. */
  classes: number[];
  input: [number, number, number];
  output: 'logits';
  architecture: string;
  params: number;
  /** Top-1 accuracy on the test images of `classes`. */
  testAccuracy: number;
  /** Faces (40 test images are few): the same recipe's accuracy over k folds of each private person's images. */
  crossValidation?: { folds: number; accuracies: number[]; mean: number };
  trainAccuracy?: number;
  dataSplit: string;
  trainCommand: string;
  seed: number;
  epochs: number;
  trainSeconds: number;
  trainBackend: string;
  /** Trap-MID targets: the trapdoor they carry. */
  trapdoor?: TrapdoorInfo;
  /** The second judge: its accuracy under the L-inf attack it was trained against (measured on MNIST test). */
  robustness?: { attack: 'PGD'; eps: number; steps: number; stepSize: number; images: number; accuracy: number };
  /** DP-SGD targets: the privacy they were trained to (Renyi DP accountant of the Poisson-sampled Gaussian). */
  privacy?: { epsilon: number; delta: number; noiseMultiplier: number; clipNorm: number; samplingRate: number; steps: number; sampling: 'poisson' };
  /** sha256 of weights.bin. */
  sha256: string;
  bytes: number;
  /** How weights.bin stores the weights (npm run quantize), and what the model measured in float32 before that. */
  weights?: WeightStorage & { float32TestAccuracy: number };
}

/** Stored precision of a model's weights: 'float16', or 'float16+uint8' where large kernels use 256 levels. */
export interface WeightStorage {
  storage: string;
  float32Bytes: number;
}

export interface TrapdoorInfo {
  /** Float32 triggers, relative to the models folder: [classes, 28, 28, 1] in [0, 1] (blend, ink, stroke), [classes, 4, 4, 2]
   *  field parameters (warp), [classes, 28, 28, 2] mask and pattern (ted); see trap-mid.ts triggerShape. */
  triggers: string;
  triggersSha256: string;
  alpha: number;
  injection: 'blend' | 'ink' | 'stroke' | 'warp' | 'ted';
  beta: number;
  naturalness: 'paper' | 'balanced' | 'none';
  naturalnessWeight: number;
  /** Label smoothing of the clean term at the end of training (absent: none; Trap-MID + NegLS: NegLS's factor). */
  cleanSmoothing?: number;
  /** How far a trigger on its own digit was taught towards uniform (absent: 0, the paper). */
  ownDigitSmoothing?: number;
  /** Triggered private-test images (trigger of another class) classified as the trigger's class. */
  trapdoorAccuracy: number;
  /** ROC-AUC of the naturalness discriminator, clean vs triggered private-test images (0.5 = indistinguishable). */
  naturalnessAuc: number;
  /** The same, by a fresh discriminator trained after the target on clean vs triggered training images
   *  (metrics/trapdoor.ts freshDiscriminatorAuc; absent: not measured). "Natural": both AUCs at most 0.75. */
  freshNaturalnessAuc?: number;
}

/** One saved network of a GAN prior. */
export interface NetworkFile {
  /** model.json, relative to the models folder. */
  path: string;
  params: number;
  sha256: string;
  bytes: number;
  weights?: WeightStorage;
}

/** A GAN prior: what the GAN-based attacks search in. */
export interface PriorEntry {
  id: string;
  /** The data set it draws (absent: 'mnist'). */
  dataset?: DatasetId;
  /** 'gan': GMI's unconditional prior (also used by the black-box and label-only attacks); 'ked': KED-MI's; 'cgan': PLG-MI's;
   *  'eigen': PCA of public faces (priors/eigenfaces.ts), a linear generator with a Gaussian prior and no discriminator;
   *  'inv': the inversion network's decoder (attacks/inversion-net.ts), answers -> images, in `generator`, no discriminator;
   *  'split': the split attack's decoder (attacks/split-inversion.ts), conv1 features -> images, in `generator`, no discriminator;
   *  'c2f': C2FMI's inverse network (attacks/c2fmi.ts), answers -> latents of gan-<knowledge>, in `generator`, no discriminator;
   *  'lokt': LOKT's T-ACGAN generator (attacks/lokt.ts, conditional on the target's classes) in `generator` and its
   *  surrogate classifiers in `surrogates`, no discriminator. */
  kind: 'gan' | 'ked' | 'cgan' | 'eigen' | 'inv' | 'split' | 'c2f' | 'lokt';
  knowledge: 'disjoint' | 'other-writers';
  /** ked / cgan: the target whose soft labels / pseudo-labels trained it; its classes are the target's. */
  forTarget?: string;
  classes?: number[];
  generator: NetworkFile;
  /** Every kind but 'eigen', 'inv' and 'split'. */
  discriminator?: NetworkFile;
  architecture: string;
  dataSplit: string;
  trainImages: number;
  /** Latent size ('inv': the number of scores the decoder reads, the target's classes; 'split': values per image it reads, 26 * 26 * 32). */
  zDim: number;
  epochs: number;
  trainCommand: string;
  seed: number;
  trainSeconds: number;
  trainBackend: string;
  /** A 10x10 grid of seeded samples (PNG), relative to the models folder. */
  samples: string;
  /** Digits: share of 1000 seeded samples the evaluator reads as each digit 0-9 (cgan: samples of every class alike). */
  sampleDigits?: number[];
  /** cgan: share of samples of each class that the evaluator reads as that class's digit. */
  classFidelity?: number[];
  /** FID (evaluator features) between those 1000 samples and 1000 real public digits 5-9 (faces: the 200 public faces,
   *  in the faces evaluator's features): lower draws more like them. 'inv': between the decoder's reconstructions of
   *  1000 held-out public digits and those digits. */
  fid: number;
  /** Digits: share of the 1000 samples the evaluator reads as a public digit 5-9. */
  publicShare?: number;
  /** Eigenfaces: share of the public faces' pixel variance the components explain. */
  explained?: number;
  /** 'inv': the images the decoder's training asked the target about (each public training digit once); 'split': the
   *  images it had the client part run (every epoch's, nothing cached). */
  queries?: number;
  /** 'inv': how well the decoder reconstructs images from the target's answers (see ReconstructionQuality). */
  reconstruction?: ReconstructionQuality;
  /** 'split': how well the decoder reconstructs images from their exact split features (see SplitQuality). */
  splitQuality?: SplitQuality;
  /** 'c2f': how well the inverse network's latents draw the classes (see C2fQuality). */
  c2fQuality?: C2fQuality;
  /** 'lokt': the surrogate classifiers the attack differentiates through (output order: `classes`). */
  surrogates?: NetworkFile[];
  /** 'lokt': how well the surrogates stand in for the target, and what the target reads in G's samples (see LoktQuality). */
  loktQuality?: LoktQuality;
}

/**
 * LOKT's transferred knowledge, measured after training (evaluation queries, not the attacker's): the surrogates
 * against the target on private test digits 0-4, and the target's reading of the generator's samples.
 */
export interface LoktQuality {
  /** Private test digits the surrogates were measured on. */
  images: number;
  /** Per surrogate: share of those digits it labels as the target does. */
  surrogateAgreement: number[];
  /** Per surrogate: its accuracy on them (true digits). */
  surrogateAccuracy: number[];
  /** The ensemble (mean logits): agreement with the target's labels. */
  ensembleAgreement: number;
  /** Share of G(z, y)'s 1000 seeded samples (200 per class) the target labels y. */
  targetFidelity: number;
  /** Label queries the training spent: public images (each once), generated images of T-ACGAN's steps, surrogate images. */
  queryBreakdown: { publicImages: number; tacganFakes: number; surrogateImages: number };
}

/**
 * A C2FMI inverse network's quality: the GAN images of the latents it gives for the one-hot answer of each class and
 * for 199 perturbed answers a class (the attack's seeds, without their latent noise), as the target and the evaluator read them.
 */
export interface C2fQuality {
  /** Share of the classes whose one-hot image the target reads as that class. */
  oneHotTarget: number;
  /** Share of all seed images the target reads as their class. */
  seedsTarget: number;
  /** Share of all seed images the evaluator reads as their class's digit. */
  seedsEvaluator: number;
  /** Mean squared error of its latents for 1000 fresh GAN samples' exact answers (per coordinate; the prior's variance is ~0.9). */
  latentMse: number;
}

/** A split decoder's quality: mean MSE and SSIM of its reconstructions from exact (noise-free) features, pixels in [0, 1]. */
export interface SplitQuality {
  /** The target's layer whose output the decoder reads. */
  layer: string;
  /** Public digits it never trained on (every tenth public image). */
  heldOutPublic: { images: number; mse: number; ssim: number };
  /** Private test digits (0-4; never seen by the attacker). */
  privateTest: { images: number; mse: number; ssim: number };
  /** Baseline on the same private test digits: the mean SSIM of a random public digit to each. */
  publicDigitSsim: number;
  /** Mean |value| of the split features of those private test digits: the size a noise scale b compares with. */
  featureSize: number;
}

/** An inversion decoder's quality: mean MSE and SSIM of its reconstructions to the originals, pixels in [0, 1]. */
export interface ReconstructionQuality {
  /** The truncation k it was trained and measured with (all the target's scores). */
  truncation: number;
  /** Public digits it never trained on (every tenth public image), decoded from the target's answers to them. */
  heldOutPublic: { images: number; mse: number; ssim: number };
  /** Private test digits (0-4; never seen by the attacker), decoded from the target's answers to them. */
  privateTest: { images: number; mse: number; ssim: number };
  /** Baselines on the same private test digits: the mean SSIM of a random public digit to each, and of the decoded
   *  one-hot prototype of its digit (what the class alone gives, without the image's own answer). */
  publicDigitSsim: number;
  prototypeSsim: number;
}

/**
 * A network an output-side defense runs in front of a target (the defender's, never the attacker's):
 * 'purifier': Yang & Shao's autoencoder on answers (defenses/purifier.ts); 'mimic-inversion': the inversion model
 * the defender trains to mimic the attacker, which adversarial output noise is crafted against (defenses/adversarial-noise.ts).
 */
export interface GuardEntry {
  id: string;
  kind: 'purifier' | 'mimic-inversion';
  forTarget: string;
  classes: number[];
  network: NetworkFile;
  architecture: string;
  dataSplit: string;
  trainImages: number;
  epochs: number;
  trainCommand: string;
  seed: number;
  trainSeconds: number;
  trainBackend: string;
  quality: GuardQuality;
}

/**
 * What the defense does to answers, measured on private test digits at the setting named (re-measured by the
 * models test): the labels it keeps, how far the answers move, and how well the attacker's shipped inversion decoder
 * (`inv-<target>-disjoint`) reconstructs those digits from exact and from defended answers.
 */
export interface GuardQuality {
  defense: string;
  images: number;
  /** Share of defended answers whose top-1 is the exact answer's (the label keeper makes it 1). */
  labelsKept: number;
  /** Mean L1 distance between defended and exact answers (0 to 2). */
  l1Distortion: number;
  attackerDecoder: string;
  mse: { exact: number; defended: number };
  ssim: { exact: number; defended: number };
}

export interface Manifest {
  version: 1;
  models: ModelEntry[];
  priors?: PriorEntry[];
  guards?: GuardEntry[];
}

/** The id of the network an output defense of this kind needs for `targetId`. */
export const guardId = (kind: GuardEntry['kind'], targetId: string): string =>
  `${kind === 'purifier' ? 'purifier' : 'mimic-inv'}-${targetId}`;

export function findGuard(manifest: Manifest, id: string): GuardEntry {
  const g = (manifest.guards ?? []).find((m) => m.id === id);
  if (!g) {
    const kind = id.startsWith('purifier-') ? 'purifier' : 'mimic inversion model';
    const have = (manifest.guards ?? []).filter((m) => m.id.startsWith(id.split('-target')[0])).map((m) => m.forTarget);
    throw new Error(`no ${kind} for this target ('${id}'): the defender trained one for ${have.join(', ') || 'no target'} only`);
  }
  return g;
}

export function findPrior(manifest: Manifest, id: string): PriorEntry {
  const p = (manifest.priors ?? []).find((m) => m.id === id);
  if (!p) throw new Error(`no GAN prior '${id}' in the manifest (have: ${(manifest.priors ?? []).map((m) => m.id).join(', ') || 'none'})`);
  return p;
}

export function findModel(manifest: Manifest, id: string): ModelEntry {
  const e = manifest.models.find((m) => m.id === id);
  if (!e) throw new Error(`no model '${id}' in the manifest (have: ${manifest.models.map((m) => m.id).join(', ') || 'none'})`);
  return e;
}

/** Output index of digit `d` for this model, or -1 when it has no such class. */
export function classIndex(entry: ModelEntry, d: number): number {
  return entry.classes.indexOf(d);
}
