// The embeds' own logic, without a browser: an element's attributes go through the attack lab's URL validation, and
// the viewport autoplay starts, pauses and resumes a run the way a reader expects.
import { describe, expect, it } from 'vitest';
import { OBSERVED_ATTRIBUTES, attributesToSearch } from '../../src/embed/attributes.ts';
import { ViewportAutoplay, type Playable } from '../../src/pages/embed/autoplay.ts';
import { DEFAULT_SETTINGS, SETTING_PARAMS, readSettings } from '../../src/pages/attack/url-config.ts';
import type { RunStatus } from '../../src/pages/attack/lab.svelte.ts';

const attrs = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe('element attributes', () => {
  it('are read like the lab URL: same names, same values', () => {
    const search = attributesToSearch(attrs({ attack: 'gmi', target: 'target-trap-mid', steps: '100', seed: '1', class: 'wide', id: 'x' }));
    const { settings, corrections } = readSettings(search);
    expect(corrections).toEqual([]);
    expect(settings).toMatchObject({ attack: 'gmi', targetId: 'target-trap-mid', seed: 1 });
    expect(settings.params.steps).toBe(100);
  });

  it('fall back to the defaults, with one correction each, when bad', () => {
    const { settings, corrections } = readSettings(attributesToSearch(attrs({ attack: 'nope', steps: 'lots', seed: '-3', target: 'Bad Name!' })));
    expect(settings.attack).toBe(DEFAULT_SETTINGS.attack);
    expect(settings.params.steps).toBe(DEFAULT_SETTINGS.params.steps);
    expect(settings.seed).toBe(0);
    expect(settings.targetId).toBe(DEFAULT_SETTINGS.targetId);
    expect(corrections).toHaveLength(4);
    expect(corrections.join('\n')).toMatch(/Attack "nope" is unknown[\s\S]*Steps "lots" is not a number[\s\S]*Seed -3 is below 0[\s\S]*Target "Bad Name!"/);
  });

  it('take knobs whose names HTML lowercases (mutationRate="0.2" arrives as mutationrate), and leave other attributes out', () => {
    const search = attributesToSearch(attrs({ attack: 'genetic', mutationrate: '0.2', initialradius: '3', class: 'wide', id: 'x', style: 'margin: 0' }));
    expect(search).toBe('?attack=genetic&mutationRate=0.2&initialRadius=3');
    const { settings, corrections } = readSettings(search);
    expect(settings.params.mutationRate).toBe(0.2);
    // initialRadius is BREP-MI's: said to be ignored, as in a link.
    expect(corrections).toEqual([expect.stringMatching(/initialRadius\) is not a setting of Genetic/)]);
  });

  it('are watched for every setting and hide (lowercase, as the browser reports them), and only those', () => {
    for (const name of ['attack', 'target', 'seed', 'steps', 'lr', 'tv', 'knowledge', 'defense', 'init', 'backend', 'hide', 'mutationrate', 'featureweight']) {
      expect(OBSERVED_ATTRIBUTES, name).toContain(name);
    }
    expect(OBSERVED_ATTRIBUTES).toHaveLength(SETTING_PARAMS.length + 1);
    for (const name of OBSERVED_ATTRIBUTES) expect(name).toBe(name.toLowerCase());
    for (const name of ['class', 'id', 'style', 'hidden']) expect(OBSERVED_ATTRIBUTES).not.toContain(name);
  });

  it('values are passed as they are written (no double decoding)', () => {
    expect(attributesToSearch(attrs({ target: 'a&b=c' }))).toBe('?target=a%26b%3Dc');
    expect(attributesToSearch([])).toBe('');
  });
});

/** A lab whose run status the test drives; it records what the autoplay asked of it. */
function fakeLab(): Playable & { runStatus: RunStatus; ready: boolean; calls: string[] } {
  const lab = {
    runStatus: 'idle' as RunStatus,
    ready: false,
    calls: [] as string[],
    get canRun() { return lab.ready && lab.runStatus !== 'running' && lab.runStatus !== 'starting'; },
    get canPause() { return lab.ready && lab.runStatus === 'running'; },
    async run() { lab.calls.push('run'); lab.runStatus = 'running'; },
    async pause() { lab.calls.push('pause'); lab.runStatus = 'paused'; },
  };
  return lab;
}

describe('ViewportAutoplay', () => {
  it('starts once when near the viewport and the engine is ready, pauses off-screen, resumes on return', () => {
    const lab = fakeLab();
    const autoplay = new ViewportAutoplay(lab);
    autoplay.setVisible(false);
    lab.ready = true;
    autoplay.update();
    expect(lab.calls).toEqual([]); // ready but off-screen: not started
    autoplay.setVisible(true);
    expect(lab.calls).toEqual(['run']);
    autoplay.setVisible(false);
    expect(lab.calls).toEqual(['run', 'pause']);
    autoplay.setVisible(true);
    expect(lab.calls).toEqual(['run', 'pause', 'run']);
    // A finished run is not started again by scrolling.
    lab.runStatus = 'done';
    autoplay.setVisible(false);
    autoplay.setVisible(true);
    expect(lab.calls).toEqual(['run', 'pause', 'run']);
  });

  it('waits for the engine when it comes into view first', () => {
    const lab = fakeLab();
    const autoplay = new ViewportAutoplay(lab);
    autoplay.setVisible(true);
    expect(lab.calls).toEqual([]);
    lab.ready = true;
    autoplay.update();
    expect(lab.calls).toEqual(['run']);
  });

  it("never undoes the reader's Pause by scrolling", () => {
    const lab = fakeLab();
    lab.ready = true;
    const autoplay = new ViewportAutoplay(lab);
    autoplay.setVisible(true);
    autoplay.toggle(); // the reader pauses
    expect(lab.calls).toEqual(['run', 'pause']);
    autoplay.setVisible(false);
    autoplay.setVisible(true);
    expect(lab.calls).toEqual(['run', 'pause']);
    autoplay.toggle(); // and resumes
    expect(lab.calls).toEqual(['run', 'pause', 'run']);
  });
});
