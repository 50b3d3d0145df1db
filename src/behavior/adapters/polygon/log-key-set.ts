/**
 * The collector's de-duplication window: the set of published log keys (block number, log index), with the keys in
 * arrival order so the blocks older than the reorg window can be forgotten.
 *
 * An open-addressing table (linear probing, backward-shift deletion: no tombstones) in two preallocated typed
 * arrays, a slot holding the block and logIndex + 1 (0: empty). A hash picks the first slot; a key is found only by
 * comparing both halves exactly, so two keys of the same hash are told apart (the tests force every key onto one
 * slot). The table doubles when half full. Arrival order is a ring of the same two halves, also doubling when full.
 * Compared with the Set<number> it replaces: no boxed doubles (block * 2^20 + logIndex is above 2^31), no
 * allocation per key, eviction without a hash-table delete per key when the key was already removed.
 */
export class LogKeySet {
  private blocks: Uint32Array;
  /** logIndex + 1; 0 marks an empty slot. */
  private indexes: Uint32Array;
  private mask: number;
  private shift: number;
  size = 0;
  /** Arrival order: ring of (block, logIndex), from head for `count` entries. */
  private orderBlocks: Uint32Array;
  private orderIndexes: Uint32Array;
  private orderHead = 0;
  private orderCount = 0;

  /**
   * `capacityBits`: log2 of the initial slot count. `hash` replaces the hash (tests: a constant forces every key
   * into one probe run).
   */
  constructor(
    capacityBits = 12,
    private readonly hash: ((block: number, index: number) => number) | undefined = undefined,
  ) {
    const n = 1 << capacityBits;
    this.blocks = new Uint32Array(n);
    this.indexes = new Uint32Array(n);
    this.mask = n - 1;
    this.shift = 32 - capacityBits;
    this.orderBlocks = new Uint32Array(n);
    this.orderIndexes = new Uint32Array(n);
  }

  /** First slot of a key: the high bits of a multiplicative mix (block < 2^32, index < 2^20). */
  private slot(block: number, index: number): number {
    if (this.hash !== undefined) return this.hash(block, index) & this.mask;
    return Math.imul((block ^ Math.imul(index, 0x9e3779b1)) | 0, 0x85ebca6b) >>> this.shift;
  }

  /** The slot holding the key, or -1. */
  private find(block: number, index: number): number {
    const blocks = this.blocks;
    const indexes = this.indexes;
    const mask = this.mask;
    const tag = index + 1;
    for (let i = this.slot(block, index); ; i = (i + 1) & mask) {
      const t = indexes[i];
      if (t === 0) return -1;
      if (t === tag && blocks[i] === block) return i;
    }
  }

  has(block: number, index: number): boolean {
    return this.find(block, index) >= 0;
  }

  /** Adds the key; false (and nothing changed) if it is already there. */
  add(block: number, index: number): boolean {
    const blocks = this.blocks;
    const indexes = this.indexes;
    const mask = this.mask;
    const tag = index + 1;
    let i = this.slot(block, index);
    for (;;) {
      const t = indexes[i];
      if (t === 0) break;
      if (t === tag && blocks[i] === block) return false;
      i = (i + 1) & mask;
    }
    blocks[i] = block;
    indexes[i] = tag;
    this.size++;
    this.pushOrder(block, index);
    if (this.size * 2 > mask) this.grow();
    return true;
  }

  /** Removes the key; false if it was not there. Its arrival-order entry stays (evicting it later is a no-op). */
  delete(block: number, index: number): boolean {
    let i = this.find(block, index);
    if (i < 0) return false;
    const blocks = this.blocks;
    const indexes = this.indexes;
    const mask = this.mask;
    // backward shift: move later keys of the probe run into the hole when their first slot allows it
    for (let j = (i + 1) & mask; indexes[j] !== 0; j = (j + 1) & mask) {
      const home = this.slot(blocks[j], indexes[j] - 1);
      // j's key may move to i iff its home is not in the cyclic range (i, j]
      if (((j - home) & mask) >= ((j - i) & mask)) {
        blocks[i] = blocks[j];
        indexes[i] = indexes[j];
        i = j;
      }
    }
    indexes[i] = 0;
    blocks[i] = 0;
    this.size--;
    return true;
  }

  /** Forgets every key added with a block below `block`, oldest first (keys are added in block order). */
  evictBelow(block: number): void {
    const ob = this.orderBlocks;
    const oi = this.orderIndexes;
    const omask = ob.length - 1;
    while (this.orderCount > 0 && ob[this.orderHead] < block) {
      this.delete(ob[this.orderHead], oi[this.orderHead]);
      this.orderHead = (this.orderHead + 1) & omask;
      this.orderCount--;
    }
  }

  private pushOrder(block: number, index: number): void {
    if (this.orderCount === this.orderBlocks.length) {
      const n = this.orderBlocks.length;
      const nb = new Uint32Array(2 * n);
      const ni = new Uint32Array(2 * n);
      for (let k = 0; k < n; k++) {
        const at = (this.orderHead + k) & (n - 1);
        nb[k] = this.orderBlocks[at];
        ni[k] = this.orderIndexes[at];
      }
      this.orderBlocks = nb;
      this.orderIndexes = ni;
      this.orderHead = 0;
    }
    const at = (this.orderHead + this.orderCount) & (this.orderBlocks.length - 1);
    this.orderBlocks[at] = block;
    this.orderIndexes[at] = index;
    this.orderCount++;
  }

  private grow(): void {
    const blocks = this.blocks;
    const indexes = this.indexes;
    const n = blocks.length * 2;
    this.blocks = new Uint32Array(n);
    this.indexes = new Uint32Array(n);
    this.mask = n - 1;
    this.shift--;
    for (let k = 0; k < blocks.length; k++) {
      const t = indexes[k];
      if (t === 0) continue;
      let i = this.slot(blocks[k], t - 1);
      while (this.indexes[i] !== 0) i = (i + 1) & this.mask;
      this.blocks[i] = blocks[k];
      this.indexes[i] = t;
    }
  }
}
