/**
 * Binds the shared objects of every package to the contexts of `@multiproc/process`, so that
 * `mp.getContext('spawn').Queue` exists as Python's `ctx.Queue` does. Objects that start
 * workers are bound to the context's start method (Pool's workers, Manager's server);
 * shared-memory objects are the same classes in every context (a 'spawn' context has already
 * switched the process to OS shared memory, so they reach child processes).
 */
import { Manager, type ManagerOptions } from '@multiproc/manager';
import { Pipe } from '@multiproc/pipe';
import { Pool, type PoolOptions } from '@multiproc/pool';
import { type BaseContext, defineContextMember } from '@multiproc/process';
import { JoinableQueue, Queue, SimpleQueue } from '@multiproc/queue';
import { RawArray, RawValue, Array as SharedArray, SharedMemory, Value } from '@multiproc/sharedctypes';
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore } from '@multiproc/synchronize';

declare module '@multiproc/process' {
  interface BaseContext {
    Pool: typeof Pool;
    Manager: typeof Manager;
    Queue: typeof Queue;
    SimpleQueue: typeof SimpleQueue;
    JoinableQueue: typeof JoinableQueue;
    Pipe: typeof Pipe;
    Lock: typeof Lock;
    RLock: typeof RLock;
    Semaphore: typeof Semaphore;
    BoundedSemaphore: typeof BoundedSemaphore;
    Condition: typeof Condition;
    Event: typeof Event;
    Barrier: typeof Barrier;
    Value: typeof Value;
    RawValue: typeof RawValue;
    Array: typeof SharedArray;
    RawArray: typeof RawArray;
    SharedMemory: typeof SharedMemory;
  }
}

const same = {
  Queue,
  SimpleQueue,
  JoinableQueue,
  Pipe,
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
};
for (const [name, value] of Object.entries({
  ...same,
  Barrier,
  Value,
  RawValue,
  Array: SharedArray,
  RawArray,
  SharedMemory,
})) {
  defineContextMember(name, () => value);
}

defineContextMember('Pool', (ctx: BaseContext) => {
  class ContextPool extends Pool {
    constructor(options?: number | PoolOptions) {
      const opts = typeof options === 'number' ? { processes: options } : (options ?? {});
      super({ ...opts, context: opts.context ?? ctx });
    }
  }
  Object.defineProperty(ContextPool, 'name', { value: 'Pool' });
  return ContextPool;
});

defineContextMember('Manager', (ctx: BaseContext) => {
  const ContextManager = (options: ManagerOptions = {}) =>
    Manager({ ...options, context: options.context ?? ctx });
  Object.defineProperty(ContextManager, 'name', { value: 'Manager' });
  return ContextManager as typeof Manager;
});
