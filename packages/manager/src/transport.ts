/**
 * The client side of the protocol (see protocol.ts): one {@link Transport} per server address
 * per thread, shared by every proxy of the thread. It batches the messages of a tick into one
 * frame, matches replies to requests by id, and turns a lost connection into a clear error.
 */
import { Client, type SocketConnection } from '@multiproc/pipe';
import { currentProcess } from '@multiproc/process';
import { dumps, loads } from '@multiproc/serialization';
import { ManagerError, RemoteError } from './errors.js';
import {
  addressKey,
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

/** How a transport moves frames: a socket connection, or a server in this very thread. */
export interface Link {
  send(bytes: Uint8Array): void;
  close(): void;
  /** Keep the thread alive while calls are in flight, and only then. */
  ref?(): void;
  unref?(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
}

/** The tree's default authkey: what a proxy uses when its state carries none. */
export function defaultAuthkey(): Uint8Array {
  return currentProcess().authkey;
}

const hex = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');

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

  /** @internal Installs the link (after the handshake) and sends what was queued. */
  attach(link: Link): void {
    if (this.dead) {
      link.close();
      return;
    }
    this.#link = link;
    if (this.#pending.size === 0) link.unref?.();
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
      // Most likely a reducer this thread does not know: fail everything in flight, clearly.
      this.fail(
        new ManagerError(
          `cannot read a reply of the manager at ${formatAddress(this.address)}: ${(err as Error).message}`,
          { cause: err },
        ),
      );
      return;
    }
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

/** Per thread: the transports to socket servers, by address and key. */
const transports = new Map<string, Transport>();
/** Per thread: servers running in this thread (their proxies here skip the socket). */
const localServers = new Map<string, (t: Transport) => Link>();

/** @internal A server in this thread announces itself (and withdraws with the returned function). */
export function registerLocalServer(address: ManagerAddress, open: (t: Transport) => Link): () => void {
  const key = addressKey(address);
  localServers.set(key, open);
  return () => {
    if (localServers.get(key) === open) localServers.delete(key);
  };
}

/**
 * The transport of this thread to the server at `address`, opened on first use. A connection
 * failure rejects every request made on it (AuthenticationError for a wrong key); the next
 * call to this function then tries again.
 */
export function getTransport(address: ManagerAddress, authkey: Uint8Array = defaultAuthkey()): Transport {
  const key = `${addressKey(address)}|${hex(authkey)}`;
  let t = transports.get(key);
  if (t && !t.dead) return t;
  const transport = new Transport(address, authkey, () => {
    if (transports.get(key) === transport) transports.delete(key);
  });
  t = transport;
  transports.set(key, t);
  const local = localServers.get(addressKey(address));
  if (local) t.attach(local(t));
  else void connect(t);
  return t;
}

/** Closes this thread's transports to `address` (all keys). */
export function closeTransports(address: ManagerAddress): void {
  const prefix = `${addressKey(address)}|`;
  for (const [key, t] of [...transports]) if (key.startsWith(prefix)) t.close();
}

async function connect(t: Transport): Promise<void> {
  let conn: SocketConnection;
  try {
    conn = await Client(t.address, { authkey: t.authkey });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.name === 'AuthenticationError') t.fail(e);
    else
      t.fail(
        new ManagerError(
          `cannot connect to the manager at ${formatAddress(t.address)} (${e?.code ?? e?.message}): ` +
            'its server is not running (was manager.shutdown() called?)',
          { cause: err },
        ),
      );
    return;
  }
  // `ref`/`unref` are used when the connection offers them (an idle manager connection then
  // does not keep the program alive, as in Python).
  const refable = conn as unknown as { ref?(): void; unref?(): void };
  t.attach({
    send: (bytes) => conn.sendBytes(bytes),
    close: () => conn.close(),
    ref: refable.ref?.bind(conn),
    unref: refable.unref?.bind(conn),
  });
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await conn.recvBytes();
    } catch (err) {
      t.fail(
        new ManagerError(
          `lost the connection to the manager at ${formatAddress(t.address)}: its server shut down or ` +
            `died (${(err as Error).message})`,
          { cause: err },
        ),
      );
      return;
    }
    t.receive(bytes);
  }
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const err = new Error(String(value));
  return err;
}
