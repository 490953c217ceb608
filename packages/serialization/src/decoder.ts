import { defineHidden, rebuildError } from './errors.js';
import { reducerNamed } from './reducers.js';
import { registry } from './registry.js';
import { readArrayBuffer, readView } from './copy.js';
import { cachedKey, KEY_MAX } from './keycache.js';
import { PACKED_WIDTH, readPacked } from './packed.js';
import { readNewShape, readShape, type Shape } from './shapes.js';
import * as T from './tags.js';

type Slice = (this: Uint8Array, start: number, end: number) => string;
const latin1Slice = Buffer.prototype.latin1Slice as Slice;
const utf8Slice = Buffer.prototype.utf8Slice as Slice;
const ucs2Slice = Buffer.prototype.ucs2Slice as Slice;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** Placeholder for an object whose children are being decoded (reducer state, boxed value). */
const PENDING: unknown = Symbol('pending');

export class Malformed extends Error {}

function defineOwn(o: object, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/**
 * One decoding in progress over `bytes`. Every read is bounds-checked, every count is checked
 * against the bytes left (so a forged length cannot make it allocate gigabytes), and binary
 * payloads are copied out, because `bytes` may be a view on a ring buffer reused right after.
 */
export class Decoder {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  // Replaced, not truncated, after a message: setting `length` is a runtime call (measured:
  // 6% of a small object's round trip), a fresh empty array is a bump allocation.
  refs: unknown[] = [];
  /** Shapes defined so far in this message (shapes.ts), by id. */
  shapes: Shape[] = [];
  /**
   * Scan mode (see modules.ts): when set, reducers are NOT rebuilt (no side effects); the names
   * of reducers and error classes this thread does not know are collected here instead.
   */
  unknown: Set<string> | null = null;

  fail(what: string): never {
    throw new Malformed(`${what} at byte ${this.pos}`);
  }

  /** @internal Reserves `n` bytes; returns where they start. */
  need(n: number): number {
    const p = this.pos;
    if (n > this.end - p) this.fail(`truncated: ${n} more bytes needed, ${this.end - p} left`);
    this.pos = p + n;
    return p;
  }

  /** @internal */
  varint(): number {
    const bytes = this.bytes;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = bytes[this.need(1)];
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
    }
    return this.fail('varint longer than 5 bytes');
  }

  /** @internal A count of items that each take at least `min` bytes: bounded by the bytes left. */
  count(min: number): number {
    const n = this.varint();
    if (n * min > this.end - this.pos) this.fail(`count ${n} larger than the data left`);
    return n;
  }

  private float(): number {
    const p = this.need(8);
    f64Bytes.set(this.bytes.subarray(p, p + 8));
    return f64[0];
  }

  read(): unknown {
    const bytes = this.bytes;
    const tag = bytes[this.need(1)];
    if (tag >= T.FIXINT) return tag & 0x7f;
    switch (tag) {
      case T.UNDEFINED:
        return undefined;
      case T.NULL:
        return null;
      case T.FALSE:
        return false;
      case T.TRUE:
        return true;
      case T.INT8:
        return (bytes[this.need(1)] << 24) >> 24;
      case T.INT16: {
        const p = this.need(2);
        return ((bytes[p] | (bytes[p + 1] << 8)) << 16) >> 16;
      }
      case T.INT32: {
        const p = this.need(4);
        return bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
      }
      case T.FLOAT64:
        return this.float();
      case T.BIGINT: {
        const negative = bytes[this.need(1)];
        const n = this.count(1);
        const p = this.need(n);
        const hex = latin1Slice.call(bytes, p, p + n);
        if (negative > 1 || !/^[0-9a-f]+$/.test(hex)) this.fail('invalid bigint');
        const v = BigInt(`0x${hex}`);
        return negative ? -v : v;
      }
      case T.STR_LATIN1:
      case T.STR_UTF8:
      case T.STR_UTF16:
        return this.stringBody(tag);
      case T.ARRAY:
        return this.array();
      case T.PACKED: {
        const kind = bytes[this.need(1)];
        if (kind >= PACKED_WIDTH.length) this.fail(`unknown packed kind ${kind}`);
        const n = this.count(PACKED_WIDTH[kind]);
        const a = readPacked(bytes, this.need(n * PACKED_WIDTH[kind]), n, kind);
        this.refs.push(a);
        return a;
      }
      case T.SHAPE:
        return readShape(this);
      case T.SHAPE_NEW:
        return readNewShape(this);
      case T.OBJECT: {
        const o: Record<string, unknown> = {};
        this.refs.push(o);
        this.props(o, false);
        return o;
      }
      case T.MAP: {
        const n = this.count(2);
        const m = new Map<unknown, unknown>();
        this.refs.push(m);
        for (let i = 0; i < n; i++) m.set(this.read(), this.read());
        return m;
      }
      case T.SET: {
        const n = this.count(1);
        const s = new Set<unknown>();
        this.refs.push(s);
        for (let i = 0; i < n; i++) s.add(this.read());
        return s;
      }
      case T.DATE: {
        const d = new Date(this.float());
        this.refs.push(d);
        return d;
      }
      case T.REGEXP:
        return this.regexp();
      case T.ARRAY_BUFFER: {
        const ab = readArrayBuffer(this);
        this.refs.push(ab);
        return ab;
      }
      case T.VIEW:
        return readView(this);
      case T.ERROR:
        return this.error();
      case T.REDUCED: {
        if (this.unknown) return this.scanReduced();
        const reducer = reducerNamed(this.string());
        const id = this.refs.push(PENDING) - 1;
        const obj = reducer.rebuild(this.read());
        this.refs[id] = obj;
        return obj;
      }
      case T.REF: {
        const id = this.varint();
        if (id >= this.refs.length) this.fail(`reference to unknown object #${id}`);
        const v = this.refs[id];
        if (v === PENDING) this.fail('reference to an object from inside its own reducer state or box');
        return v;
      }
      case T.BOXED: {
        const id = this.refs.push(PENDING) - 1;
        const prim = this.read();
        const t = typeof prim;
        if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'bigint')
          this.fail('invalid boxed value');
        return (this.refs[id] = Object(prim));
      }
      default:
        this.pos--;
        return this.fail(`unknown tag 0x${tag.toString(16)}`);
    }
  }

  private stringBody(tag: number): string {
    const bytes = this.bytes;
    if (tag === T.STR_LATIN1) {
      const n = this.varint();
      const p = this.need(n);
      if (n < 8) {
        // Tiny strings: building in JS beats the native call (measured: 39 vs 18 M/s).
        let s = '';
        for (let i = p; i < p + n; i++) s += String.fromCharCode(bytes[i]);
        return s;
      }
      return latin1Slice.call(bytes, p, p + n);
    }
    if (tag === T.STR_UTF8) {
      const q = this.need(4);
      const n = (bytes[q] | (bytes[q + 1] << 8) | (bytes[q + 2] << 16) | (bytes[q + 3] << 24)) >>> 0;
      const p = this.need(n);
      return utf8Slice.call(bytes, p, p + n);
    }
    const n = this.varint();
    const p = this.need(2 * n);
    return ucs2Slice.call(bytes, p, p + 2 * n);
  }

  /** @internal An object key: short Latin-1 keys come from {@link cachedKey} (same string each time). */
  key(): string {
    const bytes = this.bytes;
    const p = this.pos;
    if (bytes[p] === T.STR_LATIN1 && p + 1 < this.end) {
      const n = bytes[p + 1];
      if (n <= KEY_MAX && p + 2 + n <= this.end) {
        this.pos = p + 2 + n;
        return cachedKey(bytes, p + 2, n);
      }
    }
    return this.string();
  }

  /** A value that must be a string (keys, names, error fields). */
  string(): string {
    const tag = this.bytes[this.need(1)];
    if (tag !== T.STR_LATIN1 && tag !== T.STR_UTF8 && tag !== T.STR_UTF16) {
      this.pos--;
      this.fail(`expected a string, found tag 0x${tag.toString(16)}`);
    }
    return this.stringBody(tag);
  }

  private array(): unknown[] {
    const n = this.count(1);
    const a = new Array<unknown>(n);
    this.refs.push(a);
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) {
      if (this.pos < this.end && bytes[this.pos] === T.HOLE) this.pos++;
      else a[i] = this.read();
    }
    return a;
  }

  /** n (key, value) pairs onto `o`; `define` makes them own data properties (errors). */
  private props(o: Record<string, unknown>, define: boolean): void {
    const n = this.count(2);
    for (let i = 0; i < n; i++) {
      const k = this.key();
      const v = this.read();
      if (define) defineOwn(o, k, v);
      else this.assign(o, k, v);
    }
  }

  /** @internal `o[k] = v`, except that a `__proto__` key stays an own property. */
  assign(o: Record<string, unknown>, k: string, v: unknown): void {
    if (k === '__proto__') defineOwn(o, k, v);
    else o[k] = v;
  }

  private regexp(): RegExp {
    const source = this.string();
    const flags = this.string();
    let re: RegExp;
    try {
      re = new RegExp(source, flags);
    } catch {
      return this.fail('invalid regular expression');
    }
    this.refs.push(re);
    return re;
  }

  private scanReduced(): unknown {
    const name = this.string();
    if (!registry.reducersByName.has(name)) this.unknown!.add(name);
    const id = this.refs.push(PENDING) - 1;
    this.read();
    const placeholder = {};
    this.refs[id] = placeholder;
    return placeholder;
  }

  private error(): Error {
    const key = this.string();
    if (this.unknown && !registry.errorsByName.has(key)) this.unknown.add(key);
    const base = this.string();
    const name = this.string();
    const message = this.string();
    let stack: string | undefined;
    if (this.bytes[this.pos] === T.UNDEFINED && this.pos < this.end) this.pos++;
    else stack = this.string();
    const err = rebuildError(key, base, name, message, stack);
    this.refs.push(err);
    if (this.optional()) defineHidden(err, 'cause', this.read());
    if (this.optional()) {
      const errors = this.read();
      if (!Array.isArray(errors)) this.fail('AggregateError errors is not an array');
      defineHidden(err, 'errors', errors);
    }
    this.props(err as unknown as Record<string, unknown>, true);
    return err;
  }

  /** False (and skips it) if the next byte is HOLE, the "absent" marker. */
  private optional(): boolean {
    if (this.pos < this.end && this.bytes[this.pos] === T.HOLE) {
      this.pos++;
      return false;
    }
    return true;
  }
}
