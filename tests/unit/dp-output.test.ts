// Differentially private confidence vectors (Ye et al. 2022) as an output defense: Laplace noise from one privacy
// budget, then post-processing that keeps the model's ranking of the classes exactly and gives a probability vector.
import { describe, expect, it } from 'vitest';
import { defendOutput, formatOutputDefense, parseOutputDefense, ranking } from '../../src/core/attacks/oracle.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { OUTPUT_DEFENSES } from '../../src/worker/catalog.ts';

/** Softmax vectors of random logits, 2 to 10 classes, some very confident, some with exact ties. */
function randomVectors(count: number, seed: number): Float32Array[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const k = 2 + Math.floor(rng() * 9);
    const spread = [0.1, 1, 5, 20][i % 4];
    const logits = Array.from({ length: k }, () => spread * (rng() * 2 - 1));
    if (i % 7 === 0) logits[k - 1] = logits[0]; // a tie
    const m = Math.max(...logits), e = logits.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
    return Float32Array.from(e, (v) => v / s);
  });
}

const l1 = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, j) => s + Math.abs(v - b[j]), 0);

describe('dp output defense', () => {
  const vectors = randomVectors(600, 11);

  it.each([0.01, 0.1, 1, 10, 1000])('epsilon %s keeps the ranking exactly and answers a probability vector', (epsilon) => {
    const rng = makeRng(3);
    for (const p of vectors) {
      const out = defendOutput(p, { kind: 'dp', epsilon }, rng);
      expect(ranking(out)).toEqual(ranking(p));
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(out.every(Number.isFinite)).toBe(true);
    }
  });

  it('keeps the ranking of exact ties and of a one-hot vector', () => {
    const rng = makeRng(5);
    for (const p of [[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0], [0, 0, 1, 0, 0], [0.4, 0.2, 0.4]]) {
      for (let i = 0; i < 50; i++) expect(ranking(defendOutput(p, { kind: 'dp', epsilon: 1 }, rng))).toEqual(ranking(p));
    }
  });

  it('is deterministic for a given rng seed, and another seed answers otherwise', () => {
    const run = (seed: number) => { const rng = makeRng(seed); return vectors.slice(0, 50).map((p) => Array.from(defendOutput(p, { kind: 'dp', epsilon: 1 }, rng))); };
    expect(run(9)).toEqual(run(9));
    expect(run(10)).not.toEqual(run(9));
  });

  // Below epsilon 1 the noise (scale 1 / epsilon) already drowns scores in [0, 1]: what is left after normalising is
  // the ranking and noise whose scale no longer matters, so the distance levels off there (about 0.67 here).
  it('is noisier for a smaller epsilon: the mean L1 distance to the true vector falls as epsilon grows', () => {
    const distance = (epsilon: number) => {
      const rng = makeRng(4);
      return vectors.reduce((s, p) => s + l1(defendOutput(p, { kind: 'dp', epsilon }, rng), p), 0) / vectors.length;
    };
    const d = [1, 3, 10, 100, 1000].map(distance);
    for (let i = 1; i < d.length; i++) expect(d[i], `epsilon step ${i}: ${d.join(', ')}`).toBeLessThan(d[i - 1]);
    expect(d[d.length - 1]).toBeLessThan(0.02);
  });

  it('parses and formats dp:<epsilon>, and refuses an epsilon that is not a finite number above 0', () => {
    for (const raw of ['dp:1', 'dp:0.1', 'dp:25']) expect(formatOutputDefense(parseOutputDefense(raw))).toBe(raw);
    expect(parseOutputDefense('dp:0.5')).toEqual({ kind: 'dp', epsilon: 0.5 });
    for (const raw of ['dp', 'dp:', 'dp:0', 'dp:-1', 'dp:abc', 'dp:Infinity', 'dp:NaN']) {
      expect(() => parseOutputDefense(raw), raw).toThrow(new RegExp(`output defense '${raw}': the privacy budget epsilon must be a finite number above 0`));
    }
    expect(() => parseOutputDefense('blur')).toThrow(/dp:<epsilon above 0>/);
  });

  it('the lab offers dp at three budgets, and every listed output defense parses', () => {
    const values = OUTPUT_DEFENSES.map((d) => d.value);
    expect(values).toEqual(expect.arrayContaining(['dp:10', 'dp:1', 'dp:0.1']));
    for (const v of values) expect(formatOutputDefense(parseOutputDefense(v))).toBe(v);
  });
});
