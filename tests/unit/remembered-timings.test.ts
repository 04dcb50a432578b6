// The page keeps the engine's backend timings per workload and device, newest first, a few devices at most; what
// the engine remembered (not measured) is not written again; bad or refused storage means timing again.
import { beforeEach, describe, expect, it } from 'vitest';
import { rememberTimings, rememberedTimings } from '../../src/ui/remembered-timings.ts';
import type { EngineInfo } from '../../src/worker/protocol.ts';

const store = new Map<string, string>();
const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true });

const info = (key: string, ms: number, timedEarlier?: boolean): EngineInfo => ({
  backend: 'webgpu', refused: [], models: [], timingKey: key,
  timings: [{ backend: 'webgpu', msPerStep: ms }, { backend: 'wasm', msPerStep: 9 }], ...(timedEarlier ? { timedEarlier } : {}),
});

describe('remembered backend timings', () => {
  beforeEach(() => store.clear());

  it('keeps them per workload and device, newest first, at most four devices', () => {
    expect(rememberedTimings('attack')).toEqual([]);
    for (let i = 1; i <= 5; i++) rememberTimings('attack', info(`gpu-${i}`, i));
    rememberTimings('attack', info('gpu-3', 7));
    expect(rememberedTimings('attack').map((r) => r.key)).toEqual(['gpu-3', 'gpu-5', 'gpu-4', 'gpu-2']);
    expect(rememberedTimings('attack')[0].timings[0].msPerStep).toBe(7);
    expect(rememberedTimings('training')).toEqual([]);
  });

  it('writes nothing for remembered or untimed choices, and reads bad storage as nothing', () => {
    rememberTimings('attack', info('gpu-1', 2, true));
    rememberTimings('attack', { backend: 'wasm', refused: [], models: [] });
    expect(store.size).toBe(0);
    store.set('inversion-playground:backend-timings:attack', '{not json');
    expect(rememberedTimings('attack')).toEqual([]);
    store.set('inversion-playground:backend-timings:attack', JSON.stringify([{ key: 1 }, { key: 'a', timings: [] }]));
    expect(rememberedTimings('attack')).toEqual([{ key: 'a', timings: [] }]);
  });

  it('a browser that refuses storage times again, and nothing breaks', () => {
    Object.defineProperty(globalThis, 'localStorage', { value: { getItem() { throw new Error('SecurityError'); }, setItem() { throw new Error('QuotaExceededError'); } }, configurable: true });
    expect(() => rememberTimings('attack', info('gpu-1', 2))).not.toThrow();
    expect(rememberedTimings('attack')).toEqual([]);
    Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true });
  });
});
