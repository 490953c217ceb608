import { createServer, type Server, type Socket } from 'node:net';
import { type AuthKey, handshake, toAuthKey } from './auth.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './framing.js';
import { type Waiter, park } from './park.js';
import { SocketConnection } from './socket-connection.js';

/** A TCP address (`host` defaults to 127.0.0.1) or a Unix socket path. */
export type Address = { host?: string; port: number } | { path: string };

/** A bound address, as `listener.address` reports it. */
export type BoundAddress = { host: string; port: number } | { path: string };

export interface ListenerOptions {
  /** Where to listen. Default `{ host: '127.0.0.1', port: 0 }` (a free port: read `address`). */
  address?: Address;
  /** When set, every accepted client must pass the mutual HMAC challenge. */
  authkey?: AuthKey;
  /** Pending-connection queue length handed to the OS. */
  backlog?: number;
  /** Largest message a connection accepts and sends, in bytes. Default 128 MiB. */
  maxMessageSize?: number;
  /** Time a client gets to complete the authentication handshake, in ms. Default 20 s. */
  authTimeout?: number;
}

export const DEFAULT_AUTH_TIMEOUT = 20_000;

/**
 * A server socket that hands out authenticated {@link SocketConnection}s, like Python's
 * `multiprocessing.connection.Listener`.
 *
 * Node binds sockets asynchronously, so the constructor starts listening and {@link ready}
 * resolves once bound. {@link address} is readable at once when it is known in advance (a
 * Unix path or a fixed port); with port 0 (the default) await `ready` first, or build the
 * listener with `await Listener.create(...)`. `accept()` waits for the bind by itself.
 *
 * @example
 * ```ts
 * await using listener = await Listener.create({ authkey: 'secret' });
 * const client = Client(listener.address, { authkey: 'secret' });
 * const conn = await listener.accept();   // AuthenticationError if the client's key is wrong
 * conn.send('hello');
 * console.log(await (await client).recv()); // 'hello'
 * ```
 */
export class Listener {
  /** Resolves once the socket is bound (rejects if binding failed, e.g. EADDRINUSE). */
  readonly ready: Promise<this>;
  readonly #server: Server;
  readonly #key: Buffer | undefined;
  readonly #maxMessageSize: number;
  readonly #authTimeout: number;
  readonly #requested: Address;
  #bound: BoundAddress | undefined;
  #closed = false;
  // Sockets connected but not yet taken by accept(), and accept() calls waiting for one.
  readonly #incoming: Socket[] = [];
  readonly #acceptors: Waiter<Socket>[] = [];
  #lastAccepted: { host: string; port: number } | undefined;
  #rejectReady: (err: Error) => void = () => {};

  constructor(options: ListenerOptions = {}) {
    const address = options.address ?? { host: '127.0.0.1', port: 0 };
    this.#requested = address;
    this.#key = options.authkey === undefined ? undefined : toAuthKey(options.authkey);
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#authTimeout = options.authTimeout ?? DEFAULT_AUTH_TIMEOUT;
    if (!(this.#maxMessageSize > 0))
      throw new RangeError(`maxMessageSize must be positive, got ${this.#maxMessageSize}`);
    const server = (this.#server = createServer());
    server.on('connection', (socket) => this.#onConnection(socket));
    this.ready = new Promise<this>((resolve, reject) => {
      this.#rejectReady = reject;
      server.once('listening', () => {
        const a = server.address();
        this.#bound =
          typeof a === 'string' || a === null ? { path: a ?? '' } : { host: a.address, port: a.port };
        resolve(this);
      });
      server.once('error', (err) => {
        this.#fail(err);
        reject(err);
      });
    });
    // An unobserved bind failure must not crash the process: accept() and `await ready` report it.
    this.ready.catch(() => {});
    server.on('error', () => {});
    if ('path' in address) server.listen({ path: address.path, backlog: options.backlog });
    else server.listen({ host: address.host ?? '127.0.0.1', port: address.port, backlog: options.backlog });
  }

  /** Creates a Listener and resolves once it is bound, so `address` is usable right away. */
  static async create(options?: ListenerOptions): Promise<Listener> {
    return new Listener(options).ready;
  }

  /**
   * The bound address: `{ host, port }` with the real port, or `{ path }`. Throws if the port
   * was 0 and the socket is not bound yet (`await listener.ready` first).
   */
  get address(): BoundAddress {
    if (this.#bound) return this.#bound;
    const req = this.#requested;
    if ('path' in req) return { path: req.path };
    if (req.port !== 0) return { host: req.host ?? '127.0.0.1', port: req.port };
    throw new Error(
      'listener.address is not known yet: the OS picks the port while binding, which Node does ' +
        'asynchronously. `await listener.ready` (or create it with `await Listener.create()`) first.',
    );
  }

  /** TCP address of the last accepted peer (Python's `last_accepted`); undefined for Unix sockets. */
  get lastAccepted(): { host: string; port: number } | undefined {
    return this.#lastAccepted;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for the next client and returns its connection. With an authkey, runs the mutual
   * challenge first: a client with a wrong key (or garbage, an oversized frame, or no answer
   * within `authTimeout`) makes this call reject with AuthenticationError; that client is
   * disconnected and the listener keeps serving, so call `accept()` again.
   */
  async accept(options: { signal?: AbortSignal } = {}): Promise<SocketConnection> {
    const { signal } = options;
    await this.ready; // rejects with the bind error, if any
    if (this.#closed) throw listenerClosed();
    const socket = await this.#nextSocket(signal);
    const conn = new SocketConnection(socket, {
      maxMessageSize: this.#maxMessageSize,
      handshakeFrames: this.#key ? 3 : 0, // the client's answer, its challenge, its verdict
    });
    if (this.#key) {
      try {
        await handshake(conn, this.#key, { side: 'listener', timeout: this.#authTimeout, signal });
      } catch (err) {
        conn.close(); // graceful: the peer must still receive our #FAILURE# verdict
        throw err;
      }
    }
    if (socket.remoteAddress)
      this.#lastAccepted = { host: socket.remoteAddress, port: socket.remotePort ?? 0 };
    return conn;
  }

  /**
   * Stops listening (a Unix socket file is removed). Connections already accepted stay open;
   * pending `accept()` calls reject and clients not yet accepted are disconnected.
   */
  close(): void {
    if (this.#closed) return;
    const err = listenerClosed();
    this.#rejectReady(err); // no-op once bound; else `ready` and accept() must not hang
    this.#fail(err);
    this.#server.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Same as {@link close}. (Node's server 'close' event waits for every accepted connection to
   * end, so it is not awaited: the listening socket itself is released at once.)
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #fail(err: Error): void {
    this.#closed = true;
    for (const a of this.#acceptors.splice(0)) a.reject(err);
    for (const s of this.#incoming.splice(0)) s.destroy();
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay?.(true);
    const waiter = this.#acceptors.shift();
    if (waiter) {
      waiter.resolve(socket);
      return;
    }
    // Parked until accept(): a reset or hang-up now must neither crash us nor be handed out.
    const drop = () => {
      const i = this.#incoming.indexOf(socket);
      if (i >= 0) this.#incoming.splice(i, 1);
    };
    socket.on('error', drop);
    socket.once('close', drop);
    this.#incoming.push(socket);
  }

  #nextSocket(signal: AbortSignal | undefined): Promise<Socket> {
    const parked = this.#incoming.shift();
    if (parked) {
      parked.removeAllListeners('error');
      parked.removeAllListeners('close');
      return Promise.resolve(parked);
    }
    return park(this.#acceptors, signal);
  }
}

function listenerClosed(): Error {
  return new Error(
    'the listener is closed (listener.close() was called, or binding failed); create a new Listener',
  );
}
