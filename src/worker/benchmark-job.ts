// The benchmark grid as an engine job (benchmark.html and `npm run mi -- bench` both run it through the engine):
// every cell (defense = a target, x attack) runs its seeds through setUpAttack, the code the attack lab and the
// CLI use, one attack step per job step, so pause and cancel answer between steps. The gradient attacks run all seeds
// of a cell as one batch, each seed's candidates those of its own run; the others one seed after another (seedGroups;
// the config's `batchSeeds: false` runs every attack one seed at a time). When a cell's last seed ends, its
// kept reconstructions are judged by both judges and scored against the references (core/metrics/judge.ts),
// and the cell is sent once. Cells whose GAN prior is not shipped are reported as such and never run.
import { keptOf, splitSeeds } from '../core/attacks/attack.ts';
import { type Judges, type LabelReference, type PrivateReference, judgeImages, knnLabels, referenceImage, scoreReconstructions } from '../core/metrics/judge.ts';
import type { ModelEntry } from '../core/nets/manifest.ts';
import { type RunningAttack, seedGroups } from './attack-setup.ts';
import { encodeGray } from './benchmark-record.ts';
import { ATTACKS, attackInfo, datasetOf, knobValues, priorId } from './catalog.ts';
import {
  DEFAULT_MI_FACE, type AttackConfig, type AttackId, type BenchmarkCell, type BenchmarkConfig, type BenchmarkFigures, type BenchmarkImage,
  type BenchmarkProgress, type BenchmarkRecord, type JobState,
} from './protocol.ts';

/** What the runner needs from the engine (models and data come from its caches). */
export interface BenchmarkDeps {
  /** The rows' manifest entries, by id. */
  targets: Map<string, ModelEntry>;
  hasPrior(id: string): boolean;
  /** Sets an attack up exactly as startAttack does, for `seeds` as one batch (default: the config's seed). */
  setUp(config: AttackConfig, seeds?: number[]): Promise<RunningAttack>;
  /** The config's data set's judges: its evaluator and its second judge. */
  judges(): Promise<Judges>;
  /** Trapdoor detection scores of images (n x side x side) against a Trap-MID target; null for a target without a trapdoor. */
  trapdoorScores(targetId: string, pixels: Float32Array): Promise<{ scores: number[]; threshold: number } | null>;
  reference(): Promise<PrivateReference>;
  /** Training images of every class, private and public, in the second judge's feature space (KNN-label accuracy); asked only with a second judge. */
  labelReference(): Promise<LabelReference>;
  /** Errors that end the whole job (a lost GPU device) rather than one cell. */
  fatal(message: string): boolean;
  backend: string;
  adapter?: string;
}

/** The attack config of one run of a cell: the budget's knobs, the steps override, and no snapshots until the end. */
export function benchmarkAttackConfig(attack: AttackId, targetId: string, c: BenchmarkConfig, seed: number): AttackConfig {
  // The data set's own knob defaults (MI-Face on faces: no L2 pull towards a black background).
  const params = knobValues(attack, c.budget, datasetOf(c.dataset).id);
  if (c.steps !== undefined) params.steps = c.steps;
  const snapshotEvery = Number.MAX_SAFE_INTEGER;
  if (attack === 'mi-face') {
    return { ...DEFAULT_MI_FACE, targetId, steps: params.steps, learningRate: params.learningRate, tv: params.tv, l2: params.l2, seed, snapshotEvery };
  }
  // The output defense and the query budget apply to the attacks that query the target.
  const queries = attackInfo(attack).usesOutputDefense;
  return {
    attack, targetId, knowledge: c.knowledge, params, outputDefense: queries ? c.outputDefense ?? 'none' : 'none', seed, snapshotEvery,
    ...(queries && c.queryBudget !== undefined ? { queryBudget: c.queryBudget } : {}),
  };
}

interface Cell {
  defense: string;
  attack: AttackId;
  steps: number;
  prior?: string;
  /** Set once the cell is finished (sent with the next message). */
  result?: BenchmarkCell;
}

/** What the kept reconstructions of one run add to its cell. */
interface Kept { seed: number; classes: number[]; pixels: Float32Array; targetConfidence: number[]; queries?: number }

export class BenchmarkRun {
  private readonly cells: Cell[];
  private readonly unsent: BenchmarkCell[] = [];
  private reference?: PrivateReference;
  private judges?: Judges;
  private labelReference?: LabelReference;
  /** The cell running now, its runs (seeds run together: seedGroups), the run now, and what the cell's earlier seeds kept. */
  private cellIndex = 0;
  private groups?: number[][];
  private groupIndex = 0;
  private running?: RunningAttack;
  private kept: Kept[] = [];
  private cellMs = 0;
  private workDone = 0;
  private readonly workTotal: number;
  /** Active milliseconds and steps spent per attack: the time-left estimate. */
  private readonly spent = new Map<AttackId, { ms: number; steps: number }>();
  private readonly started = new Date().toISOString();

  /** `clock` gives the job's active milliseconds (paused time excluded). */
  constructor(readonly config: BenchmarkConfig, private readonly deps: BenchmarkDeps, private readonly clock: () => number) {
    this.cells = config.defenses.flatMap((defense) => config.attacks.map((attack): Cell => {
      const info = attackInfo(attack);
      const steps = benchmarkAttackConfig(attack, defense, config, 0);
      const cell: Cell = { defense, attack, steps: steps.attack === 'mi-face' ? steps.steps : steps.params.steps };
      if (info.prior !== 'none') {
        cell.prior = priorId(info.prior, config.knowledge, defense, datasetOf(config.dataset).id);
        if (!deps.hasPrior(cell.prior)) {
          cell.result = {
            defense, attack, status: 'no-prior', note: `no prior for this target (${cell.prior} is not shipped)`, prior: cell.prior,
            steps: cell.steps, seeds: [], seconds: 0,
          };
          this.unsent.push(cell.result);
        }
      }
      return cell;
    }));
    this.workTotal = this.cells.reduce((s, c) => s + (c.result ? 0 : c.steps * config.seeds.length), 0);
  }

  /** One unit of work: the reference (first), setting a run up, one attack step, or judging a finished cell. */
  async step(): Promise<{ done: boolean; report: boolean; force?: boolean }> {
    if (!this.reference) {
      this.judges = await this.deps.judges();
      // KNN-label accuracy lives in the second judge's feature space: no second judge, no KNN-label.
      this.labelReference = this.judges.robust ? await this.deps.labelReference() : undefined;
      this.reference = await this.deps.reference();
      return { done: this.nextCell() === undefined, report: true, force: true };
    }
    const cell = this.nextCell();
    if (!cell) return { done: true, report: true };
    const t0 = this.clock();
    let finished = false;
    try {
      finished = await this.advance(cell);
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (this.deps.fatal(message)) throw e;
      // The cell's remaining steps count as done, so the progress bar still reaches its end.
      this.workDone += cell.steps * (this.config.seeds.length - this.seedsDone()) - this.doneInRun();
      this.disposeRunning();
      this.finishCell(cell, { status: 'failed', note: message });
      finished = true;
    }
    const ms = this.clock() - t0;
    this.cellMs += ms;
    const s = this.spent.get(cell.attack) ?? { ms: 0, steps: 0 };
    this.spent.set(cell.attack, { ms: s.ms + ms, steps: s.steps });
    return { done: this.nextCell() === undefined, report: true, force: finished };
  }

  /** Sets up, steps or ends the current run of `cell`; true when the cell has finished. */
  private async advance(cell: Cell): Promise<boolean> {
    this.groups ??= seedGroups(cell.attack, this.config.seeds, this.config.batchSeeds ?? true);
    const seeds = this.groups[this.groupIndex];
    if (!this.running) {
      this.running = await this.deps.setUp(benchmarkAttackConfig(cell.attack, cell.defense, this.config, seeds[0]), seeds);
      return false;
    }
    const run = this.running;
    const { done } = await run.attack.step(run.state);
    // Work is counted in seed-steps: a step of a batch of seeds is that many.
    this.workDone += seeds.length;
    const s = this.spent.get(cell.attack) ?? { ms: 0, steps: 0 };
    this.spent.set(cell.attack, { ms: s.ms, steps: s.steps + seeds.length });
    if (!done) return false;
    // An attack may stop before its budget (e.g. every BREP-MI sphere at its limit): the rest counts as done.
    this.workDone += Math.max(0, cell.steps - run.state.stepCount) * seeds.length;
    const snaps = splitSeeds(await run.attack.snapshot(run.state), seeds.length);
    snaps.forEach((snap, i) => {
      const k = keptOf(snap);
      this.kept.push({ seed: seeds[i], classes: k.classes, pixels: k.pixels, targetConfidence: k.targetConfidence, queries: snap.queries });
    });
    this.disposeRunning();
    this.groupIndex++;
    if (this.groupIndex < this.groups.length) return false;
    this.finishCell(cell, await this.judge(cell.defense));
    return true;
  }

  /** Seeds of the current cell whose runs have ended. */
  private seedsDone(): number {
    return (this.groups ?? []).slice(0, this.groupIndex).reduce((n, g) => n + g.length, 0);
  }

  /** Seed-steps done in the run now (a batch's step counts once per seed). */
  private doneInRun(): number {
    return this.running ? this.running.state.stepCount * this.running.seeds.length : 0;
  }

  /** Both judges' verdicts, KNN labels and the quality record of the cell's kept reconstructions. */
  private async judge(targetId: string): Promise<Pick<BenchmarkCell, 'status' | 'metrics' | 'perClass' | 'images'>> {
    const judges = this.judges!, ref = this.reference!;
    const digits = this.kept.flatMap((k) => k.classes);
    const px = this.kept.length ? this.kept[0].pixels.length / this.kept[0].classes.length : 784;
    const pixels = new Float32Array(digits.length * px);
    let o = 0;
    for (const k of this.kept) { pixels.set(k.pixels, o); o += k.pixels.length; }
    const verdict = await judgeImages(judges, pixels, digits);
    const knn = judges.robust && this.labelReference ? await knnLabels(judges.robust.model, pixels, digits, this.labelReference) : undefined;
    const quality = await scoreReconstructions(judges.evaluator.model, pixels, digits, ref);
    const seeds = this.kept.flatMap((k) => k.classes.map(() => k.seed));
    const confidence = this.kept.flatMap((k) => k.targetConfidence);
    const images = digits.map((digit, i): BenchmarkImage => {
      const q = quality.perImage[i];
      return {
        digit, seed: seeds[i], pixels: encodeGray(pixels.subarray(i * px, (i + 1) * px)), nearest: encodeGray(referenceImage(ref, q.nearestPrivateIndex), 1),
        nearestPrivateIndex: q.nearestPrivateIndex, targetConfidence: confidence[i],
        evaluator: { predicted: verdict.evaluator.predicted[i], confidence: verdict.evaluator.confidence[i], top5: verdict.evaluator.top5[i] },
        ...(verdict.robust ? { robust: { predicted: verdict.robust.predicted[i], confidence: verdict.robust.confidence[i] } } : {}),
        ...(knn ? { knnLabel: knn.labels[i] } : {}),
        knnDistance: q.knnDistance, psnr: q.psnr, ssim: q.ssim,
      };
    });
    const figures = (of: BenchmarkImage[]): Omit<BenchmarkFigures, 'prdc' | 'prdcReason'> => {
      const mean = (f: (im: BenchmarkImage) => number) => of.reduce((s, im) => s + f(im), 0) / of.length;
      return {
        images: of.length, top1: mean((im) => Number(im.evaluator.predicted === im.digit)), top5: mean((im) => Number(im.evaluator.top5.includes(im.digit))),
        ...(verdict.robust ? {
          robustTop1: mean((im) => Number(im.robust!.predicted === im.digit)),
          bothTop1: mean((im) => Number(im.evaluator.predicted === im.digit && im.robust!.predicted === im.digit)),
        } : {}),
        ...(knn ? {
          knnLabelAccuracy: mean((im) => Number(im.knnLabel === im.digit)),
          // Synthetic distribution analysis (Trap-MID's Table 7): nearest training image a public one (a digit not private).
          publicNearest: mean((im) => Number(!datasetOf(this.config.dataset).privateClasses.includes(im.knnLabel!))),
        } : {}),
        knnDistance: mean((im) => im.knnDistance), psnr: mean((im) => im.psnr), ssim: mean((im) => im.ssim),
      };
    };
    const queries = this.kept.map((k) => k.queries).filter((q): q is number => q !== undefined);
    const trap = await this.deps.trapdoorScores(targetId, pixels);
    if (trap) images.forEach((im, i) => { im.trapdoorScore = trap.scores[i]; });
    return {
      status: 'done', images,
      metrics: {
        ...figures(images), prdc: quality.prdcPooled.prdc, ...(quality.prdcPooled.reason ? { prdcReason: quality.prdcPooled.reason } : {}),
        fid: quality.fid, ...(quality.fidReason ? { fidReason: quality.fidReason } : {}),
        meanTargetConfidence: confidence.reduce((a, b) => a + b, 0) / confidence.length,
        ...(queries.length ? { queriesPerRun: queries.reduce((a, b) => a + b, 0) / queries.length } : {}),
        ...(trap ? {
          trapdoor: {
            flaggedShare: trap.scores.filter((s) => s > trap.threshold).length / trap.scores.length,
            meanScore: trap.scores.reduce((a, b) => a + b, 0) / trap.scores.length, threshold: trap.threshold,
          },
        } : {}),
      },
      perClass: quality.prdcPerClass.map(({ digit, prdc, reason }) => ({
        digit, ...figures(images.filter((im) => im.digit === digit)), prdc, ...(reason ? { prdcReason: reason } : {}),
      })),
    };
  }

  private finishCell(cell: Cell, r: Pick<BenchmarkCell, 'status'> & Partial<BenchmarkCell>): void {
    cell.result = {
      defense: cell.defense, attack: cell.attack, ...(cell.prior ? { prior: cell.prior } : {}), steps: cell.steps,
      seeds: this.kept.map((k) => k.seed), seconds: Number((this.cellMs / 1000).toFixed(2)), ...r,
    };
    this.unsent.push(cell.result);
    this.kept = [];
    this.groups = undefined;
    this.groupIndex = 0;
    this.cellMs = 0;
  }

  /** The first cell not finished yet (undefined when the grid is done). */
  private nextCell(): Cell | undefined {
    while (this.cellIndex < this.cells.length && this.cells[this.cellIndex].result) this.cellIndex++;
    return this.cells[this.cellIndex];
  }

  /** Where the grid stands; hands over the cells finished since the previous call. */
  progress(jobId: number, state: JobState): BenchmarkProgress {
    const cells = this.unsent.splice(0);
    const cell = this.nextCell();
    const ended = state === 'done' || state === 'cancelled';
    return {
      jobId, state, phase: !this.reference ? 'reference' : cell && !ended ? 'attacking' : 'finished',
      cellsDone: this.cells.filter((c) => c.result).length, cellsTotal: this.cells.length,
      work: { done: this.workDone, total: this.workTotal },
      ...(cell && this.reference && !ended ? {
        current: {
          defense: cell.defense, attack: cell.attack, seed: this.groups?.[this.groupIndex]?.[0] ?? this.config.seeds[0],
          ...((this.groups?.[this.groupIndex]?.length ?? 1) > 1 ? { seeds: [...this.groups![this.groupIndex]] } : {}),
          step: this.running?.state.stepCount ?? 0, maxSteps: cell.steps,
        },
      } : {}),
      elapsedMs: this.clock(), remainingMs: ended ? 0 : this.remainingMs(), cells,
      ...(ended ? { record: this.record(state) } : {}),
    };
  }

  /** The progress of a job that failed: where it was, and why. */
  failed(jobId: number, error: string): BenchmarkProgress {
    return { ...this.progress(jobId, 'failed'), error, record: this.record('failed') };
  }

  /** The run record: config, backend, rows and columns, the private reference, every finished cell. */
  record(state: JobState): BenchmarkRecord {
    const ref = this.reference;
    return {
      format: 'inversion-playground-benchmark', version: 1, createdAt: this.started, config: this.config,
      backend: this.deps.backend, ...(this.deps.adapter ? { adapter: this.deps.adapter } : {}), state, elapsedMs: Math.round(this.clock()),
      defenses: this.config.defenses.map((id) => {
        const e = this.deps.targets.get(id)!;
        return { id, defense: e.defense, testAccuracy: e.testAccuracy };
      }),
      attacks: this.config.attacks.map((id) => {
        const a = ATTACKS.find((x) => x.id === id)!;
        return { id, name: a.name, threat: a.threat };
      }),
      reference: { images: ref?.set.count ?? 0, perDigit: ref?.perDigit ?? null, fidImages: ref?.fidIndices.length ?? 0 },
      cells: this.cells.flatMap((c) => (c.result ? [c.result] : [])),
    };
  }

  /** Steps left per attack times that attack's measured speed (the overall speed for attacks not measured yet). */
  private remainingMs(): number | null {
    let ms = 0, steps = 0;
    for (const s of this.spent.values()) { ms += s.ms; steps += s.steps; }
    if (steps === 0) return null;
    const overall = ms / steps;
    let left = 0;
    this.cells.forEach((c, i) => {
      if (c.result || i < this.cellIndex) return;
      const s = this.spent.get(c.attack);
      const rate = s && s.steps > 0 ? s.ms / s.steps : overall;
      const seedsLeft = i === this.cellIndex ? this.config.seeds.length - this.seedsDone() : this.config.seeds.length;
      const doneInRun = i === this.cellIndex ? this.doneInRun() : 0;
      left += rate * Math.max(0, seedsLeft * c.steps - doneInRun);
    });
    return left;
  }

  private disposeRunning(): void {
    if (this.running) this.running.attack.dispose(this.running.state);
    this.running = undefined;
  }

  dispose(): void {
    this.disposeRunning();
  }
}
