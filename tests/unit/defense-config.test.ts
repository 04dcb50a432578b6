// The defense lab's link: Trap-MID's injection and the trigger strength it needs survive the round trip.
import { describe, expect, it } from 'vitest';
import { defenseSettingsToSearch, readDefenseSettings } from '../../src/pages/defense/defense-config.ts';

describe('the defense lab link', () => {
  it('gives an injection without its own alpha the strength it needs, and leaves that alpha out again', () => {
    const { settings, corrections } = readDefenseSettings('?injection=stroke');
    expect(corrections).toEqual([]);
    expect([settings.injection, settings.params.alpha]).toEqual(['stroke', 1]);
    expect(defenseSettingsToSearch(settings)).toBe('?injection=stroke');
  });

  it('keeps an alpha set by hand, also the paper\'s 0.02 with another injection', () => {
    for (const search of ['?alpha=0.02&injection=stroke', '?alpha=0.3&injection=ink', '?alpha=0.1']) {
      const { settings } = readDefenseSettings(search);
      expect(readDefenseSettings(defenseSettingsToSearch(settings)).settings).toEqual(settings);
      expect(settings.params.alpha).toBe(Number(new URLSearchParams(search).get('alpha')));
    }
  });

  it('reports an injection given to a defense without triggers, and adds no alpha to it', () => {
    const { settings, corrections } = readDefenseSettings('?defense=mid&injection=stroke');
    expect(corrections).toEqual(['Injection is a setting of Trap-MID only; ignored']);
    expect(Object.keys(settings.params)).toEqual(['midBeta']);
  });
});
