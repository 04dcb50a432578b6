// The engine: owns tfjs, the models and the jobs. The worker exposes it through comlink; the unit tests drive it
// directly in Node with a file-system loader. No DOM, no Svelte.
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../core/backend.ts';
import { benchmarkBackend, timeAttackStep, timeTrainingStep } from '../core/bench.ts';
import { type CandidateSnapshot, keptOf, splitSeeds } from '../core/attacks/attack.ts';
import { type DigitSet, concatSets, firstOfEach, imagesToTensor } from '../core/data/mnist.ts';
import { type Dataset, type DatasetId, datasetOf, pixelsPerImage } from '../core/data/datasets.ts';
import { type Manifest, findGuard, findModel, findPrior } from '../core/nets/manifest.ts';
import { type AttackDeps, type RunningAttack, seedGroups, setUpAttack, validateAttackConfig } from './attack-setup.ts';
import { TrapdoorDetector, rocAuc } from '../core/metrics/trapdoor.ts';
import { triggerImages, triggerShape } from '../core/defenses/trap-mid.ts';
import { TRAINED_MODEL_ID, UPLOADED_MODEL_ID } from './protocol.ts';
import type {
  AttackConfig, AttackSnapshot, BackendName, BenchRow, BenchmarkConfig, BenchmarkProgress, EngineApi, EngineInfo, InitOptions, JobState, PrivateSamples, ProbeResult,
  TrainingConfig, TrainingProgress, TrapdoorReference, UploadedFile, UploadedModelInfo,
} from './protocol.ts';
import { TrainingRun, validateTrainingConfig } from './training-job.ts';
import { BenchmarkRun } from './benchmark-job.ts';
import { DEFAULT_REFERENCE_PER_DIGIT, validateBenchmarkConfig } from './benchmark-record.ts';
import { type Judges, type LabelReference, type PrivateReference, buildLabelReference, buildPrivateReference, judgeImages, referenceFromFeatures } from '../core/metrics/judge.ts';
import { defenseInfo, uploadedTargetProblem } from './catalog.ts';
import type { CheckedUpload } from './uploaded-model.ts';
import { buildUploaded, loadUploadedTarget, uploadedEntry } from './uploaded-target.ts';
import { type ModelStore, type TrainedMeta, loadTrained, memoryStore, saveTrained, withTrained } from './trained-model.ts';

/** Where models and data come from: fetch in the browser, the file system in Node. */
export interface AssetLoader {
  manifest(): Promise<Manifest>;
  /** A tfjs layers model by its model.json path relative to models/. */
  model(path: string): Promise<tf.LayersModel>;
  digitSet(name: string): Promise<DigitSet>;
  /** A file under models/ (e.g. Trap-MID triggers). */
  modelFile(path: string): Promise<Uint8Array>;
  /** Where a model trained in the engine is kept (default: in memory, for this engine only). */
  trainedStore?: ModelStore;
  /**
   * The shipped evaluator's features of every 'private-train' image, in order, where they are cached (Node): the
   * benchmark's full reference. Without it the benchmark featurises a few hundred images per digit itself.
   */
  privateTrainFeatures?(): Promise<{ values: Float32Array; dim: number }>;
  /**
   * The second judge's features of every MNIST training image (all ten digits) with their labels, where they are
   * cached (Node): KNN-label accuracy's full reference on digits. Without it, a few hundred images per digit are featurised.
   */
  labelReferenceFeatures?(): Promise<{ values: Float32Array; dim: number; labels: Uint8Array }>;
}

interface Trapdoor {
  detector: TrapdoorDetector;
  reference: TrapdoorReference;
}

/** At most one progress message per this many ms (about 20 a second). */
const MIN_SNAPSHOT_INTERVAL_MS = 50;

/** What a job runs, a step at a time: an attack (one optimisation step) or a defense training (one batch). */
interface JobTask {
  /** One step; `report` when a snapshot is due after it (still throttled unless `force`). */
  step(): Promise<{ done: boolean; report: boolean; force?: boolean }>;
  /** Sends a snapshot of where the job stands. */
  send(job: Job): Promise<void>;
  /** Sends the failure. */
  fail(job: Job, message: string): void;
  dispose(): void;
}

interface Job {
  id: number;
  task: JobTask;
  status: JobState;
  /** Milliseconds spent running (paused time excluded), and when the current running stretch began. */
  activeMs: number;
  runningSince: number | null;
  lastSent: number;
  /** Resolves the running loop's wait while paused. */
  wake?: () => void;
  running: Promise<void>;
  /** The step the loop is in, if any: a pause waits for it, so its snapshot shows where the job really stopped. */
  stepping?: Promise<unknown>;
}

export class Engine implements EngineApi {
  private info?: EngineInfo;
  private manifest?: Manifest;
  private readonly models = new Map<string, tf.LayersModel>();
  private readonly loading = new Map<string, Promise<tf.LayersModel>>();
  private readonly jobs = new Map<number, Job>();
  private nextJobId = 1;
  private readonly samples = new Map<DatasetId, PrivateSamples>();
  private readonly trapdoors = new Map<string, Promise<Trapdoor>>();
  /** The benchmark's private references, by size ('all' or images per digit). */
  private readonly references = new Map<string, Promise<PrivateReference>>();
  private readonly labelReferences = new Map<string, Promise<LabelReference>>();
  private benchmarking = false;
  private readonly trainedStore: ModelStore;
  /** The model trained on the defense page and kept, if any. */
  private trained: Awaited<ReturnType<typeof loadTrained>> = null;
  /** The target the user loaded from their own files, if any: kept as checked files, so a backend change can rebuild it. */
  private uploaded: { checked: CheckedUpload; info: UploadedModelInfo } | null = null;

  constructor(private readonly loader: AssetLoader, private readonly backendOrder?: BackendName[]) {
    this.trainedStore = loader.trainedStore ?? memoryStore();
  }

  async init(options: InitOptions): Promise<EngineInfo> {
    for (const id of [...this.jobs.keys()]) await this.cancel(id);
    this.disposeModels();
    // Unless one is asked for, the fastest backend for the page's workload, timed here (a fraction of a second).
    const choice = await chooseBackend(this.backendOrder, options.backend,
      () => (options.workload === 'training' ? timeTrainingStep() : timeAttackStep()), options.remembered);
    // A browser that refuses storage (IndexedDB) simply has no kept model.
    this.trained = await loadTrained(this.trainedStore).catch(() => null);
    this.manifest = this.withUploaded(withTrained(await this.loader.manifest(), this.trained?.meta));
    this.info = { ...choice, models: [] };
    this.describeModels();
    return this.info;
  }

  /** The models init() lists: the shipped ones, and the one trained in this browser (if kept). */
  private describeModels(): void {
    this.requireInfo().models = this.requireManifest().models.map((m) => ({
      id: m.id, role: m.role, defense: m.defense, classes: m.classes, testAccuracy: m.testAccuracy, params: m.params,
      ...(m.dataset ? { dataset: m.dataset } : {}),
      ...(m.trapdoor ? { trapdoor: { alpha: m.trapdoor.alpha, trapdoorAccuracy: m.trapdoor.trapdoorAccuracy, naturalnessAuc: m.trapdoor.naturalnessAuc } } : {}),
      ...(m.id === TRAINED_MODEL_ID ? { label: `Trained in this browser: ${defenseInfo(m.defense).name}` } : {}),
      ...(m.id === UPLOADED_MODEL_ID && this.uploaded ? { label: this.uploaded.info.label } : {}),
    }));
  }

  /** The manifest with the uploaded target listed (replacing an older listing). */
  private withUploaded(manifest: Manifest): Manifest {
    const models = manifest.models.filter((m) => m.id !== UPLOADED_MODEL_ID);
    return { ...manifest, models: this.uploaded ? [...models, uploadedEntry(this.uploaded.info)] : models };
  }

  async loadUploadedModel(files: UploadedFile[]): Promise<{ uploaded: UploadedModelInfo; models: EngineInfo['models'] }> {
    const manifest = this.requireManifest();
    // Replacing the model under a live job would pull its weights away mid-step.
    if ([...this.jobs.values()].some((j) => j.status === 'running' || j.status === 'paused')) {
      throw new Error('a job is running: stop it (Reset) before loading a model');
    }
    const [sample, test] = await Promise.all([this.loader.digitSet('private-sample'), this.loader.digitSet('private-test')]);
    const { model, checked, info } = await loadUploadedTarget(files, sample, test);
    this.models.get(UPLOADED_MODEL_ID)?.dispose();
    this.models.set(UPLOADED_MODEL_ID, model);
    this.uploaded = { checked, info };
    this.manifest = this.withUploaded(manifest);
    this.describeModels();
    return { uploaded: info, models: this.requireInfo().models };
  }

  /** One real training image of each private class of a data set (shown beside the reconstructions). */
  async privateSamples(dataset?: DatasetId): Promise<PrivateSamples> {
    const ds = datasetOf(dataset);
    let samples = this.samples.get(ds.id);
    if (!samples) {
      const set = await this.dataSet(ds, ds.sampleSplit);
      const idx = firstOfEach(set, ds.privateClasses);
      const px = pixelsPerImage(ds);
      const pixels = new Float32Array(idx.length * px);
      idx.forEach((i, k) => { for (let p = 0; p < px; p++) pixels[k * px + p] = set.images[i * px + p] / 255; });
      samples = { classes: [...ds.privateClasses], pixels };
      this.samples.set(ds.id, samples);
    }
    return { classes: samples.classes, pixels: samples.pixels.slice() };
  }

  /** A named split of a data set ('private-train', 'public', ...), through the loader. */
  private dataSet(ds: Dataset, name: string): Promise<DigitSet> {
    return this.loader.digitSet(ds.assetPrefix + name);
  }



  async startAttack(config: AttackConfig, onSnapshot: (s: AttackSnapshot) => void, startPaused = false): Promise<number> {
    const { ds, deps } = await this.prepareAttack(config);
    const run = await setUpAttack(config, deps);
    const every = Math.max(1, config.snapshotEvery);
    return this.startJob({
      step: async () => {
        const { step, done } = await run.attack.step(run.state);
        return { done, report: done || step % every === 0 };
      },
      send: (job) => this.sendAttack(job, config, run, ds, onSnapshot),
      fail: (job, error) => onSnapshot({
        jobId: job.id, step: run.state.stepCount, maxSteps: run.maxSteps, classes: [], pixels: new Float32Array(0), targetConfidence: [], loss: [],
        evaluator: { predicted: [], confidence: [], top5: [] }, robust: { predicted: [], confidence: [] },
        attackAccuracy: { top1: 0, top5: 0, robustTop1: 0, bothTop1: 0 }, state: 'failed', elapsedMs: this.elapsed(job), error,
      }),
      dispose: () => run.attack.dispose(run.state),
    }, startPaused);
  }

  /** Checks an attack config and loads what its runs need (target, judges, trapdoor detector) before any clock starts. */
  private async prepareAttack(config: AttackConfig): Promise<{ ds: Dataset; deps: AttackDeps }> {
    validateAttackConfig(config);
    if (this.benchmarking) throw new Error('a benchmark is running: start the attack when it has finished');
    const entry = findModel(this.requireManifest(), config.targetId);
    if (entry.role !== 'target') throw new Error(`'${config.targetId}' is a ${entry.role}, not a target`);
    const problem = entry.id === UPLOADED_MODEL_ID ? uploadedTargetProblem(config.attack) : null;
    if (problem) throw new Error(problem);
    const target = await this.model(entry.id);
    const ds = datasetOf(entry.dataset);
    await this.judges(ds); // the first snapshot (step 0) carries their verdicts; loaded before the clock starts
    if (entry.trapdoor) await this.trapdoor(entry.id);
    return { ds, deps: this.attackDeps(target, entry.classes, ds) };
  }

  /**
   * Runs an attack to its end once per seed, without snapshots on the way (the CLI): the gradient attacks' seeds as one
   * batch (seedGroups; `batch: false` runs them one by one). One final snapshot per seed, in `seeds` order, as a
   * startAttack run with that seed ends (elapsedMs: the whole batch's time). Not a job: no pause, no cancel.
   */
  async attackSeeds(config: AttackConfig, seeds: number[], options: { batch?: boolean } = {}): Promise<AttackSnapshot[]> {
    if (seeds.length === 0) throw new Error('attackSeeds: name at least one seed');
    const { ds, deps } = await this.prepareAttack({ ...config, seed: seeds[0] });
    const out: AttackSnapshot[] = [];
    for (const group of seedGroups(config.attack, seeds, options.batch ?? true)) {
      const t0 = performance.now();
      const run = await setUpAttack({ ...config, seed: group[0] }, deps, group);
      try {
        while (!(await run.attack.step(run.state)).done);
        const snaps = splitSeeds(await run.attack.snapshot(run.state), group.length);
        const elapsedMs = performance.now() - t0;
        for (const snap of snaps) out.push(await this.attackSnapshot(0, 'done', elapsedMs, { ...config, seed: group[0] }, run, ds, snap));
      } finally {
        run.attack.dispose(run.state);
      }
    }
    return out;
  }

  /** What setUpAttack loads through the engine's caches (priors, students, public digits). */
  private attackDeps(target: tf.LayersModel, targetClasses: number[], ds: Dataset): AttackDeps {
    return {
      target, targetClasses, dataset: ds,
      prior: async (id) => {
        const p = findPrior(this.requireManifest(), id);
        return {
          generator: await this.model(p.generator.path), discriminator: p.discriminator && await this.model(p.discriminator.path),
          // LOKT's surrogate classifiers, and the label queries its training spent.
          ...(p.surrogates ? { surrogates: await Promise.all(p.surrogates.map((s) => this.model(s.path))), queries: p.queries } : {}),
        };
      },
      students: async (targetId, knowledge) => {
        const ids = this.requireManifest().models.filter((m) => m.role === 'student' && m.id.startsWith(`student-${targetId}-${knowledge}-`)).map((m) => m.id);
        return Promise.all(ids.map((id) => this.model(id)));
      },
      publicSet: async (knowledge) => {
        const pub = await this.dataSet(ds, 'public');
        return knowledge === 'disjoint' ? pub : concatSets(pub, await this.dataSet(ds, 'writers-public-half'));
      },
      privateTest: () => this.dataSet(ds, 'private-test'),
      guard: async (id) => this.model(findGuard(this.requireManifest(), id).network.path),
      trapdoorRecipe: (id) => {
        const t = this.requireManifest().models.find((m) => m.id === id)?.trapdoor;
        return t && { injection: t.injection, alpha: t.alpha };
      },
    };
  }

  async startBenchmark(config: BenchmarkConfig, onProgress: (p: BenchmarkProgress) => void, startPaused = false): Promise<number> {
    const manifest = this.requireManifest();
    const targets = new Map(manifest.models.filter((m) => m.role === 'target').map((m) => [m.id, m]));
    validateBenchmarkConfig(config, [...targets.values()]);
    // Every row is a target of this data set (checked above): its judges and private images are the references.
    const ds = datasetOf(config.dataset);
    if (this.benchmarking) throw new Error('a speed benchmark is running: start when it has finished');
    const info = this.requireInfo();
    let job: Job | undefined;
    const run = new BenchmarkRun(config, {
      targets, backend: info.backend, adapter: info.adapter, fatal: isDeviceLoss,
      hasPrior: (id) => (manifest.priors ?? []).some((p) => p.id === id),
      setUp: async (c, seeds) => {
        const entry = targets.get(c.targetId)!;
        return setUpAttack(c, this.attackDeps(await this.model(entry.id), entry.classes, ds), seeds);
      },
      judges: () => this.judges(ds),
      reference: () => this.privateReference(ds, config.referencePerDigit),
      labelReference: () => this.labelReference(ds, config.referencePerDigit),
      trapdoorScores: async (targetId, pixels) => {
        if (!targets.get(targetId)?.trapdoor) return null;
        const { detector } = await this.trapdoor(targetId);
        const x = tf.tensor4d(pixels, [pixels.length / (ds.side * ds.side), ds.side, ds.side, 1]);
        try {
          return { scores: (await detector.score(x)).map((s) => s.score), threshold: detector.threshold };
        } finally {
          x.dispose();
        }
      },
    }, () => (job ? this.elapsed(job) : 0));
    try {
      return await this.startJob({
        step: () => run.step(),
        send: async (j) => onProgress(run.progress(j.id, j.status)),
        fail: (j, error) => onProgress(run.failed(j.id, error)),
        dispose: () => run.dispose(),
      }, startPaused, (j) => (job = j));
    } catch (e) {
      run.dispose();
      throw e;
    }
  }

  /**
   * A data set's private training images with its evaluator's features, built once per data set and size. MNIST: every
   * image where the loader has their features cached (Node), else the first `perDigit` of each digit, featurised here
   * (the browser). The faces' 160 (8 per person) are few enough to featurise every time; a size of 8 or more per
   * person is all of them, and the reference says so (perDigit null).
   */
  private privateReference(ds: Dataset, perDigit?: number): Promise<PrivateReference> {
    const cached = ds.id === 'mnist' && perDigit === undefined && this.loader.privateTrainFeatures !== undefined;
    const n = perDigit ?? (ds.id === 'mnist' ? DEFAULT_REFERENCE_PER_DIGIT : Infinity);
    const key = `${ds.id}-${cached ? 'all' : String(n)}`;
    let p = this.references.get(key);
    if (!p) {
      p = (async () => {
        const set = await this.dataSet(ds, 'private-train');
        if (cached) {
          const f = await this.loader.privateTrainFeatures!();
          return referenceFromFeatures(set, f.values, f.dim);
        }
        const ref = await buildPrivateReference((await this.judges(ds)).evaluator.model, set, n, ds.privateClasses);
        // Every private image taken (the faces, or a size past what a class has): the whole set, not a subset.
        return ref.set.count === set.count ? { ...ref, perDigit: null } : ref;
      })();
      p.catch(() => this.references.delete(key));
      this.references.set(key, p);
    }
    return p;
  }

  /**
   * Training images of every class (private and public) in the second judge's feature space, built once per data set
   * and size. MNIST: every training image where the loader has their features cached (Node), else the first
   * `perDigit` of each private and public digit. The faces' 360 (160 private training photos, 200 public ones) are
   * few: all of them are featurised here, once (perDigit null).
   */
  private labelReference(ds: Dataset, perDigit?: number): Promise<LabelReference> {
    const all = ds.id === 'mnist' && perDigit === undefined && this.loader.labelReferenceFeatures !== undefined;
    const n = perDigit ?? (ds.id === 'mnist' ? DEFAULT_REFERENCE_PER_DIGIT : Infinity);
    const key = `${ds.id}-labels-${all ? 'all' : String(n)}`;
    let p = this.labelReferences.get(key);
    if (!p) {
      p = (async () => {
        if (all) {
          const f = await this.loader.labelReferenceFeatures!();
          return { features: f.values, labels: f.labels, dim: f.dim, perDigit: null };
        }
        const judge = (await this.judges(ds)).robust;
        if (!judge) throw new Error(`models/manifest.json has no second judge for the ${ds.title}, so no KNN-label reference`);
        const sets = await Promise.all([this.dataSet(ds, 'private-train'), this.dataSet(ds, 'public')]);
        const ref = await buildLabelReference(judge.model, sets, n);
        // Every image taken (the faces, or a size past what a class has): the whole sets, not a subset.
        return ref.labels.length === sets[0].count + sets[1].count ? { ...ref, perDigit: null } : ref;
      })();
      p.catch(() => this.labelReferences.delete(key));
      this.labelReferences.set(key, p);
    }
    return p;
  }

  async startTraining(config: TrainingConfig, onProgress: (p: TrainingProgress) => void, startPaused = false): Promise<number> {
    validateTrainingConfig(config);
    if (this.benchmarking) throw new Error('a benchmark is running: start training when it has finished');
    const backend = this.requireInfo().backend;
    const ds = datasetOf(config.dataset);
    const [train, test] = await Promise.all([this.dataSet(ds, 'private-train'), this.dataSet(ds, 'private-test')]);
    // TL-DMI pretrains on the public classes (the attacker's own data).
    const pub = config.defense === 'tl-dmi' ? await this.dataSet(ds, 'public') : undefined;
    let job: Job | undefined;
    const run = new TrainingRun(config, train, test, () => (job ? this.elapsed(job) : 0), pub);
    try {
      return await this.startJob({
        step: async () => {
          const r = await run.step();
          if (r.done) await this.keepTrained(run, backend);
          return r;
        },
        send: async (j) => onProgress(await run.progress(j.id, j.status)),
        fail: (j, error) => onProgress(run.failed(j.id, error)),
        dispose: () => run.dispose(),
      }, startPaused, (j) => (job = j));
    } catch (e) {
      run.dispose();
      throw e;
    }
  }

  /** Registers a job, sends its first snapshot and starts its loop (which waits while paused). */
  private async startJob(task: JobTask, startPaused: boolean, created?: (job: Job) => void): Promise<number> {
    const job: Job = {
      id: this.nextJobId++, task, status: startPaused ? 'paused' : 'running',
      activeMs: 0, runningSince: startPaused ? null : performance.now(), lastSent: 0, running: Promise.resolve(),
    };
    created?.(job);
    this.jobs.set(job.id, job);
    try {
      await this.send(job, true);
    } catch (e) {
      this.jobs.delete(job.id);
      throw e;
    }
    job.running = this.loop(job);
    return job.id;
  }

  /** Keeps a finished training's model for the attack page, listed from now on as TRAINED_MODEL_ID. */
  private async keepTrained(run: TrainingRun, backend: string): Promise<void> {
    try {
      await saveTrained(this.trainedStore, run.trainer.model, await run.meta(backend));
      this.trained = await loadTrained(this.trainedStore);
    } catch (e) {
      throw new Error(`training finished, but the model could not be kept in this browser: ${(e as Error).message}`);
    }
    this.models.get(TRAINED_MODEL_ID)?.dispose();
    this.models.delete(TRAINED_MODEL_ID);
    this.trapdoors.delete(TRAINED_MODEL_ID);
    this.manifest = withTrained(this.requireManifest(), this.trained?.meta);
    this.describeModels();
    run.savedAs = TRAINED_MODEL_ID;
  }

  /**
   * Pauses between steps and sends a snapshot of where the job stopped: after the step in flight, if any (else a
   * step finishing after the paused snapshot would move the job on while the page shows the step before).
   */
  async pause(jobId: number): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job?.status !== 'running') return;
    job.status = 'paused';
    this.stopClock(job);
    await job.stepping?.catch(() => undefined);
    if (job.status !== 'paused') return; // it finished or failed in that step, and said so
    await this.send(job, true).catch((e) => this.fail(job, e));
  }

  async resume(jobId: number): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job?.status !== 'paused') return;
    job.status = 'running';
    job.runningSince = performance.now();
    job.wake?.();
  }

  async step(jobId: number): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'paused') return;
    const t0 = performance.now();
    try {
      const { done } = await job.task.step();
      if (done) job.status = 'done';
      job.activeMs += performance.now() - t0;
      await this.send(job, true);
    } catch (e) {
      await this.fail(job, e);
    }
    // Ended jobs free their tensors; the loop waiting on a paused job is woken so it can exit.
    const ended = job.status as JobState; // fail() may have changed it
    if (ended === 'done' || ended === 'failed') { job.wake?.(); this.finish(job); }
  }

  async cancel(jobId: number): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) return;
    if (job.status === 'running' || job.status === 'paused') job.status = 'cancelled';
    job.wake?.();
    await job.running;
  }

  async trapdoorReference(targetId: string): Promise<TrapdoorReference> {
    const { reference } = await this.trapdoor(targetId);
    return { ...reference, triggers: reference.triggers.slice() };
  }

  /** Detector and reference scores of a Trap-MID target, built once (signatures from 64 private images per class). */
  private trapdoor(targetId: string): Promise<Trapdoor> {
    let p = this.trapdoors.get(targetId);
    if (!p) {
      p = (async () => {
        const entry = findModel(this.requireManifest(), targetId);
        if (!entry.trapdoor) throw new Error(`'${targetId}' has no trapdoor (only Trap-MID targets do)`);
        const info = entry.trapdoor;
        const bytes = targetId === TRAINED_MODEL_ID ? trainedTriggerBytes(this.trained?.meta) : await this.loader.modelFile(info.triggers);
        const k = entry.classes.length, ds = datasetOf(entry.dataset);
        // blend / ink / stroke: k images; warp: k coarse displacement grids; ted: k masks and patterns (trap-mid.ts).
        const shape = triggerShape(info.injection, k, ds.side), size = shape.reduce((a, b) => a * b, 1);
        if (bytes.byteLength !== size * 4) throw new Error(`${info.triggers}: ${bytes.byteLength} bytes, expected ${size * 4}`);
        const triggers = tf.tensor4d(new Float32Array(bytes.slice().buffer), shape);
        // What the pages show: one picture per class, in [0, 1].
        const shown = triggerImages(triggers, info.injection, info.alpha, ds.side);
        const triggerValues = Float32Array.from(await shown.data() as Float32Array);
        shown.dispose();
        try {
          const reference = await this.dataSet(ds, ds.sampleSplit);
          const detector = await TrapdoorDetector.build(await this.model(targetId), triggers, info.alpha, info.injection, reference);
          const classOf = (d: number) => entry.classes.indexOf(d);
          const triggered = await detector.triggeredScores(reference, classOf, triggers, info.alpha, info.injection);
          const pub = await this.dataSet(ds, 'public');
          const x = imagesToTensor(pub, Array.from({ length: Math.min(320, pub.count) }, (_, i) => i * 97 % pub.count));
          const publicScores = (await detector.score(x)).map((s) => s.score);
          x.dispose();
          return { detector, reference: { targetId, threshold: detector.threshold, clean: detector.cleanScores, triggered, public: publicScores, triggers: triggerValues, alpha: info.alpha } };
        } finally {
          triggers.dispose();
        }
      })();
      p.catch(() => this.trapdoors.delete(targetId));
      this.trapdoors.set(targetId, p);
    }
    return p;
  }

  async benchmark(onRow: (row: BenchRow) => void, options: { includeStock?: boolean; repeats?: number } = {}): Promise<BenchRow[]> {
    const info = this.requireInfo();
    // One at a time, and no attack beside it: the stock-kernel measurements swap the backend's kernels.
    if (this.benchmarking) throw new Error('a benchmark is already running');
    this.benchmarking = true;
    const paused = [...this.jobs.values()].filter((j) => j.status === 'running').map((j) => j.id);
    try {
      for (const id of paused) await this.pause(id);
      const data = await this.loader.digitSet('private-sample');
      return await benchmarkBackend({
        backend: info.backend, adapter: info.adapter, data, classOf: (d) => (d <= 4 ? d : -1),
        target: await this.model('target-none'), includeStock: options.includeStock ?? info.backend !== 'cpu',
        repeats: options.repeats ?? 3, onRow,
      });
    } finally {
      this.benchmarking = false;
      for (const id of paused) await this.resume(id);
    }
  }

  async probe(targetId: string, pixels: Float32Array): Promise<ProbeResult> {
    const entry = findModel(this.requireManifest(), targetId);
    const side = datasetOf(entry.dataset).side, px = side * side;
    if (!(pixels instanceof Float32Array)) throw new Error(`probe: the image must be a Float32Array of ${px} pixels`);
    if (pixels.length !== px) throw new Error(`probe: the image has ${pixels.length} pixels, expected ${px} (${side} x ${side})`);
    const bad = pixels.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new Error(`probe: pixel ${bad} is ${pixels[bad]}, expected a value in [0, 1]`);
    if (this.benchmarking) throw new Error('a speed benchmark is running: probe when it has finished');
    if (entry.role !== 'target') throw new Error(`'${targetId}' is a ${entry.role}, not a target`);
    const target = await this.model(entry.id);
    const detector = entry.trapdoor ? (await this.trapdoor(entry.id)).detector : undefined;
    const x = tf.tensor4d(pixels, [1, side, side, 1]);
    try {
      const probs = tf.tidy(() => tf.softmax(target.predict(x) as tf.Tensor2D));
      const probabilities = Array.from(await probs.data());
      probs.dispose();
      const best = probabilities.indexOf(Math.max(...probabilities));
      const scored = detector ? (await detector.score(x))[0] : undefined;
      return {
        targetId, classes: [...entry.classes], probabilities, predicted: entry.classes[best],
        ...(scored ? { trapdoor: { score: scored.score, threshold: detector!.threshold, flagged: scored.score > detector!.threshold } } : {}),
      };
    } finally {
      x.dispose();
    }
  }

  async numTensors(): Promise<number> {
    return tf.memory().numTensors;
  }

  /** Runs steps while the job is running; waits while paused; stops on done, cancel or failure. */
  private async loop(job: Job): Promise<void> {
    try {
      for (;;) {
        if (job.status === 'paused') {
          await new Promise<void>((r) => (job.wake = r));
          job.wake = undefined;
          continue;
        }
        if (!this.jobs.has(job.id)) return; // ended by a manual step
        if (job.status !== 'running') break;
        const stepping = job.task.step();
        job.stepping = stepping;
        const { done, report, force } = await stepping.finally(() => { job.stepping = undefined; });
        if (done) { job.status = 'done'; this.stopClock(job); }
        // A pause that came during the step sends the snapshot itself.
        if (report && (job.status as JobState) !== 'paused') await this.send(job, done || force === true);
        // Yield so pause / cancel messages get through.
        await new Promise((r) => setTimeout(r, 0));
      }
    } catch (e) {
      await this.fail(job, e);
    }
    this.stopClock(job);
    if (job.status === 'cancelled') await this.send(job, true).catch(() => undefined);
    this.finish(job);
  }

  private stopClock(job: Job): void {
    if (job.runningSince !== null) job.activeMs += performance.now() - job.runningSince;
    job.runningSince = null;
  }

  private elapsed(job: Job): number {
    return job.activeMs + (job.runningSince !== null ? performance.now() - job.runningSince : 0);
  }

  private finish(job: Job): void {
    if (!this.jobs.has(job.id)) return;
    job.task.dispose();
    this.jobs.delete(job.id);
  }

  private async fail(job: Job, e: unknown): Promise<void> {
    job.status = 'failed';
    this.stopClock(job);
    const message = (e as Error)?.message ?? String(e);
    job.task.fail(job, isDeviceLoss(message) ? `The GPU device was lost (${message}). Switch to another backend and run again.` : message);
  }

  /** A snapshot of the job, throttled to ~20 messages a second (final snapshots always go). */
  private async send(job: Job, force: boolean): Promise<void> {
    const now = performance.now();
    if (!force && now - job.lastSent < MIN_SNAPSHOT_INTERVAL_MS) return;
    job.lastSent = now;
    await job.task.send(job);
  }

  /** An attack's snapshot, with the evaluator's verdict (and trapdoor scores against a Trap-MID target). */
  private async sendAttack(job: Job, config: AttackConfig, run: RunningAttack, ds: Dataset, onSnapshot: (s: AttackSnapshot) => void): Promise<void> {
    const snap = await run.attack.snapshot(run.state);
    onSnapshot(await this.attackSnapshot(job.id, job.status, this.elapsed(job), config, run, ds, snap));
  }

  /** The message of an attack's candidate snapshot: kept reconstructions, the judges' verdicts, trapdoor scores. */
  private async attackSnapshot(
    jobId: number, state: JobState, elapsedMs: number, config: AttackConfig, run: RunningAttack, ds: Dataset, snap: CandidateSnapshot,
  ): Promise<AttackSnapshot> {
    const kept = keptOf(snap);
    const verdict = await judgeImages(await this.judges(ds), kept.pixels, kept.classes);
    let trapdoor: AttackSnapshot['trapdoor'];
    if (this.trapdoors.has(config.targetId)) {
      const { detector, reference } = await this.trapdoor(config.targetId);
      const x = tf.tensor4d(kept.pixels, [kept.classes.length, ds.side, ds.side, 1]);
      const scores = (await detector.score(x)).map((s) => s.score);
      x.dispose();
      trapdoor = {
        scores, threshold: detector.threshold, flaggedShare: scores.filter((v) => v > detector.threshold).length / scores.length,
        aucVsPublic: rocAuc(scores, reference.public),
      };
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    const population = snap.classes.length > snap.kept.length;
    return {
      jobId, step: snap.step, maxSteps: run.maxSteps, classes: kept.classes, pixels: kept.pixels,
      targetConfidence: kept.targetConfidence, loss: snap.kept.map((i) => snap.loss[i]), evaluator: verdict.evaluator, robust: verdict.robust,
      attackAccuracy: verdict.accuracy, trapdoor, state, elapsedMs,
      ...(population ? { candidates: { classes: snap.classes, pixels: snap.pixels, score: snap.targetConfidence, kept: snap.kept } } : {}),
      ...(snap.terms ? { terms: { identity: mean(snap.terms.identity), prior: mean(snap.terms.prior) } } : {}),
      ...(snap.queries !== undefined ? { queries: snap.queries } : {}),
      ...(snap.radius ? { radius: snap.radius } : {}),
      ...(snap.victims ? { victims: snap.victims } : {}),
      ...(snap.estimate ? { estimate: snap.estimate } : {}),
    };
  }

  /**
   * A data set's judges (each loaded once): its evaluator, and its adversarially trained second judge where one is
   * shipped. Found in the manifest by role and data set (the second judge is the evaluator with a robustness record).
   */
  private async judges(ds: Dataset): Promise<Judges> {
    const manifest = this.requireManifest();
    const mine = manifest.models.filter((m) => m.role === 'evaluator' && datasetOf(m.dataset).id === ds.id);
    const ev = mine.find((m) => !m.robustness), rb = mine.find((m) => m.robustness);
    if (!ev) throw new Error(`models/manifest.json has no evaluator for the ${ds.title}`);
    const [evaluator, robust] = await Promise.all([this.model(ev.id), rb ? this.model(rb.id) : undefined]);
    return { evaluator: { model: evaluator, classes: ev.classes }, ...(rb && robust ? { robust: { model: robust, classes: rb.classes } } : {}) };
  }

  /**
   * A shipped model by manifest id, or any model by its path under models/ (a path contains '/'). Callers that ask
   * while it is still loading share the one download.
   */
  private model(id: string): Promise<tf.LayersModel> {
    const loaded = this.models.get(id);
    if (loaded) return Promise.resolve(loaded);
    let p = this.loading.get(id);
    if (!p) {
      const load: Promise<tf.LayersModel> = this.loadModel(id).then((m) => {
        // Kept unless the engine was re-initialised (models cleared) while it loaded.
        if (this.loading.get(id) === load) this.models.set(id, m);
        return m;
      }).finally(() => { if (this.loading.get(id) === load) this.loading.delete(id); });
      this.loading.set(id, load);
      p = load;
    }
    return p;
  }

  private async loadModel(id: string): Promise<tf.LayersModel> {
    const entry = id.includes('/') ? { path: id } : findModel(this.requireManifest(), id);
    try {
      return id === TRAINED_MODEL_ID && this.trained
        ? await tf.loadLayersModel(tf.io.fromMemory(this.trained.artifacts))
        : id === UPLOADED_MODEL_ID && this.uploaded
          ? (await buildUploaded(this.uploaded.checked)).model
          : await this.loader.model(entry.path);
    } catch (e) {
      throw new Error(`model '${id}' could not be loaded from models/${entry.path}: ${(e as Error).message}`);
    }
  }

  private requireInfo(): EngineInfo {
    if (!this.info) throw new Error('the engine is not initialised: call init() first');
    return this.info;
  }

  private requireManifest(): Manifest {
    if (!this.manifest) throw new Error('the engine is not initialised: call init() first');
    return this.manifest;
  }

  private disposeModels(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
    this.loading.clear();
    this.trapdoors.clear();
    this.references.clear();
    this.labelReferences.clear();
  }
}

/** The kept model's Trap-MID triggers as the bytes of a shipped triggers.bin (float32). */
function trainedTriggerBytes(meta: TrainedMeta | undefined): Uint8Array {
  if (!meta?.trapdoor) throw new Error('the model trained in this browser has no trapdoor');
  return new Uint8Array(Float32Array.from(meta.trapdoor.triggerValues).buffer);
}

/** WebGPU's and WebGL's ways of saying the device or context is gone (Dawn, Chromium, tfjs). */
function isDeviceLoss(message: string): boolean {
  return /device (was |is )?lost|device.*destroyed|external Instance reference no longer exists|context (was )?lost|CONTEXT_LOST/i.test(message);
}

