// The one contract between the UI thread and the engine worker. Both sides import these types; nothing here
// touches tfjs, so the UI never pulls tensor code in.

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** ms per step of a workload on one backend (the engine's backend choice). */
export interface BackendTiming { backend: BackendName; msPerStep: number }

/** Timings measured on a device, which the page keeps (the worker has no storage of its own). */
export interface RememberedTimings { key: string; timings: BackendTiming[] }

export interface EngineInfo {
  backend: BackendName;
  /** The other backends tried, with why each was not chosen (failed to start, a software GPU, measured slower). */
  refused: { backend: BackendName; reason: string }[];
  adapter?: string;
  /** The chosen GPU backend's adapter is software (the processor emulating a GPU), as the engine judged it. */
  emulated?: boolean;
  /** ms per step of the page's workload on each backend timed for the choice, fastest (the chosen one) first. */
  timings?: BackendTiming[];
  /** The device the timings belong to: the page keeps them under it and passes them back (InitOptions.remembered). */
  timingKey?: string;
  /** The timings were remembered from an earlier visit, not measured now. */
  timedEarlier?: boolean;
  /** WASM only: its thread count, and why only one where that is so. */
  threads?: { count: number; single?: string };
  /** Shipped models, from models/manifest.json. */
  models: {
    id: string; role: string; defense: string; classes: number[]; testAccuracy: number; params: number;
    /** The data set it was trained on (absent: MNIST). */
    dataset?: DatasetId;
    /** Trap-MID targets only. */
    trapdoor?: { alpha: number; trapdoorAccuracy: number; naturalnessAuc: number };
    /** How pages name it, where the defense alone does not say (the model trained in this browser). */
    label?: string;
  }[];
}

import type { AttackId, DefenseId, Dependence, Injection, Knowledge, NaturalnessMode } from './catalog.ts';
export type { AttackId, DefenseId, Dependence, Injection, Knowledge, NaturalnessMode };

/** One benchmark figure (defined with the measurements in src/core/bench.ts; a type only: no tfjs here). */
import type { BenchRow } from '../core/bench.ts';
import type { DatasetId } from '../core/data/datasets.ts';
export type { BenchRow };

export interface InitOptions {
  /** Force a backend first (the `?backend=` URL override); the others stay as fallbacks. */
  backend?: BackendName;
  /** Base URL that holds `models/` and `data/` (the site root). */
  baseUrl: string;
  /** What the page will run, so that the backend choice times that: an attack step (default) or a training step. */
  workload?: Workload;
  /** Timings kept from earlier starts on this device (the choice then skips timing); see EngineInfo.timingKey. */
  remembered?: RememberedTimings[];
  /** WASM threads: 1 = the single-threaded build, N = exactly N; absent: tfjs's choice, half the logical processors. */
  threads?: number;
}

export type Workload = 'attack' | 'training';

/** A few real private training images, one per private class, for showing beside the reconstructions. */
export interface PrivateSamples {
  classes: number[];
  /** classes.length * 784 pixels in [0, 1]. */
  pixels: Float32Array;
}

export interface MiFaceConfig {
  attack: 'mi-face';
  /** A shipped target's id (e.g. target-none, target-trap-mid). */
  targetId: string;
  /** Maximum optimisation steps. */
  steps: number;
  /** Adam learning rate on the pixels. */
  learningRate: number;
  /** Weight of the total-variation prior (0 = off). */
  tv: number;
  /** Weight of the L2 prior on pixels (0 = off). */
  l2: number;
  /** 'zeros' (the paper's start) or 'noise' (uniform, seeded). */
  init: 'zeros' | 'noise';
  seed: number;
  /** Send a snapshot every this many steps. */
  snapshotEvery: number;
}

/** Every attack other than MI-Face: its knobs (see catalog.ts) in `params`. */
export interface GanAttackConfig {
  attack: Exclude<AttackId, 'mi-face'>;
  targetId: string;
  /** What the attacker knows: picks the GAN prior. */
  knowledge: Knowledge;
  /** The catalog's knobs of this attack (missing ones take the browser default). `steps` is one of them. */
  params: Record<string, number>;
  /** Black-box / label-only attacks: the output-side defense, e.g. 'none', 'round:1', 'label-only', 'dp:1'. */
  outputDefense?: string;
  /**
   * Black-box / label-only attacks: images the target answers at most (1..QUERY_BUDGET_MAX); the attack stops at
   * exactly this many queries (queryBudgetStop). Absent: no limit.
   */
  queryBudget?: number;
  seed: number;
  snapshotEvery: number;
}

/** The largest query budget a config may name (far above what any run here asks). */
export const QUERY_BUDGET_MAX = 100_000_000;

/**
 * The query budget a run stopped at, or null: an attack with a budget ends as soon as its queries reach it, so a
 * snapshot whose query count is the budget is of a run the budget stopped.
 */
export function queryBudgetStop(config: AttackConfig | null | undefined, snap: { queries?: number } | null | undefined): number | null {
  const budget = config && 'queryBudget' in config ? config.queryBudget : undefined;
  return budget !== undefined && snap?.queries !== undefined && snap.queries >= budget ? budget : null;
}

export type AttackConfig = MiFaceConfig | GanAttackConfig;

export interface AttackSnapshot {
  jobId: number;
  step: number;
  maxSteps: number;
  /** Attacked digit of each candidate. */
  classes: number[];
  /** classes.length * 784 pixels in [0, 1] (a transferred buffer). */
  pixels: Float32Array;
  /** Target's softmax probability of the attacked class, per candidate. */
  targetConfidence: number[];
  /** Per-candidate total loss (identity + priors). */
  loss: number[];
  /** The evaluator's verdict on each candidate: predicted digit, its probability, and top-5 digits. */
  evaluator: { predicted: number[]; confidence: number[]; top5: number[][] };
  /**
   * The second judge's verdict (another architecture, adversarially trained): predicted digit and its probability.
   * Always sent by the engine; absent only in a run record saved before the second judge shipped.
   */
  robust?: { predicted: number[]; confidence: number[] };
  /**
   * Shares of candidates whose attacked digit is the evaluator's first guess (top1) or among its five (top5), the
   * second judge's first guess (robustTop1), and both judges' first guess (bothTop1; absent with `robust`).
   */
  attackAccuracy: { top1: number; top5: number; robustTop1?: number; bothTop1?: number };
  /**
   * Trap-MID targets only: each candidate's trapdoor score (cosine to its predicted class's signature), the share
   * above the threshold (recall of the detector on reconstructions) and the ROC-AUC of reconstructions vs public images.
   */
  trapdoor?: { scores: number[]; threshold: number; flaggedShare: number; aucVsPublic: number };
  state: JobState;
  elapsedMs: number;
  /**
   * GAN attacks keep several candidates per digit (restarts, a population, probes); the top-level fields above
   * describe the kept one of each digit, and this the whole population.
   */
  candidates?: { classes: number[]; pixels: Float32Array; score: number[]; kept: number[] };
  /** Mean identity and prior terms over all candidates, where the attack has both. */
  terms?: { identity: number; prior: number };
  /** Queries made to the target (black-box and label-only attacks). */
  queries?: number;
  /** BREP-MI: sphere radius per attacked digit. */
  radius?: number[];
  /**
   * The inversion network: private test images (one per digit), the answer the attacker got for each (rows of the
   * target's scores, before its truncation to the k largest), what its decoder read of each (the alignment: the k
   * largest as max(0, ln p + 50) / 50, the rest 0), the decoder's reconstructions, their MSE and SSIM to the
   * originals, and the mean SSIM of random public digits to each original (the no-information baseline). The split
   * attack: the same for the feature maps its server received (FeatureVictims).
   */
  victims?: ScoreVictims | FeatureVictims;
  /**
   * The trapdoor-aware attacker (plg-mi-adaptive): the k triggers it reverse-engineered from the defender's published
   * recipe (images in [0, 1]), the share of its public digits each sent to its class, and its own flagging threshold.
   */
  estimate?: { triggers: Float32Array; success: number[]; threshold: number; recipe: { injection: string; alpha: number } };
  /** Set when the job failed (e.g. the GPU device was lost); the page shows it. */
  error?: string;
}

/** The inversion network's victims (AttackSnapshot.victims): what it received is the target's scores. */
export interface ScoreVictims {
  digits: number[]; pixels: Float32Array; received: number[][]; read: number[][]; truncation: number; reconstructions: Float32Array;
  mse: number[]; ssim: number[]; publicSsim: number[];
}

/**
 * The split attack's victims: what the server received is each image's first-layer feature maps (a few of them, scaled
 * into [0, 1] for display, `maps.scale` showing as white), sent with the client's Laplace noise of scale `noise`; the
 * mean |value| of the clean features and of what was received; the noisy split's accuracy on private test digits
 * beside the clean one.
 */
export interface FeatureVictims {
  digits: number[]; pixels: Float32Array; reconstructions: Float32Array; mse: number[]; ssim: number[]; publicSsim: number[];
  maps: { channels: number[]; side: number; pixels: Float32Array; scale: number };
  noise: number;
  featureSize: { clean: number; received: number } | null;
  accuracy?: { noisy: number; clean: number; images: number };
}

export type JobState = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** What trapdoor detection compares reconstructions with (histograms on the page). */
export interface TrapdoorReference {
  targetId: string;
  /** Flag images scoring above this: the 95th percentile of clean training scores. */
  threshold: number;
  clean: number[];
  triggered: number[];
  public: number[];
  /** The triggers, classes * 784 values in [0, 1], and their blend weight. */
  triggers: Float32Array;
  alpha: number;
}

/** The id of the target trained on the defense page and kept in this browser (IndexedDB: same origin, never uploaded). */
export const TRAINED_MODEL_ID = 'trained-in-browser';

/** The id of the target the user loaded from their own files (kept by this worker only, until replaced or the page closes). */
export const UPLOADED_MODEL_ID = 'uploaded';

/** One file the user picked for their own target (model.json or a .bin weight file), read on the page. */
export interface UploadedFile {
  name: string;
  /** The file's bytes (transferred to the worker). */
  data: ArrayBuffer;
}

/** What the engine found out about an uploaded target while checking it. */
export interface UploadedModelInfo {
  id: typeof UPLOADED_MODEL_ID;
  /** How the target picker names it (from the model.json's file name). */
  label: string;
  fileName: string;
  /** Digit of each output: 0..k-1. */
  classes: number[];
  /** The private digits (0-4) among them: what an attack reconstructs. */
  attacked: number[];
  params: number;
  /** The input shape the file declares, and whether images are reshaped to it (a flat [784] or channel-less input). */
  inputShape: (number | null)[];
  reshaped: boolean;
  /** The file's output layer had a softmax, removed so the attacks read logits. */
  softmaxRemoved: boolean;
  /** Top-1 accuracy on `testImages` private test images of the attacked digits, measured once on load. */
  testAccuracy: number;
  testImages: number;
}

/** A defense training run (the defense lab): a target of a data set's private classes, trained in the engine. */
export interface TrainingConfig {
  /** The data set (absent: MNIST, the private digits 0-4; 'faces': the 20 private people). */
  dataset?: DatasetId;
  defense: DefenseId;
  /** The defense's knobs (see DEFENSES in catalog.ts); missing ones take the catalog default. */
  params: Record<string, number>;
  /** Trap-MID: how the trigger step weighs naturalness (default 'balanced'). */
  naturalness?: NaturalnessMode;
  /** Trap-MID: how a trigger goes into an image (default 'blend', the paper's). */
  injection?: Injection;
  /** BiDO: the dependence measure (default 'hsic'). */
  dependence?: Dependence;
  epochs: number;
  batchSize: number;
  /** Train on about this many private training images, balanced over the classes (default: all; MNIST 30,596, faces 160). */
  trainImages?: number;
  seed: number;
  /** Read the losses back every this many batches (a read-back stalls GPU backends); default from the run's length. */
  readEvery?: number;
  /** Measure test (and trapdoor) accuracy every this many batches; default a few read-backs. */
  evalEvery?: number;
}

/** One clean private training image beside the same image carrying another class's trigger (Trap-MID). */
export interface TriggerSample {
  /** Its class (a digit, or a person of the faces). */
  digit: number;
  /** The class whose trigger is blended in. */
  triggerDigit: number;
  /** side x side pixels each (784 on MNIST, 4,096 on faces) in [0, 1]: the image, blended at the real alpha, and blended at `exaggeratedAlpha` to make the trigger visible. */
  clean: Float32Array;
  triggered: Float32Array;
  exaggerated: Float32Array;
  exaggeratedAlpha: number;
  /** What the model being trained answers for the clean and the triggered image (digit and probability). */
  answers: { clean: { digit: number; confidence: number }; triggered: { digit: number; confidence: number } };
}

export interface TrainingProgress {
  jobId: number;
  state: JobState;
  /** Batches done in all and planned; the epoch (0-based) and the batch within it. */
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  batch: number;
  batchesPerEpoch: number;
  /** Training images actually used, and the batch size. */
  trainImages: number;
  batchSize: number;
  /** Recent speed (NaN until measured), active time, and the estimated time to the end (null until measured). */
  samplesPerSecond: number;
  elapsedMs: number;
  remainingMs: number | null;
  /**
   * The latest read-back: the batch it was read after, that batch's loss terms (Trap-MID: clean, trapdoor,
   * discriminator, naturalness; MID: ce, kl; BiDO: ce, hsicX, hsicY or ce, cocoX, cocoY; others: ce), and the share
   * of training images classified right since the previous read-back (dropout and augmentation on).
   */
  losses?: { step: number; terms: Record<string, number>; trainAccuracy?: number };
  /** The latest measurement on a fixed subset of private test images (all of them at the end). */
  eval?: { step: number; images: number; testAccuracy: number; trapdoorAccuracy?: number; naturalnessAuc?: number };
  /** Trap-MID: the blend weight, every class's trigger (classes * side * side values in [0, 1]) and one sample image. */
  trapdoor?: { alpha: number; classes: number[]; triggers: Float32Array; sample: TriggerSample };
  /** DP-SGD: the privacy spent so far, (epsilon, delta)-DP by the Renyi DP accountant; it grows with every batch. */
  privacy?: { epsilon: number; delta: number };
  /** TL-DMI: whether the last batch came from the public images (pretraining) or the private ones (fine-tuning). */
  phase?: 'public' | 'private';
  /** Set once a finished model is kept: the target id the attack lab lists it under. */
  savedAs?: string;
  /** Set when the job failed (e.g. the GPU device was lost); the page shows it. */
  error?: string;
}

/** The API the worker exposes through comlink. */
export interface EngineApi {
  init(options: InitOptions): Promise<EngineInfo>;
  /** One real training image of each private class of a data set (default MNIST). */
  privateSamples(dataset?: DatasetId): Promise<PrivateSamples>;
  /**
   * Starts a job paused or running; snapshots go to `onSnapshot` (at most ~20 a second), the first one (step 0)
   * before this resolves with the job id. Pause, a manual step and the end each send one more.
   */
  startAttack(config: AttackConfig, onSnapshot: (s: AttackSnapshot) => void, startPaused?: boolean): Promise<number>;
  /**
   * Trains a target with a defense, as a job like an attack (pause / resume / step / cancel apply): progress goes to
   * `onProgress` every few batches, the first one (batch 0) before this resolves with the job id. A finished model
   * is kept in this browser and listed by `init()` as the target TRAINED_MODEL_ID.
   */
  startTraining(config: TrainingConfig, onProgress: (p: TrainingProgress) => void, startPaused?: boolean): Promise<number>;
  /**
   * Runs a benchmark grid (attacks x defenses x seeds) as a job (pause / resume / cancel apply): progress goes to
   * `onProgress` as it runs, every finished cell exactly once, the record with the last message.
   */
  startBenchmark(config: BenchmarkConfig, onProgress: (p: BenchmarkProgress) => void, startPaused?: boolean): Promise<number>;
  pause(jobId: number): Promise<void>;
  resume(jobId: number): Promise<void>;
  /** One step of a paused job, then a snapshot. */
  step(jobId: number): Promise<void>;
  cancel(jobId: number): Promise<void>;
  /** Trapdoor detection reference scores of a Trap-MID target (rejects for other targets). */
  trapdoorReference(targetId: string): Promise<TrapdoorReference>;
  /** Speed of this backend (src/core/bench.ts): one row per measurement, sent as it is measured. */
  benchmark(onRow: (row: BenchRow) => void, options?: { includeStock?: boolean; repeats?: number }): Promise<BenchRow[]>;
  /**
   * A target's answer for one image the user drew or uploaded (784 pixels in [0, 1], white ink on black), and for a
   * Trap-MID target its trapdoor score. Rejects with a clear message for a wrong size or a model that is not a target.
   */
  probe(targetId: string, pixels: Float32Array): Promise<ProbeResult>;
  /**
   * Checks and keeps a target the user brought (model.json and its weight files), replacing an earlier one; it is
   * listed from then on as UPLOADED_MODEL_ID. Rejects with a message that says what is wrong with the files.
   */
  loadUploadedModel(files: UploadedFile[]): Promise<{ uploaded: UploadedModelInfo; models: EngineInfo['models'] }>;
  /** tfjs tensor count (for leak checks from the page and tests). */
  numTensors(): Promise<number>;
}

/** What a target answers for one probed image. */
export interface ProbeResult {
  targetId: string;
  /** The target's classes (digits) and its softmax probability of each, in the same order. */
  classes: number[];
  probabilities: number[];
  /** The most probable digit. */
  predicted: number;
  /** Trap-MID targets: the detector's score (cosine to the predicted digit's trapdoor signature), its threshold, and whether the score is above it. */
  trapdoor?: { score: number; threshold: number; flagged: boolean };
}

export const DEFAULT_MI_FACE: MiFaceConfig = {
  // TV 0.3 and L2 0.01 are stronger priors than the paper's: on MNIST they turn the target's adversarial noise
  // into faint strokes the evaluator reads as the digit (300 steps from faint noise, seeds 1-10: top-1 0.78,
  // top-5 0.96 on target-none).
  attack: 'mi-face', targetId: 'target-none', steps: 300, learningRate: 0.05, tv: 0.3, l2: 0.01, init: 'noise',
  seed: 1, snapshotEvery: 5,
};

// ---------------------------------------------------------------------------------------------------------------
// The benchmark (benchmark.html, `npm run mi -- bench`): attacks x defenses, each cell run to the end over a few
// seeds and judged by the evaluator. Helpers on these types (CSV, parsing a saved record) are in benchmark-record.ts.

/** The attacks' knobs: the browser budget (catalog defaults) or the papers' values. */
export type Budget = 'browser' | 'paper';

export interface BenchmarkConfig {
  /**
   * The data set of every row and of the references (absent: MNIST, as in every record saved before the faces). The
   * rows must be its targets, the columns attacks that run on it.
   */
  dataset?: DatasetId;
  /** Rows: target ids (shipped targets, or the one trained in this browser). */
  defenses: string[];
  /** Columns: catalog attack ids. */
  attacks: AttackId[];
  /** One run per seed and cell; the metrics pool all of a cell's reconstructions. */
  seeds: number[];
  /**
   * The gradient attacks run a cell's seeds as one batch, each seed's result that of its own run (see seedGroups in
   * attack-setup.ts); false runs every attack one seed at a time (timing comparisons). Absent: batched.
   */
  batchSeeds?: boolean;
  budget: Budget;
  /** What the attacker knows: picks the GAN attacks' priors. */
  knowledge: Knowledge;
  /** Every attack's step budget replaced by this (quick looks, tests); otherwise the budget's. */
  steps?: number;
  /**
   * Private training images per class whose evaluator features are the reference of KNN / PSNR / SSIM / FID / PRDC.
   * Omitted: every private training image where the engine has their features cached (Node), else 200 per digit; the
   * faces have 8 per person, all of them featurised whatever is asked.
   */
  referencePerDigit?: number;
  /** The output defense in front of the target for the columns that query it (black-box, label-only, inversion network); absent: none. */
  outputDefense?: string;
  /** Those columns' query budget per run (the oracle refuses queries past it; absent: no limit). */
  queryBudget?: number;
}

/** Precision, recall, density and coverage (Naeem et al. 2020, k = 3). */
export interface PrdcFigures { precision: number; recall: number; density: number; coverage: number }

/** One kept reconstruction of a benchmark cell, beside the private training image nearest to it. */
export interface BenchmarkImage {
  /** The attacked class: a digit, or a person of the faces (the name stays 'digit' so older records read the same). */
  digit: number;
  seed: number;
  /** side x side grey levels (0-255; 784 for digits, 0 = black background; 4096 for faces), base64: compact in the saved record. */
  pixels: string;
  /** The nearest private training image of the same digit (evaluator features), same encoding. */
  nearest: string;
  /** Its index in the private training set (MNIST train digits 0-4, in file order). */
  nearestPrivateIndex: number;
  targetConfidence: number;
  evaluator: { predicted: number; confidence: number; top5: number[] };
  /** The second judge's digit and its probability (absent in records saved before the second judge shipped). */
  robust?: { predicted: number; confidence: number };
  /** The class of the nearest training image of any class (private or public), in the second judge's feature space. */
  knnLabel?: number;
  knnDistance: number;
  psnr: number;
  ssim: number;
  /** Trap-MID rows: the trapdoor detector's cosine score. */
  trapdoorScore?: number;
}

/** Figures over a set of reconstructions (a whole cell, or one digit of it). */
export interface BenchmarkFigures {
  images: number;
  /** Attack accuracy: share the evaluator (all 10 digits) calls the attacked digit, top-1 and top-5. */
  top1: number;
  top5: number;
  /**
   * The second judge's top-1, the share both judges call the attacked digit, and KNN-label accuracy (share whose
   * nearest training image of any digit, in the second judge's features, is the attacked digit). Absent in records
   * saved before the second judge shipped.
   */
  robustTop1?: number;
  bothTop1?: number;
  knnLabelAccuracy?: number;
  /**
   * Synthetic distribution analysis: the share of reconstructions whose nearest training image (of every class, in the
   * second judge's features, the KNN-label reference) is of a public class rather than a private one.
   */
  publicNearest?: number;
  /** Mean squared L2 distance to the nearest private image of the digit, in the evaluator's feature space. */
  knnDistance: number;
  /** PSNR (dB) and SSIM to that nearest private image, means. */
  psnr: number;
  ssim: number;
  /** PRDC against the reference (null, with the reason, when there are too few reconstructions). */
  prdc: PrdcFigures | null;
  prdcReason?: string;
}

export interface BenchmarkCell {
  defense: string;
  attack: AttackId;
  /** 'no-prior': the attack's GAN prior for this target and knowledge is not shipped (nothing ran). */
  status: 'done' | 'no-prior' | 'failed';
  /** Why a cell has no figures. */
  note?: string;
  /** The prior the attack searched (GAN attacks). */
  prior?: string;
  /** Step budget of each run, the seeds run, and the cell's active seconds. */
  steps: number;
  seeds: number[];
  seconds: number;
  /** All of the cell's reconstructions, with FID against the reference sample. */
  metrics?: BenchmarkFigures & {
    fid: number | null; fidReason?: string; meanTargetConfidence: number; queriesPerRun?: number;
    /** Trap-MID rows: the share of reconstructions the trapdoor detector flags (score above its threshold), their mean score. */
    trapdoor?: { flaggedShare: number; meanScore: number; threshold: number };
  };
  perClass?: (BenchmarkFigures & { digit: number })[];
  images?: BenchmarkImage[];
}

/** What each benchmark run's record says about a row. */
export interface BenchmarkDefense {
  id: string;
  defense: string;
  /** Top-1 accuracy on the private test digits (the manifest's measurement). */
  testAccuracy: number;
  label?: string;
}

/** The whole run: what the page exports as JSON and loads back, and what `mi bench --json` prints. */
export interface BenchmarkRecord {
  format: 'inversion-playground-benchmark';
  version: 1;
  createdAt: string;
  config: BenchmarkConfig;
  backend: BackendName | string;
  adapter?: string;
  state: JobState;
  elapsedMs: number;
  defenses: BenchmarkDefense[];
  attacks: { id: AttackId; name: string; threat: string }[];
  /** The private images the metrics compare with. */
  reference: { images: number; perDigit: number | null; fidImages: number };
  cells: BenchmarkCell[];
}

export interface BenchmarkProgress {
  jobId: number;
  state: JobState;
  /** 'reference': computing the private images' evaluator features (once per engine and size). */
  phase: 'reference' | 'attacking' | 'finished';
  cellsDone: number;
  cellsTotal: number;
  /** Attack steps done and planned over the whole grid (the progress bar). */
  work: { done: number; total: number };
  /** The run in progress. */
  /** The run now: its seed (the first of `seeds` when several seeds run as one batch). */
  current?: { defense: string; attack: AttackId; seed: number; seeds?: number[]; step: number; maxSteps: number };
  elapsedMs: number;
  /** Estimated from each attack's measured speed (null until something was measured). */
  remainingMs: number | null;
  /** Cells finished since the previous message (each cell is sent exactly once). */
  cells: BenchmarkCell[];
  /** With the last message (done or cancelled). */
  record?: BenchmarkRecord;
  error?: string;
}
