// The defense lab's link: Trap-MID's injection and the trigger strength it needs survive the round trip.
import { describe, expect, it } from 'vitest';
import { defenseSettingsToSearch, readDefenseSettings, toTrainingConfig } from '../../src/pages/defense/defense-config.ts';

describe('the defense lab link', () => {
  it('gives an injection without its own alpha the strength it needs, and leaves that alpha out again', () => {
    const { settings, corrections } = readDefenseSettings('?injection=stroke');
    expect(corrections).toEqual([]);
    expect([settings.injection, settings.params.alpha]).toEqual(['stroke', 1]);
    expect(defenseSettingsToSearch(settings)).toBe('?injection=stroke');
  });

  it('reads the warp and TeD injections with their own strength (1 px; the full mask), and reports an unknown one', () => {
    for (const injection of ['warp', 'ted']) {
      const { settings, corrections } = readDefenseSettings(`?injection=${injection}`);
      expect(corrections).toEqual([]);
      expect([settings.injection, settings.params.alpha]).toEqual([injection, 1]);
      expect(defenseSettingsToSearch(settings)).toBe(`?injection=${injection}`);
      expect(toTrainingConfig(settings).injection).toBe(injection);
    }
    const { settings, corrections } = readDefenseSettings('?injection=wanet');
    expect(settings.injection).toBe('blend');
    expect(corrections).toEqual(['Injection "wanet" is unknown (use blend, ink, stroke, warp, ted); using blend']);
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

describe('the defense lab link on the faces', () => {
  it('reads ?dataset=faces with the faces\' own training knobs, and writes it back', () => {
    const { settings, corrections } = readDefenseSettings('?dataset=faces');
    expect(corrections).toEqual([]);
    expect(settings).toMatchObject({ dataset: 'faces', defense: 'trap-mid', epochs: 30, batchSize: 32, trainImages: 160 });
    expect(defenseSettingsToSearch(settings)).toBe('?dataset=faces');
    expect(toTrainingConfig(settings)).toMatchObject({ dataset: 'faces', epochs: 30, batchSize: 32, trainImages: 160 });
    const more = readDefenseSettings('?dataset=faces&epochs=80&images=300').settings;
    expect([more.epochs, more.trainImages]).toEqual([80, 160]);
  });

  it('corrects an unknown data set and a defense that does not train on faces, with a reason', () => {
    const bad = readDefenseSettings('?dataset=cifar&epochs=3');
    expect(bad.corrections).toEqual(['Data set "cifar" is unknown (use mnist, faces); using mnist']);
    expect(bad.settings).toMatchObject({ dataset: 'mnist', epochs: 3 });
    const mid = readDefenseSettings('?dataset=faces&defense=mid&midBeta=0.05');
    expect(mid.settings.defense).toBe('trap-mid');
    expect(mid.corrections[0]).toMatch(/^MID \(information bottleneck\) does not train on the Olivetti faces \(.*28 x 28.*\); using Trap-MID/);
  });

  it('leaves MNIST links and configs as they were (no data set in either)', () => {
    const { settings } = readDefenseSettings('?epochs=2');
    expect(defenseSettingsToSearch(settings)).toBe('?epochs=2');
    expect('dataset' in toTrainingConfig(settings)).toBe(false);
    expect(settings).toMatchObject({ dataset: 'mnist', batchSize: 64, trainImages: 30596 });
  });
});
