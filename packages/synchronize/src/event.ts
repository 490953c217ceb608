/**
 * Event (Python's `multiprocessing.Event`).
 *
 * Layout (Int32 words from the event's offset):
 *   +0  state: (generation << 1) | flag. `set()` on a clear event sets the flag and bumps the
 *       generation; `clear()` drops the flag only. Waiters sleep on this word.
 *   +1  waiters: how many workers are (about to be) asleep; `set()` skips the wake when 0
 *
 * A waiter returns `true` as soon as it sees the flag, or a generation different from the one
 * it started in — so a `set()` immediately followed by `clear()` still releases every worker
 * that was waiting (as threading.Event promises), and no `set()` is ever lost.
 */
import {
  type SharedBlock,
  allocateSlot,
  deadlineOf,
  remaining,
  waitAsync,
  waitSync,
  wake,
} from '@multiproc/memory';
import { type WaitOptions, parseWait } from './options.js';
import { attachTo, checkOffset, travel } from './shared.js';

/**
 * A flag shared by every worker it is sent to; workers wait until it is set.
 *
 * @example
 * const ready = new Event();
 * // in a worker:  await ready.wait();
 * ready.set();
 */
export class Event {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;

  constructor() {
    const { block, offset } = allocateSlot(this, 8);
    this._init(block, offset);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 2, 'Event');
    Object.assign(this, { _block: block, _off: offset, _i32: block.i32 });
  }

  /** Whether the flag is set. */
  isSet(): boolean {
    return (Atomics.load(this._i32, this._off) & 1) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    const i32 = this._i32;
    const o = this._off;
    let v = Atomics.load(i32, o);
    while ((v & 1) === 0) {
      const seen = Atomics.compareExchange(i32, o, v, (v + 2) | 1);
      if (seen === v) {
        if (Atomics.load(i32, o + 1) > 0) wake(i32, o);
        return;
      }
      v = seen;
    }
  }

  /** Clears the flag. */
  clear(): void {
    Atomics.and(this._i32, this._off, ~1);
  }

  /**
   * Blocks the thread until the flag is set or the timeout passes; returns `true` if it was set.
   * Throws `signal.reason` if the signal is already aborted.
   */
  waitSync(timeout?: number | WaitOptions | null): boolean {
    const p = parseWait(timeout, 'Event.waitSync');
    if (p.signal?.aborted) throw p.signal.reason;
    const i32 = this._i32;
    const o = this._off;
    const start = Atomics.load(i32, o);
    if (start & 1) return true;
    const deadline = deadlineOf(p.timeout);
    for (let v = start; ; v = Atomics.load(i32, o)) {
      if (v & 1 || v >>> 1 !== start >>> 1) return true;
      const left = remaining(deadline);
      if (left === 0) return false;
      Atomics.add(i32, o + 1, 1);
      waitSync(i32, o, v, left);
      Atomics.sub(i32, o + 1, 1);
    }
  }

  /**
   * Waits (without blocking the thread) until the flag is set or the timeout passes; resolves
   * `true` if it was set, rejects with `signal.reason` on abort.
   */
  async wait(timeout?: number | WaitOptions | null): Promise<boolean> {
    const p = parseWait(timeout, 'Event.wait');
    if (p.signal?.aborted) throw p.signal.reason;
    const i32 = this._i32;
    const o = this._off;
    const start = Atomics.load(i32, o);
    if (start & 1) return true;
    const deadline = deadlineOf(p.timeout);
    for (let v = start; ; v = Atomics.load(i32, o)) {
      if (v & 1 || v >>> 1 !== start >>> 1) return true;
      const left = remaining(deadline);
      if (left === 0) return false;
      Atomics.add(i32, o + 1, 1);
      try {
        await waitAsync(i32, o, v, left, p.signal);
      } finally {
        Atomics.sub(i32, o + 1, 1);
      }
    }
  }

  toString(): string {
    return `<Event(${this.isSet() ? 'set' : 'unset'})>`;
  }
}

travel(Event, 'Event', (state) => attachTo(Event, state));
