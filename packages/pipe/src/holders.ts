/**
 * Holder bookkeeping shared by Connection and the queues: a handle holds a side of a ring
 * (+1 on its holder count) until it is closed, garbage-collected, or its worker exits (the
 * exit hook registered here subtracts it then, however the worker died).
 */
import { atExit } from '@multiproc/memory';
import { DATA, SPACE } from './ring-layout.js';
import type { MessageRing } from './ring-wait.js';

/** One +1 on one side of one ring, with the exit hook that undoes it if the worker dies. */
export class Hold {
  private cancel: (() => void) | null;
  constructor(
    private readonly ring: MessageRing,
    private readonly side: 'writers' | 'readers',
    /** The +1 was already added (by the sender's reducer); only arm the exit hook. */
    counted = false,
  ) {
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

  /** Gives the hold back (idempotent). */
  release(): void {
    if (!this.cancel) return;
    this.cancel();
    this.cancel = null;
    this.add(-1);
  }
}
