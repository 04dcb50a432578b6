// Loads models and MNIST splits over HTTP from the site root (same origin; nothing leaves it).
import * as tf from '@tensorflow/tfjs';
import { parseDigitSet, type DigitSet } from '../core/data/mnist.ts';
import { DATASETS } from '../core/data/datasets.ts';
import type { Manifest } from '../core/nets/manifest.ts';
import type { AssetLoader } from './engine.ts';
import { indexedDbStore } from './trained-model.ts';

async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The bytes of a gzipped data file. A host that labels .gz files `Content-Encoding: gzip` has the browser inflate
 * them already, so only bytes that still start with gzip's magic number are inflated here.
 */
async function fetchGunzipped(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await fetchBytes(url);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${url}: not a readable gzip file (${(e as Error).message})`);
  }
}

export function browserLoader(baseUrl: string): AssetLoader {
  const url = (p: string) => new URL(p, baseUrl).href;
  const sets = new Map<string, Promise<DigitSet>>();
  return {
    async manifest() {
      const res = await fetch(url('models/manifest.json'));
      if (!res.ok) throw new Error(`models/manifest.json: HTTP ${res.status}`);
      try {
        return (await res.json()) as Manifest;
      } catch {
        throw new Error('models/manifest.json is not valid JSON');
      }
    },
    model: (path) => tf.loadLayersModel(url(`models/${path}`)),
    modelFile: (path) => fetchBytes(url(`models/${path}`)),
    trainedStore: indexedDbStore(),
    digitSet(name) {
      if (!sets.has(name)) {
        const p = Promise.all([fetchGunzipped(url(`data/${name}-images.idx.gz`)), fetchGunzipped(url(`data/${name}-labels.idx.gz`))])
          .then(([img, lab]) => {
            // A name under a data set's folder ('faces/public') is parsed with that data set's image size and labels.
            const ds = Object.values(DATASETS).find((d) => d.assetPrefix && name.startsWith(d.assetPrefix));
            return parseDigitSet(img, lab, name, ds ? { side: ds.side, maxLabel: ds.labels - 1 } : undefined);
          });
        p.catch(() => sets.delete(name));
        sets.set(name, p);
      }
      return sets.get(name)!;
    },
  };
}
