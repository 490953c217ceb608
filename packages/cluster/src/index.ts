/**
 * @multiproc/cluster — multiproc's Pool, Queue and Manager on Redis, for more than one
 * machine. Workers are `npx multiproc worker --redis URL --import ./tasks.js` processes.
 */
export {
  Pool,
  type PoolFunc,
  type PoolOptions,
  type MapOptions,
  type IMapOptions,
  type MapAsyncOptions,
  type ApplyAsyncOptions,
  type CallOptions,
} from './pool.js';
export { ClusterIMapIterator } from './imap.js';
export { Worker, type WorkerOptions } from './worker.js';
export { ConnectionError, RefusedError } from './errors.js';
export type { RedisSpec } from './connection.js';
export { type PortableRef, moduleIdOf } from './portable.js';
export { AsyncResult, ProcessError, TimeoutError } from '@multiproc/pool';
export { Queue, JoinableQueue, type QueueOptions, type QueueWaitOptions } from './queue.js';
export { Manager, RedisManager, type ManagerOptions } from './manager.js';
export { RedisProxy } from './proxy-base.js';
export { DictProxy, ListProxy, NamespaceProxy, ValueProxy } from './proxies-collections.js';
export {
  EventProxy,
  LockProxy,
  SemaphoreProxy,
  type BlockingOptions,
  type WaitTimeout,
} from './proxies-sync.js';
export { Empty, Full } from '@multiproc/queue';
export { KeyError } from '@multiproc/manager';
import { Conn } from './conn.js';
/** Closes the connections of the proxies and queues rebuilt in this process (they arrived through args or queues). */
export const closeSharedConnections = (): void => Conn.closeShared();
