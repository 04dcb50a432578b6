// The guided tour's pure logic: the narrated mode's stage scheduler and the tour's link (step hash, query settings).
import { describe, expect, it } from 'vitest';
import { dueStage, onContinue, passedStages, reached, stagesFor } from '../../src/pages/tour/narration.ts';
import { DEFAULT_TOUR_STEPS, TOUR_RUNS, TOUR_STEPS, hashOf, labSearch, readSeed, readTourSettings, stepFromHash, withNarrated, withSeed } from '../../src/pages/tour/tour-config.ts';
import { SEED_SPEC, readSettings, toAttackConfig } from '../../src/pages/attack/url-config.ts';

describe('narrated mode: stages', () => {
  it('stops at the first step, half-way and the end', () => {
    expect(stagesFor(100)).toEqual([{ id: 'first', atStep: 1 }, { id: 'half', atStep: 50 }, { id: 'end', atStep: 100 }]);
    expect(stagesFor(7)).toEqual([{ id: 'first', atStep: 1 }, { id: 'half', atStep: 4 }, { id: 'end', atStep: 7 }]);
  });

  it('repeats no stage on tiny runs', () => {
    expect(stagesFor(1)).toEqual([{ id: 'end', atStep: 1 }]);
    expect(stagesFor(2)).toEqual([{ id: 'first', atStep: 1 }, { id: 'end', atStep: 2 }]);
    expect(stagesFor(3)).toEqual([{ id: 'first', atStep: 1 }, { id: 'half', atStep: 2 }, { id: 'end', atStep: 3 }]);
  });

  it('reaches the end only when the run finished, the others by step', () => {
    const [first, , end] = stagesFor(10);
    expect(reached(first, { step: 0, finished: false })).toBe(false);
    expect(reached(first, { step: 1, finished: false })).toBe(true);
    expect(reached(end, { step: 10, finished: false })).toBe(false);
    expect(reached(end, { step: 8, finished: true })).toBe(true);
  });

  it('is due at the earliest reached stage not yet acknowledged', () => {
    const stages = stagesFor(100);
    expect(dueStage(stages, { step: 0, finished: false }, [])).toBeNull();
    expect(dueStage(stages, { step: 3, finished: false }, [])?.id).toBe('first');
    expect(dueStage(stages, { step: 3, finished: false }, ['first'])).toBeNull();
    expect(dueStage(stages, { step: 60, finished: false }, ['first'])?.id).toBe('half');
    // A run that overshot several stages before the pause landed shows them in order.
    expect(dueStage(stages, { step: 100, finished: true }, [])?.id).toBe('first');
    expect(dueStage(stages, { step: 100, finished: true }, ['first', 'half'])?.id).toBe('end');
    expect(dueStage(stages, { step: 100, finished: true }, ['first', 'half', 'end'])).toBeNull();
  });

  it('Continue shows the next stage already reached, else resumes, else (ended) does nothing', () => {
    const stages = stagesFor(100);
    expect(onContinue(stages, { step: 4, finished: false }, ['first'])).toEqual({ kind: 'resume' });
    expect(onContinue(stages, { step: 70, finished: false }, ['first'])).toEqual({ kind: 'show', stage: { id: 'half', atStep: 50 } });
    expect(onContinue(stages, { step: 100, finished: true }, ['first', 'half'])).toEqual({ kind: 'show', stage: { id: 'end', atStep: 100 } });
    expect(onContinue(stages, { step: 100, finished: true }, ['first', 'half', 'end'])).toEqual({ kind: 'none' });
  });

  it('narration switched on mid-run skips the stages already behind', () => {
    const stages = stagesFor(100);
    expect(passedStages(stages, { step: 0, finished: false })).toEqual([]);
    expect(passedStages(stages, { step: 60, finished: false })).toEqual(['first', 'half']);
    expect(dueStage(stages, { step: 60, finished: false }, passedStages(stages, { step: 60, finished: false }))).toBeNull();
  });
});

describe('the tour link', () => {
  it('opens the step its hash names, else the first', () => {
    expect(stepFromHash('#step-4')).toBe(4);
    expect(stepFromHash('step-2')).toBe(2);
    expect(stepFromHash('#step-6')).toBe(6);
    for (const bad of ['', '#', '#step-0', '#step-7', '#step-2.5', '#steps-2', '#step-x']) expect(stepFromHash(bad)).toBe(1);
    expect(hashOf(3)).toBe('#step-3');
    expect(TOUR_STEPS.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps the older links: #step-5 is still the benchmark, the faces are added after it', () => {
    expect(TOUR_STEPS[stepFromHash('#step-5') - 1].short).toBe('Reading the benchmark');
    expect(TOUR_STEPS[stepFromHash('#step-6') - 1].short).toBe('The same attack on a face');
  });

  it('reads the attacks\' steps, their seed, the backend and the narrated mode from the query', () => {
    expect(readTourSettings('')).toEqual({ steps: DEFAULT_TOUR_STEPS, seed: SEED_SPEC.default, backend: undefined, narrated: false });
    expect(readTourSettings('?steps=12&seed=42&backend=WASM&narrated=1')).toEqual({ steps: 12, seed: 42, backend: 'wasm', narrated: true });
    expect(readTourSettings('?steps=0&backend=tpu').steps).toBe(DEFAULT_TOUR_STEPS);
    expect(readTourSettings('?steps=abc').steps).toBe(DEFAULT_TOUR_STEPS);
    expect(readTourSettings('?steps=99999').steps).toBe(5000);
    expect(readTourSettings('?steps=7.6').steps).toBe(8);
  });

  it('validates the seed as the attack lab does: a whole number from 0 to 2^31-1, else the default', () => {
    expect(readSeed('7')).toBe(7);
    expect(readSeed(' 7.6 ')).toBe(8);
    expect(readSeed('-5')).toBe(0);
    expect(readSeed('1e12')).toBe(2 ** 31 - 1);
    for (const bad of [null, '', 'abc', 'NaN']) expect(readSeed(bad)).toBe(SEED_SPEC.default);
    expect(readTourSettings('?seed=abc').seed).toBe(SEED_SPEC.default);
  });

  it('writes a new seed into the link and keeps the rest of it as it was', () => {
    expect(withSeed('?backend=wasm&steps=3', 42)).toBe('?backend=wasm&steps=3&seed=42');
    expect(withSeed('?seed=42&steps=3', 9)).toBe('?seed=9&steps=3');
    // The default seed is left out, as the attack lab leaves it out of its links.
    expect(withSeed('?steps=3&seed=42', SEED_SPEC.default)).toBe('?steps=3');
    expect(withSeed('', SEED_SPEC.default)).toBe('');
    // What the link says is what the tour reads back.
    expect(readTourSettings(withSeed('?steps=3', 1234)).seed).toBe(1234);
  });

  it('writes the narrated mode into the link (on as narrated=1, off left out) and reads it back', () => {
    expect(withNarrated('?seed=4', true)).toBe('?seed=4&narrated=1');
    expect(withNarrated('?narrated=1&seed=4', false)).toBe('?seed=4');
    expect(withNarrated('', false)).toBe('');
    expect(readTourSettings(withNarrated('?steps=3', true)).narrated).toBe(true);
    expect(readTourSettings(withNarrated('?narrated=yes', false)).narrated).toBe(false);
  });

  it('gives each live attack the attack lab\'s query', () => {
    const q = new URLSearchParams(labSearch({ steps: 20, seed: 3, backend: 'wasm', narrated: false }, 'plg-mi', 'target-none'));
    expect(Object.fromEntries(q)).toEqual({ attack: 'plg-mi', steps: '20', target: 'target-none', seed: '3', backend: 'wasm' });
    expect(new URLSearchParams(labSearch({ steps: 5, seed: 1, narrated: true }, 'mi-face', 'target-trap-mid')).has('backend')).toBe(false);
    // The digits are the lab's default data set: their queries say none; the faces' says so.
    expect(new URLSearchParams(labSearch({ steps: 5, seed: 1, narrated: false }, 'mi-face', 'target-none', 'mnist')).has('dataset')).toBe(false);
    expect(new URLSearchParams(labSearch({ steps: 5, seed: 1, narrated: false }, 'mi-face', 'faces-target-softmax', 'faces')).get('dataset')).toBe('faces');
  });

  it('gives step 6 MI-Face on the faces against the softmax regression recogniser, with the faces\' knob defaults and no correction', () => {
    const run = TOUR_RUNS.faces;
    const { settings, corrections } = readSettings(labSearch({ steps: 100, seed: 4, narrated: false }, run.attack, run.target, run.dataset));
    expect(corrections).toEqual([]);
    expect(settings).toMatchObject({ dataset: 'faces', attack: 'mi-face', targetId: 'faces-target-softmax', seed: 4 });
    const config = toAttackConfig(settings);
    expect(config).toMatchObject({ attack: 'mi-face', targetId: 'faces-target-softmax', steps: 100, learningRate: 0.1, tv: 0.2, l2: 0 });
    // The digits' runs stay on the digits.
    for (const r of [TOUR_RUNS.miFace, TOUR_RUNS.plg, TOUR_RUNS.trapped]) expect(readSettings(labSearch(readTourSettings(''), r.attack, r.target, r.dataset)).settings.dataset).toBe('mnist');
  });
});
