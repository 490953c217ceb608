/**
 * @multiproc/manager — Python's `multiprocessing.managers` for Node.js: a server (in a worker,
 * or anywhere on the network) holds dicts, lists, namespaces, locks, queues and your own
 * classes; proxies to them work from any worker and travel between workers.
 */
export { Manager, SyncManager, type TypeLike } from './sync-manager.js';
export { BaseManager } from './base-manager.js';
export type {
  Callable,
  ManagerContext,
  ManagerOptions,
  RegisterOptions,
  StartOptions,
} from './manager-options.js';
export { Server, type ServerOptions } from './server.js';
export { AutoProxy, BaseProxy, type ProxyClass, type Token } from './proxy.js';
export type { ConnectionInfo } from './transport.js';
export { ArrayProxy, DictProxy, ListProxy, NamespaceProxy, ValueProxy } from './proxies/collections.js';
export {
  AcquirerProxy,
  BarrierProxy,
  type BlockingOptions,
  ConditionProxy,
  EventProxy,
  LockProxy,
  QueueProxy,
  SemaphoreProxy,
  type WaitTimeout,
} from './proxies/sync.js';
export { KeyError, ManagerError, RemoteError } from './errors.js';
export { callContext, type CallContext } from './server-objects/context.js';
export type { DictKey } from './server-objects/dict.js';
export type { ManagerAddress, ServerInfo } from './protocol.js';
export { AuthenticationError } from '@multiproc/pipe';
// The server worker's target (imported by the worker by name; not for direct use).
export { serveManager } from './serve.js';
