/**
 * Option types of BaseManager: the constructor, `register()` and `start()`.
 */
import type { AuthKey } from '@multiproc/pipe';
import type { ContextLike, FunctionRef } from '@multiproc/process';
import type { ProxyClass } from './proxy.js';

/** Options of `new BaseManager(...)`. */
export interface ManagerOptions {
  /**
   * Where the server listens (start / getServer) or is (connect): `{ host, port }` — host
   * defaults to 127.0.0.1, port 0 picks a free port — or a Unix socket `{ path }`.
   * Default: 127.0.0.1, a free port.
   */
  address?: { host?: string; port: number } | { path: string };
  /** The shared secret of the HMAC challenge. Default: `currentProcess().authkey`. */
  authkey?: AuthKey;
  /** Largest message, in bytes, the server accepts. Default 128 MiB. */
  maxMessageSize?: number;
  /**
   * How `start()` runs the server: a context (`getContext('spawn')`) or a start method name,
   * as the Pool takes it. Under 'spawn' the server is a child process; proxies work from
   * thread and spawn workers alike. Default: the default context's start method.
   */
  context?: ManagerContext;
  /**
   * Whether clients in the server's process tree may move from their socket to the
   * shared-memory fast path (two rings per connection, a few microseconds per call instead of
   * a socket round trip). `false` keeps every connection to this manager's server on its
   * socket. Default true; `MULTIPROC_MANAGER_SHM=0` in a client's environment also keeps that
   * client on its socket.
   */
  fastPath?: boolean;
}

/** What the `context` option takes: a start method name, or a context. */
export type ManagerContext = ContextLike;

/** Options of `BaseManager.register(...)`. */
export interface RegisterOptions {
  /** Methods clients may call (default: every public method of the object). */
  exposed?: readonly string[];
  /** Methods whose result is itself shared, as a new object of the given typeid. */
  methodToTypeid?: Record<string, string>;
  /** A proxy class (extends BaseProxy) for clients in this thread; default AutoProxy. */
  proxytype?: ProxyClass;
  /** Add a `manager[typeid](...args)` method (default true). */
  createMethod?: boolean;
}

/** Options of `start()`. */
export interface StartOptions {
  /** An exported function the server worker runs first (Python's initializer). */
  initializer?: ((...args: any[]) => unknown) | FunctionRef;
  initargs?: unknown[];
}

/** What register() accepts: a class (called with `new`) or a function. */
export type Callable = ((...args: any[]) => unknown) | (abstract new (...args: any[]) => unknown);
