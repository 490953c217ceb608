/**
 * Proxies: the client-side handles of shared objects (Python's BaseProxy / AutoProxy).
 *
 * A proxy holds one server reference. `close()` (or garbage collection, through a
 * FinalizationRegistry) gives it back. Sent anywhere the serialization core goes (Process args,
 * Pool tasks, Queues, Pipes, or a managed dict), a proxy is reduced to its {@link ProxyState}
 * and rebuilt there as a new proxy of the same object, connected to the same server.
 */
import { randomBytes } from 'node:crypto';
import { registerReducer } from '@multiproc/serialization';
import { ManagerError } from './errors.js';
import {
  type ManagerAddress,
  OP_CALL,
  OP_CLAIM,
  OP_DECREF,
  OP_HOLD,
  type ProxyInfo,
  type ProxyState,
  formatAddress,
} from './protocol.js';
import { type ConnectionInfo, NewObject, type Transport } from './transport.js';
import { defaultAuthkey, getTransport } from './transport-registry.js';

/** What identifies a shared object: Python's Token plus the exposed methods of an auto proxy. */
export interface Token {
  typeid: string;
  address: ManagerAddress;
  id: number;
  exposed: string[] | null;
}

/** A proxy class: constructed over a token and the transport that owns its reference. */
export type ProxyClass = new (token: Token, transport: Transport) => BaseProxy;

const finalizer = new FinalizationRegistry<{ transport: Transport; id: number }>(({ transport, id }) => {
  transport.notify(OP_DECREF, id);
});

const TID_PREFIX = randomBytes(6).toString('hex');
let tidCounter = 0;

/**
 * Base class of every proxy. Subclasses add typed methods that call {@link _callMethod}.
 *
 * @example A proxy class of your own for a registered type
 * ```ts
 * class CounterProxy extends BaseProxy {
 *   increment(by = 1): Promise<number> { return this._callMethod('increment', [by]); }
 * }
 * MyManager.register('Counter', Counter, { proxytype: CounterProxy });
 * ```
 */
export class BaseProxy {
  readonly #token: Token;
  readonly #transport: Transport;
  #closed = false;

  /** @internal Takes over one reference owned by `transport`'s connection. */
  constructor(token: Token, transport: Transport) {
    this.#token = token;
    this.#transport = transport;
    finalizer.register(this, { transport, id: token.id }, this);
  }

  /** The registered type name ('dict', 'Lock', 'Counter'...). */
  get typeid(): string {
    return this.#token.typeid;
  }

  /** The object's id in its manager. */
  get id(): number {
    return this.#token.id;
  }

  /** The address of the manager that holds the object. */
  get address(): ManagerAddress {
    return this.#token.address;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls `method(...args)` on the object in the server (Python's `_callmethod`). Resolves with
   * the result (a new proxy when the method is in `methodToTypeid`); rejects with RemoteError
   * when the method throws there. `signal` cancels a waiting call (e.g. a blocked acquire).
   */
  _callMethod<R = any>(method: string, args: unknown[] = [], signal?: AbortSignal): Promise<R> {
    if (this.#closed) return Promise.reject(this.#closedError(method));
    return this.#transport
      .request(OP_CALL, this.#token.id, method, args, signal)
      .then((r) =>
        r instanceof NewObject ? (proxyFor(r.info, this.#token.address, this.#transport) as R) : (r as R),
      );
  }

  /**
   * How this proxy's calls travel: `'shared-memory'` (a client in the server's process tree),
   * `'socket'` (a remote server, or the fast path is off), `'in-thread'` (the server runs in this
   * thread), `'connecting'`, or `'closed'`; and the frames sent so far on that connection.
   */
  _connectionInfo(): ConnectionInfo {
    return this.#transport.info();
  }

  /** A copy of the object itself (Python's `_getvalue()`): serialized from the server. */
  _getValue<R = unknown>(): Promise<R> {
    return this._callMethod<R>('#GETVALUE');
  }

  /** Gives this proxy's reference back; the server frees the object once none is left. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    finalizer.unregister(this);
    this.#transport.notify(OP_DECREF, this.#token.id);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `<${this.constructor.name} object, typeid '${this.typeid}' at ${formatAddress(this.address)} id=${this.id}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** @internal The state a copy of this proxy is rebuilt from; holds a reference for it. */
  _reduce(): ProxyState {
    if (this.#closed) throw this.#closedError('send');
    const tid = `${TID_PREFIX}.${(tidCounter++).toString(36)}`;
    this.#transport.notify(OP_HOLD, tid, this.#token.id);
    const state: ProxyState = { ...this.#token, tid };
    const key = this.#transport.authkey;
    if (!sameBytes(key, defaultAuthkey())) state.authkey = key;
    return state;
  }

  #closedError(what: string): Error {
    return new ManagerError(
      `cannot ${what === 'send' ? 'send' : `call ${what}() on`} ${this}: the proxy was closed`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
  );
}

/**
 * A proxy for a registered class without a proxy class of its own: one async method per
 * exposed method of the object (Python's AutoProxy).
 *
 * @example
 * ```ts
 * const c = await m.create('Counter', 10);   // AutoProxy
 * await c.increment();                       // -> the server runs counter.increment()
 * ```
 */
export class AutoProxy extends BaseProxy {
  [method: string]: any;

  constructor(token: Token, transport: Transport) {
    super(token, transport);
    for (const name of token.exposed ?? []) {
      if (name in this) continue; // never shadow BaseProxy's own members
      Object.defineProperty(this, name, {
        value: (...args: unknown[]) => this._callMethod(name, args),
        enumerable: false,
        configurable: true,
      });
    }
  }
}

/** Per thread: the proxy class of each typeid (built-ins, and register()'s proxytype). */
const proxyTypes = new Map<string, ProxyClass>();

/** @internal Records the proxy class of a typeid in this thread. */
export function setProxyType(typeid: string, cls: ProxyClass): void {
  proxyTypes.set(typeid, cls);
}

/** @internal A proxy of `typeid` over `token` (AutoProxy when no class is known here). */
export function makeProxy(token: Token, transport: Transport): BaseProxy {
  const cls = proxyTypes.get(token.typeid) ?? AutoProxy;
  return new cls(token, transport);
}

/** @internal The proxy for a new object (R_PROXY reply): its reference is already ours. */
export function proxyFor(info: ProxyInfo, address: ManagerAddress, transport: Transport): BaseProxy {
  const [typeid, id, exposed] = info;
  return makeProxy({ typeid, address, id, exposed }, transport);
}

registerReducer(BaseProxy, {
  name: '@multiproc/manager:Proxy',
  reduce: (p: BaseProxy) => p._reduce(),
  rebuild: (s: ProxyState) => {
    const transport = getTransport(s.address, s.authkey ?? defaultAuthkey());
    transport.notify(OP_CLAIM, s.tid, s.id);
    return makeProxy({ typeid: s.typeid, address: s.address, id: s.id, exposed: s.exposed }, transport);
  },
});
