// Teacher links (`hide=`): which controls a link hides on each page, how bad names are reported, and that rewriting
// the link keeps them.
import { describe, expect, it } from 'vitest';
import { readHidden, withHidden } from '../../src/ui/hide-link.ts';
import { ATTACK_HIDEABLE } from '../../src/pages/attack/url-config.ts';
import { DEFENSE_HIDEABLE } from '../../src/pages/defense/defense-config.ts';
import { BENCHMARK_HIDEABLE } from '../../src/pages/benchmark/benchmark-config.ts';

describe('hide= in the attack lab link', () => {
  it('names the settings by their URL parameters, every attack knob included', () => {
    for (const c of ['attack', 'target', 'knowledge', 'defense', 'init', 'backend', 'seed', 'presets', 'steps', 'lr', 'restarts']) {
      expect(ATTACK_HIDEABLE.names).toContain(c);
    }
  });

  it('reads a comma-separated list, in any case and with spaces, once per control', () => {
    expect(readHidden('?hide=backend, Seed,,LR,seed', ATTACK_HIDEABLE)).toEqual({ hidden: ['backend', 'seed', 'lr'], corrections: [] });
    expect(readHidden('?steps=20', ATTACK_HIDEABLE)).toEqual({ hidden: [], corrections: [] });
  });

  it('reports unknown names in one correction and keeps the known ones', () => {
    const { hidden, corrections } = readHidden('?hide=seed,bogus,nope', ATTACK_HIDEABLE);
    expect(hidden).toEqual(['seed']);
    expect(corrections).toHaveLength(1);
    expect(corrections[0]).toMatch(/"bogus", "nope" are not controls of this page \(use dataset, attack, .*, presets or a knob.s name in the link, such as steps\); ignored/);
  });

  it('adds the list to a settings query string, commas unescaped, and nothing when empty', () => {
    expect(withHidden('?steps=20', ['backend', 'seed'])).toBe('?steps=20&hide=backend,seed');
    expect(withHidden('', ['seed'])).toBe('?hide=seed');
    expect(withHidden('?steps=20', [])).toBe('?steps=20');
    expect(readHidden(withHidden('?steps=20', ['backend', 'seed']), ATTACK_HIDEABLE).hidden).toEqual(['backend', 'seed']);
  });
});

describe('hide= in the defense lab link', () => {
  it('names the settings by their URL parameters, every defense knob included', () => {
    for (const c of ['dataset', 'defense', 'naturalness', 'injection', 'dependence', 'epochs', 'batch', 'images', 'seed', 'backend', 'alpha', 'midBeta', 'lambdaX']) {
      expect(DEFENSE_HIDEABLE.names).toContain(c);
    }
    // Catalog keys that are not URL parameters are not names here.
    expect(DEFENSE_HIDEABLE.names).not.toContain('batchSize');
  });

  it('reads the names in any case and reports the attack lab\'s names as unknown here', () => {
    expect(readHidden('?hide=Defense,ALPHA,epochs', DEFENSE_HIDEABLE)).toEqual({ hidden: ['defense', 'alpha', 'epochs'], corrections: [] });
    const { hidden, corrections } = readHidden('?hide=seed,attack', DEFENSE_HIDEABLE);
    expect(hidden).toEqual(['seed']);
    expect(corrections).toEqual([expect.stringMatching(/^Hide: "attack" is not a control of this page \(use dataset, defense, .*backend or a knob.s name in the link, such as alpha\); ignored$/)]);
  });
});

describe('hide= on a page that hides nothing (the speed page)', () => {
  it('says so once and hides nothing', () => {
    expect(readHidden('?hide=seed,repeats', { names: [], hint: '' })).toEqual({ hidden: [], corrections: ['Hide: this page has no controls a link can hide; ignored'] });
    expect(readHidden('?repeats=2', { names: [], hint: '' })).toEqual({ hidden: [], corrections: [] });
  });
});

describe('hide= in the benchmark link', () => {
  it('names every control of the selection by its URL parameter, and the Open button', () => {
    expect([...BENCHMARK_HIDEABLE.names].sort()).toEqual(['attacks', 'backend', 'budget', 'dataset', 'defense', 'defenses', 'knowledge', 'open', 'queries', 'ref', 'seeds', 'steps']);
  });

  it('keeps the known names, reports the rest with the full list of names', () => {
    const { hidden, corrections } = readHidden('?hide=Attacks,seeds,seed', BENCHMARK_HIDEABLE);
    expect(hidden).toEqual(['attacks', 'seeds']);
    expect(corrections).toEqual(['Hide: "seed" is not a control of this page (use dataset, defenses, attacks, seeds, budget, knowledge, steps, ref, defense, queries, backend, open); ignored']);
  });
});
