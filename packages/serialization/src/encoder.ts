import {
  K_ARRAY,
  K_ARRAY_BUFFER,
  K_BOXED,
  K_DATE,
  K_ERROR,
  K_MAP,
  K_PLAIN,
  K_REDUCER,
  K_REGEXP,
  K_SET,
  K_VIEW,
  classify,
} from './classify.js';
import type { ProtoInfo } from './registry.js';
import * as T from './tags.js';
import { addSegment, keySegment, mapValueSegment, Unsendable } from './unsendable.js';

// Buffer's string codecs work on any Uint8Array and skip TextEncoder's per-call overhead.
const utf8Write = Buffer.prototype.utf8Write as (this: Uint8Array, s: string, offset: number) => number;
const ucs2Write = Buffer.prototype.ucs2Write as (this: Uint8Array, s: string, offset: number) => number;
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

const SMALL_REFS = 32;
const EMPTY = {};
const INITIAL_SIZE = 8192;
const MAX_KEPT_SIZE = 1 << 20; // a scratch buffer grown past this is dropped after the call

/**
 * One encoding in progress. Values are written into a growable scratch buffer that is reused
 * across calls; big binary payloads are only recorded (offset + view) and copied at the end,
 * straight into the result (`dumps`) or not at all (`dumpsChunks`).
 */
export class Encoder {
  buf = new Uint8Array(INITIAL_SIZE);
  pos = 0;
  // Objects seen so far, for REF. The first SMALL_REFS are kept in an array and found by a
  // linear scan: a Map set + clear per message cost more than the rest of a small message.
  private readonly seen: object[] = [];
  private readonly refs = new Map<object, number>();
  private nextId = 0;
  /** Big payloads: where each belongs in the scratch buffer, and the payload itself. */
  readonly bigAt: number[] = [];
  readonly bigs: Uint8Array[] = [];

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private varint(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[this.pos++] = n;
  }

  private float(tag: number, v: number): void {
    this.ensure(9);
    f64[0] = v;
    this.buf[this.pos] = tag;
    this.buf.set(f64Bytes, this.pos + 1);
    this.pos += 9;
  }

  write(v: unknown): void {
    if (this.pos + 16 > this.buf.length) this.grow(16);
    switch (typeof v) {
      case 'number': {
        const buf = this.buf;
        if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
          if (v >= 0 && v < 128) buf[this.pos++] = T.FIXINT | v;
          else if (v >= -128 && v < 128) {
            buf[this.pos++] = T.INT8;
            buf[this.pos++] = v & 0xff;
          } else if (v >= -32768 && v < 32768) {
            buf[this.pos++] = T.INT16;
            buf[this.pos++] = v & 0xff;
            buf[this.pos++] = (v >> 8) & 0xff;
          } else {
            buf[this.pos++] = T.INT32;
            buf[this.pos++] = v & 0xff;
            buf[this.pos++] = (v >> 8) & 0xff;
            buf[this.pos++] = (v >> 16) & 0xff;
            buf[this.pos++] = (v >> 24) & 0xff;
          }
        } else this.float(T.FLOAT64, v);
        return;
      }
      case 'string':
        this.string(v);
        return;
      case 'boolean':
        this.buf[this.pos++] = v ? T.TRUE : T.FALSE;
        return;
      case 'undefined':
        this.buf[this.pos++] = T.UNDEFINED;
        return;
      case 'object':
        if (v === null) this.buf[this.pos++] = T.NULL;
        else this.object(v);
        return;
      case 'bigint': {
        const hex = (v < 0n ? -v : v).toString(16);
        this.buf[this.pos++] = T.BIGINT;
        this.buf[this.pos++] = v < 0n ? 1 : 0;
        this.ascii(hex);
        return;
      }
      case 'function':
        throw new Unsendable('a function', 'export it and pass mp.ref(...) or send data instead');
      default:
        throw new Unsendable('a symbol', 'symbols are unique to one thread; send a string instead');
    }
  }

  /** varint length + one byte per char; the caller knows every char code is < 256. */
  private ascii(s: string): void {
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

  private object(o: object): void {
    const id = this.idOf(o);
    if (id >= 0) {
      this.buf[this.pos++] = T.REF;
      this.varint(id);
      return;
    }
    if (Array.isArray(o)) {
      this.array(o);
      return;
    }
    const proto = Object.getPrototypeOf(o) as object | null;
    if (proto === Object.prototype) {
      this.props(T.OBJECT, o as Record<string, unknown>);
      return;
    }
    const info = classify(proto);
    switch (info.kind) {
      case K_PLAIN:
        this.props(T.OBJECT, o as Record<string, unknown>);
        return;
      case K_MAP:
        this.map(o as Map<unknown, unknown>);
        return;
      case K_SET:
        this.set(o as Set<unknown>);
        return;
      case K_DATE:
        this.float(T.DATE, Date.prototype.getTime.call(o));
        return;
      case K_REGEXP:
        this.buf[this.pos++] = T.REGEXP;
        this.string((o as RegExp).source);
        this.string((o as RegExp).flags);
        return;
      case K_ARRAY_BUFFER:
        this.buf[this.pos++] = T.ARRAY_BUFFER;
        this.payload(new Uint8Array(o as ArrayBuffer));
        return;
      case K_VIEW:
        this.view(o as ArrayBufferView, info);
        return;
      case K_ERROR:
        this.error(o as Error, info);
        return;
      case K_REDUCER: {
        const reducer = info.reducer!;
        this.buf[this.pos++] = T.REDUCED;
        this.string(reducer.name);
        const state = reducer.reduce(o);
        try {
          this.write(state);
          return;
        } catch (e) {
          throw addSegment(e, `.<${reducer.name} state>`);
        }
      }
      case K_BOXED:
        this.buf[this.pos++] = T.BOXED;
        this.write(unbox(o));
        return;
      case K_ARRAY: // unreachable (Array.isArray), kept for completeness
        this.array(o as unknown[]);
        return;
      default:
        throw new Unsendable(info.label!, info.hint!);
    }
  }

  /** The REF id of `o` if already seen, else -1 after giving it the next id. */
  private idOf(o: object): number {
    const n = this.nextId;
    if (n <= SMALL_REFS) {
      const seen = this.seen;
      for (let i = 0; i < n; i++) if (seen[i] === o) return i;
      if (n < SMALL_REFS) seen[n] = o;
      else for (let i = 0; i < n; i++) this.refs.set(seen[i], i);
    }
    if (n >= SMALL_REFS) {
      const id = this.refs.get(o);
      if (id !== undefined) return id;
      this.refs.set(o, n);
    }
    this.nextId = n + 1;
    return -1;
  }

  private array(a: unknown[]): void {
    const n = a.length;
    this.buf[this.pos++] = T.ARRAY;
    this.varint(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        const v = a[i];
        if (v === undefined && !(i in a)) {
          this.ensure(1);
          this.buf[this.pos++] = T.HOLE;
        } else this.write(v);
      }
    } catch (e) {
      throw addSegment(e, `[${i}]`);
    }
  }

  /** `tag` (or none if -1), then own enumerable string keys, read with `[[Get]]` (getters run); symbol keys are skipped. */
  private props(tag: number, o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    if (tag >= 0) this.buf[this.pos++] = tag;
    this.varint(keys.length);
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        this.string(keys[i]);
        this.write(o[keys[i]]);
      }
    } catch (e) {
      throw addSegment(e, keySegment(keys[i]));
    }
  }

  private map(m: Map<unknown, unknown>): void {
    this.buf[this.pos++] = T.MAP;
    this.varint(m.size);
    let i = 0;
    for (const [k, v] of m) {
      try {
        this.write(k);
      } catch (e) {
        throw addSegment(e, `.<Map key #${i}>`);
      }
      try {
        this.write(v);
      } catch (e) {
        throw addSegment(e, mapValueSegment(k, i));
      }
      i++;
    }
  }

  private set(s: Set<unknown>): void {
    this.buf[this.pos++] = T.SET;
    this.varint(s.size);
    let i = 0;
    try {
      for (const v of s) {
        this.write(v);
        i++;
      }
    } catch (e) {
      throw addSegment(e, `.<Set item #${i}>`);
    }
  }

  private view(v: ArrayBufferView, info: ProtoInfo): void {
    if (v.buffer instanceof SharedArrayBuffer) {
      throw new Unsendable(
        `a ${v.constructor.name} on a SharedArrayBuffer`,
        classify(SharedArrayBuffer.prototype).hint!,
      );
    }
    this.buf[this.pos++] = T.VIEW;
    this.buf[this.pos++] = info.view!;
    this.payload(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }

  /** varint length + bytes; big payloads are recorded, not copied (see finish / chunks). */
  private payload(bytes: Uint8Array): void {
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

  private error(err: Error, info: ProtoInfo): void {
    this.buf[this.pos++] = T.ERROR;
    this.string(info.key!);
    this.string(info.base!);
    this.string(String(err.name));
    this.string(String(err.message));
    const stack = err.stack;
    if (typeof stack === 'string') this.string(stack);
    else this.tag(T.UNDEFINED);
    if (Object.hasOwn(err, 'cause')) {
      try {
        this.write(err.cause);
      } catch (e) {
        throw addSegment(e, '.cause');
      }
    } else this.tag(T.HOLE);
    if (err instanceof AggregateError && Array.isArray(err.errors)) {
      try {
        this.write(err.errors);
      } catch (e) {
        throw addSegment(e, '.errors');
      }
    } else this.tag(T.HOLE);
    this.props(-1, err as unknown as Record<string, unknown>);
  }

  private tag(tag: number): void {
    this.ensure(1);
    this.buf[this.pos++] = tag;
  }

  /** Ready for the next call; drops references to the value and an oversized scratch buffer. */
  reset(): void {
    this.pos = 0;
    if (this.nextId !== 0) {
      this.seen.fill(EMPTY, 0, Math.min(this.nextId, SMALL_REFS)); // do not keep the value alive
      if (this.nextId >= SMALL_REFS) this.refs.clear();
      this.nextId = 0;
    }
    if (this.bigs.length !== 0) {
      this.bigs.length = 0;
      this.bigAt.length = 0;
    }
    if (this.buf.length > MAX_KEPT_SIZE) this.buf = new Uint8Array(INITIAL_SIZE);
  }
}

function unbox(o: object): unknown {
  if (o instanceof Number) return Number.prototype.valueOf.call(o);
  if (o instanceof String) return String.prototype.valueOf.call(o);
  if (o instanceof Boolean) return Boolean.prototype.valueOf.call(o);
  return BigInt.prototype.valueOf.call(o);
}
