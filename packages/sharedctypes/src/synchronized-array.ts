/**
 * `Array`: a shared C array guarded by a lock (Python's `multiprocessing.Array` and its
 * `SynchronizedArray` wrapper). See synchronized.ts for the locking rules.
 *
 * The wrapper reads and writes elements straight in the array's memory (element `i` at byte
 * `byteOffset + i * sizeof(type)`), with the element type's ctypes checks, under the lock.
 */
import { registerReducer } from '@multiproc/serialization';
import { newRawArray, type SizeOrInit } from './array.js';
import { CArrayImpl, IndexedBase } from './c-array.js';
import { type Codec, codecOf, dataViewOf } from './codec.js';
import { describeValue } from './convert.js';
import type { ArrayViewOf, CType, InitOf, TypeLike, ValueOf } from './ctype.js';
import { describeType, type TypeDescriptor, typeFromDescriptor } from './describe.js';
import {
  type Guarded,
  LOCK,
  type SyncLock,
  type SynchronizedOptions,
  addLockMethods,
  resolveLock,
} from './guarded.js';
import { type ResolveType, resolveType } from './types.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

function locate(raw: unknown): { buffer: ArrayBufferLike; byteOffset: number; length: number } {
  if (raw instanceof CArrayImpl) return { ...CArrayImpl.locate(raw), length: raw.length };
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) {
    return { buffer: raw.buffer, byteOffset: raw.byteOffset, length: (raw as Uint8Array).length };
  }
  throw new TypeError(`expected an array made by RawArray, got ${describeValue(raw)}`);
}

/**
 * A shared C array with a lock (what {@link Array} returns): `get(i)` / `set(i, v)` (negative
 * indexes count from the end), `arr[i]` read/write, `length`, `for..of`, `toArray()`, each access
 * under the lock; `getObj()` is the raw array (a typed array for numeric types).
 *
 * `arr[i]` goes through a Proxy (~150 ns); `get(i)` is faster. For bulk work, hold the lock and
 * use the raw array: `arr.acquireSync(); try { raw.fill(0) } finally { arr.release() }`.
 *
 * @typeParam V - an element as read (`number`, `bigint`, a struct view, a one-character string)
 * @typeParam I - what an element write accepts
 * @typeParam R - the raw array (`Float64Array`, `CArray<...>`...)
 */
// The lock methods are installed by addLockMethods (guarded.ts); the interface types them.
export interface SynchronizedArray<V = unknown, I = V, R = unknown> extends Guarded {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface types the installed lock methods
export class SynchronizedArray<V = unknown, I = V, R = unknown> extends IndexedBase implements Iterable<V> {
  [index: number]: V;
  /** Number of elements. */
  readonly length: number;
  /** The element type. */
  readonly elementType: CType;
  readonly #obj: R;
  /** @internal */
  readonly [LOCK]: SyncLock;
  readonly #dv: DataView;
  readonly #off: number;
  readonly #stride: number;
  readonly #codec: Codec;

  /** @internal use {@link Array}. */
  constructor(elementType: CType, obj: R, lock: SyncLock) {
    super();
    const { buffer, byteOffset, length } = locate(obj);
    this.length = length;
    this.elementType = elementType;
    this.#obj = obj;
    this[LOCK] = lock;
    this.#dv = dataViewOf(buffer);
    this.#off = byteOffset;
    this.#stride = elementType.size;
    this.#codec = codecOf(elementType);
  }

  #at(i: number): number {
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new TypeError(`array index must be an integer, got ${describeValue(i)}`);
    const j = i < 0 ? i + this.length : i;
    if (j < 0 || j >= this.length)
      throw new RangeError(`index ${i} out of range for an array of length ${this.length}`);
    return this.#off + j * this.#stride;
  }

  /** Element `i` (negative counts from the end), read under the lock. RangeError when out of range. */
  get(index: number): V {
    const at = this.#at(index);
    const lock = this[LOCK];
    lock.acquireSync();
    try {
      return this.#codec.get(this.#dv, at);
    } finally {
      lock.release();
    }
  }

  /** Writes element `i` under the lock, with ctypes checks (TypeError for a wrong value type). */
  set(index: number, value: I): void {
    const at = this.#at(index);
    const lock = this[LOCK];
    lock.acquireSync();
    try {
      this.#codec.set(this.#dv, at, value);
    } finally {
      lock.release();
    }
  }

  /** A copy of the elements as a JS array, read under the lock at once (Python's `arr[:]`). */
  toArray(): V[] {
    const lock = this[LOCK];
    lock.acquireSync();
    try {
      const out = new globalThis.Array<V>(this.length);
      for (let i = 0; i < this.length; i++) out[i] = this.#codec.get(this.#dv, this.#off + i * this.#stride);
      return out;
    } finally {
      lock.release();
    }
  }

  /** Iterates the elements, each read under the lock (as Python iterates a SynchronizedArray). */
  *[Symbol.iterator](): IterableIterator<V> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** The raw, unsynchronized array (Python's `get_obj()`): a typed array for numeric types. */
  getObj(): R {
    return this.#obj;
  }

  override toString(): string {
    return `<SynchronizedArray wrapper for ${this.elementType.name}_Array_${this.length}>`;
  }

  [inspectSymbol](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `<SynchronizedArray wrapper for ${inspect(this.#obj, options)}>`;
  }
}
addLockMethods(SynchronizedArray);

type El<T extends TypeLike> = ValueOf<ResolveType<T>>;
type ElInit<T extends TypeLike> = InitOf<ResolveType<T>>;
type Raw<T extends TypeLike> = ArrayViewOf<ResolveType<T>>;

/**
 * A C array in shared memory guarded by a lock (Python's `multiprocessing.Array`). `sizeOrInit`
 * is a length (zeros) or the initial values; `lock: false` returns the raw array (what
 * `RawArray` returns); a Lock/RLock is used instead of a new RLock. Sent to a worker, it arrives
 * as the same memory with the same lock.
 *
 * @example
 * const arr = Array('d', [0, 0, 0]);
 * arr.acquireSync();
 * try { arr[0] += 1; } finally { arr.release(); }
 * arr.toArray();                           // [1, 0, 0]
 * const raw: Float64Array = arr.getObj();  // zero-copy, unsynchronized
 * Array('i', [1, 2], { lock: false });     // Int32Array
 */
function SharedArrayFn<T extends TypeLike>(
  type: T,
  sizeOrInit: SizeOrInit<ResolveType<T>>,
  opts: { lock: false },
): Raw<T>;
function SharedArrayFn<T extends TypeLike>(
  type: T,
  sizeOrInit: SizeOrInit<ResolveType<T>>,
  opts?: { lock?: true | SyncLock },
): SynchronizedArray<El<T>, ElInit<T>, Raw<T>>;
function SharedArrayFn<T extends TypeLike>(
  type: T,
  sizeOrInit: SizeOrInit<ResolveType<T>>,
  opts?: SynchronizedOptions,
): SynchronizedArray<El<T>, ElInit<T>, Raw<T>> | Raw<T>;
function SharedArrayFn(type: TypeLike, sizeOrInit: unknown, opts?: SynchronizedOptions): unknown {
  const t = resolveType(type) as CType;
  const lock = resolveLock(opts, 'Array');
  const raw = newRawArray(t, sizeOrInit);
  return lock === null ? raw : new SynchronizedArray(t, raw, lock);
}

export { SharedArrayFn as Array };

interface ArrayState {
  type: TypeDescriptor;
  obj: unknown;
  lock: SyncLock;
}

registerReducer(SynchronizedArray, {
  name: '@multiproc/sharedctypes:Array',
  reduce: (a: SynchronizedArray): ArrayState => ({
    type: describeType(a.elementType),
    obj: a.getObj(),
    lock: a.getLock(),
  }),
  rebuild: (s: ArrayState): SynchronizedArray =>
    new SynchronizedArray(typeFromDescriptor(s.type), s.obj, s.lock),
});
