/**
 * A structural walk of a message (wire format: tags.ts) that builds nothing: does it hold a
 * REDUCED value? A plain byte search for the tag is a fast first filter, but payload bytes
 * (ints, strings, PACKED runs) hit 0x16 all the time, and every false hit sends a message
 * through `loadsAsync`'s slow path (a scan decode, then the real decode). Walking skips a
 * binary or PACKED payload in O(1), so it costs a fraction of a decode.
 */
import * as T from './tags.js';
import { PACKED_WIDTH } from './packed.js';

class Truncated extends Error {}

class Walker {
  pos = 0;
  /** Key count of each shape defined so far (SHAPE_NEW), by id. */
  private readonly shapes: number[] = [];
  constructor(readonly bytes: Uint8Array) {}

  skip(n: number): void {
    if (n > this.bytes.length - this.pos) throw new Truncated();
    this.pos += n;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Truncated();
    return this.bytes[this.pos++];
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
    }
    throw new Truncated();
  }

  /** Skips `n` values; true at the first REDUCED. */
  values(n: number): boolean {
    for (let i = 0; i < n; i++) if (this.value()) return true;
    return false;
  }

  /** Skips one value (HOLE included); true if it is or holds a REDUCED. */
  value(): boolean {
    const tag = this.byte();
    if (tag >= T.FIXINT) return false;
    switch (tag) {
      case T.UNDEFINED:
      case T.NULL:
      case T.FALSE:
      case T.TRUE:
      case T.HOLE:
        return false;
      case T.INT8:
        this.skip(1);
        return false;
      case T.INT16:
        this.skip(2);
        return false;
      case T.INT32:
        this.skip(4);
        return false;
      case T.FLOAT64:
      case T.DATE:
        this.skip(8);
        return false;
      case T.BIGINT:
        this.skip(1);
        this.skip(this.varint());
        return false;
      case T.STR_LATIN1:
      case T.ARRAY_BUFFER:
        this.skip(this.varint());
        return false;
      case T.STR_UTF8: {
        const b = this.bytes;
        this.skip(4);
        const p = this.pos - 4;
        this.skip((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0);
        return false;
      }
      case T.STR_UTF16:
        this.skip(2 * this.varint());
        return false;
      case T.VIEW:
        this.skip(1);
        this.skip(this.varint());
        return false;
      case T.PACKED: {
        const width = PACKED_WIDTH[this.byte()];
        if (width === undefined) throw new Truncated();
        this.skip(width * this.varint());
        return false;
      }
      case T.REF:
        this.varint();
        return false;
      case T.ARRAY:
      case T.SET:
        return this.values(this.varint());
      case T.OBJECT:
      case T.MAP:
        return this.values(2 * this.varint());
      case T.SHAPE_NEW: {
        const n = this.varint();
        this.shapes.push(n);
        return this.values(2 * n);
      }
      case T.SHAPE: {
        const n = this.shapes[this.varint()];
        if (n === undefined) throw new Truncated();
        return this.values(n);
      }
      case T.REGEXP:
        return this.values(2);
      case T.BOXED:
        return this.value();
      case T.ERROR:
        // key, base, name, message, stack, cause, errors, then (key, value) pairs
        return this.values(7) || this.values(2 * this.varint());
      default:
        return true; // REDUCED, or an unknown tag: the careful path decides (and reports)
    }
  }
}

/** True if `bytes` may hold a REDUCED value (malformed input counts as "may"). */
export function holdsReduced(bytes: Uint8Array): boolean {
  if (!bytes.includes(T.REDUCED)) return false;
  const w = new Walker(bytes);
  try {
    return w.value();
  } catch {
    return true; // truncated, or nested too deeply: let loads report it
  }
}
