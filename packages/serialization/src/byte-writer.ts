/**
 * The byte level of the encoder: a growable scratch buffer reused across calls, and the
 * primitive writes of the wire format (varints, floats, strings, binary payloads; tags.ts).
 * Big binary payloads are only recorded (offset + view) and copied at the end, straight into
 * the result (`dumps`) or not at all (`dumpsChunks`).
 */
import { PACKED_WIDTH, writePacked } from './packed.js';
import * as T from './tags.js';

// Buffer's string codecs work on any Uint8Array and skip TextEncoder's per-call overhead.
const utf8Write = Buffer.prototype.utf8Write as (this: Uint8Array, s: string, offset: number) => number;
const ucs2Write = Buffer.prototype.ucs2Write as (this: Uint8Array, s: string, offset: number) => number;
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const INITIAL_SIZE = 8192;
const MAX_KEPT_SIZE = 1 << 20; // a scratch buffer grown past this is dropped after the call

export class ByteWriter {
  buf = new Uint8Array(INITIAL_SIZE);
  /** A DataView on `buf` (replaced with it) for the multi-byte stores of PACKED runs. */
  dv = new DataView(this.buf.buffer);
  pos = 0;
  /** Big payloads: where each belongs in the scratch buffer, and the payload itself. */
  readonly bigAt: number[] = [];
  readonly bigs: Uint8Array[] = [];

  protected grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  protected ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  protected varint(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[this.pos++] = n;
  }

  protected float(tag: number, v: number): void {
    this.ensure(9);
    f64[0] = v;
    this.buf[this.pos] = tag;
    this.buf.set(f64Bytes, this.pos + 1);
    this.pos += 9;
  }

  /** varint length + one byte per char; the caller knows every char code is < 256. */
  protected ascii(s: string): void {
    this.varint(s.length);
    this.ensure(s.length);
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) buf[this.pos++] = s.charCodeAt(i);
  }

  string(s: string): void {
    const n = s.length;
    const start = this.pos;
    if (n < 128) {
      // Short strings: copy char codes while they fit in a byte (ASCII + Latin-1, the common
      // case for keys and names); the first wider char falls through to UTF-8.
      this.ensure(n + 2);
      const buf = this.buf;
      buf[start] = T.STR_LATIN1;
      buf[start + 1] = n;
      let p = start + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) break;
        buf[p++] = c;
      }
      if (i === n) {
        this.pos = p;
        return;
      }
    }
    if (isWellFormed.call(s)) {
      this.ensure(5 + (n < 65536 ? n * 3 : Buffer.byteLength(s)));
      const written = utf8Write.call(this.buf, s, start + 5);
      const buf = this.buf;
      buf[start] = T.STR_UTF8;
      buf[start + 1] = written & 0xff;
      buf[start + 2] = (written >>> 8) & 0xff;
      buf[start + 3] = (written >>> 16) & 0xff;
      buf[start + 4] = (written >>> 24) & 0xff;
      this.pos = start + 5 + written;
    } else {
      // Lone surrogates do not survive UTF-8: keep the UTF-16 code units verbatim.
      this.buf[this.pos++] = T.STR_UTF16;
      this.varint(n);
      this.ensure(2 * n);
      this.pos += ucs2Write.call(this.buf, s, this.pos);
    }
  }

  /** varint length + bytes; big payloads are recorded, not copied (see finish / chunks). */
  protected payload(bytes: Uint8Array): void {
    this.varint(bytes.length);
    if (bytes.length >= T.BIG_PAYLOAD) {
      this.bigAt.push(this.pos);
      this.bigs.push(bytes);
    } else {
      this.ensure(bytes.length);
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
  }

  /** PACKED run of `a` as `kind` (packed.ts); false (nothing written) if an item changed. */
  protected packed(a: unknown[], kind: number): boolean {
    const start = this.pos;
    this.ensure(7 + a.length * PACKED_WIDTH[kind]);
    this.buf[this.pos++] = T.PACKED;
    this.buf[this.pos++] = kind;
    this.varint(a.length);
    const end = writePacked(this.dv, this.buf, this.pos, a, kind);
    this.pos = end < 0 ? start : end;
    return end >= 0;
  }

  protected tag(tag: number): void {
    this.ensure(1);
    this.buf[this.pos++] = tag;
  }

  /** Empties the buffer for the next call; drops big payloads and an oversized scratch buffer. */
  protected clear(): void {
    this.pos = 0;
    if (this.bigs.length !== 0) {
      this.bigs.length = 0;
      this.bigAt.length = 0;
    }
    if (this.buf.length > MAX_KEPT_SIZE) {
      this.buf = new Uint8Array(INITIAL_SIZE);
      this.dv = new DataView(this.buf.buffer);
    }
  }
}
