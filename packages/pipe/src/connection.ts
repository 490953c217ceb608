/**
 * Connection: one end of a Pipe. Each direction of a pipe is a MessageRing; an end writes to
 * one ring and reads from the other (a one-way pipe: one ring, one end each way).
 *
 * EOF reference counting: an end holds the writer side of the ring it sends on and the reader
 * side of the ring it receives from (see holders.ts). Sending an end to another worker adds
 * its holds at once (in the reducer), so the sender may close its own copy right after; the
 * receiving worker arms the exit hooks that release them if it dies.
 *
 * Memory: once every holder of both sides of a ring let go, the last one releases the ring's
 * blocks (letGo in holders.ts). An end lets go of its rings when it is closed or garbage; a
 * receive under way keeps the ring it reads from held until it settles, so that a close()
 * meanwhile cannot let the peer release blocks that the receive may still look up.
 */
import type { SharedBlock } from '@multiproc/memory';
import { dumpsChunks, loads, registerReducer } from '@multiproc/serialization';
import { bytesOf } from './bytes.js';
import { BrokenPipeError, BufferTooShort, ClosedError, EOFError, MessageTooLongError } from './errors.js';
import { Hold, letGo } from './holders.js';
import { type PollTimeout, parsePollTimeout } from './poll-timeout.js';
import { EMPTY, EOF } from './ring-buffer.js';
import { MessageRing, type WaitOptions } from './ring-wait.js';

export type { PollTimeout } from './poll-timeout.js';

// Unreachable, so no operation of it is under way (an async one keeps it reachable).
const finalizer = new FinalizationRegistry<Hold[]>(letGo);

const copyOut = (bytes: Uint8Array): Uint8Array => bytes.slice();

function pollOptions(timeout: PollTimeout | undefined): WaitOptions {
  const { ms, signal } = parsePollTimeout(timeout);
  return { timeout: ms ?? undefined, signal };
}

/**
 * One end of a {@link Pipe}. `send` is buffered in shared memory and never blocks or drops
 * data; `recv` waits for the next message or throws {@link EOFError} once every holder of the
 * other end has closed it (or exited) and everything sent has been read.
 */
export class Connection {
  #tx: MessageRing | null;
  #rx: MessageRing | null;
  #holds: Hold[];
  #closed = false;
  /** Async receives under way: they can outlive a close(). */
  #pending = 0;

  /** @internal use {@link Pipe}. `counted`: the holds were added by the sender's reducer. */
  constructor(tx: MessageRing | null, rx: MessageRing | null, counted = false) {
    this.#tx = tx;
    this.#rx = rx;
    this.#holds = [];
    if (tx) this.#holds.push(new Hold(tx, 'writers', counted));
    if (rx) this.#holds.push(new Hold(rx, 'readers', counted));
    finalizer.register(this, this.#holds, this);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end can receive. */
  get readable(): boolean {
    return this.#rx !== null;
  }

  /** Whether this end can send. */
  get writable(): boolean {
    return this.#tx !== null;
  }

  #sender(): MessageRing {
    if (this.#closed) throw new ClosedError('cannot send: this Connection is closed');
    if (!this.#tx)
      throw new Error(
        'cannot send: this end of a one-way Pipe only receives (Pipe({ duplex: false }) returns [receiver, sender])',
      );
    if (this.#tx.readers() === 0) throw new BrokenPipeError();
    return this.#tx;
  }

  #receiver(): MessageRing {
    if (this.#closed) throw new ClosedError('cannot receive: this Connection is closed');
    if (!this.#rx)
      throw new Error(
        'cannot receive: this end of a one-way Pipe only sends (Pipe({ duplex: false }) returns [receiver, sender])',
      );
    return this.#rx;
  }

  /**
   * Sends a value (anything the serialization core accepts, shared objects included). Returns
   * at once: the pipe's buffer grows in shared memory rather than block, on the main thread too.
   * A function throws a TypeError naming where it sits.
   */
  send(obj: unknown): void {
    const tx = this.#sender();
    tx.tryWrite(dumpsChunks(obj));
  }

  /** Sends bytes as they are: `size` bytes of `buf` from byte `offset`. */
  sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): void {
    const bytes = bytesOf(buf, 'sendBytes: buf');
    if (!Number.isInteger(offset) || offset < 0 || offset > bytes.byteLength) {
      throw new RangeError(`sendBytes: offset ${offset} is outside the buffer of ${bytes.byteLength} bytes`);
    }
    const n = size ?? bytes.byteLength - offset;
    if (!Number.isInteger(n) || n < 0 || offset + n > bytes.byteLength) {
      throw new RangeError(
        `sendBytes: size ${n} from offset ${offset} runs past the buffer of ${bytes.byteLength} bytes`,
      );
    }
    this.#sender().tryWrite([bytes.subarray(offset, offset + n)]);
  }

  /** Runs an async receive on the receiving ring, which stays held until it settles. */
  async #held<T>(op: (rx: MessageRing) => Promise<T>): Promise<T> {
    const rx = this.#receiver();
    this.#pending++;
    try {
      return await op(rx);
    } finally {
      if (--this.#pending === 0 && this.#closed) letGo(this.#holds);
    }
  }

  /** The next value; EOFError at end of file. */
  async recv<T = unknown>(): Promise<T> {
    return this.#got(await this.#held((rx) => rx.readAsync(loads, { eof: true }))) as T;
  }

  /** {@link recv} blocking the thread (fine in a worker; on the main thread it freezes the event loop). */
  recvSync<T = unknown>(): T {
    return this.#got(this.#receiver().read(loads, { eof: true })) as T;
  }

  /** The next message's bytes; MessageTooLongError (message left unread) if longer than `maxlength`. */
  async recvBytes(maxlength?: number): Promise<Uint8Array> {
    return this.#got(
      await this.#held((rx) => rx.readAsync(copyOut, { eof: true, accept: limit(maxlength) })),
    );
  }

  /** {@link recvBytes} blocking the thread. */
  recvBytesSync(maxlength?: number): Uint8Array {
    return this.#got(this.#receiver().read(copyOut, { eof: true, accept: limit(maxlength) }));
  }

  /**
   * Reads the next message into `buf` from byte `offset`; returns its length. A message that
   * does not fit throws {@link BufferTooShort} carrying it.
   */
  async recvBytesInto(buf: ArrayBufferView | ArrayBufferLike, offset = 0): Promise<number> {
    const into = intoTarget(buf, offset);
    return this.#got(await this.#held((rx) => rx.readAsync(into, { eof: true })));
  }

  /** {@link recvBytesInto} blocking the thread. */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBufferLike, offset = 0): number {
    return this.#got(this.#receiver().read(intoTarget(buf, offset), { eof: true }));
  }

  /**
   * Whether there is something to read (a message, or EOF), waiting up to `timeout` ms.
   * As in Python: no argument returns at once; `null` (or Infinity) waits without limit.
   */
  async poll(timeout?: PollTimeout): Promise<boolean> {
    return this.#held((rx) => rx.poll(pollOptions(timeout)));
  }

  /** {@link poll} blocking the thread. */
  pollSync(timeout?: PollTimeout): boolean {
    return this.#receiver().pollSync(pollOptions(timeout));
  }

  #got<T>(r: T | typeof EMPTY | typeof EOF): T {
    if (r === EOF || r === EMPTY) throw new EOFError();
    return r;
  }

  /**
   * Closes this end (idempotent). The other end sees EOF once every holder of this one closed.
   * The last holder of a ring to let go gives its shared memory back to the tree.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    finalizer.unregister(this);
    // A receive under way lets go of the receiving ring when it settles (#held).
    const rx = this.#rx;
    letGo(this.#pending === 0 ? this.#holds : this.#holds.filter((h) => h.ring !== rx));
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal the reducer's view. */
  static reduce(conn: Connection): { tx: SharedBlock | null; rx: SharedBlock | null } {
    if (conn.#closed) throw new ClosedError('cannot send a closed Connection to another worker');
    conn.#tx?.addWriters(1);
    try {
      conn.#rx?.addReaders(1);
    } catch (e) {
      conn.#tx?.addWriters(-1);
      throw e;
    }
    return { tx: conn.#tx?.block ?? null, rx: conn.#rx?.block ?? null };
  }
}

function limit(maxlength: number | undefined): ((n: number) => void) | undefined {
  if (maxlength === undefined) return undefined;
  if (typeof maxlength !== 'number' || !(maxlength >= 0)) {
    throw new RangeError(`recvBytes: maxlength must be a non-negative number, got ${String(maxlength)}`);
  }
  return (n) => {
    if (n > maxlength) throw new MessageTooLongError(n, maxlength);
  };
}

function intoTarget(buf: ArrayBufferView | ArrayBufferLike, offset: number): (bytes: Uint8Array) => number {
  const dst = bytesOf(buf, 'recvBytesInto: buf');
  if (!Number.isInteger(offset) || offset < 0 || offset > dst.byteLength) {
    throw new RangeError(`recvBytesInto: offset ${offset} is outside the buffer of ${dst.byteLength} bytes`);
  }
  return (bytes) => {
    const room = dst.byteLength - offset;
    if (bytes.byteLength > room) {
      throw new BufferTooShort(
        `recvBytesInto: the message is ${bytes.byteLength} bytes but the buffer has room for ${room} from ` +
          `offset ${offset}; the message is in this error (.data): pass a bigger buffer next time`,
        bytes.slice(),
      );
    }
    dst.set(bytes, offset);
    return bytes.byteLength;
  };
}

registerReducer(Connection, {
  name: '@multiproc/pipe:Connection',
  reduce: (conn) => Connection.reduce(conn),
  rebuild: ({ tx, rx }: { tx: SharedBlock | null; rx: SharedBlock | null }) =>
    new Connection(tx && MessageRing.attach(tx), rx && MessageRing.attach(rx), true),
});
