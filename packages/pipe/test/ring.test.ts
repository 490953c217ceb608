import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY, EOF, MessageRing } from '../src/index.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

const bytes = (...xs: number[]) => new Uint8Array(xs);
const copy = (b: Uint8Array) => [...b];
const stop = () => {
  const m = new Uint8Array(4);
  new DataView(m.buffer).setUint32(0, 0xffffffff, true);
  return m;
};

describe('MessageRing', () => {
  it('gathers chunks into one message and reads them back in order', () => {
    const ring = MessageRing.create();
    expect(ring.write([bytes(1, 2), bytes(), bytes(3)])).toBe(true);
    ring.write([bytes()]);
    expect(ring.size()).toBe(2);
    expect(ring.read(copy)).toEqual([1, 2, 3]);
    expect(ring.read(copy)).toEqual([]);
    expect(ring.tryRead(copy)).toBe(EMPTY);
    expect(ring.read(copy, { block: false })).toBe(EMPTY);
    expect(ring.read(copy, { timeout: 5 })).toBe(EMPTY);
  });

  it('wraps around, grows and spills, keeping FIFO order', () => {
    const ring = MessageRing.create({ capacity: 1024 });
    const sizes = [1, 100, 255, 3, 600, 17, 4000, 250, 0, 70_000];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 400; i++) ring.write([new Uint8Array(sizes[i % sizes.length]).fill(i & 255)]);
      for (let i = 0; i < 400; i++) {
        const got = ring.read((b) => [b.length, b[0]]);
        expect(got).toEqual([sizes[i % sizes.length], sizes[i % sizes.length] ? i & 255 : undefined]);
      }
    }
  });

  it('reuses spill blocks once they were read', () => {
    const ring = MessageRing.create({ capacity: 1024 });
    for (let i = 0; i < 5; i++) {
      ring.write([new Uint8Array(10_000).fill(i)]);
      expect(ring.read((b) => b[9999])).toBe(i);
    }
    expect(ring.i32[28]).toBe(1); // one block on the free stack: the same one went round
  });

  it('accept() can refuse a message without consuming it; a throwing decoder consumes it', () => {
    const ring = MessageRing.create();
    ring.write([bytes(1, 2, 3)]);
    ring.write([bytes(4)]);
    expect(() =>
      ring.tryRead(copy, (n) => {
        throw new Error(`no ${n}`);
      }),
    ).toThrow('no 3');
    expect(() =>
      ring.read(() => {
        throw new Error('bad');
      }),
    ).toThrow('bad');
    expect(ring.read(copy)).toEqual([4]);
  });

  it('maxItems bounds a ring; a blocked write goes on when a reader makes room', async () => {
    const ring = MessageRing.create({ maxItems: 2 });
    expect(ring.maxItems).toBe(2);
    expect(ring.tryWrite([bytes(1)])).toBe(true);
    expect(await ring.writeAsync([bytes(2)])).toBe(true);
    expect(ring.write([bytes(3)], { timeout: 10 })).toBe(false);
    expect(ring.write([bytes(3)], { block: false })).toBe(false);
    const pending = ring.writeAsync([bytes(3)]);
    setTimeout(() => ring.tryRead(copy), 10);
    expect(await pending).toBe(true);
    expect([ring.read(copy), ring.read(copy)]).toEqual([[2], [3]]);
    expect(() => MessageRing.create({ maxItems: -1 })).toThrow(RangeError);
  });

  it('EOF once writers are gone and the ring is drained; poll sees it', async () => {
    const ring = MessageRing.create();
    ring.addWriters(1);
    ring.write([bytes(7)]);
    expect(ring.writers()).toBe(1);
    setTimeout(() => ring.addWriters(-1), 10);
    expect(await ring.readAsync(copy, { eof: true })).toEqual([7]);
    expect(await ring.readAsync(copy, { eof: true })).toBe(EOF);
    expect(ring.read(copy, { eof: true })).toBe(EOF);
    expect(ring.pollSync()).toBe(true);
    expect(await ring.poll()).toBe(true);
  });
});

describeEachMethod((method) => {
  it('many producer and consumer children: every message exactly once', async () => {
    const ring = MessageRing.create({ capacity: 4096 });
    const children = await Promise.all(Array.from({ length: 6 }, () => startChild(fixture, method)));
    const readers = children.slice(0, 3).map((c) => c.call<number[]>('ringRead', ring.block, 1));
    const writers = children
      .slice(3)
      .map((c, k) => c.call<number>('ringWrite', ring.block, k * 100_000, 20_000));
    expect(await Promise.all(writers)).toEqual([20_000, 20_000, 20_000]);
    for (let i = 0; i < 3; i++) ring.write([stop()]);
    const got = (await Promise.all(readers)).flat();
    expect(got.length).toBe(60_000);
    expect(new Set(got).size).toBe(60_000);
  });
});
