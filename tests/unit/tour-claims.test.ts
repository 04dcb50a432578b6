// The guided tour's claims, re-measured on the shipped models: each live attack run on seeds 1-20 at the tour's budget,
// through the engine and the config the tour page builds (scripts/lib/tour-runs.ts), must show what its step's text
// says on every seed a reader may pick, and the recorded table of step 5 must still be what the models give. Step 6
// (MI-Face on the faces) runs on a few seeds only: a face run costs several times a digit run.
// About 8 minutes on wasm (MI-Face ~2.5 s a run, PLG-MI ~11 s, MI-Face on faces ~13 s); one file, as vitest runs files
// one at a time here.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOUR_STEPS, TOUR_RUNS } from '../../src/pages/tour/tour-config.ts';
import recorded from '../../src/pages/tour/recorded-runs.json';
import manifest from '../../models/manifest.json';
import type { Engine } from '../../src/worker/engine.ts';
import { measureTourRun, recordedCell, startTourEngine, type RecordedCell, type SeedRun, type TourCell } from '../../scripts/lib/tour-runs.ts';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
/**
 * Step 6's seeds. MI-Face against the softmax regression recogniser barely depends on its seed (only the faint noise
 * it starts from does): seeds 1-20 all gave 12 clear and 8 wrong of 20 when the step was written.
 */
const FACE_SEEDS = [1, 2, 3];
type Run = keyof typeof TOUR_RUNS;
/** The digits' runs: the ones on every seed 1-20, and in step 5's recorded table. */
const DIGIT_RUNS = ['miFace', 'plg', 'trapped'] as const satisfies readonly Run[];
const cells: Partial<Record<Run, TourCell>> = {};
let engine: Engine;

beforeAll(async () => {
  engine = await startTourEngine();
}, 120_000);

/** Measures one of the tour's runs (once; later describe blocks reuse it). */
async function measure(run: Run): Promise<TourCell> {
  const { attack, target, dataset } = TOUR_RUNS[run];
  return (cells[run] ??= await measureTourRun(engine, attack, target, run === 'faces' ? FACE_SEEDS : SEEDS, DEFAULT_TOUR_STEPS, dataset));
}

/** The seeds of `run` where `bad` holds: expected to be none, so a failure names them. */
const seedsWhere = (run: Run, bad: (r: SeedRun) => boolean) => cells[run]!.seeds.filter(bad).map((r) => r.seed);

describe('step 2: MI-Face without a defense is judged right often, but faint and never clearly', () => {
  beforeAll(async () => {
    await measure('miFace');
  }, 300_000);

  it('is read as the attacked digit on every seed (top-1 >= 0.4) and most of the time pooled (>= 0.6)', () => {
    expect(seedsWhere('miFace', (r) => r.top1 < 0.4), 'seeds with top-1 < 0.4').toEqual([]);
    expect(cells.miFace!.pooled.top1).toBeGreaterThanOrEqual(0.6);
  });

  it('is (almost) never clearly right and visibly faint (mean peak < 0.5)', () => {
    expect(cells.miFace!.pooled.clear).toBeLessThanOrEqual(0.1);
    expect(cells.miFace!.pooled.meanPeak).toBeLessThan(0.5);
  });
});

describe('step 3: PLG-MI without a defense draws whole digits, clearly right more often than MI-Face', () => {
  beforeAll(async () => {
    await measure('miFace');
    await measure('plg');
  }, 600_000);

  it('has more clear verdicts than MI-Face on every seed', () => {
    const miFace = new Map(cells.miFace!.seeds.map((r) => [r.seed, r.verdicts.clear]));
    expect(seedsWhere('plg', (r) => r.verdicts.clear <= miFace.get(r.seed)!), 'seeds where PLG-MI is not clearly right more often').toEqual([]);
  });

  it('draws bright digits (mean peak > 0.8)', () => {
    expect(seedsWhere('plg', (r) => r.meanPeak <= 0.8), 'seeds with mean peak <= 0.8').toEqual([]);
  });
});

describe('step 4: MI-Face against the Trap-MID target falls into the trapdoor', () => {
  beforeAll(async () => {
    await measure('trapped');
  }, 300_000);

  it('is flagged by the trapdoor detector (>= 80% of reconstructions) and never clearly right, on every seed', () => {
    expect(seedsWhere('trapped', (r) => !(r.flagged! >= 0.8)), 'seeds with flagged share < 0.8').toEqual([]);
    expect(seedsWhere('trapped', (r) => r.verdicts.clear > 0), 'seeds with a clear verdict').toEqual([]);
  });

  it('is (almost) never read as the attacked digit (pooled top-1 <= 0.1)', () => {
    expect(cells.trapped!.pooled.top1).toBeLessThanOrEqual(0.1);
  });
});

describe('step 5: the recorded table is what the models give', () => {
  beforeAll(async () => {
    for (const run of DIGIT_RUNS) await measure(run);
  }, 900_000);

  it('was recorded at the tour settings', () => {
    expect(recorded.seeds).toEqual(SEEDS);
    expect(recorded.steps).toBe(DEFAULT_TOUR_STEPS);
  });

  // The 4th cell (PLG-MI vs Trap-MID) is no live run of the tour; re-measuring it would double the test's time.
  it.each(DIGIT_RUNS)('%s matches its recorded cell (within 0.051)', (run) => {
    const measured = recordedCell(cells[run]!);
    const cell = (recorded.cells as RecordedCell[]).find((c) => c.attack === measured.attack && c.target === measured.target);
    expect(cell, `${measured.attack} vs ${measured.target} recorded`).toBeDefined();
    expect(cell!.runs).toBe(SEEDS.length);
    expect(cell!.flagged === null).toBe(measured.flagged === null);
    for (const key of ['clear', 'barely', 'wrong', 'blank', 'top1', 'flagged', 'meanPeak'] as const) {
      expect(Math.abs((cell![key] ?? 0) - (measured[key] ?? 0)), `${key}: recorded ${cell![key]}, measured ${measured[key]}`).toBeLessThanOrEqual(0.051);
    }
  });
});

describe('step 6: MI-Face on the faces: the evaluator names the right person for more than half of the 20', () => {
  beforeAll(async () => {
    await measure('faces');
  }, 300_000);

  it('attacks the recogniser the text describes: softmax regression, 8 photos of each of 20 people, 39 of 40 test photos right', () => {
    const target = (manifest.models as { id: string; architecture: string; classes: number[]; testAccuracy: number; dataSplit: string }[])
      .find((m) => m.id === TOUR_RUNS.faces.target)!;
    expect(target.architecture).toMatch(/^softmax regression/);
    expect(target.classes).toHaveLength(20);
    expect(target.dataSplit).toContain('8 images each');
    expect(Math.round(target.testAccuracy * 40)).toBe(39);
  });

  it('is clearly right (the right person, at least 50% sure) about more than half of the 20 people on every seed, never blank', () => {
    expect(cells.faces!.seeds.map((r) => r.seed)).toEqual(FACE_SEEDS);
    expect(seedsWhere('faces', (r) => r.verdicts.clear * 2 <= 20), 'seeds with at most half clearly right').toEqual([]);
    expect(seedsWhere('faces', (r) => r.verdicts.blank > 0), 'seeds with a blank reconstruction').toEqual([]);
    expect(cells.faces!.pooled.top1).toBeGreaterThan(0.5);
  });
});
