/**
 * Giving a ring's memory back to the tree (RingBuffer.release). Layout: ring-buffer.ts.
 *
 * Besides its first block, a ring allocates the segments it grows into (a chain of S_NEXT links
 * from the first block) and spill blocks (each named by a KIND_SPILL record until read, then on
 * the free stack). Each is exported to the tree's block directory when made, so that any worker
 * can find it by id, and the directory keeps it for the life of the tree unless released.
 *
 * Why everything goes at once, at the end: no handle owns a block. A writer fills a spill block,
 * a reader gives it back to the stack and any writer takes it again; segments stay linked from
 * the first block, which repairReaders walks. A block released early is one that a peer may
 * still need to find by id (a reader yet to look up a spill block or the next segment, a writer
 * taking a block off the stack), and releasing each spill block once read would also end its
 * reuse. So the ring is released whole, once no handle will use it: its holder counts are both
 * 0 (the last holder to let go does it), or the caller knows that the other side is gone.
 *
 * The releasing handle is often not the one that allocated a block: `releaseBlock` of
 * @multiproc/memory takes a release from any worker that holds it.
 */
import { type SharedBlock, lookupBlock, releaseBlock } from '@multiproc/memory';
import * as L from './ring-layout.js';

/** Bound of one lookup: every id in the ring was exported before it was written there. */
const LOOKUP_MS = 2_000;

/** The block whose id is stored at `word` of `i32`, or undefined (released, lost, or torn). */
function find(i32: Int32Array, word: number): SharedBlock | undefined {
  try {
    return lookupBlock(L.readId(i32, word), LOOKUP_MS);
  } catch {
    return undefined;
  }
}

/**
 * Every block of the ring whose first block is `first`: the first block, its segments, and its
 * spill blocks (holding an unread message, or on the free stack). Exact while no handle uses
 * the ring; a block a dead worker dropped (see ring-repair.ts) is not found.
 */
export function ringBlocks(first: SharedBlock): SharedBlock[] {
  const found = new Map<string, SharedBlock>([[first.id, first]]);
  let seg = L.segmentOf(first, 0);
  for (;;) {
    const { i32 } = seg;
    L.forEachRecord(seg, (kind, at) => {
      const spill = kind === L.KIND_SPILL ? find(i32, at + 3) : undefined;
      if (spill) found.set(spill.id, spill);
    });
    // S_NEXT is stored before S_SEALED: a sealed segment always names the next one.
    if (Atomics.load(i32, L.S_SEALED) === 0) break;
    const next = find(i32, L.S_NEXT);
    if (!next || found.has(next.id)) break;
    found.set(next.id, next);
    seg = L.segmentOf(next, seg.gen + 1);
  }
  // The free stack: FREE_TOP names the top block, whose first words name the next one.
  let link = first.i32;
  let word = L.FREE_TOP;
  for (let n = Atomics.load(first.i32, L.FREE_COUNT); n > 0; n--) {
    const block = find(link, word);
    if (!block || found.has(block.id)) break;
    found.set(block.id, block);
    link = block.i32;
    word = 0;
  }
  return [...found.values()];
}

/** Releases every block of the ring, once per ring tree-wide: false if it was done already. */
export function releaseRing(first: SharedBlock): boolean {
  // Set before the walk: two last holders letting go at the same time walk it once.
  if (Atomics.compareExchange(first.i32, L.RELEASED, 0, 1) !== 0) return false;
  for (const block of ringBlocks(first)) releaseBlock(block);
  return true;
}
