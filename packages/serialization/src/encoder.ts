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
import { ByteWriter } from './byte-writer.js';
import { PACK_MIN, packKind } from './packed.js';
import { SHAPE_MAX_KEYS, ShapeTable } from './shapes.js';
import * as T from './tags.js';
import { addSegment, keySegment, mapValueSegment, Unsendable } from './unsendable.js';

const SMALL_REFS = 32;
const EMPTY = {};

/**
 * One encoding in progress: values -> tags of the wire format (tags.ts), written with the
 * primitives of {@link ByteWriter} into its scratch buffer, which is reused across calls.
 */
export class Encoder extends ByteWriter {
  // Objects seen so far, for REF. The first SMALL_REFS are kept in an array and found by a
  // linear scan: a Map set + clear per message cost more than the rest of a small message.
  private readonly seen: object[] = [];
  private readonly refs = new Map<object, number>();
  private nextId = 0;
  private readonly shapes = new ShapeTable();

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
      this.plain(o as Record<string, unknown>);
      return;
    }
    const info = classify(proto);
    switch (info.kind) {
      case K_PLAIN:
        this.plain(o as Record<string, unknown>);
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
    if (n >= PACK_MIN) {
      const kind = packKind(a);
      if (kind >= 0 && this.packed(a, kind)) return;
    }
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

  /** A plain object: SHAPE_NEW or SHAPE (shapes.ts) if its key list may repeat, else OBJECT. */
  private plain(o: Record<string, unknown>): void {
    let keys = this.shapes.matchLast(o);
    if (keys !== null) {
      this.buf[this.pos++] = T.SHAPE;
      this.varint(this.shapes.lastId);
    } else {
      keys = Object.keys(o);
      const n = keys.length;
      if (n === 0 || n > SHAPE_MAX_KEYS) {
        this.props(T.OBJECT, o, keys);
        return;
      }
      const id = this.shapes.find(keys);
      if (id < 0) {
        this.buf[this.pos++] = T.SHAPE_NEW;
        this.varint(n);
        for (let i = 0; i < n; i++) this.string(keys[i]);
      } else {
        this.buf[this.pos++] = T.SHAPE;
        this.varint(id);
      }
    }
    let i = 0;
    try {
      for (; i < keys.length; i++) this.write(o[keys[i]]);
    } catch (e) {
      throw addSegment(e, keySegment(keys[i]));
    }
  }

  /** `tag` (or none if -1), then own enumerable string keys, read with `[[Get]]` (getters run); symbol keys are skipped. */
  private props(tag: number, o: Record<string, unknown>, keys = Object.keys(o)): void {
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

  /** Ready for the next call; drops references to the value and an oversized scratch buffer. */
  reset(): void {
    if (this.nextId !== 0) {
      this.seen.fill(EMPTY, 0, Math.min(this.nextId, SMALL_REFS)); // do not keep the value alive
      if (this.nextId >= SMALL_REFS) this.refs.clear();
      this.nextId = 0;
    }
    this.shapes.reset();
    this.clear();
  }
}

function unbox(o: object): unknown {
  if (o instanceof Number) return Number.prototype.valueOf.call(o);
  if (o instanceof String) return String.prototype.valueOf.call(o);
  if (o instanceof Boolean) return Boolean.prototype.valueOf.call(o);
  return BigInt.prototype.valueOf.call(o);
}
