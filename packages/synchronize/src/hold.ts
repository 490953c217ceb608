/**
 * Scoped holds of a Lock or RLock: `using _ = lock.holdSync();` / `using _ = await lock.hold();`
 * release at the end of the block.
 */
import type { AcquireOptions } from './options.js';

/** A scoped hold: `using _ = lock.holdSync();` releases at the end of the block. */
export interface LockHold extends Disposable {
  release(): void;
}

interface Holdable {
  acquireSync(opts?: AcquireOptions): boolean;
  acquire(opts?: AcquireOptions): Promise<boolean>;
  release(): void;
}

function makeHold(lock: Holdable): LockHold {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    lock.release();
  };
  return { release: once, [Symbol.dispose]: once };
}

/** acquireSync now (waiting as long as it takes), release when the hold is disposed. */
export function holdSync(lock: Holdable, opts: { signal?: AbortSignal } | undefined): LockHold {
  lock.acquireSync(opts === undefined ? undefined : { signal: opts.signal });
  return makeHold(lock);
}

/** acquire now (waiting as long as it takes), release when the hold is disposed. */
export async function hold(lock: Holdable, opts: { signal?: AbortSignal } | undefined): Promise<LockHold> {
  await lock.acquire(opts === undefined ? undefined : { signal: opts.signal });
  return makeHold(lock);
}
