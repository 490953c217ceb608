// RingBuffer.release (ring-release.ts): a ring's grown segments and spill blocks leave the tree's
// block directory with it. What is checked is what another worker sees: a block id that it never
// looked up before (nothing cached) is no longer found.
import { tryLock, unlock } from '@multiproc/memory';
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, expect, it } from 'vitest';
import { MessageRing } from '../src/index.js';
import * as L from '../src/ring-layout.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

/** Thread mode: "was released (releaseBlock)"; OS memory mode: the segment name "is gone". */
const GONE = /was released|is gone/;

/** The id in the KIND_SPILL record at the read position of the ring's first segment. */
function spillAtHead(ring: MessageRing): string {
  const at = (L.HEADER_BYTES + (ring.i32[L.S_HEAD] & (ring.i32[L.S_CAP] - 1))) >> 2;
  expect(ring.i32[at] >>> 30).toBe(L.KIND_SPILL);
  return L.readId(ring.i32, at + 3);
}

/** Whether a fresh child of `method` finds each id: 'found', or its lookup error. */
async function lookups(method: Parameters<typeof startChild>[1], ids: string[]): Promise<string[]> {
  const child = await startChild(fixture, method);
  try {
    return await child.call('lookupAll', ids);
  } finally {
    await child.terminate();
  }
}

describeEachMethod((method) => {
  it('release() drops the first block, the grown segments and every spill block from the tree', async () => {
    const ring = MessageRing.create({ capacity: 1024 });
    ring.write([new Uint8Array(10_000)]); // over a quarter of the segment: a spill block
    ring.read((b) => b.length);
    expect(ring.i32[L.FREE_COUNT]).toBe(1);
    const free = L.readId(ring.i32, L.FREE_TOP);
    ring.write([new Uint8Array(100_000)]); // too big for the free block: a second one, unread
    const unread = spillAtHead(ring);
    for (let i = 0; i < 100; i++) ring.write([new Uint8Array(100)]); // the ring grows
    expect(ring.i32[L.WSEG_GEN]).toBeGreaterThan(1);
    const mine = [ring.block.id, free, unread, L.readId(ring.i32, L.S_NEXT), L.readId(ring.i32, L.WSEG_ID)];
    const ids = ring.blocks().map((b) => b.id);
    expect(ids).toEqual(expect.arrayContaining(mine));
    expect(ids).toHaveLength(3 + ring.i32[L.WSEG_GEN]);
    expect(await lookups(method, ids)).toEqual(ids.map(() => 'found'));

    expect(ring.release()).toBe(true);
    expect(ring.release()).toBe(false); // once per ring
    expect(MessageRing.attach(ring.block).release({ force: true })).toBe(false);
    for (const why of await lookups(method, ids)) expect(why).toMatch(GONE);
  });

  it('the last handle releases what another worker allocated, unread messages included', async () => {
    const ring = MessageRing.create({ capacity: 1024 });
    const writer = await startChild(fixture, method);
    // The child allocates (and exports) the spill blocks and the segments.
    await writer.call('ringWriteSizes', ring.block, [50_000, 100_000, ...Array(60).fill(200)]);
    expect(ring.read((b) => b.length)).toBe(50_000);
    const ids = ring.blocks().map((b) => b.id);
    expect(ids.length).toBeGreaterThanOrEqual(5); // first block, 2 spill blocks, 2+ segments
    expect(ring.release()).toBe(true); // from this thread, which exported none but the first
    for (const why of await lookups(method, ids)) expect(why).toMatch(GONE);
  });

  it('a spill block that cannot go back on a busy free stack is released, not kept', async () => {
    const ring = MessageRing.create({ capacity: 1024 });
    ring.write([new Uint8Array(10_000)]);
    const id = spillAtHead(ring);
    expect(tryLock(ring.i32, L.FREE_LOCK)).toBe(true); // as if a writer were taking a block
    try {
      expect(ring.read((b) => b.length)).toBe(10_000);
    } finally {
      unlock(ring.i32, L.FREE_LOCK);
    }
    expect(ring.i32[L.FREE_COUNT]).toBe(0);
    expect((await lookups(method, [id]))[0]).toMatch(GONE);
    expect(ring.release()).toBe(true);
  });
});

it('release() waits for the last holder of either side, unless forced', () => {
  const ring = MessageRing.create({ capacity: 1024 });
  ring.write([new Uint8Array(10_000)]);
  ring.addWriters(1);
  ring.addReaders(1);
  expect(ring.release()).toBe(false);
  ring.addWriters(-1);
  expect(ring.release()).toBe(false);
  expect(ring.i32[L.RELEASED]).toBe(0);
  ring.addReaders(-1);
  expect(ring.release()).toBe(true);
  expect(ring.i32[L.RELEASED]).toBe(1);

  const held = MessageRing.create();
  held.addReaders(1);
  expect(held.release({ force: true })).toBe(true);
});
