/**
 * What every primitive of this package has in common: it lives at a word offset of a
 * {@link SharedBlock} and travels (through the serialization core) as `{ block, offset, ... }`.
 *
 * Rebuilding in a thread that already has a live object for the same memory returns that object,
 * so `loads(dumps(lock)) === lock` in the thread that created it (and a Barrier keeps its local
 * `action`).
 */
import { registerReducer } from '@multiproc/serialization';
import { type SharedBlock, keepSlot } from '@multiproc/memory';

const live = new Map<string, WeakRef<object>>();
const gone = new FinalizationRegistry<string>((key) => {
  if (live.get(key)?.deref() === undefined) live.delete(key);
});

function keyOf(name: string, block: SharedBlock, offset: number): string {
  return `${name}|${block.id}|${offset}`;
}

/** The travelling state of a primitive (plus kind-specific fields). */
export interface BaseState {
  block: SharedBlock;
  offset: number;
}

interface Located {
  readonly _block: SharedBlock;
  readonly _off: number;
}

/**
 * Registers the reducer of a primitive class. `extra` adds fields to the state; `attach` builds
 * a fresh object over existing memory (no allocation, no initialisation).
 */
export function travel<T extends Located, S extends BaseState>(
  ctor: abstract new (...args: any[]) => T,
  name: string,
  attach: (state: S) => T,
  extra?: (obj: T) => Omit<S, keyof BaseState>,
): void {
  registerReducer(ctor, {
    name: `@multiproc/synchronize:${name}`,
    reduce(obj: T) {
      keepSlot(obj._block, obj._off); // another worker may hold it from now on
      const key = keyOf(name, obj._block, obj._off);
      if (live.get(key)?.deref() !== obj) {
        live.set(key, new WeakRef(obj));
        gone.register(obj, key);
      }
      return { block: obj._block, offset: obj._off, ...(extra ? extra(obj) : {}) };
    },
    rebuild(state: S): T {
      const key = keyOf(name, state.block, state.offset);
      const known = live.get(key)?.deref() as T | undefined;
      if (known) return known;
      const obj = attach(state);
      live.set(key, new WeakRef(obj));
      gone.register(obj, key);
      return obj;
    },
  });
}

/** A fresh object of class `ctor` over existing memory: the usual `attach` of {@link travel}. */
export function attachTo<T extends Located & { _init(block: SharedBlock, offset: number): void }>(
  ctor: abstract new (...args: any[]) => T,
  state: BaseState,
): T {
  const obj = Object.create(ctor.prototype) as T;
  obj._init(state.block, state.offset);
  return obj;
}

/** Word index of a byte offset check: primitives sit at 4-byte aligned word offsets. */
export function checkOffset(block: SharedBlock, offset: number, words: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + words > block.i32.length) {
    throw new RangeError(
      `${what}: word offset ${offset} (+${words} words) does not fit in a block of ${block.i32.length} words`,
    );
  }
}
