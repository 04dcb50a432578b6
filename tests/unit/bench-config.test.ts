// The speed page's URL settings: threads (WASM), beside the backend, repeats and stock kernels; bad values corrected.
import { describe, expect, it } from 'vitest';
import { benchSettingsToSearch, readBenchSettings } from '../../src/pages/bench/bench-config.ts';

describe('readBenchSettings', () => {
  it('reads ?threads=N and writes it back', () => {
    const { settings, corrections } = readBenchSettings('?backend=wasm&threads=2&repeats=1&stock=0');
    expect(corrections).toEqual([]);
    expect(settings).toEqual({ backend: 'wasm', repeats: 1, stock: false, threads: 2 });
    expect(benchSettingsToSearch(settings)).toBe('?backend=wasm&repeats=1&stock=0&threads=2');
  });

  it('leaves threads to tfjs when absent or auto, and corrects a bad value', () => {
    expect(readBenchSettings('?threads=auto').settings.threads).toBeUndefined();
    expect(readBenchSettings('').settings.threads).toBeUndefined();
    for (const bad of ['0', '17', '2.5', 'many']) {
      const { settings, corrections } = readBenchSettings(`?threads=${bad}`);
      expect(settings.threads).toBeUndefined();
      expect(corrections).toEqual([`Threads "${bad}" is not a whole number from 1 to 16; letting tfjs choose`]);
    }
  });
});
