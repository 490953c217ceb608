/**
 * Holder bookkeeping shared by Connection and the queues: a handle holds a side of a ring
 * (+1 on its holder count) until it is closed, garbage-collected, or its worker exits (the
 * exit hook registered here subtracts it then, however the worker died).
 *
 * A ring's memory goes back to the tree (RingBuffer.release) once both of its holder counts
 * are 0: no handle exists then, in any worker, and none is on its way (a handle sent to a
 * worker is counted from the moment it is sent). Whoever lets go last releases it, in
 * {@link letGo}. A holder that died is the exception: its exit hook, run by its parent
 * (@multiproc/memory), only subtracts. So a worker that let go of a ring still held elsewhere
 * remembers it and looks again once it has applied a dead child's exit hooks (the usual case:
 * the parent let go first), and whenever it makes or lets go of a hold (a sibling died).
 */
import { afterExitHooks, atExit } from '@multiproc/memory';
import { DATA, SPACE } from './ring-layout.js';
import type { MessageRing } from './ring-wait.js';

/**
 * Rings this worker let go of while another holder was counted, by first block id, oldest
 * first. Bounded: an entry keeps the ring's first block mapped here (and, in a child worker,
 * the exit slots of its locks reserved), and one whose holders outlive it is dropped and kept
 * by the tree, as before rings were released at all.
 */
const watched = new Map<string, MessageRing>();
const MAX_WATCHED = 128;

/** Releases the watched rings that nobody holds any more, and forgets the released ones. */
function sweep(): void {
  for (const [id, ring] of watched) {
    if (ring.released || ring.release()) watched.delete(id);
  }
}

afterExitHooks(() => {
  if (watched.size > 0) sweep();
});

/** One +1 on one side of one ring, with the exit hook that undoes it if the worker dies. */
export class Hold {
  private cancel: (() => void) | null;
  constructor(
    /** The ring held. */
    readonly ring: MessageRing,
    private readonly side: 'writers' | 'readers',
    /** The +1 was already added (by the sender's reducer); only arm the exit hook. */
    counted = false,
  ) {
    if (watched.size > 0) sweep();
    if (!counted) this.add(1);
    this.cancel = atExit(ring.block, side === 'writers' ? DATA : SPACE, -1);
  }

  private add(delta: number): void {
    if (this.side === 'writers') this.ring.addWriters(delta);
    else this.ring.addReaders(delta);
  }

  get held(): boolean {
    return this.cancel !== null;
  }

  /** Gives the hold back (idempotent). The ring stays: see {@link letGo}. */
  release(): void {
    if (!this.cancel) return;
    this.cancel();
    this.cancel = null;
    this.add(-1);
  }
}

/**
 * Gives `holds` back, then releases each of their rings that no handle holds any more: call it
 * once the handle will not touch those rings again (no operation of it under way). A ring
 * still held elsewhere is released by its last holder, or found later by this worker if that
 * holder dies (see the file comment).
 */
export function letGo(holds: Iterable<Hold>): void {
  const rings = new Set<MessageRing>();
  for (const h of holds) {
    h.release();
    rings.add(h.ring);
  }
  for (const ring of rings) {
    if (ring.release() || ring.released) continue;
    const id = ring.block.id;
    watched.delete(id); // re-inserted as the newest
    watched.set(id, ring);
    if (watched.size > MAX_WATCHED) watched.delete(watched.keys().next().value as string);
  }
  if (watched.size > 0) sweep();
}
