/**
 * What Lock and RLock have in common: where they live, the fields of their fast paths, the
 * thread's cached ident, and the methods that only read the state word or wrap acquire/release.
 * Their words and fast paths differ and stay in lock.ts and rlock.ts.
 */
import { type SharedBlock, isHeld, workerIdent } from '@multiproc/memory';
import { type LockHold, hold, holdSync } from './hold.js';
import type { AcquireOptions } from './options.js';

/** The base of Lock and RLock; `A`/`R` are the types of their WebAssembly acquire/release. */
export abstract class LockBase<A, R> {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal Word offset of the state word in the block. */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;
  /** @internal */ declare readonly _robust: boolean;
  /**
   * @internal workerIdent() of this thread once known, else 0. Taken at the first acquisition
   * (workerIdent() itself costs ~7 ns): objects never cross threads, and a worker's ident is
   * fixed once it has joined the tree, before any user code runs.
   */
  declare _me: number;
  /** @internal The WebAssembly fast paths over the lock's arena, if it has them and is not robust. */
  declare readonly _wacq: A | undefined;
  /** @internal */ declare readonly _wrel: R | undefined;
  /** @internal Byte address of the state word (for the WebAssembly paths). */
  declare readonly _addr: number;

  abstract acquireSync(opts?: AcquireOptions): boolean;
  abstract acquire(opts?: AcquireOptions): Promise<boolean>;
  abstract release(): void;

  /** Whether the lock frees itself when its holder dies (`{ robust: true }` when created). */
  get robust(): boolean {
    return this._robust;
  }

  /** @internal This thread's ident, cached on the object (the owner word's value while held). */
  _ident(): number {
    this._me = workerIdent();
    return this._me;
  }

  /** Whether some worker holds the lock right now. */
  locked(): boolean {
    return isHeld(Atomics.load(this._i32, this._off));
  }

  /** `using _ = lock.holdSync();` — acquireSync now, release at the end of the scope. */
  holdSync(opts?: { signal?: AbortSignal }): LockHold {
    return holdSync(this, opts);
  }

  /** `using _ = await lock.hold();` — acquire now, release at the end of the scope. */
  hold(opts?: { signal?: AbortSignal }): Promise<LockHold> {
    return hold(this, opts);
  }
}
