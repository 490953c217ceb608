/**
 * Message framing for connections over sockets (Listener / Client).
 *
 * ## Wire format
 *
 * A byte stream carries a sequence of frames; one frame is one message (`sendBytes` /
 * `recvBytes`, or the serialized value of `send` / `recv`). The format is CPython's
 * `multiprocessing.connection` format, so a Python peer can talk to ours:
 *
 * ```
 * frame  := header payload
 * header := int32_be(n)                   when 0 <= n <= 0x7fffffff
 *         | int32_be(-1) uint64_be(n)      when n > 0x7fffffff (Python >= 3.8)
 * ```
 *
 * `n` is the payload length in bytes. Any other negative `int32` is malformed. The
 * authentication handshake (see `auth.ts`) is made of ordinary frames on the same stream.
 *
 * A receiver never trusts `n`: a frame longer than its limit (`maxMessageSize`, or 256 bytes
 * during the handshake, as in Python's `recv_bytes(256)`) is refused as soon as its header is
 * read, before any payload is buffered, so a lying peer cannot make us allocate memory.
 */

/** Largest length the short header can carry; longer payloads use the `-1` + uint64 form. */
export const MAX_SHORT_FRAME = 0x7fffffff;

/** Default per-frame limit: room for a 64 MiB buffer plus its serialization header. */
export const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** Limit of handshake frames (CPython reads them with `recv_bytes(256)`). */
export const HANDSHAKE_FRAME_LIMIT = 256;

/**
 * A frame on the wire broke the protocol: longer than the receiver's limit, or with a
 * malformed length header. The connection that received it is closed.
 */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** Bytes of header needed for a payload of `size` bytes. */
export function headerLength(size: number): number {
  return size > MAX_SHORT_FRAME ? 12 : 4;
}

/** Writes the header for a payload of `size` bytes at `out[0..]`; returns its length. */
export function writeHeader(out: Uint8Array, size: number): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (size <= MAX_SHORT_FRAME) {
    view.setInt32(0, size);
    return 4;
  }
  view.setInt32(0, -1);
  view.setBigUint64(4, BigInt(size));
  return 12;
}

/**
 * Builds one frame (header + a copy of the payload) in a single buffer. One buffer means one
 * socket write, which also keeps small messages from being split by Nagle's algorithm, and the
 * copy lets the caller reuse its buffer as soon as `sendBytes` returns.
 */
export function encodeFrame(payload: Uint8Array): Buffer {
  const head = headerLength(payload.byteLength);
  const frame = Buffer.allocUnsafe(head + payload.byteLength);
  writeHeader(frame, payload.byteLength);
  frame.set(payload, head);
  return frame;
}

export interface FrameDecoderOptions {
  /** Per-frame payload limit in bytes. */
  maxMessageSize: number;
  /**
   * The first `strictFrames` frames are limited to {@link HANDSHAKE_FRAME_LIMIT} bytes: the
   * handshake frames. Counting frames (instead of switching the limit when the handshake ends)
   * matters because the first real message may arrive in the same chunk as the last handshake
   * frame, before the handshake code has seen that frame.
   */
  strictFrames?: number;
}

/**
 * Incremental frame parser: feed it socket chunks with {@link push}; it returns every frame
 * completed so far. A malformed or oversized header sets {@link error} (frames before it are
 * still returned); after that the stream is out of sync and must be dropped.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #head = 0; // bytes of #chunks[0] already consumed
  #buffered = 0; // unconsumed bytes across #chunks
  #size = -1; // payload size of the frame being read, -1 while its header is incomplete
  #strictLeft: number;
  #error: FrameError | null = null;
  maxMessageSize: number;

  constructor(options: FrameDecoderOptions) {
    this.maxMessageSize = options.maxMessageSize;
    this.#strictLeft = options.strictFrames ?? 0;
  }

  /** Unconsumed bytes: non-zero at end of stream means the peer stopped mid-frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Payload size of the frame in progress, or -1 if its header is not complete yet. */
  get pendingSize(): number {
    return this.#size;
  }

  /** The protocol violation that stopped parsing, if any. */
  get error(): FrameError | null {
    return this.#error;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#error) return [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    try {
      for (;;) {
        if (this.#size < 0 && !this.#readHeader()) break;
        if (this.#buffered < this.#size) break;
        frames.push(this.#take(this.#size));
        this.#size = -1;
        if (this.#strictLeft > 0) this.#strictLeft--;
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.#error = err;
    }
    return frames;
  }

  #readHeader(): boolean {
    if (this.#buffered < 4) return false;
    const first = this.#peek(4).readInt32BE(0);
    let size: number;
    if (first >= 0) {
      this.#skip(4);
      size = first;
    } else if (first === -1) {
      if (this.#buffered < 12) return false;
      const long = this.#peek(12).readBigUInt64BE(4);
      if (long > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new FrameError(`received a frame header announcing ${long} bytes, which is not a valid length`);
      }
      this.#skip(12);
      size = Number(long);
    } else {
      throw new FrameError(
        `received a malformed frame header (length ${first}); the peer does not speak the ` +
          'multiprocessing connection protocol',
      );
    }
    const limit = this.#strictLeft > 0 ? HANDSHAKE_FRAME_LIMIT : this.maxMessageSize;
    if (size > limit) {
      throw new FrameError(
        this.#strictLeft > 0
          ? `received a ${size}-byte frame during the authentication handshake (at most ` +
              `${limit} bytes allowed); the peer is not a multiprocessing client/listener`
          : `received a ${size}-byte message, over maxMessageSize (${limit} bytes); raise ` +
              'maxMessageSize on the receiving Listener/Client if such messages are expected',
      );
    }
    this.#size = size;
    return true;
  }

  /** The next `n` unconsumed bytes, without consuming them (n is a header length). */
  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    return this.#copy(n, false);
  }

  #skip(n: number): void {
    this.#copy(n, true, true);
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0];
    if (n === 0) return Buffer.alloc(0);
    // Zero-copy when the frame sits in one chunk and fills most of it; otherwise copy, so a
    // small retained message does not pin a whole 64 KiB socket chunk in memory.
    if (first && first.length - this.#head >= n && n * 2 >= first.length) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return out;
    }
    return this.#copy(n, true);
  }

  #copy(n: number, consume: boolean, discard = false): Buffer {
    const out = discard ? Buffer.alloc(0) : Buffer.allocUnsafe(n);
    let written = 0;
    let i = 0;
    let offset = this.#head;
    while (written < n) {
      const chunk = this.#chunks[i]!;
      const count = Math.min(chunk.length - offset, n - written);
      if (!discard) chunk.copy(out, written, offset, offset + count);
      written += count;
      offset += count;
      if (offset === chunk.length) {
        i++;
        offset = 0;
      }
    }
    if (consume) this.#advance(n);
    return out;
  }

  #advance(n: number): void {
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      const rest = first.length - this.#head;
      if (n < rest) {
        this.#head += n;
        return;
      }
      n -= rest;
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}
