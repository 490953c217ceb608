/**
 * The mutex word under the fast paths of Lock and RLock (`acquireSync()` with no argument swaps
 * in LOCKED; `release()` swaps in UNLOCKED): the states of @multiproc/memory's mutex.ts, the
 * debt a swap that finds CONTENDED owes, the wake-ups release makes, and robust recovery when
 * the fast swap finds an abandoned word.
 */
import {
  type WaitBackend,
  allocateBlock,
  lockSlowSync,
  setWaitBackend,
  workerIdent,
} from '@multiproc/memory';
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Lock, RLock } from '../src/index.js';

const fixture = new URL('./fixtures/lock-word.mjs', import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function word(prim: Lock | RLock, index: number): number {
  const { _i32, _off } = prim as unknown as { _i32: Int32Array; _off: number };
  return Atomics.load(_i32, _off + index);
}

function setWord(prim: Lock | RLock, index: number, value: number): void {
  const { _i32, _off } = prim as unknown as { _i32: Int32Array; _off: number };
  Atomics.store(_i32, _off + index, value);
}

/** Counts the wake calls made on a primitive's block (single-thread tests: nobody really waits). */
function countWakes(prim: Lock | RLock): { count: number } {
  const counter = { count: 0 };
  const spy: WaitBackend = {
    wait: (i32, index, expected, timeoutMs) => Atomics.wait(i32, index, expected, timeoutMs),
    waitAsync: async () => 'timed-out',
    wake: (i32, index, count) => {
      counter.count++;
      return Atomics.notify(i32, index, count);
    },
  };
  setWaitBackend((prim as unknown as { _block: { buffer: SharedArrayBuffer } })._block.buffer, spy);
  return counter;
}

async function until(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(2);
  }
}

describe('the mutex word under the fast paths (one thread)', () => {
  it('Lock: acquireSync() makes it 1 with this worker as owner; release() makes it 0, 0', () => {
    const lock = new Lock();
    expect(lock.acquireSync()).toBe(true);
    expect([word(lock, 0), word(lock, 1)]).toEqual([1, workerIdent()]);
    lock.release();
    expect([word(lock, 0), word(lock, 1)]).toEqual([0, 0]);
    expect(() => lock.release()).toThrow(RangeError);
    expect(word(lock, 0)).toBe(0);
  });

  it('RLock: the fast path counts depth; only the last release frees the word', () => {
    const lock = new RLock();
    lock.acquireSync();
    lock.acquireSync();
    expect([word(lock, 0), word(lock, 1), word(lock, 2)]).toEqual([1, workerIdent(), 2]);
    lock.release();
    expect([word(lock, 0), word(lock, 2)]).toEqual([1, 1]);
    lock.release();
    expect([word(lock, 0), word(lock, 1), word(lock, 2)]).toEqual([0, 0, 0]);
    expect(() => lock.release()).toThrow(/not held/);
  });

  it('release wakes only when the word says somebody may sleep (2), and then exactly once', () => {
    for (const lock of [new Lock(), new RLock()]) {
      const wakes = countWakes(lock);
      lock.acquireSync();
      lock.release();
      expect(wakes.count).toBe(0);
      lock.acquireSync();
      setWord(lock, 0, 2); // what a sleeper leaves behind
      lock.release();
      expect(wakes.count).toBe(1);
      expect(word(lock, 0)).toBe(0);
    }
  });

  it('a slow path that owes the contended mark puts 2 back first, even if it then times out', () => {
    const block = allocateBlock(8);
    const i32 = block.i32;
    i32[0] = 1; // a fast swap just turned the holder's 2 into 1
    expect(lockSlowSync(i32, 0, 5, true)).toBe(false);
    expect(i32[0]).toBe(2);
    i32[0] = 0; // the holder released in between: taken, as 2 (a sleeper may still be there)
    expect(lockSlowSync(i32, 0, 5, true)).toBe(true);
    expect(i32[0]).toBe(2);
  });
});

describeEachMethod((method) => {
  afterEach(stopChildren);

  it('a fast acquire that finds a sleeper marked (2) owes the mark: nobody is stranded', async () => {
    const [b, c] = await Promise.all([startChild(fixture, method), startChild(fixture, method)]);
    const lock = new Lock();
    const counter = allocateBlock(8);
    // c spins (for seconds at most) instead of sleeping: it takes the lock with its spin's CAS
    // 0 -> 1 when the parent releases, the path on which a debt left unpaid would strand b.
    await c.call('setSpin', 1e9);
    lock.acquireSync();
    const doneB = b.call('once', lock, counter);
    await b.nextEvent();
    await until(() => word(lock, 0) === 2, 'b to sleep on the lock');
    const doneC = c.call('once', lock, counter); // its fast swap finds 2
    await c.nextEvent();
    await sleep(100); // c is spinning by now (the test holds either way)
    lock.release();
    expect(await Promise.all([doneB, doneC])).toEqual([true, true]);
    expect(counter.i32[0]).toBe(2);
    expect(word(lock, 0)).toBe(0);
  });

  it('stress: 3 children hold the lock long enough for the others to sleep; no wake-up is lost', async () => {
    const children = await Promise.all([0, 1, 2].map(() => startChild(fixture, method)));
    for (const Kind of [Lock, RLock]) {
      const lock = new Kind();
      const counter = allocateBlock(8);
      await Promise.all(children.map((ch) => ch.call('contend', lock, counter, 200, 50)));
      expect(counter.i32[0]).toBe(600);
      expect(word(lock, 0)).toBe(0);
    }
  });

  it('a robust Lock: the fast swap takes a word its killed holder abandoned', async () => {
    const a = await startChild(fixture, method);
    const lock = new Lock({ robust: true });
    expect(await a.call('hold', lock)).toBe(true);
    expect(await a.kill()).toBe(-9);
    await until(() => word(lock, 0) >= 4, 'the exit hook to mark the word abandoned');
    expect(lock.acquireSync()).toBe(true);
    expect([word(lock, 0), word(lock, 1)]).toEqual([1, workerIdent()]);
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('a robust RLock: a child sleeping in acquireSync() gets it when the holder is killed', async () => {
    const [a, b] = await Promise.all([startChild(fixture, method), startChild(fixture, method)]);
    const lock = new RLock({ robust: true });
    const counter = allocateBlock(8);
    expect(await a.call('hold', lock)).toBe(true);
    const doneB = b.call('once', lock, counter);
    await b.nextEvent();
    await until(() => word(lock, 0) === 2, 'b to sleep on the lock');
    expect(await a.kill()).toBe(-9);
    expect(await doneB).toBe(true);
    expect(counter.i32[0]).toBe(1);
    expect(lock.acquireSync()).toBe(true);
    lock.release();
    expect(word(lock, 0)).toBe(0);
  });
});
