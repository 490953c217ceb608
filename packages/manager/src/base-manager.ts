/**
 * BaseManager (Python's `multiprocessing.managers.BaseManager`): a registry of shared types,
 * and the handle on a server — one it starts in a worker (`start()`), one it serves in this
 * thread (`getServer()`), or one that runs elsewhere (`connect()`).
 */
import type { AuthKey } from '@multiproc/pipe';
import {
  currentProcess,
  type FunctionRef,
  type Process,
  resolveFunction,
  captureCallers,
  startMethodOf,
} from '@multiproc/process';
import { ManagerError } from './errors.js';
import { launchServer } from './launch.js';
import type { Callable, ManagerOptions, RegisterOptions, StartOptions } from './manager-options.js';
import {
  formatAddress,
  type ManagerAddress,
  OP_CREATE,
  OP_INFO,
  OP_PING,
  OP_SHUTDOWN,
  type ServerInfo,
} from './protocol.js';
import { type BaseProxy, proxyFor, setProxyType } from './proxy.js';
import { forLocalServer, makeSpec, type TypeSpec, toWire } from './registry.js';
import type { ServeOptions } from './serve.js';
import { Server } from './server.js';
import { NewObject, type Transport } from './transport.js';
import { closeTransports, getTransport } from './transport-registry.js';

type State = 'initial' | 'started' | 'connected' | 'serving' | 'shutdown';

const toKey = (key: AuthKey): Uint8Array => (typeof key === 'string' ? new TextEncoder().encode(key) : key);
const REGISTRY = Symbol('registry');

/**
 * A manager: register types, then `start()` a server worker or `connect()` to a running one.
 *
 * @example Serving a custom class
 * ```ts
 * // counter.ts
 * export class Counter { n = 0; increment() { return ++this.n; } }
 * // main.ts
 * import { Counter } from './counter.js';
 * class MyManager extends BaseManager {}
 * MyManager.register('Counter', Counter);
 * await using m = new MyManager();
 * await m.start();
 * const c = await m.create('Counter');   // or (m as any).Counter()
 * await c.increment(); // 1
 * ```
 * @example Remote use (the other machine registers 'getQueue' without a callable)
 * ```ts
 * const m = new MyManager({ address: { host: '10.0.0.5', port: 50000 }, authkey: 'secret' });
 * await m.connect();
 * ```
 */
export class BaseManager {
  /** @internal */
  static [REGISTRY]: Map<string, TypeSpec> = new Map();
  #address: ManagerOptions['address'];
  #bound: ManagerAddress | undefined;
  readonly #authkey: Uint8Array;
  readonly #maxMessageSize: number | undefined;
  readonly #context: ManagerOptions['context'];
  readonly #fastPath: boolean;
  #state: State = 'initial';
  #process: Process | undefined;
  #server: Server | undefined;

  constructor(options: ManagerOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('new BaseManager(options): options must be an object');
    this.#address = options.address;
    this.#authkey = toKey(options.authkey ?? currentProcess().authkey);
    this.#maxMessageSize = options.maxMessageSize;
    this.#context = options.context;
    this.#fastPath = options.fastPath ?? true;
  }

  /**
   * Registers a shared type (Python's `register`). `callable` (a class, called with `new`, or
   * a function) makes the object in the server; it must be importable by the server worker:
   * exported by the calling module or a module it imports directly, or an `mp.ref(...)`.
   * Without a callable (a client of a remote manager) the type can only be obtained, not created.
   */
  static register(
    typeid: string,
    callable?: Callable | FunctionRef | null,
    options: RegisterOptions = {},
  ): void {
    const { exposed, methodToTypeid, proxytype, createMethod } = options;
    const spec = makeSpec(
      typeid,
      (callable ?? null) as TypeSpec['callable'],
      exposed,
      methodToTypeid,
      !proxytype,
    );
    // biome-ignore lint/complexity/noThisInStatic: each subclass has its own registry (Python's cls._registry)
    registerOn(this, spec, createMethod !== false);
    if (proxytype) setProxyType(typeid, proxytype);
  }

  /** @internal Registers a built-in type (SyncManager). */
  protected static registerBuiltin(typeid: string): void {
    // biome-ignore lint/complexity/noThisInStatic: each subclass has its own registry (Python's cls._registry)
    registerOn(this, makeSpec(typeid, 'builtin', undefined, undefined, false), false);
  }

  get #registry(): Map<string, TypeSpec> {
    return (this.constructor as typeof BaseManager)[REGISTRY];
  }

  /** The server's address: the real one (port 0 -> the port picked) once started. */
  get address(): ManagerAddress {
    if (this.#bound) return this.#bound;
    const a = this.#address ?? { host: '127.0.0.1', port: 0 };
    return 'path' in a ? { path: a.path } : { host: a.host ?? '127.0.0.1', port: a.port };
  }

  /**
   * Starts the server in a new worker (a Process of the `context` option's start method: a
   * thread, or a child process under 'spawn') and resolves once it listens. Rejects if a
   * registered callable cannot be sent to the worker (before it starts) or the server fails.
   */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.#state !== 'initial')
      throw new ManagerError(`cannot start a manager that is ${this.#state}: make a new one`);
    this.#state = 'started';
    try {
      const callers = captureCallers();
      const registry = await toWire(this.#registry.values());
      const init = options.initializer ? await resolveFunction(options.initializer, callers) : null;
      const serve: ServeOptions = {
        registry,
        address: this.#address,
        authkey: this.#authkey,
        maxMessageSize: this.#maxMessageSize,
        fastPath: this.#fastPath,
        initializer: init && { moduleUrl: init.moduleUrl, exportName: init.exportName },
        initargs: options.initargs ?? [],
      };
      const method = startMethodOf(this.#context);
      const launched = await launchServer(`${this.constructor.name}-server`, serve, method, (p) => {
        this.#process = p;
      });
      this.#bound = launched;
    } catch (err) {
      this.#state = 'shutdown';
      this.#process?.terminate();
      throw err;
    }
  }

  /** Connects to a running server; rejects with AuthenticationError for a wrong authkey. */
  async connect(): Promise<void> {
    if (this.#state !== 'initial') throw new ManagerError(`cannot connect a manager that is ${this.#state}`);
    const t = getTransport(this.address, this.#authkey);
    await t.request(OP_PING);
    this.#state = 'connected';
  }

  /**
   * A server for this manager's registry, to run in this thread (`await server.serveForever()`).
   * Its address is known once `await server.ready`.
   */
  getServer(): Server {
    if (this.#state !== 'initial')
      throw new ManagerError(`getServer(): the manager is already ${this.#state}`);
    this.#state = 'serving';
    const registry = forLocalServer(this.#registry.values());
    const server = new Server(registry, {
      address: this.#address,
      authkey: this.#authkey,
      maxMessageSize: this.#maxMessageSize,
      fastPath: this.#fastPath,
    });
    server.ready.then(
      () => {
        this.#bound = server.address;
      },
      () => {},
    );
    this.#server = server;
    return server;
  }

  /**
   * Creates a shared object of a registered `typeid` in the server and resolves with its proxy
   * (what the `manager[typeid](...)` methods call).
   */
  async create<P extends BaseProxy = any>(typeid: string, ...args: unknown[]): Promise<P> {
    const t = this.#transport('create a shared object');
    const r = await t.request(OP_CREATE, typeid, args);
    if (!(r instanceof NewObject)) throw new ManagerError('protocol error: create did not return a proxy');
    return proxyFor(r.info, this.address, t) as P;
  }

  /** Server statistics: live objects, connections, proxies in flight (for debugging and tests). */
  async info(): Promise<ServerInfo> {
    return (await this.#transport('ask for info').request(OP_INFO)) as ServerInfo;
  }

  /**
   * Stops the server this manager started (its objects are gone; proxies anywhere reject), or,
   * after `connect()`, closes this thread's connection only. Idempotent.
   */
  async shutdown(): Promise<void> {
    const state = this.#state;
    if (state === 'shutdown' || state === 'initial') {
      this.#state = 'shutdown';
      return;
    }
    this.#state = 'shutdown';
    const address = this.address;
    if (state === 'started') {
      try {
        await getTransport(address, this.#authkey).request(OP_SHUTDOWN);
      } catch {
        // already gone
      }
      closeTransports(address);
      const p = this.#process!;
      await p.join(2000);
      if (p.exitcode === null) {
        p.terminate();
        await p.join(2000);
      }
    } else if (state === 'serving') {
      this.#server?.shutdown();
      closeTransports(address);
    } else closeTransports(address);
  }

  /** Waits for the server worker to exit (after a shutdown from any client). */
  async join(timeout?: number): Promise<void> {
    await this.#process?.join(timeout);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #transport(what: string): Transport {
    if (this.#state === 'shutdown') {
      throw new ManagerError(`cannot ${what}: the manager was shut down (manager.shutdown() was called)`);
    }
    if (this.#state === 'initial') {
      throw new ManagerError(
        `cannot ${what}: the manager is not started; call await manager.start() or connect() first`,
      );
    }
    if (this.#state === 'serving' && !this.#bound) {
      throw new ManagerError(`cannot ${what} before the server is listening: await server.ready first`);
    }
    return getTransport(this.address, this.#authkey);
  }

  toString(): string {
    return `<${this.constructor.name} ${this.#state}${this.#bound ? ` at ${formatAddress(this.#bound)}` : ''}>`;
  }
}

/** Records `spec` in `cls`'s own registry (copied from its parent's on first use). */
function registerOn(cls: typeof BaseManager, spec: TypeSpec, createMethod: boolean): void {
  if (!Object.hasOwn(cls, REGISTRY)) cls[REGISTRY] = new Map(cls[REGISTRY]);
  cls[REGISTRY].set(spec.typeid, spec);
  if (!createMethod || spec.typeid in cls.prototype) return;
  // Python's create_method: `manager.Counter(...args)` creates a 'Counter'.
  Object.defineProperty(cls.prototype, spec.typeid, {
    configurable: true,
    writable: true,
    value(this: BaseManager, ...args: unknown[]) {
      return this.create(spec.typeid, ...args);
    },
  });
}
