/**
 * @multiproc/synchronize — Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier
 * on shared memory, usable from every worker they are sent to (as Process args, through a
 * Queue or a Pipe). Each blocking method has an async form and a `Sync` twin.
 */
export type { AcquireOptions, WaitOptions } from './options.js';
export { Lock, type LockOptions, type LockHold } from './lock.js';
export { RLock } from './rlock.js';
export { Semaphore, BoundedSemaphore } from './semaphore.js';
export { Condition } from './condition.js';
export { Event } from './event.js';
export { Barrier, BrokenBarrierError, type BarrierOptions } from './barrier.js';
/** @internal Benchmarks only: sets how many times a lock spins before sleeping; returns the old value. */
export { setSpinCount as _setSpinCount } from '@multiproc/memory';
