// Loads models and MNIST splits over HTTP from the site root (same origin; nothing leaves it).
import * as tf from '@tensorflow/tfjs';
import { parseDigitSet, type DigitSet } from '../core/data/mnist.ts';
import type { Manifest } from '../core/nets/manifest.ts';
import type { AssetLoader } from './engine.ts';
import { indexedDbStore } from './trained-model.ts';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
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
        const p = Promise.all([fetchBytes(url(`data/${name}-images.idx`)), fetchBytes(url(`data/${name}-labels.idx`))])
          .then(([img, lab]) => parseDigitSet(img, lab, name));
        p.catch(() => sets.delete(name));
        sets.set(name, p);
      }
      return sets.get(name)!;
    },
  };
}
