// The engine's backend choice by measurement, with stand-in GPU backends (Node has none): a software adapter is
// refused in favour of WASM with the reason, the faster of two usable backends is kept with the figures behind it,
// and a forced backend is used as asked even when it is software. Also the timed workloads, and npm run bench's
// kernel counts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeEach, describe, expect, it } from 'vitest';
import { chooseBackend, registerTrainingKernels, type BackendName } from '../../src/core/backend.ts';
import { ATTACK_STEP_CASE, DP_SGD_STEP_CASE, GMI_STEP_CASE, PLG_STEP_CASE, TRAIN_STEP_CASE, TRAP_MID_STEP_CASE, benchmarkBackend, timeAttackStep, timeTrainingStep } from '../../src/core/bench.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
tf.registerBackend('webgl', () => { throw new Error('WebGL2 context could not be created'); });

/** A stand-in 'webgpu' backend (the cpu backend underneath) whose adapter describes itself as `adapter`. */
function fakeWebGpu(adapter: { vendor: string; architecture: string }): void {
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => Object.assign(new MathBackendCPU(), { adapterInfo: adapter }));
}

const ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

describe('chooseBackend by measurement', () => {
  beforeEach(() => { if (tf.findBackend('webgpu')) tf.removeBackend('webgpu'); });

  it('refuses a software WebGPU adapter (SwiftShader) for WASM, and says why', async () => {
    fakeWebGpu({ vendor: 'google', architecture: 'swiftshader' });
    let timed = 0;
    const choice = await chooseBackend(ORDER, undefined, async () => { timed++; return 1; });
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const webgpu = choice.refused.find((r) => r.backend === 'webgpu')!;
    expect(webgpu.reason).toMatch(/software \(google swiftshader\).*slower than WASM/);
    expect(timed).toBe(0); // one usable backend: nothing to compare
  });

  it('keeps the faster of two usable backends, with the figures behind the choice', async () => {
    fakeWebGpu({ vendor: 'nvidia', architecture: 'hopper' });
    const ms: Partial<Record<BackendName, number>> = { webgpu: 4, wasm: 9 };
    const choice = await chooseBackend(ORDER, undefined, async (b) => ms[b]!);
    expect(choice.backend).toBe('webgpu');
    expect(choice.timings).toEqual([{ backend: 'webgpu', msPerStep: 4 }, { backend: 'wasm', msPerStep: 9 }]);
    expect(choice.refused.find((r) => r.backend === 'wasm')!.reason).toBe('measured slower: 9.0 ms per step against 4.0 ms');
    expect(choice.adapter).toBe('nvidia hopper');
    expect(choice.emulated).toBeUndefined();

    const slowGpu = await chooseBackend(ORDER, undefined, async (b) => ({ webgpu: 30, wasm: 12 })[b as 'webgpu' | 'wasm']);
    expect(slowGpu.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(slowGpu.refused.find((r) => r.backend === 'webgpu')!.reason).toBe('measured slower: 30 ms per step against 12 ms');
  });

  it('uses timings remembered for the same device instead of timing again, and times a different device', async () => {
    fakeWebGpu({ vendor: 'nvidia', architecture: 'hopper' });
    let timed = 0;
    const first = await chooseBackend(ORDER, undefined, async (b) => { timed++; return b === 'webgpu' ? 3 : 8; });
    expect(timed).toBe(2);
    expect(first.timingKey).toBe('webgpu: nvidia hopper | wasm: ');
    const again = await chooseBackend(ORDER, undefined, async () => { timed++; return 1; }, [{ key: first.timingKey!, timings: first.timings! }]);
    expect(timed).toBe(2);
    expect(again.backend).toBe('webgpu');
    expect(again.timedEarlier).toBe(true);
    expect(again.timings).toEqual(first.timings);
    expect(again.refused.find((r) => r.backend === 'wasm')!.reason).toBe('measured slower (earlier, on this device): 8.0 ms per step against 3.0 ms');

    fakeWebGpu({ vendor: 'intel', architecture: 'gen-12lp' });
    const other = await chooseBackend(ORDER, undefined, async (b) => { timed++; return b === 'webgpu' ? 20 : 8; }, [{ key: first.timingKey!, timings: first.timings! }]);
    expect(timed).toBe(4);
    expect(other.backend).toBe('wasm');
    expect(other.timedEarlier).toBeUndefined();
  });

  it('a backend whose timing step fails is not chosen; the failure is reported', async () => {
    fakeWebGpu({ vendor: 'amd', architecture: 'rdna-3' });
    const choice = await chooseBackend(ORDER, undefined, async (b) => { if (b === 'webgpu') throw new Error('device lost'); return 9; });
    expect(choice.backend).toBe('wasm');
    expect(choice.refused.find((r) => r.backend === 'webgpu')!.reason).toBe('its timing step failed: device lost');
  });

  it('uses a software adapter when asked for it, and when nothing but cpu would start otherwise', async () => {
    fakeWebGpu({ vendor: 'google', architecture: 'swiftshader' });
    const asked = await chooseBackend(ORDER, 'webgpu');
    expect(asked.backend).toBe('webgpu');
    expect(asked.emulated).toBe(true); // the badge and the speed page say so
    const onlySoftware = await chooseBackend(['webgpu', 'cpu']);
    expect(onlySoftware.backend).toBe('webgpu');
    expect(onlySoftware.refused).toEqual([]);
  });
});

describe('the workloads the engine times', () => {
  it('an attack step and a training step: finite ms on wasm, no tensor left behind', async () => {
    await tf.setBackend('wasm');
    registerTrainingKernels('wasm');
    const before = tf.memory().numTensors;
    for (const ms of [await timeAttackStep(1), await timeTrainingStep(1)]) {
      expect(Number.isFinite(ms) && ms > 0).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

describe('npm run bench counts the kernels a step launches', () => {
  it('every timed step of ours carries its kernel count', async () => {
    await tf.setBackend('wasm');
    registerTrainingKernels('wasm');
    const n = 64 * 8; // batches for the warm-up, the timed and the counted steps (fused and not)
    const data = { count: n, images: Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256), labels: Uint8Array.from({ length: n }, (_, i) => i % 5) };
    const target = buildTarget(5, 2);
    const rows = await benchmarkBackend({ backend: 'wasm', data, classOf: (d) => d, target, includeStock: false, repeats: 1 });
    target.dispose();
    const counted = rows.filter((r) => r.kernelsPerStep !== undefined).map((r) => r.what);
    expect(counted).toEqual([TRAIN_STEP_CASE, DP_SGD_STEP_CASE, TRAP_MID_STEP_CASE, ATTACK_STEP_CASE, GMI_STEP_CASE, PLG_STEP_CASE]);
    expect(rows.find((r) => r.what === DP_SGD_STEP_CASE)!.note).toMatch(/^an epoch costs \d+\.\d\dx a plain one/);
    for (const r of rows.filter((r) => r.kernelsPerStep !== undefined)) expect(Number.isInteger(r.kernelsPerStep) && r.kernelsPerStep! > 10, r.what).toBe(true);
    // A PLG-MI step runs the generator and the target twice (two augmentations): more kernels than an MI-Face step.
    const k = (what: string) => rows.find((r) => r.what === what)!.kernelsPerStep!;
    expect(k(PLG_STEP_CASE)).toBeGreaterThan(k(ATTACK_STEP_CASE));
    // Each also carries its dispatches, and both counts with the fused paths off: the fused ones launch fewer, and
    // an MI-Face step and a Trap-MID step at most a third of the dispatches (issue 18's target).
    for (const r of rows.filter((r) => r.kernelsPerStep !== undefined)) {
      expect(r.dispatchesPerStep! <= r.kernelsPerStep! && r.unfused!.dispatchesPerStep <= r.unfused!.kernelsPerStep, r.what).toBe(true);
      expect(r.dispatchesPerStep!, r.what).toBeLessThan(r.unfused!.dispatchesPerStep);
    }
    for (const what of [ATTACK_STEP_CASE, TRAP_MID_STEP_CASE, TRAIN_STEP_CASE]) {
      const r = rows.find((row) => row.what === what)!;
      expect(r.dispatchesPerStep! * 3, what).toBeLessThanOrEqual(r.unfused!.dispatchesPerStep);
    }
  }, 240_000);
});
