// A queue's ring goes back to the tree once every handle of it, in every worker, is closed (or
// garbage, or its worker exited): see the file comment of queue-base.ts. What is checked is what
// a fresh worker sees: a block id that it never looked up before (nothing cached) is no longer
// found.
import type { MessageRing } from '@multiproc/pipe';
import { dumps, loads } from '@multiproc/serialization';
import {
  GONE,
  describeEachMethod,
  endless,
  gc,
  lookups,
  startChild,
  stopChildren,
} from '@multiproc/test-utils';
import { afterEach, expect, it } from 'vitest';
import { JoinableQueue, Queue, SimpleQueue } from '../src/index.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

/** Spill blocks (over a quarter of the 1 KiB first segment) and grown segments. */
const SIZES = [100_000, 50_000, ...Array(60).fill(200)];

type AnyQueue = Queue<unknown> | SimpleQueue<unknown>;

const ringOf = (q: AnyQueue): MessageRing => (q as unknown as { ring: MessageRing }).ring;
const released = (q: AnyQueue): boolean => ringOf(q).released;
const idsOf = (q: AnyQueue): string[] =>
  ringOf(q)
    .blocks()
    .map((b) => b.id);

/** Puts SIZES here, the child gets them and puts them back, this side gets them: every block id. */
async function traffic(
  child: Awaited<ReturnType<typeof startChild>>,
  q: Queue<Uint8Array>,
): Promise<string[]> {
  for (const n of SIZES) q.putSync(new Uint8Array(n));
  expect(await child.call('getHeld', SIZES.length)).toEqual(SIZES);
  expect(await child.call('putHeld', SIZES)).toBe(SIZES.length);
  for (const n of SIZES) expect(q.getSync({ timeout: 30_000 }).byteLength).toBe(n);
  expect(ringOf(q).i32[9]).toBeGreaterThan(0); // WSEG_GEN: the ring grew
  const ids = idsOf(q);
  expect(ids.length).toBeGreaterThanOrEqual(4); // first block, 2 spill blocks, 1+ segment
  return ids;
}

describeEachMethod((method) => {
  it('closed by every holder, here last: the ring, its segments and spill blocks leave the tree', async () => {
    const q = new Queue<Uint8Array>(0, { bufferSize: 1024 });
    const child = await startChild(fixture, method);
    expect(await child.call('hold', q)).toBe(1);
    const ids = await traffic(child, q);
    expect(await lookups(fixture, method, ids)).toEqual(ids.map(() => 'found'));
    q.putSync(new Uint8Array(300_000)); // left unread, in a new spill block
    const all = idsOf(q);
    expect(all.length).toBeGreaterThan(ids.length);
    expect(await child.call('release')).toBe('released');
    expect(released(q)).toBe(false); // this handle is open
    q.close();
    await q.joinThread();
    expect(released(q)).toBe(true);
    for (const why of await lookups(fixture, method, all)) expect(why).toMatch(GONE);
  });

  it('a JoinableQueue closed here first, then in the child: the child releases it', async () => {
    const q = new JoinableQueue<Uint8Array>(0, { bufferSize: 1024 });
    const child = await startChild(fixture, method);
    expect(await child.call('hold', q)).toBe(1);
    const ids = await traffic(child, q);
    q.putSync(new Uint8Array(30_000));
    q.close();
    expect(released(q)).toBe(false);
    expect(await lookups(fixture, method, ids)).toEqual(ids.map(() => 'found'));
    expect(await child.call('getHeld', 1)).toEqual([30_000]); // the child carries on
    expect(await child.call('putHeld', [20_000])).toBe(1);
    expect(await child.call('getHeld', 1)).toEqual([20_000]);
    expect(await child.call('release')).toBe('released');
    expect(released(q)).toBe(true);
    for (const why of await lookups(fixture, method, ids)) expect(why).toMatch(GONE);
  });

  it('a holder that exits without closing: the ring goes back once its parent applied its exit hooks', async () => {
    const q = new Queue<Uint8Array>(0, { bufferSize: 1024 });
    const child = await startChild(fixture, method);
    expect(await child.call('hold', q)).toBe(1);
    const ids = await traffic(child, q);
    q.close();
    endless(child.call('exit', 0));
    expect(await child.exited).toBe(0); // its exit hooks ran here: nobody holds the ring
    expect(released(q)).toBe(true);
    for (const why of await lookups(fixture, method, ids)) expect(why).toMatch(GONE);
  });
});

it('handles in one thread: released at the last close, and a handle sent counts until rebuilt', () => {
  const q = new SimpleQueue<Uint8Array>({ bufferSize: 1024 });
  q.put(new Uint8Array(10_000));
  const bytes = dumps(q); // the handle on its way counts from now
  q.close();
  expect(released(q)).toBe(false);
  const q2 = loads<SimpleQueue<Uint8Array>>(bytes);
  expect(q2.getSync().byteLength).toBe(10_000);
  q2.close();
  expect(released(q)).toBe(true);
});

it('an operation under way when its handle is closed keeps the ring until it settles', async () => {
  const q = new Queue<Uint8Array>(0, { bufferSize: 1024 });
  const q2 = loads<Queue<Uint8Array>>(dumps(q));
  const pending = q2.get();
  q2.close();
  q.putSync(new Uint8Array(10_000));
  q.close();
  expect(released(q)).toBe(false);
  expect((await pending).byteLength).toBe(10_000);
  expect(released(q)).toBe(true);
});

it('a closed handle ends its for await: the ring may be gone', async () => {
  const q = new Queue<number>();
  const q2 = loads<Queue<number>>(dumps(q));
  for (let i = 0; i < 3; i++) q.putSync(i);
  const got: number[] = [];
  for await (const x of q2) {
    got.push(x);
    if (x === 1) q2.close();
  }
  expect(got).toEqual([0, 1]);
  q.close();
  expect(released(q)).toBe(true);
});

it('handles dropped without close() are released once garbage-collected', async () => {
  const ring = (() => {
    const q = new JoinableQueue<Uint8Array>(0, { bufferSize: 1024 });
    q.putSync(new Uint8Array(10_000));
    const q2 = loads<JoinableQueue<Uint8Array>>(dumps(q));
    q2.close();
    return ringOf(q);
  })();
  // Finalizers run some time after a collection: look a bounded number of times.
  for (let i = 0; i < 100 && !ring.released; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(ring.released).toBe(true);
});
