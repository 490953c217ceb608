/**
 * multiproc — Python's `multiprocessing` for TypeScript on Node.js.
 *
 * ```ts
 * import * as mp from 'multiproc';
 * const v = mp.Value('i', 0);
 * const q = new mp.Queue<string>();
 * ```
 * Everything here is re-exported from the feature packages; `./context.js` binds the shared
 * objects to `getContext(method)` so `ctx.Queue`, `ctx.Pool`, ... exist as in Python.
 */
import './context.js';

export {
  Process,
  type ProcessOptions,
  type Target,
  BaseContext,
  type ParentProcess,
  activeChildren,
  cpuCount,
  currentProcess,
  getAllStartMethods,
  getContext,
  getLogger,
  getStartMethod,
  isMainProcess,
  logToStderr,
  parentProcess,
  ref,
  setExecutable,
  setStartMethod,
  FunctionRef,
  LogLevel,
  Logger,
  type LogRecord,
  type StartMethod,
} from '@multiproc/process';
export * from '@multiproc/sharedctypes';
export {
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
  Barrier,
  BrokenBarrierError,
  type AcquireOptions,
  type BarrierOptions,
  type LockOptions,
} from '@multiproc/synchronize';
export {
  Pipe,
  type PipeOptions,
  Connection,
  Listener,
  Client,
  SocketConnection,
  AuthenticationError,
  BufferTooShort,
  BrokenPipeError,
  ClosedError,
  EOFError,
  MessageTooLongError,
  type Address,
  type AuthKey,
  type ListenerOptions,
  type ClientOptions,
} from '@multiproc/pipe';
export { Queue, SimpleQueue, JoinableQueue, Empty, Full, type QueueOptions } from '@multiproc/queue';
export {
  Pool,
  AsyncResult,
  IMapIterator,
  ProcessError,
  TimeoutError,
  type PoolOptions,
  type MapOptions,
  type IMapOptions,
  type Progress,
  isTaskAborted,
  taskSignal,
  throwIfTaskAborted,
} from '@multiproc/pool';
export {
  Manager,
  SyncManager,
  BaseManager,
  BaseProxy,
  Server,
  RemoteError,
  type ManagerOptions,
  type RegisterOptions,
} from '@multiproc/manager';
export { dumps, loads, registerReducer, registerError } from '@multiproc/serialization';
