// Where a face photo is cropped before the face models read it: its largest centred square.
import { describe, expect, it } from 'vitest';
import { centralSquare } from '../../src/ui/face-image.ts';

describe('centralSquare', () => {
  it('crops a portrait top and bottom, a landscape left and right, and keeps a square whole', () => {
    expect(centralSquare(64, 96)).toEqual({ x: 0, y: 16, size: 64 });
    expect(centralSquare(300, 200)).toEqual({ x: 50, y: 0, size: 200 });
    expect(centralSquare(64, 64)).toEqual({ x: 0, y: 0, size: 64 });
    expect(centralSquare(5, 8)).toEqual({ x: 0, y: 1, size: 5 });
  });
});
