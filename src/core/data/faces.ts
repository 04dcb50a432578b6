// The Olivetti / AT&T faces (40 people x 10 images, 64 x 64 grey; data/olivetti/README.md): checksum-verified
// parsing and the faces protocol's split. Private: 20 people (a seeded choice), 8 images each to train the target
// and 2 to test it. Public: the other 20 people, all 10 images - the attacker's auxiliary data is other people's
// faces, as in GMI's CelebA protocol.
import { type ImageSet, concatSets, parseDigitSet, subset } from './mnist.ts';
import { makeRng, shuffledIndices } from './rng.ts';
import { FACE_SIDE, FACES_SPLIT_SEED, PEOPLE, privatePeople } from './datasets.ts';

export { FACE_SIDE, FACES_SPLIT_SEED, PEOPLE, privatePeople, publicPeople } from './datasets.ts';
export const IMAGES_PER_PERSON = 10;
export const FACES_FILES = {
  images: { name: 'olivetti-images-idx3-ubyte', sha256: '139db5ade073e030ff543fe74df478b29cff6e9da9a50bf1e0c9a29f0d2f114d' },
  labels: { name: 'olivetti-labels-idx1-ubyte', sha256: '87b0dbf71b8091a9cef50af2767e98a87f3b0bde56f1eda7bb591d156e542390' },
} as const;

export class ChecksumError extends Error {}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws a ChecksumError naming the file when its bytes are not the ones the README lists. */
export async function verifyChecksum(bytes: Uint8Array, expected: string, what: string): Promise<void> {
  const got = await sha256Hex(bytes);
  if (got !== expected) {
    throw new ChecksumError(`${what}: sha256 ${got.slice(0, 12)}... is not the published ${expected.slice(0, 12)}... - the file is damaged or not the Olivetti database`);
  }
}

/** All 400 faces, checksums verified, labels 0-39. */
export async function parseFaces(imageBytes: Uint8Array, labelBytes: Uint8Array): Promise<ImageSet> {
  await verifyChecksum(imageBytes, FACES_FILES.images.sha256, FACES_FILES.images.name);
  await verifyChecksum(labelBytes, FACES_FILES.labels.sha256, FACES_FILES.labels.name);
  return parseDigitSet(imageBytes, labelBytes, 'Olivetti faces', { side: FACE_SIDE, maxLabel: PEOPLE - 1 });
}


export interface FaceSplits {
  /** 8 images of each private person: what the target memorises. */
  privateTrain: ImageSet;
  /** The other 2 images of each private person: the target's test accuracy. */
  privateTest: ImageSet;
  /** All 10 images of each public person: all the attacker may know. */
  publicSet: ImageSet;
}

export function splitFaces(all: ImageSet, seed = FACES_SPLIT_SEED): FaceSplits {
  const rng = makeRng(seed + 1);
  const train: number[] = [], test: number[] = [], pub: number[] = [];
  const priv = new Set(privatePeople(seed));
  for (let p = 0; p < PEOPLE; p++) {
    const own: number[] = [];
    for (let i = 0; i < all.count; i++) if (all.labels[i] === p) own.push(i);
    if (!priv.has(p)) { pub.push(...own); continue; }
    const order = shuffledIndices(own.length, rng);
    order.forEach((j, k) => (k < 2 ? test : train).push(own[j]));
  }
  const sorted = (a: number[]) => a.sort((x, y) => x - y);
  return { privateTrain: subset(all, sorted(train)), privateTest: subset(all, sorted(test)), publicSet: subset(all, sorted(pub)) };
}

/**
 * The faces' second judge's split (over all 40 people): it learns the 160 private training images and 8 of each public
 * person's 10 (a seeded choice), and is tested on the private people's 2 test images and the public people's other 2.
 */
export function judgeSplit(s: FaceSplits, seed = FACES_SPLIT_SEED + 2): { train: ImageSet; test: ImageSet } {
  const pub = s.publicSet, rng = makeRng(seed), train: number[] = [], test: number[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    const own: number[] = [];
    for (let i = 0; i < pub.count; i++) if (pub.labels[i] === p) own.push(i);
    shuffledIndices(own.length, rng).forEach((j, k) => (k < 2 ? test : train).push(own[j]));
  }
  const sorted = (a: number[]) => subset(pub, a.sort((x, y) => x - y));
  return { train: concatSets(s.privateTrain, sorted(train)), test: concatSets(s.privateTest, sorted(test)) };
}

/** The sets the browser and the engine load by name (under data/faces/); real examples are shown from 'private-train'. */
export function faceSetsByName(s: FaceSplits): Record<string, ImageSet> {
  return { 'private-train': s.privateTrain, 'private-test': s.privateTest, public: s.publicSet };
}
