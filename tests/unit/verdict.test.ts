// Honest verdicts: a reconstruction earns "clearly right" only when the evaluator reads its digit and is sure, and an
// (almost) empty image is "nearly blank" whatever the evaluator answers.
import { describe, expect, it } from 'vitest';
import { BLANK_PEAK, CLEAR_CONFIDENCE, countVerdicts, peakOf, verdictOf, verdictText, verdictsOf } from '../../src/ui/verdict.ts';

describe('honest verdicts', () => {
  it('ticks only a sure, right reading of an image with ink in it', () => {
    expect(verdictOf(3, 3, 0.9, 1)).toBe('clear');
    expect(verdictOf(3, 3, CLEAR_CONFIDENCE, 0.3)).toBe('clear');
    expect(verdictOf(3, 3, CLEAR_CONFIDENCE - 0.01, 1)).toBe('barely');
    expect(verdictOf(3, 5, 0.99, 1)).toBe('wrong');
  });

  it('calls an almost empty image blank, even when the evaluator happens to read it right', () => {
    // The shipped evaluator reads an empty square as "1" with ~25%: that must not count for digit 1.
    expect(verdictOf(1, 1, 0.25, 0.01)).toBe('blank');
    expect(verdictOf(1, 1, 0.9, BLANK_PEAK - 0.001)).toBe('blank');
    expect(verdictOf(1, 1, 0.9, BLANK_PEAK)).toBe('clear');
    expect(verdictOf(1, 1, 0.9, Number.NaN)).toBe('blank');
  });

  it('judges each candidate of a run on its own pixels, and counts them', () => {
    const pixels = new Float32Array(3 * 784);
    pixels[10] = 0.8; // candidate 0: ink
    pixels[784 + 5] = 0.05; // candidate 1: almost empty
    pixels[2 * 784 + 700] = 0.4; // candidate 2: faint but there
    expect(peakOf(pixels, 784)).toBeCloseTo(0.05);
    const kinds = verdictsOf({ classes: [0, 1, 2], pixels, evaluator: { predicted: [0, 1, 7], confidence: [0.3, 0.9, 0.8] } });
    expect(kinds).toEqual(['barely', 'blank', 'wrong']);
    expect(countVerdicts(kinds)).toEqual({ clear: 0, barely: 1, wrong: 1, blank: 1 });
  });

  it('judges 64 x 64 faces on their own 4096 pixels, and says "wrong person" for them', () => {
    const pixels = new Float32Array(2 * 4096);
    pixels[4096 + 2000] = 0.6; // face 1 only; face 0 is blank (784-pixel slices would call both blank)
    expect(verdictsOf({ classes: [9, 14], pixels, evaluator: { predicted: [9, 14], confidence: [0.9, 0.9] } })).toEqual(['blank', 'clear']);
    expect(verdictText('wrong', 'person')).toBe('wrong person');
    expect(verdictText('wrong')).toBe('wrong digit');
    expect(verdictText('barely', 'person')).toBe('right, but barely');
  });
});
