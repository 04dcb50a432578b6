// Seeded epochs of shuffled mini-batches over a digit set.
import { makeRng, shuffledIndices } from './rng.ts';

export class BatchCursor {
  readonly rng: () => number;
  private order: Int32Array;
  private cursor = 0;
  epoch = 0;
  batch = 0;
  readonly batchesPerEpoch: number;

  constructor(readonly count: number, readonly batchSize: number, seed: number) {
    this.rng = makeRng(seed);
    this.order = shuffledIndices(count, this.rng);
    this.batchesPerEpoch = Math.ceil(count / batchSize);
  }

  /** Indices of the next batch (the last one of an epoch may be short). */
  next(): Int32Array {
    return this.order.subarray(this.cursor, this.cursor + this.batchSize);
  }

  /** Moves past the batch `next()` gave; returns true when that ended an epoch. */
  advance(): boolean {
    this.cursor += this.batchSize;
    this.batch++;
    if (this.cursor < this.count) return false;
    this.cursor = 0; this.batch = 0; this.epoch++;
    this.order = shuffledIndices(this.count, this.rng);
    return true;
  }
}
