import type { SharedBlock } from '@multiproc/memory';
import { dumpsChunks, registerReducer } from '@multiproc/serialization';
import { type QueueOptions, QueueBase, attachTo } from './queue-base.js';

/**
 * Python's SimpleQueue: unbounded, `put`, `get`, `empty`, `close` (and `for await`). `put`
 * never blocks, so it is synchronous here; the item is in shared memory when it returns.
 *
 * @example
 * const q = new SimpleQueue<string>();
 * q.put('a');
 * await q.get(); // 'a'
 */
export class SimpleQueue<T = unknown> extends QueueBase<T> {
  constructor(options?: QueueOptions) {
    super(0, options);
  }

  /** Puts an item (never blocks: the queue is unbounded). */
  put(obj: T): void {
    this.checkOpen('put');
    const chunks = dumpsChunks(obj);
    this.producing();
    this.ring.tryWrite(chunks);
  }
}

registerReducer(SimpleQueue, {
  name: '@multiproc/queue:SimpleQueue',
  reduce: (q) => QueueBase.reduceBase(q),
  rebuild: (block: SharedBlock) => attachTo(block, () => new SimpleQueue()),
});
