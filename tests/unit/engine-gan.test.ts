// The engine runs the GAN-based attacks with the shipped priors: the population and the kept candidate per digit
// come through, black-box and label-only jobs count queries, bad configs get clear errors, nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import type { AttackSnapshot, GanAttackConfig } from '../../src/worker/protocol.ts';
import { nodeLoader } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

let engine: Engine;
beforeAll(async () => {
  await useWasm();
  engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
});

function run(config: GanAttackConfig): Promise<AttackSnapshot[]> {
  const snaps: AttackSnapshot[] = [];
  return new Promise((resolve, reject) => {
    engine.startAttack(config, (s) => {
      snaps.push(s);
      if (s.state === 'failed') reject(new Error(s.error));
      if (s.state === 'done') resolve(snaps);
    }).catch(reject);
  });
}

const base = { targetId: 'target-none', knowledge: 'disjoint', seed: 1, snapshotEvery: 2 } as const;

describe('GAN attacks through the engine', () => {
  it('GMI: 5 restarts per digit, the kept one per digit, identity and prior terms', async () => {
    await run({ ...base, attack: 'gmi', params: { steps: 2, restarts: 2 } }); // loads the models once
    const before = tf.memory().numTensors;
    const snaps = await run({ ...base, attack: 'gmi', params: { steps: 6 } });
    const last = snaps.at(-1)!;
    expect(last.maxSteps).toBe(6);
    expect(last.candidates!.classes).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4]);
    expect(last.candidates!.pixels).toHaveLength(25 * 784);
    expect(last.classes).toEqual([0, 1, 2, 3, 4]);
    last.candidates!.kept.forEach((k, c) => {
      expect(last.candidates!.classes[k]).toBe(c);
      expect(Array.from(last.pixels.subarray(c * 784, (c + 1) * 784))).toEqual(Array.from(last.candidates!.pixels.subarray(k * 784, (k + 1) * 784)));
    });
    expect(last.terms!.identity).toBeGreaterThanOrEqual(0);
    expect(last.terms!.prior).toBeGreaterThan(0);
    expect(last.evaluator.top5).toHaveLength(5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('genetic against a label-only API: counts queries, no gradients needed', async () => {
    const snaps = await run({ ...base, attack: 'genetic', params: { steps: 3, population: 8 }, outputDefense: 'label-only' });
    expect(snaps.at(-1)!.queries).toBe(5 * 8 * 4);
    expect(snaps.at(-1)!.candidates!.score.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('BREP-MI: reports the sphere radius per digit and the queries', async () => {
    const snaps = await run({ ...base, attack: 'brep-mi', params: { steps: 3, probes: 8 } });
    const last = snaps.at(-1)!;
    expect(last.radius).toHaveLength(5);
    expect(last.queries).toBeGreaterThan(5 * 8 * 3);
  });

  it('rejects bad configs with messages that name the problem', async () => {
    await expect(engine.startAttack({ ...base, attack: 'gmi', params: { restarts: 0 } }, () => undefined)).rejects.toThrow(/restarts must be an integer in 1..16/);
    await expect(engine.startAttack({ ...base, attack: 'gmi', params: { bogus: 1 } }, () => undefined)).rejects.toThrow(/gmi has no knob 'bogus'/);
    await expect(engine.startAttack({ ...base, attack: 'genetic', params: {}, outputDefense: 'blur' }, () => undefined)).rejects.toThrow(/output defense 'blur'/);
    await expect(engine.startAttack({ ...base, knowledge: 'everything' as 'disjoint', attack: 'gmi', params: {} }, () => undefined)).rejects.toThrow(/knowledge must be/);
    await expect(engine.startAttack({ ...base, targetId: 'target-dp-eps8', attack: 'ked-mi', params: {} }, () => undefined)).rejects.toThrow(/no GAN prior 'ked-target-dp-eps8-disjoint'/);
  });
});
