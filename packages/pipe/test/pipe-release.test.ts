// A Pipe's rings go back to the tree once every holder of both ends let go (letGo in
// holders.ts): closed in the parent and in a child, or exited. What is checked is what a fresh
// worker sees: a block id that it never looked up before (nothing cached) is no longer found.
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
import { BrokenPipeError, Connection, MessageRing, Pipe } from '../src/index.js';
import * as L from '../src/ring-layout.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

/** Spill blocks (over a quarter of the 1 KiB first segment) and a grown segment each way. */
const SIZES = [100_000, 50_000, ...Array(60).fill(200)];

/** Pipe() with its rings in sight (what Pipe does, 1 KiB first segments). */
function pipe(): { a: Connection; b: Connection; rings: MessageRing[] } {
  const ab = MessageRing.create({ capacity: 1024 });
  const ba = MessageRing.create({ capacity: 1024 });
  return { a: new Connection(ab, ba), b: new Connection(ba, ab), rings: [ab, ba] };
}

const idsOf = (rings: MessageRing[]): string[] => rings.flatMap((r) => r.blocks().map((b) => b.id));
const released = (ring: MessageRing): boolean => ring.released;

/** Messages both ways between `a` here and the end the child holds; returns every block id. */
async function traffic(child: Awaited<ReturnType<typeof startChild>>, a: Connection, rings: MessageRing[]) {
  for (const n of SIZES) a.send(new Uint8Array(n));
  expect(await child.call('recvHeld', SIZES.length)).toEqual(SIZES);
  expect(await child.call('sendHeld', SIZES)).toBe(SIZES.length);
  for (const n of SIZES) expect(((await a.recv()) as Uint8Array).byteLength).toBe(n);
  for (const ring of rings) expect(ring.i32[L.WSEG_GEN]).toBeGreaterThan(0);
  const ids = idsOf(rings);
  expect(ids.length).toBeGreaterThanOrEqual(8); // per ring: first block, 2 spill blocks, 1+ segment
  return ids;
}

describeEachMethod((method) => {
  it('both ends closed, here last: the rings, their segments and spill blocks leave the tree', async () => {
    const { a, b, rings } = pipe();
    const child = await startChild(fixture, method);
    expect(await child.call('hold', b)).toBe(1);
    b.close(); // the child holds it from the moment it was sent
    const ids = await traffic(child, a, rings);
    expect(await lookups(fixture, method, ids)).toEqual(ids.map(() => 'found'));
    a.send(new Uint8Array(300_000)); // left unread, in a new spill block
    const unread = idsOf(rings).filter((id) => !ids.includes(id));
    expect(unread).toHaveLength(1);
    expect(await child.call('release')).toBe('released');
    expect(rings.map(released)).toEqual([false, false]); // this side still holds both

    a.close();
    expect(rings.map(released)).toEqual([true, true]);
    for (const why of await lookups(fixture, method, [...ids, ...unread])) expect(why).toMatch(GONE);
  });

  it('both ends closed, the child last: the child releases what this side allocated', async () => {
    const { a, b, rings } = pipe();
    const child = await startChild(fixture, method);
    expect(await child.call('hold', b)).toBe(1);
    b.close();
    const ids = await traffic(child, a, rings);
    a.send(new Uint8Array(30_000));
    a.close();
    expect(rings.map(released)).toEqual([false, false]);
    expect(await child.call('drainHeld')).toEqual([[30_000]]);
    expect(rings.map(released)).toEqual([true, true]);
    for (const why of await lookups(fixture, method, ids)) expect(why).toMatch(GONE);
  });

  it('a ring still held by one side is not released: that side carries on after its peer closed', async () => {
    const { a, b, rings } = pipe();
    const child = await startChild(fixture, method);
    expect(await child.call('hold', b)).toBe(1);
    b.close(); // this side's copy of the child's end
    const ids = await traffic(child, a, rings);
    // This side lets go of everything with spill blocks unread that the child never looked up.
    for (const n of SIZES) a.send(new Uint8Array(n));
    const all = idsOf(rings);
    a.close();
    expect(rings.map(released)).toEqual([false, false]);
    expect(await lookups(fixture, method, all)).toEqual(all.map(() => 'found'));
    await expect(child.call('sendHeld', [10])).rejects.toBeInstanceOf(BrokenPipeError);
    expect(await child.call('drainHeld')).toEqual([SIZES]);
    for (const why of await lookups(fixture, method, [...ids, ...all])) expect(why).toMatch(GONE);
  });

  it('a holder that exits without closing: its rings go back once its parent applied its exit hooks', async () => {
    const { a, b, rings } = pipe();
    const child = await startChild(fixture, method);
    expect(await child.call('hold', b)).toBe(1);
    b.close();
    const ids = await traffic(child, a, rings);
    a.close();
    expect(rings.map(released)).toEqual([false, false]); // the child still holds b
    endless(child.call('exit', 0));
    expect(await child.exited).toBe(0); // its exit hooks ran here: nobody holds the rings
    expect(rings.map(released)).toEqual([true, true]);
    for (const why of await lookups(fixture, method, ids)) expect(why).toMatch(GONE);
  });
});

it('a pipe closed in one thread goes at the last close, and not before', () => {
  const { a, b, rings } = pipe();
  a.send(new Uint8Array(10_000));
  b.send(new Uint8Array(10_000));
  a.close();
  expect(rings.map(released)).toEqual([false, false]);
  expect((b.recvSync() as Uint8Array).byteLength).toBe(10_000);
  b.close();
  expect(rings.map(released)).toEqual([true, true]);
});

it('a receive under way when its end is closed keeps the ring until it settles', async () => {
  const { a, b, rings } = pipe();
  const [ab] = rings;
  const pending = b.recv();
  b.close();
  a.send(new Uint8Array(10_000)); // b still reads: no BrokenPipeError
  a.close();
  expect(released(ab)).toBe(false);
  expect(((await pending) as Uint8Array).byteLength).toBe(10_000);
  expect(rings.map(released)).toEqual([true, true]);
  const [c, d] = Pipe();
  d.close();
  expect(() => c.send(1)).toThrow(BrokenPipeError); // no receive under way: closed at once
  c.close();
});

it('ends dropped without close() are released once garbage-collected', async () => {
  const rings = (() => {
    const { a, rings } = pipe();
    a.send(new Uint8Array(10_000));
    return rings;
  })();
  // Finalizers run some time after a collection: look a bounded number of times.
  for (let i = 0; i < 100 && !rings.every(released); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(rings.map(released)).toEqual([true, true]);
});
