/**
 * `Value` and `Array`: shared ctypes objects guarded by a lock (Python's `Value`, `Array` and the
 * `Synchronized` / `SynchronizedArray` wrappers of `multiprocessing.sharedctypes`).
 *
 * A wrapper holds the raw object (a {@link CValue}, or the view `RawArray` returns) and a lock
 * (a new `RLock` by default). Each `.value` / `get(i)` / `set(i, v)` / `arr[i]` takes the lock for
 * that one access, as in Python; a read-modify-write such as `v.value += 1` needs the lock held
 * around it: `v.acquireSync(); try { v.value += 1 } finally { v.release() }` (re-entering the
 * default RLock is cheap). With a plain `Lock` that is already held by this worker, an access
 * blocks as Python's does; pass an RLock (the default) to combine both.
 *
 * Wrappers travel as `{ obj, lock }` (plus the element type for arrays): the raw object through
 * its own reducer, the lock through @multiproc/synchronize's, so a worker receives the same
 * memory guarded by the same lock.
 */
import { registerReducer } from '@multiproc/serialization';
import type { CType, InitOf, TypeLike, ValueOf } from './ctype.js';
import {
  type Guarded,
  LOCK,
  type SyncLock,
  type SynchronizedOptions,
  addLockMethods,
  resolveLock,
} from './guarded.js';
import { type ResolveType, resolveType } from './types.js';
import { type CValue, newCValue } from './value.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A ctypes value with a lock (what {@link Value} returns). `.value` takes the lock for each read
 * or write; hold it yourself around a read-modify-write.
 *
 * @example
 * const n = Value('i', 0);
 * n.acquireSync();
 * try { n.value += 1; } finally { n.release(); }
 * { using _ = n.holdSync(); n.value += 1; }      // the same, scoped (Python's `with n:`)
 */
// The lock methods are installed by addLockMethods (guarded.ts); the interface types them.
export interface Synchronized<V = unknown, I = V> extends Guarded {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface types the installed lock methods
export class Synchronized<V = unknown, I = V> {
  readonly #obj: CValue<V, I>;
  /** @internal */
  readonly [LOCK]: SyncLock;

  /** @internal use {@link Value}. */
  constructor(obj: CValue<V, I>, lock: SyncLock) {
    this.#obj = obj;
    this[LOCK] = lock;
  }

  /** The value (for a Structure type, a live struct view), read under the lock. */
  get value(): V {
    const lock = this[LOCK];
    lock.acquireSync();
    try {
      return this.#obj.value;
    } finally {
      lock.release();
    }
  }

  /** Writes the value under the lock, with ctypes checks. */
  set value(v: I) {
    const lock = this[LOCK];
    lock.acquireSync();
    try {
      this.#obj.value = v;
    } finally {
      lock.release();
    }
  }

  /** The ctypes type of the value. */
  get type(): CType {
    return this.#obj.type;
  }

  /** The raw, unsynchronized object (Python's `get_obj()`). */
  getObj(): CValue<V, I> {
    return this.#obj;
  }

  toString(): string {
    return `<Synchronized wrapper for ${this.#obj.toString()}>`;
  }

  [inspectSymbol](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `<Synchronized wrapper for ${inspect(this.#obj, options)}>`;
  }
}
addLockMethods(Synchronized);

type Val<T extends TypeLike> = ValueOf<ResolveType<T>>;
type Ini<T extends TypeLike> = InitOf<ResolveType<T>>;

/**
 * A ctypes value in shared memory guarded by a lock (Python's `multiprocessing.Value`). `type` is
 * a typecode or a ctypes type; `value` the initial value (zero if omitted). `lock: false` returns
 * the raw {@link CValue}; a Lock/RLock is used instead of a new RLock. Sent to a worker, it
 * arrives as the same memory with the same lock.
 *
 * @example
 * const counter = Value('i', 0);
 * // in each worker:
 * counter.acquireSync(); counter.value += 1; counter.release();
 * const point = Value(Point, { x: 1, y: 2 });
 * point.value.x;                        // 1 (a live struct view)
 * Value('x', 1);                        // TypeError: unknown typecode "x" ...
 */
export function Value<T extends TypeLike>(
  type: T,
  value: Ini<T> | undefined,
  opts: { lock: false },
): CValue<Val<T>, Ini<T>>;
export function Value<T extends TypeLike>(
  type: T,
  value?: Ini<T>,
  opts?: { lock?: true | SyncLock },
): Synchronized<Val<T>, Ini<T>>;
export function Value<T extends TypeLike>(
  type: T,
  value?: Ini<T>,
  opts?: SynchronizedOptions,
): Synchronized<Val<T>, Ini<T>> | CValue<Val<T>, Ini<T>>;
export function Value(type: TypeLike, value?: unknown, opts?: SynchronizedOptions): unknown {
  const t = resolveType(type) as CType;
  const lock = resolveLock(opts, 'Value');
  const obj = newCValue(t, value, value !== undefined);
  return lock === null ? obj : new Synchronized(obj, lock);
}

interface ValueState {
  obj: CValue;
  lock: SyncLock;
}

registerReducer(Synchronized, {
  name: '@multiproc/sharedctypes:Value',
  reduce: (v: Synchronized): ValueState => ({ obj: v.getObj(), lock: v.getLock() }),
  rebuild: (s: ValueState): Synchronized => new Synchronized(s.obj, s.lock),
});
