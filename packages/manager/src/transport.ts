/**
 * The client side of the protocol (see protocol.ts): one {@link Transport} per server address
 * per thread, shared by every proxy of the thread. It batches the messages of a tick into one
 * frame, matches replies to requests by id, and turns a lost connection into a clear error.
 * How frames move is a {@link Link}: a socket (socket-client.ts), shared-memory rings
 * (fast-client.ts), or a server in this very thread (server.ts). The per-thread table of
 * transports is in transport-registry.ts.
 */
import { dumps, loads } from '@multiproc/serialization';
import { ManagerError, RemoteError } from './errors.js';
import {
  formatAddress,
  type ManagerAddress,
  OP_CANCEL,
  type ProxyInfo,
  R_CANCELLED,
  R_ERROR,
  R_FAULT,
  R_PROXY,
  R_RETURN,
  type Reply,
  type Request,
} from './protocol.js';

/** A reply saying "the result is a new shared object": the proxy layer wraps it. */
export class NewObject {
  constructor(readonly info: ProxyInfo) {}
}

/** How a transport's link moves frames (what `_connectionInfo()` reports). */
export type LinkKind = 'socket' | 'shared-memory' | 'in-thread';

/** How a transport moves frames: a socket, shared-memory rings, or a server in this thread. */
export interface Link {
  readonly kind: LinkKind;
  send(bytes: Uint8Array): void;
  close(): void;
  /** Calls are in flight (keep the thread alive, read replies), and only then. */
  ref?(): void;
  unref?(): void;
}

/** What `proxy._connectionInfo()` returns. */
export interface ConnectionInfo {
  /** How calls travel; 'connecting' until the connection (and its fast path) is set up. */
  kind: LinkKind | 'connecting' | 'closed';
  /** Frames sent on this connection (each carries the requests of one tick). */
  framesSent: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
}

/**
 * Requests to one server. Messages are queued until the link is up, so a proxy rebuilt in a
 * worker can be used (and sent on) at once, before its connection exists.
 */
export class Transport {
  readonly address: ManagerAddress;
  readonly authkey: Uint8Array;
  #link: Link | undefined;
  #outbox: Request[] = [];
  #flushQueued = false;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #failure: Error | undefined;
  #closed = false;
  #framesSent = 0;
  readonly #onDead: () => void;

  constructor(address: ManagerAddress, authkey: Uint8Array, onDead: () => void) {
    this.address = address;
    this.authkey = authkey;
    this.#onDead = onDead;
  }

  /** True once the link failed or {@link close} was called: requests reject. */
  get dead(): boolean {
    return this.#closed || this.#failure !== undefined;
  }

  /** How calls travel now, and how many frames went. */
  info(): ConnectionInfo {
    return { kind: this.dead ? 'closed' : (this.#link?.kind ?? 'connecting'), framesSent: this.#framesSent };
  }

  /** @internal Installs the link (after the handshake) and sends what was queued. */
  attach(link: Link): void {
    if (this.dead) {
      link.close();
      return;
    }
    this.#link = link;
    if (this.#pending.size === 0) link.unref?.();
    else link.ref?.();
    if (this.#outbox.length > 0) this.#flush();
  }

  /** Sends a request and resolves with its result (a {@link NewObject} for R_PROXY). */
  request(op: number, a?: unknown, b?: unknown, c?: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.dead) return Promise.reject(this.#deadError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#link?.ref?.();
    return new Promise<unknown>((resolve, reject) => {
      const pending: Pending = { resolve, reject, signal };
      this.#pending.set(id, pending);
      if (signal) {
        // Ask the server to cancel; the promise settles with its answer (the result wins if it
        // was already on its way, so an acquired lock is never lost).
        const onAbort = () => this.notify(OP_CANCEL, id);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.resolve = (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        };
        pending.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      this.#queue([id, op, a, b, c]);
    });
  }

  /** Sends a message that gets no reply (decref, hold, claim, cancel). Dropped once dead. */
  notify(op: number, a?: unknown, b?: unknown): void {
    if (this.dead) return;
    this.#queue([0, op, a, b]);
  }

  /** @internal A frame from the server. */
  receive(bytes: Uint8Array): void {
    let batch: Reply[];
    try {
      batch = loads<Reply[]>(bytes);
    } catch (err) {
      this.unreadable(err);
      return;
    }
    this.receiveBatch(batch);
  }

  /** @internal A reply frame could not be decoded (most likely a reducer this thread lacks). */
  unreadable(err: unknown): void {
    this.fail(
      new ManagerError(
        `cannot read a reply of the manager at ${formatAddress(this.address)}: ${(err as Error).message}`,
        { cause: err },
      ),
    );
  }

  /** @internal A decoded frame from the server. */
  receiveBatch(batch: Reply[]): void {
    for (const [id, kind, value] of batch) {
      if (kind === R_FAULT) {
        this.fail(
          new ManagerError(
            `the manager at ${formatAddress(this.address)} dropped the connection: ${String(value)}`,
          ),
        );
        return;
      }
      const p = this.#pending.get(id);
      if (!p) continue;
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#link?.unref?.();
      if (kind === R_RETURN) p.resolve(value);
      else if (kind === R_PROXY) p.resolve(new NewObject(value as ProxyInfo));
      else if (kind === R_ERROR) p.reject(new RemoteError(toError(value)));
      else if (kind === R_CANCELLED) p.reject(p.signal?.reason ?? new ManagerError('the call was cancelled'));
    }
  }

  /** Marks the transport dead: every request in flight, and every later one, rejects. */
  fail(err: Error): void {
    if (this.dead) return;
    this.#failure = err;
    this.#shutdownLink();
  }

  /** Closes this side (the server releases this connection's references). Idempotent. */
  close(): void {
    if (this.dead) return;
    this.#closed = true;
    this.#shutdownLink();
  }

  #shutdownLink(): void {
    this.#onDead();
    const err = this.#deadError();
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#outbox.length = 0;
    // Flush what the server must still hear (decrefs) before closing: the link is graceful.
    this.#link?.close();
    this.#link = undefined;
  }

  #deadError(): Error {
    if (this.#failure) return this.#failure;
    return new ManagerError(
      `the connection to the manager at ${formatAddress(this.address)} was closed (manager.shutdown() ` +
        'was called); start or connect a manager again to make new proxies',
    );
  }

  #queue(msg: Request): void {
    this.#outbox.push(msg);
    if (!this.#flushQueued && this.#link) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    const link = this.#link;
    if (!link || this.#outbox.length === 0) return;
    const batch = this.#outbox;
    this.#outbox = [];
    let bytes: Uint8Array;
    try {
      bytes = dumps(batch, { path: 'args' });
    } catch (err) {
      // One unsendable argument must fail its own call only: send the others one by one.
      for (const msg of batch) this.#sendOne(link, msg, err);
      return;
    }
    try {
      this.#framesSent++;
      link.send(bytes);
    } catch (err) {
      this.fail(
        new ManagerError(
          `cannot send to the manager at ${formatAddress(this.address)}: ${(err as Error).message}`,
          { cause: err },
        ),
      );
    }
  }

  #sendOne(link: Link, msg: Request, batchError: unknown): void {
    let bytes: Uint8Array;
    try {
      bytes = dumps([msg], { path: 'args' });
    } catch (err) {
      const p = this.#pending.get(msg[0]);
      this.#pending.delete(msg[0]);
      p?.reject(err ?? batchError);
      return;
    }
    link.send(bytes);
  }
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const err = new Error(String(value));
  return err;
}
