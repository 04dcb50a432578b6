// The attack lab's run record: built from a snapshot, saved as JSON and read back to the same images, figures and
// settings; every malformed field is refused with a message that names it.
import { describe, expect, it } from 'vitest';
import { buildAttackRecord, parseAttackRecord, snapshotOfRecord, type AttackRecord } from '../../src/worker/attack-record.ts';
import { DEFAULT_MI_FACE, type AttackConfig, type AttackSnapshot } from '../../src/worker/protocol.ts';
import { knobValues } from '../../src/worker/catalog.ts';
import { readSettings, settingsFromConfig, settingsToSearch, toAttackConfig } from '../../src/pages/attack/url-config.ts';
import { maxAbsDiff } from './helpers.ts';

const digits = [0, 1, 2, 3, 4];
const snapshot: AttackSnapshot = {
  jobId: 3, step: 40, maxSteps: 40, classes: digits, pixels: Float32Array.from({ length: 5 * 784 }, (_, i) => ((i * 37) % 256) / 255),
  targetConfidence: [0.99, 0.5, 0.97, 0.8, 1], loss: [0.1, 0.2, 0.3, 0.4, 0.5],
  evaluator: { predicted: [0, 7, 2, 3, 9], confidence: [0.9, 0.4, 0.8, 0.7, 0.6], top5: digits.map((d) => [d, 1, 2, 3, 4]) },
  robust: { predicted: [0, 7, 5, 3, 9], confidence: [0.95, 0.5, 0.6, 0.9, 0.7] },
  attackAccuracy: { top1: 0.6, top5: 1, robustTop1: 0.4, bothTop1: 0.4 }, state: 'done', elapsedMs: 1234,
  trapdoor: { scores: [0.9, 0.1, -0.2, 0.95, 0.3], threshold: 0.62, flaggedShare: 0.4, aucVsPublic: 0.81 },
  candidates: { classes: digits, pixels: new Float32Array(5 * 784), score: [1, 1, 1, 1, 1], kept: [0, 1, 2, 3, 4] },
};
const miFace: AttackConfig = { ...DEFAULT_MI_FACE, targetId: 'target-trap-mid', steps: 40, seed: 7, init: 'zeros' };
const gmi: AttackConfig = {
  attack: 'genetic', targetId: 'target-none', knowledge: 'other-writers', params: { ...knobValues('genetic'), steps: 12 },
  outputDefense: 'round:1', seed: 3, snapshotEvery: 1,
};

const saved = (r: AttackRecord) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>;

describe('attack run records', () => {
  it('round-trips: the same figures, the kept images within one grey level, and the settings that run it again', () => {
    const record = buildAttackRecord(snapshot, miFace, { backend: 'wasm' }, new Date('2026-02-03T04:05:06Z'));
    expect(record).toMatchObject({
      format: 'inversion-playground-attack', version: 2, createdAt: '2026-02-03T04:05:06.000Z', config: miFace, backend: 'wasm',
      state: 'done', step: 40, maxSteps: 40, attackAccuracy: { top1: 0.6, top5: 1, robustTop1: 0.4, bothTop1: 0.4 }, trapdoor: { threshold: 0.62, flaggedShare: 0.4, aucVsPublic: 0.81 },
    });
    expect(record.images.map((im) => im.trapdoorScore)).toEqual(snapshot.trapdoor!.scores);
    expect(record.images.map((im) => im.robust!.predicted)).toEqual([0, 7, 5, 3, 9]);
    expect(record).not.toHaveProperty('candidates'); // the kept images only

    const back = parseAttackRecord(JSON.stringify(record));
    expect(back).toEqual(record);
    const snap = snapshotOfRecord(back);
    expect(maxAbsDiff(snap.pixels, snapshot.pixels)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    const { pixels: _p, loss: _l, candidates: _c, jobId: _j, ...figures } = snapshot;
    const { pixels: _p2, loss, jobId: _j2, ...shown } = snap;
    expect(shown).toEqual(figures);
    expect(loss).toEqual([]);

    // Its settings, through the URL, give back the same config.
    for (const config of [miFace, gmi]) {
      const settings = readSettings(settingsToSearch(settingsFromConfig(config, { backend: 'wasm' })));
      expect(settings.corrections).toEqual([]);
      expect(settings.settings.backend).toBe('wasm');
      expect({ ...toAttackConfig(settings.settings), snapshotEvery: config.snapshotEvery }).toEqual(config);
    }
  });

  it('opens a version 1 record (one judge, saved before the second judge shipped) and saves it as version 1 again', () => {
    const { robust: _r, ...oneJudge } = snapshot;
    const old = saved(buildAttackRecord({ ...oneJudge, attackAccuracy: { top1: 0.6, top5: 1 } }, miFace, { backend: 'wasm' }));
    expect(old.version).toBe(1);
    expect((old.images as Record<string, unknown>[])[0]).not.toHaveProperty('robust');
    const snap = snapshotOfRecord(parseAttackRecord(JSON.stringify(old)));
    expect(snap.robust).toBeUndefined();
    expect(snap.attackAccuracy).toEqual({ top1: 0.6, top5: 1 });
    expect(buildAttackRecord(snap, miFace, { backend: 'wasm' }).version).toBe(1);
  });

  it('keeps the optional figures of the attacks that have them (queries, radius) and leaves out what a run lacks', () => {
    const { trapdoor: _t, ...plain } = snapshot;
    const record = buildAttackRecord({ ...plain, queries: 900, radius: [1, 2, 3, 4, 5] }, gmi, { backend: 'webgpu', adapter: 'SwiftShader' });
    expect(record.trapdoor).toBeUndefined();
    expect(record.images[0]).not.toHaveProperty('trapdoorScore');
    const back = parseAttackRecord(JSON.stringify(record));
    expect(back).toMatchObject({ queries: 900, radius: [1, 2, 3, 4, 5], adapter: 'SwiftShader', config: gmi });
    expect(snapshotOfRecord(back).trapdoor).toBeUndefined();
  });

  it('refuses every malformed record with a message naming the field', () => {
    const good = saved(buildAttackRecord(snapshot, miFace, { backend: 'wasm' }));
    const gan = saved(buildAttackRecord(snapshot, gmi, { backend: 'wasm' }));
    const image = (r: Record<string, unknown>, i: number) => (r.images as Record<string, unknown>[])[i];
    const cases: [string, (r: Record<string, unknown>) => unknown, RegExp][] = [
      ['format', (r) => (r.format = 'inversion-playground-benchmark'), /"format" is "inversion-playground-benchmark"/],
      ['version', (r) => (r.version = 3), /"version" 3 is not supported/],
      ['attackAccuracy.robustTop1', (r) => delete (r.attackAccuracy as Record<string, unknown>).robustTop1, /"attackAccuracy\.robustTop1" must be a number/],
      ['images[1].robust', (r) => delete image(r, 1).robust, /"images\[1\]\.robust" must be an object/],
      ['images[2].robust.predicted', (r) => ((image(r, 2).robust as Record<string, unknown>).predicted = 10), /"images\[2\]\.robust\.predicted" must be in 0\.\.9/],
      ['createdAt', (r) => (r.createdAt = 'yesterday'), /"createdAt"/],
      ['backend', (r) => delete r.backend, /"backend"/],
      ['adapter', (r) => (r.adapter = 5), /"adapter"/],
      ['state', (r) => (r.state = 'finished'), /"state"/],
      ['maxSteps', (r) => (r.maxSteps = 0), /"maxSteps" must be in 1\.\./],
      ['step', (r) => (r.step = 41), /"step" must be in 0\.\.40/],
      ['elapsedMs', (r) => (r.elapsedMs = 'long'), /"elapsedMs" must be a number/],
      ['attackAccuracy', (r) => delete r.attackAccuracy, /"attackAccuracy"/],
      ['attackAccuracy.top1', (r) => ((r.attackAccuracy as Record<string, unknown>).top1 = 1.5), /"attackAccuracy\.top1" must be in 0\.\.1/],
      ['config', (r) => delete r.config, /"config" must be an object/],
      ['config.attack', (r) => ((r.config as Record<string, unknown>).attack = 'mi-fake'), /"config\.attack" "mi-fake" is unknown/],
      ['config.targetId', (r) => ((r.config as Record<string, unknown>).targetId = '../evil'), /"config\.targetId"/],
      ['config.seed', (r) => ((r.config as Record<string, unknown>).seed = 1.5), /"config\.seed" must be a whole number/],
      ['config.snapshotEvery', (r) => delete (r.config as Record<string, unknown>).snapshotEvery, /"config\.snapshotEvery"/],
      ['config.steps', (r) => ((r.config as Record<string, unknown>).steps = 0), /"config\.steps" must be a whole number in 1\.\.5000/],
      ['config.learningRate', (r) => ((r.config as Record<string, unknown>).learningRate = '0.1'), /"config\.learningRate" must be a number/],
      ['config.init', (r) => ((r.config as Record<string, unknown>).init = 'random'), /"config\.init"/],
      ['images', (r) => (r.images = []), /"images" must be a non-empty list/],
      ['images[1]', (r) => ((r.images as unknown[])[1] = 'x'), /"images\[1\]" must be an object/],
      ['images[2].digit', (r) => (image(r, 2).digit = 12), /"images\[2\]\.digit" must be in 0\.\.9/],
      ['images[3].digit twice', (r) => (image(r, 3).digit = 0), /"images\[3\]\.digit" 0 appears twice/],
      ['images[0].pixels base64', (r) => (image(r, 0).pixels = '***'), /"images\[0\]\.pixels" is not base64/],
      ['images[0].pixels size', (r) => (image(r, 0).pixels = btoa('abc')), /"images\[0\]\.pixels" holds 3 pixels, expected 784/],
      ['images[4].targetConfidence', (r) => delete image(r, 4).targetConfidence, /"images\[4\]\.targetConfidence" must be a number/],
      ['images[1].evaluator', (r) => delete image(r, 1).evaluator, /"images\[1\]\.evaluator" must be an object/],
      ['images[1].evaluator.predicted', (r) => ((image(r, 1).evaluator as Record<string, unknown>).predicted = -1), /"images\[1\]\.evaluator\.predicted"/],
      ['images[1].evaluator.top5', (r) => ((image(r, 1).evaluator as Record<string, unknown>).top5 = ['a']), /"images\[1\]\.evaluator\.top5"/],
      ['images[2].trapdoorScore', (r) => (image(r, 2).trapdoorScore = 3), /"images\[2\]\.trapdoorScore" must be in -1\.\.1/],
      ['trapdoor', (r) => (r.trapdoor = 1), /"trapdoor" must be an object/],
      ['trapdoor.flaggedShare', (r) => delete (r.trapdoor as Record<string, unknown>).flaggedShare, /"trapdoor\.flaggedShare"/],
      ['trapdoor without scores', (r) => delete image(r, 3).trapdoorScore, /"images\[3\]\.trapdoorScore" is missing/],
      ['queries', (r) => (r.queries = -3), /"queries" must be in 0\.\./],
      ['radius', (r) => (r.radius = [1, 2]), /"radius" must be one number per image/],
    ];
    const ganCases: typeof cases = [
      ['config.knowledge', (r) => ((r.config as Record<string, unknown>).knowledge = 'everything'), /"config\.knowledge" must be one of disjoint, other-writers/],
      ['config.params', (r) => ((r.config as Record<string, unknown>).params = 5), /"config\.params" must be an object/],
      ['config.params.steps missing', (r) => delete ((r.config as Record<string, unknown>).params as Record<string, unknown>).steps, /"config\.params\.steps" is missing/],
      ['config.params unknown knob', (r) => (((r.config as Record<string, unknown>).params as Record<string, unknown>).tv = 1), /"config\.params\.tv" is not a knob of/],
      ['config.params out of range', (r) => (((r.config as Record<string, unknown>).params as Record<string, unknown>).steps = 1e9), /"config\.params\.steps" must be a whole number in 1\.\.5000/],
      ['config.outputDefense', (r) => ((r.config as Record<string, unknown>).outputDefense = 'blur'), /"config\.outputDefense" must be one of none,/],
    ];
    for (const [base, list] of [[good, cases], [gan, ganCases]] as const) {
      for (const [field, breakIt, message] of list) {
        const r = structuredClone(base);
        breakIt(r);
        expect(() => parseAttackRecord(JSON.stringify(r)), field).toThrow(message);
      }
    }
    expect(() => parseAttackRecord('{"format":')).toThrow(/not JSON/);
    expect(() => parseAttackRecord('[1, 2]')).toThrow(/expected a JSON object/);
    expect(() => parseAttackRecord(JSON.stringify(good))).not.toThrow();
    expect(() => parseAttackRecord(JSON.stringify(gan))).not.toThrow();
  });
});
