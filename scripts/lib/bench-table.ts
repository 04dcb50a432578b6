// `npm run mi -- bench` output: the grid as a text table (one row per defense with its clean accuracy, one column
// group per attack) and the files of --out (the page's CSV, the run record, every reconstruction beside its nearest
// private image as PNGs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cellOf, decodeGray, formatSeedList, recordToCsv } from '../../src/worker/benchmark-record.ts';
import { datasetOf } from '../../src/core/data/datasets.ts';
import type { BenchmarkCell, BenchmarkRecord } from '../../src/worker/protocol.ts';
import { writeGrayPng } from './png.ts';

const GROUP = ['AA-1', 'AA-5', 'J2-1', 'both', 'KNN-L', 'pub-NN', 'KNN', 'FID'];
const W = 7;

function figures(c: BenchmarkCell | undefined): string {
  if (!c) return 'not run'.padEnd(GROUP.length * W);
  if (c.status !== 'done' || !c.metrics) return (c.status === 'no-prior' ? 'no prior for this target' : `failed: ${c.note ?? ''}`).slice(0, GROUP.length * W - 1).padEnd(GROUP.length * W);
  const m = c.metrics;
  return [m.top1.toFixed(2), m.top5.toFixed(2), m.robustTop1?.toFixed(2) ?? '-', m.bothTop1?.toFixed(2) ?? '-', m.knnLabelAccuracy?.toFixed(2) ?? '-', m.publicNearest?.toFixed(2) ?? '-', m.knnDistance.toFixed(1), m.fid === null ? 'n/a' : m.fid.toFixed(1)].map((v) => v.padStart(W)).join('');
}

/** The table, as `mi bench` prints it. */
export function formatBenchTable(r: BenchmarkRecord): string {
  const c = r.config;
  const ds = datasetOf(c.dataset);
  const name = Math.max(8, ...r.defenses.map((d) => d.id.length)) + 2;
  const lines = [
    `${ds.title}: ${r.defenses.length} defense(s) x ${r.attacks.length} attack(s), seeds ${formatSeedList(c.seeds)}, ${c.budget} budget${c.steps ? ` (steps ${c.steps})` : ''}, ` +
      `knowledge ${c.knowledge}; ${r.backend}, ${(r.elapsedMs / 1000).toFixed(1)} s; reference: ${r.reference.images} private images (FID / PRDC: ${r.reference.fidImages})`,
    ''.padEnd(name + 8) + r.attacks.map((a) => ` | ${a.name.slice(0, GROUP.length * W - 1).padEnd(GROUP.length * W)}`).join(''),
    'defense'.padEnd(name) + 'clean'.padStart(8) + r.attacks.map(() => ` | ${GROUP.map((g) => g.padStart(W)).join('')}`).join(''),
  ];
  for (const d of r.defenses) {
    lines.push(d.id.padEnd(name) + `${(100 * d.testAccuracy).toFixed(2)}%`.padStart(8) + r.attacks.map((a) => ` | ${figures(cellOf(r.cells, d.id, a.id))}`).join(''));
  }
  lines.push('AA-1 / AA-5: evaluator top-1 / top-5 attack accuracy; J2-1: the second judge\'s top-1; both: both judges\' top-1; ' +
    'KNN-L: KNN-label accuracy (nearest training image of any digit, second judge\'s features); pub-NN: the share whose nearest training image is a public digit ' +
    '(synthetic distribution analysis); KNN: squared L2 to the nearest private image (evaluator features); FID vs the reference.' +
    (ds.id === 'mnist' ? '' : ` The ${ds.title} have one judge: J2-1, both, KNN-L and pub-NN are '-' (no figure).`));
  for (const c of r.cells) {
    const t = c.metrics?.trapdoor;
    if (t) lines.push(`${c.defense} x ${c.attack}: ${(100 * t.flaggedShare).toFixed(0)}% of reconstructions flagged by the trapdoor (mean score ${t.meanScore.toFixed(2)}, threshold ${t.threshold.toFixed(2)})`);
  }
  return lines.join('\n');
}

/** DIR/table.csv, DIR/record.json and DIR/<defense>/<attack>/{recon,nearest}-<digit>-<seed>.png. */
export function writeBenchOut(r: BenchmarkRecord, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'table.csv'), recordToCsv(r));
  fs.writeFileSync(path.join(dir, 'record.json'), JSON.stringify(r, null, 2) + '\n');
  for (const c of r.cells) {
    if (!c.images?.length) continue;
    const sub = path.join(dir, c.defense, c.attack);
    fs.mkdirSync(sub, { recursive: true });
    for (const im of c.images) {
      const recon = decodeGray(im.pixels), nearest = decodeGray(im.nearest);
      // 28 x 28 digits, 64 x 64 faces: the side from the pixel count.
      const side = Math.round(Math.sqrt(recon.length));
      writeGrayPng(path.join(sub, `recon-${im.digit}-${im.seed}.png`), recon, side, side);
      writeGrayPng(path.join(sub, `nearest-${im.digit}-${im.seed}.png`), nearest, side, side);
    }
  }
}
