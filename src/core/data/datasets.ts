// The data set as a parameter of the design: one descriptor per data set, read by every layer (core, worker, CLI,
// pages). A third data set is a new descriptor here, its loader (like data/faces.ts), and trained models in the
// manifest. tfjs-free, so the pages (which never load tfjs) read it too.
import { makeRng, shuffledIndices } from './rng.ts';

/** MNIST: 28 x 28 digits; the target is trained on 0-4 (its private data), the attacker may know 5-9. */
export const IMAGE_SIZE = 28;
export const PRIVATE_CLASSES = [0, 1, 2, 3, 4] as const;
export const PUBLIC_CLASSES = [5, 6, 7, 8, 9] as const;

/** Olivetti faces (data/olivetti): 40 people x 10 images, 64 x 64. */
export const FACE_SIDE = 64;
export const PEOPLE = 40;
/** Seed of the private / public choice of people and of each private person's test images (written in the manifest). */
export const FACES_SPLIT_SEED = 2015;
export const FACES_CREDIT = 'The Database of Faces, AT&T Laboratories Cambridge (Samaria and Harter, 1994), in the 64 x 64 version prepared by Sam Roweis';
export const FACES_NOTICE = 'These are photographs of real people who sat for a 1990s research database; they are shown here only to teach how model inversion works.';

/** The private people (sorted), a seeded choice of half of the 40. */
export function privatePeople(seed = FACES_SPLIT_SEED): number[] {
  return Array.from(shuffledIndices(PEOPLE, makeRng(seed)).subarray(0, PEOPLE / 2)).sort((a, b) => a - b);
}

export function publicPeople(seed = FACES_SPLIT_SEED): number[] {
  const priv = new Set(privatePeople(seed));
  return Array.from({ length: PEOPLE }, (_, i) => i).filter((p) => !priv.has(p));
}

export type DatasetId = 'mnist' | 'faces';
export const DEFAULT_DATASET: DatasetId = 'mnist';

export interface Dataset {
  id: DatasetId;
  title: string;
  /** Images are side x side x 1, grey, in [0, 1]. */
  side: number;
  /** What a class is, in words. */
  noun: 'digit' | 'person';
  /** Number of labels in the raw data (10 digits, 40 people). */
  labels: number;
  /** Classes the target is trained on (its private data). */
  privateClasses: readonly number[];
  /** Classes the attacker may know. */
  publicClasses: readonly number[];
  /** Folder of this data set's split files under the site's data/ ('' for MNIST, where they always were). */
  assetPrefix: string;
  /** The split that real examples of each private class are shown from: a small sample of MNIST's 30,596; all 160 faces. */
  sampleSplit: 'private-sample' | 'private-train';
  /** Training augmentation that keeps the class: pixel shifts, and mirror images where the class allows it. */
  augment: { shift: number; flip: boolean };
  /** Where the images come from, for every place that shows them. */
  credit?: string;
  /** Shown beside the images where they are of real people. */
  notice?: string;
}

export const DATASETS: Record<DatasetId, Dataset> = {
  mnist: {
    id: 'mnist', title: 'MNIST digits', side: IMAGE_SIZE, noun: 'digit', labels: 10,
    privateClasses: PRIVATE_CLASSES, publicClasses: PUBLIC_CLASSES, assetPrefix: '', sampleSplit: 'private-sample', augment: { shift: 2, flip: false },
  },
  faces: {
    id: 'faces', title: 'Olivetti faces', side: FACE_SIDE, noun: 'person', labels: PEOPLE,
    privateClasses: privatePeople(), publicClasses: publicPeople(), assetPrefix: 'faces/', sampleSplit: 'private-train', augment: { shift: 3, flip: true },
    credit: FACES_CREDIT, notice: FACES_NOTICE,
  },
};

export const DATASET_IDS = Object.keys(DATASETS) as DatasetId[];

/** The descriptor of `id`; absent means MNIST (every older link, record and manifest entry). */
export function datasetOf(id: string | undefined | null): Dataset {
  if (id === undefined || id === null || id === '') return DATASETS[DEFAULT_DATASET];
  // Own keys only: 'constructor' or '__proto__' are no data sets.
  if (!isDatasetId(id)) throw new Error(`unknown data set '${id}' (available: ${DATASET_IDS.join(', ')})`);
  return DATASETS[id];
}

export function isDatasetId(id: unknown): id is DatasetId {
  return typeof id === 'string' && (DATASET_IDS as string[]).includes(id);
}

/** "digit 3", "person 7". */
export function className(d: Dataset, label: number): string {
  return `${d.noun} ${label}`;
}

export function pixelsPerImage(d: Dataset): number {
  return d.side * d.side;
}
