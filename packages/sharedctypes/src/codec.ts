/**
 * Internal: how a type reads and writes itself at `(DataView, byteOffset)`. Every CType gets one
 * codec; simple types define theirs, arrays and structs get theirs built lazily here.
 */
import type { ArrayType, CType, StructType } from './ctype.js';
import { arrayCodec } from './c-array.js';
import { structCodec } from './struct-view.js';

/** Reads/writes one value of a type. `set` performs the Python-like checks. */
export interface Codec {
  get(dv: DataView, off: number): any;
  set(dv: DataView, off: number, value: unknown): void;
}

/** Native byte order: typed-array views and DataView accessors must agree. */
export const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const codecs = new WeakMap<CType, Codec>();
const known = new WeakSet<object>();

/** Marks an object as a type descriptor made by this package (see `isCType`). */
export function registerType(type: CType): void {
  known.add(type);
}

/** True for descriptors made by this package. */
export function isRegisteredType(x: unknown): x is CType {
  return typeof x === 'object' && x !== null && known.has(x);
}

/** Registers the codec of a simple type (done once, where the type is defined). */
export function defineCodec(type: CType, codec: Codec): void {
  registerType(type);
  codecs.set(type, codec);
}

/** The codec of any type (arrays and structs are built on first use and cached). */
export function codecOf(type: CType): Codec {
  let c = codecs.get(type);
  if (c === undefined) {
    if (type.kind === 'array') c = arrayCodec(type as ArrayType);
    else if (type.kind === 'struct') c = structCodec(type as StructType);
    else throw new TypeError(`not a ctypes type: ${String(type)}`);
    codecs.set(type, c);
  }
  return c;
}

const views = new WeakMap<ArrayBufferLike, DataView>();

/** One cached DataView per buffer (byteOffset 0), so views can be created cheaply. */
export function dataViewOf(buffer: ArrayBufferLike): DataView {
  let dv = views.get(buffer);
  if (dv === undefined) {
    dv = new DataView(buffer);
    views.set(buffer, dv);
  }
  return dv;
}
