export { AsyncResult, type ResultCallbacks, type WaitArg } from './async-result.js';
export {
  checkIterable,
  checkPositiveInt,
  collect,
  defaultChunksize,
  isAsyncIterable,
} from './chunking.js';
export { ProcessError, TimeoutError } from './errors.js';
export { IMapIterator } from './imap.js';
export type { Progress } from './job.js';
export {
  type ApplyAsyncOptions,
  type CallOptions,
  type IMapOptions,
  type MapAsyncOptions,
  type MapOptions,
  Pool,
  type PoolFunc,
  type PoolOptions,
} from './pool.js';
export { type IMapIteratorOf, PoolCalls, type PoolCallTypes } from './pool-calls.js';
export { isTaskAborted, taskSignal, throwIfTaskAborted } from './task-context.js';
