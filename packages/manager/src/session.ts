/**
 * One client connection as the server sees it: decodes request batches, runs them against the
 * object table, and sends the replies of a tick back as one frame (see protocol.ts).
 */
import { dumps, loads } from '@multiproc/serialization';
import {
  OP_CALL,
  OP_ATTACH,
  OP_CANCEL,
  OP_CLAIM,
  OP_CREATE,
  OP_DECREF,
  OP_HOLD,
  OP_INFO,
  OP_LOCAL,
  OP_PING,
  OP_SHUTDOWN,
  R_CANCELLED,
  R_ERROR,
  R_FAULT,
  R_PROXY,
  R_RETURN,
  type Reply,
} from './protocol.js';
import { CallContext, CancelledError, withContext } from './server-objects/context.js';
import type { Server } from './server.js';

let nextSessionId = 1;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';

/** Marks a reply value as "a new object": sent as R_PROXY. */
class Created {
  constructor(readonly info: unknown) {}
}

/** A client connection (socket, socket moved to shared memory, or in-thread) of a {@link Server}. */
export class Session {
  readonly id = nextSessionId++;
  /** References this connection owns: objId -> count. */
  readonly refs = new Map<number, number>();
  readonly #server: Server;
  #sink: (bytes: Uint8Array) => void;
  readonly #closeLink: () => void;
  /** An authenticated socket connection: it may move to the shared-memory fast path. */
  readonly #viaSocket: boolean;
  readonly #pending = new Map<number, CallContext>();
  #out: Reply[] = [];
  #flushQueued = false;
  #closed = false;

  constructor(server: Server, sink: (bytes: Uint8Array) => void, closeLink: () => void, viaSocket: boolean) {
    this.#server = server;
    this.#sink = sink;
    this.#closeLink = closeLink;
    this.#viaSocket = viaSocket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One frame from the client. Garbage gets a R_FAULT reply and the connection is dropped. */
  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    let batch: unknown;
    try {
      batch = loads(bytes);
    } catch (err) {
      this.fault(`malformed request: ${(err as Error).message}`);
      return;
    }
    this.receiveBatch(batch);
  }

  /** One decoded frame from the client (a batch of requests). */
  receiveBatch(batch: unknown): void {
    if (this.#closed) return;
    if (!Array.isArray(batch)) {
      this.fault('malformed request: a frame must hold an array of requests');
      return;
    }
    for (const msg of batch) {
      if (this.#closed) return;
      if (!Array.isArray(msg) || typeof msg[0] !== 'number' || typeof msg[1] !== 'number') {
        this.fault('malformed request: expected [id, op, ...]');
        return;
      }
      this.#handle(msg as [number, number, unknown, unknown, unknown]);
    }
  }

  /** Tells the client it broke the protocol, then drops it (other clients are not affected). */
  fault(message: string): void {
    if (this.#closed) return;
    this.#out.push([0, R_FAULT, message]);
    this.#flush();
    this.close();
  }

  /** Drops the connection: cancels its waiting calls and releases its references. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ctx of this.#pending.values()) ctx.cancel();
    this.#pending.clear();
    this.#closeLink();
    this.#server.dropSession(this);
  }

  #handle([id, op, a, b, c]: [number, number, unknown, unknown, unknown]): void {
    const server = this.#server;
    try {
      switch (op) {
        case OP_CALL:
          this.#call(id, a as number, b as string, c);
          return;
        case OP_CREATE:
          this.#settle(id, server.create(this, a as string, b), true);
          return;
        case OP_DECREF:
          server.decref(this, a as number);
          return;
        case OP_HOLD:
          server.hold(a as string, b as number);
          return;
        case OP_CLAIM:
          server.claim(this, a as string, b as number);
          return;
        case OP_CANCEL:
          this.#pending.get(a as number)?.cancel();
          return;
        case OP_PING:
          this.#reply(id, R_RETURN, null);
          return;
        case OP_INFO:
          this.#reply(id, R_RETURN, server.info());
          return;
        case OP_LOCAL:
          this.#reply(id, R_RETURN, server.fast.offer());
          return;
        case OP_ATTACH: {
          if (!this.#viaSocket) throw new TypeError('only a socket connection can move to shared memory');
          const { handles, sink } = server.fast.attach(this);
          this.#reply(id, R_RETURN, handles);
          this.#flush(); // the answer goes on the socket; every later frame through the rings
          this.#sink = sink;
          return;
        }
        case OP_SHUTDOWN:
          this.#reply(id, R_RETURN, null);
          this.#flush();
          setImmediate(() => server.shutdown());
          return;
        default:
          throw new TypeError(`unknown request op ${op}`);
      }
    } catch (err) {
      this.#reply(id, R_ERROR, err);
    }
  }

  #call(id: number, objId: number, method: string, args: unknown): void {
    const entry = this.#server.lookup(objId);
    if (!Array.isArray(args)) throw new TypeError('malformed call: args must be an array');
    if (method === '#GETVALUE') {
      this.#reply(id, R_RETURN, entry.obj);
      return;
    }
    if (typeof method !== 'string' || !(entry.exposed ? entry.exposed.has(method) : isPublic(method))) {
      throw attributeError(
        `method ${JSON.stringify(method)} of a '${entry.typeid}' is not exposed (exposed: ${[...(entry.exposed ?? [])].join(', ') || 'public methods'})`,
      );
    }
    const fn = (entry.obj as Record<string, unknown>)[method];
    if (typeof fn !== 'function')
      throw attributeError(`'${entry.typeid}' object has no method ${JSON.stringify(method)}`);
    const ctx = new CallContext(this.id);
    let result = withContext(ctx, () => (fn as (...a: unknown[]) => unknown).apply(entry.obj, args));
    const typeid = entry.methodToTypeid?.[method];
    if (typeid !== undefined) {
      const wrap = (v: unknown) => new Created(this.#server.adopt(this, typeid, v));
      result = isThenable(result) ? Promise.resolve(result).then(wrap) : wrap(result);
    }
    if (isThenable(result)) {
      this.#pending.set(id, ctx);
      this.#settle(id, result, false, ctx);
    } else
      this.#reply(
        id,
        result instanceof Created ? R_PROXY : R_RETURN,
        result instanceof Created ? result.info : result,
      );
  }

  #settle(id: number, result: unknown, created: boolean, ctx?: CallContext): void {
    Promise.resolve(result).then(
      (v) => {
        if (ctx) this.#pending.delete(id);
        if (v instanceof Created) this.#reply(id, R_PROXY, v.info);
        else this.#reply(id, created ? R_PROXY : R_RETURN, v);
      },
      (err) => {
        if (ctx) this.#pending.delete(id);
        if (ctx?.cancelled && (err instanceof CancelledError || err === ctx.signal.reason))
          this.#reply(id, R_CANCELLED, null);
        else this.#reply(id, R_ERROR, err);
      },
    );
  }

  #reply(id: number, kind: number, value: unknown): void {
    if (id === 0 || this.#closed) return;
    if (kind === R_ERROR && !(value instanceof Error))
      value = new Error(`non-Error thrown: ${String(value)}`);
    this.#out.push([id, kind, value]);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#out.length === 0) return;
    const batch = this.#out;
    this.#out = [];
    let bytes: Uint8Array;
    try {
      bytes = dumps(batch);
    } catch {
      // Some result cannot be sent: that call gets the serialization error, the others go on.
      for (const reply of batch) this.#send(encodeOne(reply));
      return;
    }
    this.#send(bytes);
  }

  #send(bytes: Uint8Array): void {
    try {
      this.#sink(bytes);
    } catch {
      this.close(); // the peer is gone
    }
  }
}

function encodeOne(reply: Reply): Uint8Array {
  try {
    return dumps([reply]);
  } catch (err) {
    const [id, kind, value] = reply;
    if (kind === R_ERROR && value instanceof Error) {
      // An error with unsendable properties: send its class name, message and stack only.
      const plain = new Error(value.message);
      plain.name = value.name;
      plain.stack = value.stack;
      return dumps([[id, R_ERROR, plain]]);
    }
    return dumps([[id, R_ERROR, err]]);
  }
}

function isPublic(name: string): boolean {
  return name !== 'constructor' && !name.startsWith('_') && !name.startsWith('#');
}

function attributeError(message: string): Error {
  const err = new Error(message);
  err.name = 'AttributeError';
  return err;
}
