import type { Socket } from 'node:net';
import { dumps, loads } from '@multiproc/serialization';
import { bytesOf } from './bytes.js';
import { BrokenPipeError, BufferTooShort, ClosedError, EOFError, MessageTooLongError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_SIZE, encodeFrame, FrameDecoder, headerLength, writeHeader } from './framing.js';
import { type Waiter, park, watch } from './park.js';
import { type PollTimeout, parsePollTimeout } from './poll-timeout.js';

/** Waiting options of the async methods (`signal` aborts the wait only, never the stream). */
export interface WaitOptions {
  signal?: AbortSignal;
}

export interface SocketConnectionOptions {
  /** Largest message accepted from the peer (and sent to it), in bytes. Default 128 MiB. */
  maxMessageSize?: number;
  /** @internal Number of handshake frames held to the 256-byte handshake limit. */
  handshakeFrames?: number;
}

/** Complete-but-unread bytes above which the socket stops reading (TCP pushes back on the peer). */
const HIGH_WATER = 16 * 1024 * 1024;
/** How long a closed, flushed connection keeps draining input, waiting for the peer's FIN. */
const LINGER_MS = 10_000;

const syncError = (name: string) =>
  new Error(
    `${name}() cannot work on a socket connection: the bytes arrive through this thread's ` +
      `event loop, which a blocking call would stop. Use \`await conn.${name.replace('Sync', '')}()\`.`,
  );

/**
 * One end of a connection over a TCP or Unix socket, as returned by `listener.accept()` and
 * `Client(...)`. Same methods as the shared-memory `Connection` of `Pipe()`, minus the blocking
 * `...Sync` forms. Messages are framed as in CPython (see framing.ts), so the peer may be a Python
 * `multiprocessing.connection` endpoint exchanging raw bytes with `send_bytes`/`recv_bytes`.
 *
 * @example
 * ```ts
 * const conn = await Client({ host: '127.0.0.1', port: 6000 }, { authkey: 'secret' });
 * conn.send({ op: 'ping' });
 * console.log(await conn.recv());
 * conn.close();
 * ```
 */
export class SocketConnection {
  /** Socket connections are duplex. */
  readonly readable = true;
  readonly writable = true;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #frames: Uint8Array[] = [];
  #queued = 0; // bytes in #frames
  #readers: (Waiter<Uint8Array> & { maxlength?: number })[] = [];
  #watchers = new Set<() => void>(); // poll() calls waiting for anything to happen
  #eof = false;
  #failure: Error | null = null; // reported once the complete frames before it are read
  #closed = false;

  /** @internal Built by `Listener.accept()` and `Client()`. */
  constructor(socket: Socket, options: SocketConnectionOptions = {}) {
    this.#socket = socket;
    this.#decoder = new FrameDecoder({
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      strictFrames: options.handshakeFrames ?? 0,
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset or broken pipe is the peer going away: EOF for the reader, like a FIN.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') this.#failure ??= err;
      this.#onEnd();
    });
    socket.resume(); // in case whoever held the socket before paused it
  }

  /** True once {@link close} was called on this end. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Largest message this end accepts and sends, in bytes. */
  get maxMessageSize(): number {
    return this.#decoder.maxMessageSize;
  }

  /** Serializes `obj` with the multiproc serialization core and sends it. Never blocks. */
  send(obj: unknown): void {
    this.#checkWritable();
    const payload = dumps(obj);
    this.#checkSize(payload.byteLength);
    const head = Buffer.allocUnsafe(headerLength(payload.byteLength));
    writeHeader(head, payload.byteLength);
    // cork/uncork: one writev, no copy of the (fresh, unshared) payload.
    this.#socket.cork();
    this.#socket.write(head);
    this.#socket.write(payload);
    this.#socket.uncork();
  }

  /**
   * Sends `size` bytes of `buf` from `offset` as one message. The bytes are copied, so `buf`
   * may be reused at once. Never blocks: unsent data is buffered until the socket takes it.
   */
  sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): void {
    this.#checkWritable();
    const bytes = bytesAt(buf, offset);
    const count = size ?? bytes.length - offset;
    if (!Number.isInteger(count) || count < 0 || offset + count > bytes.length) {
      throw new RangeError(
        `size ${size} is out of range for a buffer of ${bytes.length} bytes at offset ${offset}`,
      );
    }
    this.#checkSize(count);
    this.#socket.write(encodeFrame(bytes.subarray(offset, offset + count)));
  }

  /** Receives one message sent with `send` and deserializes it. EOFError after the peer closed. */
  async recv<T = unknown>(options?: WaitOptions): Promise<T> {
    return loads<T>(await this.#next(options?.signal));
  }

  /**
   * Receives one message as bytes. A message longer than `maxlength` rejects with
   * MessageTooLongError and stays unread (Python closes the connection instead; whole frames
   * are buffered here, so nothing forces that).
   */
  async recvBytes(maxlength?: number, options?: WaitOptions): Promise<Uint8Array> {
    if (maxlength !== undefined && !(maxlength >= 0)) {
      throw new RangeError(`recvBytes: maxlength must be a non-negative number, got ${maxlength}`);
    }
    return this.#next(options?.signal, maxlength);
  }

  /**
   * Receives one message into `buf` at byte `offset`; returns its length in bytes. A message
   * that does not fit rejects with {@link BufferTooShort}, whose `data` holds the message.
   */
  async recvBytesInto(
    buf: ArrayBufferView | ArrayBufferLike,
    offset = 0,
    options?: WaitOptions,
  ): Promise<number> {
    const target = bytesAt(buf, offset);
    const frame = await this.#next(options?.signal);
    if (frame.byteLength > target.length - offset) {
      throw new BufferTooShort(
        `message of ${frame.byteLength} bytes does not fit in ${target.length - offset} bytes of buffer; ` +
          'the message is in error.data',
        frame,
      );
    }
    target.set(frame, offset);
    return frame.byteLength;
  }

  /**
   * Resolves true when a message can be read without waiting, or when `recv` would reject at
   * once (EOF, a broken stream). As in Python, no argument returns at once; `timeout` waits up
   * to that many ms; `null` or Infinity waits without limit; `{ timeout?, signal? }` too.
   */
  async poll(timeout?: PollTimeout): Promise<boolean> {
    this.#checkOpen();
    const { ms, signal } = parsePollTimeout(timeout);
    if (this.#ready()) return true;
    signal?.throwIfAborted();
    if (ms !== null && ms <= 0) return false;
    return watch(this.#watchers, ms, signal, () => {
      if (this.#closed) throw closedError('poll');
      return this.#ready();
    });
  }

  // The Sync forms exist so that code written for Pipe() fails with a clear message here.
  /** Not available on sockets: throws an Error that says to use `await conn.recv()`. */
  recvSync(): never {
    throw syncError('recvSync');
  }
  /** Not available on sockets: throws an Error that says to use `await conn.recvBytes()`. */
  recvBytesSync(): never {
    throw syncError('recvBytesSync');
  }
  /** Not available on sockets: throws an Error that says to use `await conn.poll()`. */
  pollSync(): never {
    throw syncError('pollSync');
  }

  /**
   * Closes this end. Messages already sent are still delivered (the socket is flushed, then
   * shut down); pending `recv`/`poll` calls reject. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = closedError('recv');
    for (const reader of this.#readers.splice(0)) reader.reject(err);
    for (const wake of [...this.#watchers]) wake();
    this.#frames.length = 0;
    const socket = this.#socket;
    if (socket.destroyed) return;
    // Keep reading (and dropping) input until the peer's FIN: closing with unread input makes
    // the kernel send RST, which can discard what we just sent before the peer reads it.
    socket.removeAllListeners('data');
    socket.resume();
    socket.end();
    socket.unref(); // a peer that never hangs up must not keep the process alive
    // Once everything is handed to the kernel, give the peer LINGER_MS to hang up.
    socket.once('finish', () => setTimeout(() => socket.destroy(), LINGER_MS).unref());
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes this end; resolves once the socket is shut down (at most LINGER_MS after it flushed). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    const socket = this.#socket;
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LINGER_MS).unref();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError('use');
  }

  #checkWritable(): void {
    this.#checkOpen();
    const s = this.#socket;
    if (s.destroyed || s.writableEnded) {
      throw new BrokenPipeError('cannot send: the peer closed the connection (broken pipe)');
    }
  }

  #checkSize(size: number): void {
    if (size > this.#decoder.maxMessageSize) {
      throw new RangeError(
        `message of ${size} bytes is over maxMessageSize (${this.#decoder.maxMessageSize} bytes); ` +
          'raise maxMessageSize on both ends (Listener and Client options) to send it',
      );
    }
  }

  #ready(): boolean {
    return this.#frames.length > 0 || this.#eof || this.#failure !== null;
  }

  /** The next message, in call order; one over `maxlength` is refused and left in place. */
  #next(signal: AbortSignal | undefined, maxlength?: number): Promise<Uint8Array> {
    this.#checkOpen();
    if (this.#readers.length === 0) {
      const head = this.#frames[0];
      if (head)
        return fits(head, maxlength)
          ? Promise.resolve(this.#shift())
          : Promise.reject(tooLong(head, maxlength));
      if (this.#eof || this.#failure) return Promise.reject(this.#endError());
    }
    return park<Uint8Array, { maxlength?: number }>(this.#readers, signal, { maxlength });
  }

  #shift(): Uint8Array {
    const frame = this.#frames.shift()!;
    this.#queued -= frame.byteLength;
    if (this.#queued < HIGH_WATER / 2 && this.#socket.isPaused() && !this.#eof) this.#socket.resume();
    return frame;
  }

  #onData(chunk: Buffer): void {
    const frames = this.#decoder.push(chunk);
    for (const frame of frames) {
      this.#frames.push(frame);
      this.#queued += frame.byteLength;
    }
    const error = this.#decoder.error;
    if (error) {
      // Out of sync: nothing after this point can be parsed. Drop the stream; the frames
      // completed before it are still delivered, then readers get the error.
      this.#failure ??= error;
      this.#socket.destroy();
      this.#onEnd();
      return;
    }
    if (frames.length > 0) this.#dispatch();
    if (this.#queued > HIGH_WATER) this.#socket.pause();
  }

  #onEnd(): void {
    if (this.#eof) return;
    this.#eof = true;
    const d = this.#decoder;
    if (d.buffered > 0 || d.pendingSize > 0) {
      this.#failure ??= new EOFError(
        d.pendingSize > 0
          ? `the peer closed the connection in the middle of a message (${d.buffered} of ${d.pendingSize} bytes received)`
          : 'the peer closed the connection in the middle of a message header',
      );
    }
    this.#dispatch();
  }

  #dispatch(): void {
    if (this.#closed) return;
    while (this.#readers.length > 0 && this.#frames.length > 0) {
      const reader = this.#readers.shift()!;
      const head = this.#frames[0]!;
      if (fits(head, reader.maxlength)) reader.resolve(this.#shift());
      else reader.reject(tooLong(head, reader.maxlength));
    }
    if (this.#readers.length > 0 && (this.#eof || this.#failure)) {
      const err = this.#endError();
      for (const reader of this.#readers.splice(0)) reader.reject(err);
    }
    for (const wake of [...this.#watchers]) wake();
  }

  #endError(): Error {
    return this.#failure ?? new EOFError('the peer closed the connection and every message it sent was read');
  }
}

const fits = (frame: Uint8Array, maxlength: number | undefined) =>
  maxlength === undefined || frame.byteLength <= maxlength;
const tooLong = (frame: Uint8Array, maxlength: number | undefined) =>
  new MessageTooLongError(frame.byteLength, maxlength ?? 0);

/** The bytes of `buf` (offsets are in bytes, as in Python), after checking `offset`. */
function bytesAt(buf: ArrayBufferView | ArrayBufferLike, offset: number): Uint8Array {
  const bytes = bytesOf(buf, 'buf');
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`offset ${offset} is out of range for a buffer of ${bytes.length} bytes`);
  }
  return bytes;
}

function closedError(what: string): Error {
  return new ClosedError(`cannot ${what}: this connection was closed (conn.close() was called on this end)`);
}
