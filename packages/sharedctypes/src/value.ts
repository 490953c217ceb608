/**
 * `RawValue`: one ctypes value in shared memory (Python's `multiprocessing.sharedctypes.RawValue`).
 *
 * Layout: each value owns a shared block; the value sits at byte 0 of it, laid out as its type
 * (`sizeof(type)` bytes, C layout for a Structure). The block is at least 8 bytes, zero-filled,
 * so a value created without an initializer is zero (`false`, `''`, all-zero struct).
 *
 * A `CValue` travels (Process args, Queue, Pipe...) as `{ block, byteOffset, type }`, the type
 * as `describeType(type)`, and arrives as a `CValue` over the same memory.
 */
import { registerReducer } from '@multiproc/serialization';
import type { SharedBlock } from '@multiproc/memory';
import { allocate, received } from './blocks.js';
import type { CType, InitOf, TypeLike, ValueOf } from './ctype.js';
import { describeType, type TypeDescriptor, typeFromDescriptor } from './describe.js';
import { toPlain } from './plain.js';
import { type ResolveType, resolveType } from './types.js';
import { type ValueAccessor, valueAccessor, writeValue } from './views.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A ctypes value in shared memory: what {@link RawValue} (and `Value(..., { lock: false })`)
 * returns. `.value` reads it (a live struct view for a Structure) and writes it with ctypes
 * checks. Not synchronized: `v.value += 1` from two workers can lose updates; use `Value`.
 *
 * @typeParam V - what `.value` reads as (`number`, `bigint` for 64-bit types, a struct view...)
 * @typeParam I - what `.value` accepts
 */
export class CValue<V = unknown, I = V> {
  /** The ctypes type of the value. */
  readonly type: CType;
  /** @internal */ readonly _block: SharedBlock;
  /** @internal */ readonly _off: number;
  readonly #acc: ValueAccessor<V, I>;

  /** @internal use {@link RawValue}. */
  constructor(type: CType, block: SharedBlock, byteOffset: number) {
    this.type = type;
    this._block = block;
    this._off = byteOffset;
    this.#acc = valueAccessor(type, block.buffer, byteOffset) as unknown as ValueAccessor<V, I>;
  }

  /** The value; for a Structure type, a live view of the struct (its fields read/write memory). */
  get value(): V {
    return this.#acc.get();
  }

  set value(v: I) {
    this.#acc.set(v);
  }

  toString(): string {
    return `${this.type.name}(${String(show(this.value))})`;
  }

  [inspectSymbol](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `${this.type.name}(${inspect(toPlain(this.value), options)})`;
  }
}

function show(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? JSON.stringify(toPlain(v)) : v;
}

/** @internal Allocates a value of `type` and writes `init` into it (all-or-nothing). */
export function newCValue(type: CType, init: unknown, hasInit: boolean): CValue<any, any> {
  const block = allocate(type.size);
  if (hasInit) writeValue(type, block.buffer, 0, init as never);
  return new CValue(type, block, 0);
}

/**
 * A ctypes value allocated in shared memory, not synchronized (Python's `RawValue`). `type` is a
 * typecode (`'i'`, `'d'`...) or a ctypes type (`c_int64`, a `Structure`); without `value` it is
 * zero. It can be sent to any worker (Process args, a Queue, a Pipe) and stays the same memory.
 *
 * @example
 * const n = RawValue('i', 7);
 * n.value += 1;                         // 8 (not atomic: see Value)
 * const big = RawValue(c_int64, 2n ** 40n);
 * const b: bigint = big.value;
 * const user = RawValue(User, ['Joe', 18]);
 * user.value.age = 19;                  // a live struct view
 * RawValue('x');                        // TypeError: unknown typecode "x" ...
 */
export function RawValue<T extends TypeLike>(
  type: T,
  value?: InitOf<ResolveType<T>>,
): CValue<ValueOf<ResolveType<T>>, InitOf<ResolveType<T>>> {
  const t = resolveType(type) as CType;
  return newCValue(t, value, value !== undefined);
}

interface State {
  block: SharedBlock;
  byteOffset: number;
  type: TypeDescriptor;
}

registerReducer(CValue, {
  name: '@multiproc/sharedctypes:RawValue',
  reduce: (v: CValue): State => ({ block: v._block, byteOffset: v._off, type: describeType(v.type) }),
  rebuild: (s: State): CValue => new CValue(typeFromDescriptor(s.type), received(s.block), s.byteOffset),
});
