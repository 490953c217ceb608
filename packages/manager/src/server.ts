/**
 * The manager's server (Python's `managers.Server`): a Listener, the table of shared objects
 * with their reference counts, and one {@link Session} per client connection.
 */
import { type AuthKey, Listener } from '@multiproc/pipe';
import { ManagerError } from './errors.js';
import { FastPath } from './fast-server.js';
import type { ManagerAddress, ProxyInfo, ServerInfo } from './protocol.js';
import type { ServerType } from './registry.js';
import { publicMethods } from './registry.js';
import { Session } from './session.js';
import { registerLocalServer } from './transport-registry.js';

/** A shared object in the table. */
export interface Entry {
  obj: object;
  typeid: string;
  /** Methods clients may call; null = every public method. */
  exposed: Set<string> | null;
  methodToTypeid: Record<string, string> | null;
  refcount: number;
}

export interface ServerOptions {
  /** Where to listen: `{ host, port }` (host defaults to 127.0.0.1; port 0 = any) or `{ path }`. */
  address?: { host?: string; port: number } | { path: string };
  authkey: AuthKey;
  /** Largest frame accepted from (and sent to) a client, in bytes. Default: pipe's 128 MiB. */
  maxMessageSize?: number;
  /** false: clients stay on their sockets (OP_LOCAL offers nothing). Default true. */
  fastPath?: boolean;
}

/** Concurrent `accept()` calls: a client that stalls its handshake holds up only one of them. */
const ACCEPTORS = 8;
/** pipe's default frame limit. */
const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/**
 * Serves shared objects to clients. Made by `manager.getServer()` or, in the server worker,
 * by `manager.start()`.
 *
 * @example
 * ```ts
 * class QueueManager extends BaseManager {}
 * QueueManager.register('getQueue', getQueue);
 * const m = new QueueManager({ address: { host: '127.0.0.1', port: 50000 }, authkey: 'abracadabra' });
 * const server = m.getServer();
 * await server.serveForever(); // until a client calls shutdown
 * ```
 */
export class Server {
  readonly registry: Map<string, ServerType>;
  /** @internal The shared-memory fast path of clients in this process tree. */
  readonly fast: FastPath;
  readonly #listener: Listener;
  readonly #objects = new Map<number, Entry>();
  readonly #sessions = new Set<Session>();
  readonly #holds = new Map<string, 'held' | 'claimed'>();
  #nextId = 1;
  #stopped = false;
  #done!: () => void;
  readonly #finished = new Promise<void>((resolve) => {
    this.#done = resolve;
  });
  #unregisterLocal: (() => void) | undefined;
  #serving = false;
  /** Resolves once the listener is bound (then {@link address} is the real address). */
  readonly ready: Promise<void>;

  /** `registry` may be a promise (its callables are still being imported). */
  constructor(registry: Map<string, ServerType> | Promise<Map<string, ServerType>>, options: ServerOptions) {
    this.registry = new Map();
    const address = options.address ?? { host: '127.0.0.1', port: 0 };
    this.fast = new FastPath(options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, options.fastPath !== false);
    this.#listener = new Listener({
      address,
      authkey: options.authkey,
      maxMessageSize: options.maxMessageSize,
    });
    const loaded = Promise.resolve(registry).then((r) => {
      for (const [k, v] of r) this.registry.set(k, v);
    });
    this.ready = Promise.all([this.#listener.ready, loaded]).then(() => {
      this.#unregisterLocal = registerLocalServer(this.address, (t) => {
        const session = this.openSession(
          (bytes) => queueMicrotask(() => t.receive(bytes)),
          () => {},
        );
        return {
          kind: 'in-thread',
          send: (bytes) => queueMicrotask(() => session.receive(bytes)),
          close: () => session.close(),
        };
      });
    });
    this.ready.catch(() => this.shutdown());
  }

  /** The bound address (await {@link ready} first when listening on port 0). */
  get address(): ManagerAddress {
    const a = this.#listener.address;
    return 'path' in a ? { path: a.path } : { host: a.host, port: a.port };
  }

  /** Serves clients until {@link shutdown} (or a client's `manager.shutdown()`). */
  async serveForever(): Promise<void> {
    await this.ready;
    if (!this.#serving && !this.#stopped) {
      this.#serving = true;
      for (let i = 0; i < ACCEPTORS; i++) this.#acceptLoop();
    }
    await this.#finished;
  }

  /** Stops listening, drops every client and frees every object. Idempotent. */
  shutdown(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unregisterLocal?.();
    this.#listener.close();
    for (const s of [...this.#sessions]) s.close();
    this.fast.close();
    this.#objects.clear();
    this.#holds.clear();
    this.#done();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#stopped) {
      try {
        const conn = await this.#listener.accept();
        if (this.#stopped) {
          conn.close();
          return;
        }
        const session = this.openSession(
          (bytes) => conn.sendBytes(bytes),
          () => conn.close(),
          true,
        );
        void (async () => {
          for (;;) {
            let bytes: Uint8Array;
            try {
              bytes = await conn.recvBytes();
            } catch {
              this.fast.ended(session); // what it wrote into shared memory before leaving
              session.close(); // EOF, reset, or an oversized / malformed frame
              return;
            }
            session.receive(bytes);
          }
        })();
      } catch {
        // A client that failed the handshake (wrong key, garbage): it is dropped; keep serving.
        if (this.#listener.closed) return;
      }
    }
  }

  /** @internal A new client connection whose replies go to `sink`. */
  openSession(sink: (bytes: Uint8Array) => void, closeLink: () => void, viaSocket = false): Session {
    const session = new Session(this, sink, closeLink, viaSocket);
    if (this.#stopped) session.close();
    else this.#sessions.add(session);
    return session;
  }

  /** @internal A connection went away: release the references it owned. */
  dropSession(session: Session): void {
    this.#sessions.delete(session);
    this.fast.detach(session);
    for (const [id, count] of session.refs) {
      const entry = this.#objects.get(id);
      if (entry && (entry.refcount -= count) <= 0) this.#objects.delete(id);
    }
    session.refs.clear();
  }

  /** @internal Creates a shared object of `typeid`; the new reference belongs to `session`. */
  async create(session: Session, typeid: string, args: unknown): Promise<ProxyInfo> {
    const type = this.registry.get(typeid);
    if (!type)
      throw new TypeError(
        `unknown typeid ${JSON.stringify(typeid)}: register it on the manager class (on the server side too)`,
      );
    if (!Array.isArray(args)) throw new TypeError('malformed create: args must be an array');
    if (!type.create)
      throw new TypeError(
        `typeid ${JSON.stringify(typeid)} was registered without a callable: it cannot be created here`,
      );
    const obj = await type.create(args, this);
    return this.adopt(session, typeid, obj);
  }

  /** @internal Puts `obj` in the table under `typeid` with one reference owned by `session`. */
  adopt(session: Session | null, typeid: string, obj: unknown): ProxyInfo {
    const type = this.registry.get(typeid);
    if (!type) throw new TypeError(`unknown typeid ${JSON.stringify(typeid)} in methodToTypeid`);
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
      throw new TypeError(
        `the callable of '${typeid}' returned ${obj === null ? 'null' : typeof obj}, not an object`,
      );
    }
    const exposed = type.exposed ?? publicMethods(obj);
    const id = this.#nextId++;
    this.#objects.set(id, {
      obj,
      typeid,
      exposed: new Set(exposed),
      methodToTypeid: type.methodToTypeid,
      refcount: 0,
    });
    this.incref(session, id);
    if (session?.closed) this.decref(session, id);
    return [typeid, id, type.auto ? exposed : null];
  }

  /** @internal The entry of `id`; a clear error when it was freed (or never existed). */
  lookup(id: number): Entry {
    const entry = this.#objects.get(id);
    if (!entry) {
      throw new ManagerError(
        `no shared object with id ${id} in the manager: it was freed when its last proxy was closed ` +
          '(or the manager restarted)',
      );
    }
    return entry;
  }

  /** The object behind a proxy of this server (e.g. the lock passed to `Condition(lock)`). */
  referent(proxy: { id: number; address: ManagerAddress }): object {
    return this.lookup(proxy.id).obj;
  }

  incref(session: Session | null, id: number): void {
    const entry = this.lookup(id);
    entry.refcount++;
    if (session) session.refs.set(id, (session.refs.get(id) ?? 0) + 1);
  }

  decref(session: Session | null, id: number): void {
    const entry = this.#objects.get(id);
    if (session) {
      const n = session.refs.get(id) ?? 0;
      if (n <= 0) return; // not this connection's to release
      if (n === 1) session.refs.delete(id);
      else session.refs.set(id, n - 1);
    }
    if (entry && --entry.refcount <= 0) this.#objects.delete(id);
  }

  /** A proxy is in flight: one reference held for it until it is claimed. */
  hold(tid: string, id: number): void {
    if (this.#holds.get(tid) === 'claimed') {
      this.#holds.delete(tid); // the receiver came first and took its own reference
      return;
    }
    if (!this.#objects.has(id)) return;
    this.incref(null, id);
    this.#holds.set(tid, 'held');
  }

  /** A sent proxy arrived: its hold becomes a reference of `session`. */
  claim(session: Session, tid: string, id: number): void {
    const state = this.#holds.get(tid);
    if (state === 'held') {
      this.#holds.delete(tid);
      session.refs.set(id, (session.refs.get(id) ?? 0) + 1);
      if (!this.#objects.has(id)) session.refs.delete(id);
      return;
    }
    if (!this.#objects.has(id)) return;
    this.incref(session, id);
    if (state === undefined) this.#holds.set(tid, 'claimed'); // its hold is still on its way
  }

  info(): ServerInfo {
    let holds = 0;
    for (const s of this.#holds.values()) if (s === 'held') holds++;
    return {
      objects: this.#objects.size,
      connections: this.#sessions.size,
      holds,
      sharedMemory: this.fast.size,
    };
  }
}
