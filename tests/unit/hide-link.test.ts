// Teacher links (`hide=`): which controls a link hides, how bad names are reported, and that rewriting the link keeps them.
import { describe, expect, it } from 'vitest';
import { HIDEABLE_CONTROLS, readHidden, withHidden } from '../../src/pages/attack/url-config.ts';

describe('hide= in the attack lab link', () => {
  it('names the settings by their URL parameters, every attack knob included', () => {
    for (const c of ['attack', 'target', 'knowledge', 'defense', 'init', 'backend', 'seed', 'presets', 'steps', 'lr', 'restarts']) {
      expect(HIDEABLE_CONTROLS).toContain(c);
    }
  });

  it('reads a comma-separated list, in any case and with spaces, once per control', () => {
    expect(readHidden('?hide=backend, Seed,,LR,seed')).toEqual({ hidden: ['backend', 'seed', 'lr'], corrections: [] });
    expect(readHidden('?steps=20')).toEqual({ hidden: [], corrections: [] });
  });

  it('reports unknown names in one correction and keeps the known ones', () => {
    const { hidden, corrections } = readHidden('?hide=seed,bogus,nope');
    expect(hidden).toEqual(['seed']);
    expect(corrections).toHaveLength(1);
    expect(corrections[0]).toMatch(/"bogus", "nope" are not controls of this page \(use attack, .*, presets or a knob.s name in the link, such as steps\); ignored/);
  });

  it('adds the list to a settings query string, commas unescaped, and nothing when empty', () => {
    expect(withHidden('?steps=20', ['backend', 'seed'])).toBe('?steps=20&hide=backend,seed');
    expect(withHidden('', ['seed'])).toBe('?hide=seed');
    expect(withHidden('?steps=20', [])).toBe('?steps=20');
    expect(readHidden(withHidden('?steps=20', ['backend', 'seed'])).hidden).toEqual(['backend', 'seed']);
  });
});
