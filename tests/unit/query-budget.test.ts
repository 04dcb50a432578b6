// A query budget on the black-box oracle: the oracle refuses a batch past it, the genetic search and BREP-MI stop at
// exactly the budget (and change nothing when it is larger than they need), and the budget is checked wherever a
// config comes in (engine, run record, lab link, CLI).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { genetic, type GeneticOptions } from '../../src/core/attacks/genetic.ts';
import { brepMi, roundPlan, type BrepMiOptions } from '../../src/core/attacks/brep-mi.ts';
import { QueryBudgetExhausted, QueryOracle, parseOutputDefense } from '../../src/core/attacks/oracle.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import { buildGenerator } from '../../src/core/nets/gan.ts';
import { validateAttackConfig } from '../../src/worker/attack-setup.ts';
import { buildAttackRecord, parseAttackRecord } from '../../src/worker/attack-record.ts';
import { knobValues } from '../../src/worker/catalog.ts';
import { QUERY_BUDGET_MAX, queryBudgetStop, type AttackConfig, type AttackSnapshot } from '../../src/worker/protocol.ts';
import { readSettings, settingsFromConfig, settingsToSearch, toAttackConfig } from '../../src/pages/attack/url-config.ts';
import { statusText } from '../../src/pages/attack/lab-text.ts';
import { ROOT } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
let target: tf.LayersModel, generator: tf.LayersModel;

beforeAll(async () => {
  await useWasm();
  generator = buildGenerator(1);
  // A tiny random classifier of the generator's images centred on their mean: an untrained generator draws nearly
  // the same image every time, and the centring lets their small differences pick different classes.
  target = tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 3 }) }),
  ] });
  const dense = target.layers[1];
  const [kernel] = dense.getWeights();
  const bias = tf.tidy(() => {
    const mean = (generator.predict(tf.randomNormal([256, 100], 0, 1, 'float32', 11)) as tf.Tensor).mean(0).reshape([1, 784]);
    return tf.tensor1d(tf.neg(tf.matMul(mean, kernel)).dataSync());
  });
  dense.setWeights([kernel, bias]);
  bias.dispose();
});

const context = (budget = Infinity, defense = 'none'): AttackContext => ({
  target, targetClasses: CLASSES, prior: { generator, conditional: false },
  oracle: new QueryOracle(target, 5, parseOutputDefense(defense), 1, budget),
});

/** Steps an attack to its end; the snapshot at the end and the steps it ran. */
async function runToEnd<S extends { stepCount: number }>(attack: { step(s: S): Promise<{ done: boolean }>; snapshot(s: S): Promise<import('../../src/core/attacks/attack.ts').CandidateSnapshot> }, s: S, maxSteps: number) {
  for (let i = 0; i < maxSteps + 2 && !(await attack.step(s)).done; i++);
  return attack.snapshot(s);
}

describe('the oracle with a query budget', () => {
  it('answers up to the budget and refuses a batch past it, with what was used and asked', async () => {
    const oracle = new QueryOracle(target, 5, { kind: 'none' }, 1, 5);
    const x = tf.zeros([3, 28, 28, 1]) as tf.Tensor4D;
    await oracle.probabilities(x);
    expect(oracle.remaining).toBe(2);
    const refused = await oracle.probabilities(x).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueryBudgetExhausted);
    expect(refused).toMatchObject({ budget: 5, used: 3, asked: 3, message: 'query budget exhausted: 3 of 5 queries used, 3 more asked' });
    expect(oracle.queries).toBe(3); // nothing of a refused batch is answered or counted
    const two = x.slice(0, 2) as tf.Tensor4D;
    await oracle.labels(two);
    expect([oracle.queries, oracle.remaining]).toEqual([5, 0]);
    tf.dispose([x, two]);
    expect(() => new QueryOracle(target, 5, { kind: 'none' }, 1, 0)).toThrow(/at least 1/);
    expect(() => new QueryOracle(target, 5, { kind: 'none' }, 1, 2.5)).toThrow(/whole number/);
  });
});

describe('the genetic search stops at exactly its query budget', () => {
  const options: GeneticOptions = { population: 8, steps: 10, elite: 2, mutationRate: 0.1, mutationScale: 0.5, clamp: 2, seed: 4 };
  const perGeneration = 5 * 8;

  it.each([
    ['mid-generation', perGeneration * 3 + 17, 3],
    ['at the end of a generation', perGeneration * 4, 3],
    ['during the first population', 13, 0],
  ])('%s (budget %i): the query counter equals the budget, every tensor freed', async (_, budget, stepsRun) => {
    const before = tf.memory().numTensors;
    const s = await genetic.init(context(budget, 'dp:1'), options);
    const snap = await runToEnd(genetic, s, options.steps);
    expect(snap.queries).toBe(budget);
    expect(s.stepCount).toBe(stepsRun);
    expect(snap.targetConfidence.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(snap.pixels.length).toBe(perGeneration * 784);
    genetic.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a partial generation keeps what it could not ask from the generation before', async () => {
    const s = await genetic.init(context(perGeneration * 2 + 5), options);
    await genetic.step(s);
    const full = await genetic.snapshot(s);
    expect((await genetic.step(s)).done).toBe(true);
    const last = await genetic.snapshot(s);
    // Slot 0 of every class was asked; the other slots are the previous generation's, fitness and image alike.
    const asked = [0, 8, 16, 24, 32];
    for (let i = 0; i < perGeneration; i++) {
      if (asked.includes(i)) continue;
      expect(last.targetConfidence[i]).toBe(full.targetConfidence[i]);
      expect(last.pixels.subarray(i * 784, (i + 1) * 784)).toEqual(full.pixels.subarray(i * 784, (i + 1) * 784));
    }
  });

  it('a budget larger than the search needs changes nothing', async () => {
    const free = await runToEnd(genetic, await genetic.init(context(), options), options.steps);
    const roomy = await runToEnd(genetic, await genetic.init(context(perGeneration * 11 + 1), options), options.steps);
    expect(free.queries).toBe(perGeneration * 11);
    expect(roomy).toEqual(free);
  });
});

describe('BREP-MI stops at exactly its query budget', () => {
  let classes: number[];
  const options = (): BrepMiOptions => ({ classes, steps: 6, probes: 8, initialRadius: 0.5, growth: 1.3, growWhenInside: 0.5, maxRadius: 50, clamp: 1.5, seed: 3 });

  beforeAll(async () => {
    // The digits the tiny random target gives to GAN samples at all.
    const seen = tf.tidy(() => (target.predict(generator.predict(tf.randomNormal([256, 100], 0, 1, 'float32', 7)) as tf.Tensor) as tf.Tensor).argMax(-1));
    classes = [...new Set(await seen.data())].sort().map(Number);
    seen.dispose();
    expect(classes.length).toBeGreaterThan(1); // a last round then shares its probes out across classes
  });

  it('a round plan past the budget spends exactly what is left, each class with probes keeping a check', () => {
    expect(roundPlan(3, 4, 15)).toEqual({ probes: [4, 4, 4], checked: [true, true, true], partial: false });
    for (let left = 1; left < 15; left++) {
      const plan = roundPlan(3, 4, left);
      const spent = plan.probes.reduce((a, b) => a + b, 0) + plan.checked.filter(Boolean).length;
      expect(spent, `left ${left}`).toBe(left);
      expect(plan.partial).toBe(true);
      plan.probes.forEach((n, c) => {
        expect(n).toBeLessThanOrEqual(4);
        if (left > 1) expect(plan.checked[c]).toBe(n > 0);
      });
    }
    expect(roundPlan(3, 4, 1)).toEqual({ probes: [1, 0, 0], checked: [false, false, false], partial: true });
  });

  it('the query counter equals the budget, the kept points stay in their class, every tensor freed', async () => {
    const afterInit = (await brepMi.init(context(), options())).oracle.queries;
    const round = classes.length * (8 + 1);
    const before = tf.memory().numTensors;
    for (const budget of [afterInit + round * 2 + 7, afterInit + round * 2 + 1, afterInit + round]) {
      const s = await brepMi.init(context(budget), options());
      const snap = await runToEnd(brepMi, s, 6);
      expect(snap.queries, `budget ${budget}`).toBe(budget);
      expect(s.stepCount).toBeLessThan(6);
      const labels = tf.tidy(() => {
        const kept = tf.tensor4d(Float32Array.from(snap.kept.flatMap((k) => Array.from(snap.pixels.subarray(k * 784, (k + 1) * 784)))), [classes.length, 28, 28, 1]);
        return Array.from((target.predict(kept) as tf.Tensor).argMax(-1).dataSync());
      });
      expect(labels).toEqual(classes);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a budget larger than it needs changes nothing', async () => {
    const free = await runToEnd(brepMi, await brepMi.init(context(), options()), 6);
    const roomy = await runToEnd(brepMi, await brepMi.init(context(free.queries! + 1), options()), 6);
    expect(roomy).toEqual(free);
  });

  it('a budget too small to find its starting points says so', async () => {
    await expect(brepMi.init(context(1), { ...options(), classes: [0, 1, 2, 3, 4] })).rejects.toThrow(/query budget \(1 queries\) ran out before/);
  });
});

describe('queryBudget in configs', () => {
  const genetic: AttackConfig = {
    attack: 'genetic', targetId: 'target-none', knowledge: 'disjoint', params: { ...knobValues('genetic'), steps: 3 }, outputDefense: 'dp:1',
    queryBudget: 200, seed: 1, snapshotEvery: 1,
  };

  it('the engine checks it: a whole number in range, for the oracle attacks only', () => {
    expect(() => validateAttackConfig(genetic)).not.toThrow();
    for (const bad of [0, -3, 2.5, QUERY_BUDGET_MAX + 1, NaN]) {
      expect(() => validateAttackConfig({ ...genetic, queryBudget: bad }), String(bad)).toThrow(/queryBudget must be a whole number in 1\.\./);
    }
    expect(() => validateAttackConfig({ ...genetic, attack: 'gmi', params: {}, outputDefense: undefined, queryBudget: undefined })).not.toThrow();
    expect(() => validateAttackConfig({ ...genetic, attack: 'gmi', params: {}, outputDefense: undefined, queryBudget: 5 })).toThrow(/queryBudget applies to the black-box and label-only attacks, not gmi/);
  });

  const snapshot = (queries: number): AttackSnapshot => ({
    jobId: 1, step: 3, maxSteps: 3, classes: [0], pixels: new Float32Array(784), targetConfidence: [0.5], loss: [0],
    evaluator: { predicted: [0], confidence: [0.9], top5: [[0, 1, 2, 3, 4]] }, robust: { predicted: [0], confidence: [0.9] },
    attackAccuracy: { top1: 1, top5: 1, robustTop1: 1, bothTop1: 1 }, state: 'done', elapsedMs: 10, queries,
  });

  it('run records keep it and refuse a bad one', () => {
    const record = buildAttackRecord(snapshot(200), genetic, { backend: 'wasm' });
    expect(parseAttackRecord(JSON.stringify(record)).config).toEqual(genetic);
    const bad = (queryBudget: unknown, attack = 'genetic') => JSON.stringify({ ...record, config: { ...record.config, attack, queryBudget } });
    expect(() => parseAttackRecord(bad(0))).toThrow(/"config\.queryBudget" must be a whole number in 1\.\./);
    expect(() => parseAttackRecord(bad('ten'))).toThrow(/"config\.queryBudget"/);
  });

  it('the lab link reads and writes it as budget=, for the oracle attacks only; 0 is no budget', () => {
    const { settings, corrections } = readSettings('?attack=genetic&defense=dp%3A1&budget=200');
    expect(corrections).toEqual([]);
    expect([settings.outputDefense, settings.queryBudget]).toEqual(['dp:1', 200]);
    expect(settingsToSearch(settings)).toBe('?attack=genetic&defense=dp%3A1&budget=200');
    expect(toAttackConfig(settings)).toMatchObject({ outputDefense: 'dp:1', queryBudget: 200 });
    expect(settingsFromConfig(toAttackConfig(settings), {}).queryBudget).toBe(200);
    const none = readSettings('?attack=brep-mi').settings;
    expect(none.queryBudget).toBe(0);
    expect(toAttackConfig(none)).not.toHaveProperty('queryBudget');
    expect(settingsToSearch(none)).toBe('?attack=brep-mi');
    expect(readSettings('?attack=gmi&budget=50').corrections).toEqual([expect.stringMatching(/Query budget \(budget\) is not a setting of GMI/)]);
    expect(readSettings('?attack=genetic&budget=-4').corrections).toEqual(['Query budget -4 is below 0; using 0']);
    expect(readSettings('?attack=genetic&budget=lots').corrections).toEqual(['Query budget "lots" is not a number; using 0']);
  });

  it('a run whose queries reached its budget reads "stopped at the query budget"', () => {
    expect(queryBudgetStop(genetic, snapshot(200))).toBe(200);
    expect(queryBudgetStop(genetic, snapshot(120))).toBeNull();
    expect(queryBudgetStop({ ...genetic, queryBudget: undefined }, snapshot(120))).toBeNull();
    expect(statusText('ready', 'done', queryBudgetStop(genetic, snapshot(200)))).toBe('Stopped at the query budget (200 queries)');
    expect(statusText('ready', 'done', null)).toBe('Finished');
  });

  it('the CLI takes --query-budget N and refuses bad values with exit code 2', () => {
    const mi = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/mi.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    for (const [args, message] of [
      [['--attack', 'genetic', '--query-budget', '0'], /--query-budget: 0 is below the minimum 1/],
      [['--attack', 'brep-mi', '--query-budget', '2.5'], /--query-budget: '2\.5' is not an integer/],
      [['--attack', 'gmi', '--query-budget', '100'], /--query-budget applies to black-box and label-only attacks, not gmi/],
      [['--attack', 'genetic', '--output-defense', 'dp:0'], /the privacy budget epsilon must be a finite number above 0/],
    ] as const) {
      const r = mi('attack', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
