// The readers' repair (ring-repair.ts) on states a reader killed inside the readers' lock can
// leave, made by hand here (the crash itself: ring-crash.test.ts). A reader that dies leaves
// the busy word R_BUSY set; the next reader repairs before it reads.
import { expect, it } from 'vitest';
import { EMPTY, MessageRing } from '../src/index.js';

/** Words of the ring layout (ring-buffer.ts). */
const COUNT = 6;
const RSEG_GEN = 15;
const RSEG_ID = 16;
const R_BUSY = 31;
const R_HEAD = 32;
const R_HGEN = 33;
const S_HEAD = 52;
const W_BUSY = 29;
const W_TALLY = 34;
const W_TAIL = 35;
const W_TGEN = 36;
const S_TAIL = 53;
const TAKING = 0x40000000;
const TALLYING = TAKING;
const TALLY = MessageRing.USER_WORDS[0];

const msg = (seq: number) => {
  const b = new Uint8Array(200);
  new DataView(b.buffer).setUint32(0, seq, true);
  return [b];
};
const seqOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);

function filled(n: number): MessageRing {
  const ring = MessageRing.create({ capacity: 1024 });
  for (let s = 0; s < n; s++) expect(ring.tryWrite(msg(s))).toBe(true);
  return ring;
}

function drain(ring: MessageRing): number[] {
  const got: number[] = [];
  let m: number | typeof EMPTY;
  while ((m = ring.tryRead(seqOf)) !== EMPTY) got.push(m);
  return got;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

it('a reader that died decoding: the message stays, COUNT is right', () => {
  const ring = filled(3);
  expect(ring.tryRead(seqOf)).toBe(0);
  Atomics.store(ring.i32, R_BUSY, 1);
  expect(drain(ring)).toEqual([1, 2]);
  expect(ring.size()).toBe(0);
  expect(Atomics.load(ring.i32, R_BUSY)).toBe(0);
});

it('a reader that died marking COUNT, before moving S_HEAD: the message stays', () => {
  const ring = filled(3);
  expect(ring.tryRead(seqOf)).toBe(0);
  ring.i32[R_HEAD] = ring.i32[S_HEAD];
  ring.i32[R_HGEN] = 0;
  Atomics.add(ring.i32, COUNT, TAKING);
  Atomics.store(ring.i32, R_BUSY, 1);
  expect(ring.size()).toBe(2); // the mark is not counted
  expect(drain(ring)).toEqual([1, 2]);
  expect(Atomics.load(ring.i32, COUNT)).toBe(0);
});

it('a reader that died after moving S_HEAD, before lowering COUNT: the message is gone, COUNT right', () => {
  const ring = filled(3);
  const head = ring.i32[S_HEAD];
  expect(ring.tryRead(seqOf)).toBe(0);
  // As if the read of 0 died between its S_HEAD store and its COUNT decrement.
  ring.i32[R_HEAD] = head;
  ring.i32[R_HGEN] = 0;
  Atomics.add(ring.i32, COUNT, TAKING + 1);
  Atomics.store(ring.i32, R_BUSY, 1);
  expect(ring.size()).toBe(3);
  expect(drain(ring)).toEqual([1, 2]);
  expect(Atomics.load(ring.i32, COUNT)).toBe(0);
});

it('a reader that died moving to the next segment (its id half-written) is found again', () => {
  // 1 KiB first segment, 200-byte messages: the ring grows to segments 1, 2, 3...
  const n = 60;
  const ring = filled(n);
  const got: number[] = [];
  while (ring.i32[RSEG_GEN] < 2) got.push(ring.tryRead(seqOf) as number);
  // Segment 1 is drained and sealed, its reader moved on to 2. As if it died between writing
  // RSEG_ID and RSEG_GEN: the generation still says 1, the id is junk.
  Atomics.store(ring.i32, RSEG_GEN, 1);
  ring.i32[RSEG_ID] = 16;
  new Uint8Array(ring.i32.buffer, (RSEG_ID + 1) * 4, 16).fill(0x7a);
  Atomics.store(ring.i32, R_BUSY, 1);
  got.push(...drain(ring));
  expect(got).toEqual(range(0, n));
  expect(ring.i32[RSEG_GEN]).toBeGreaterThanOrEqual(2);
  // And with the read segment's own id torn (not drained): found again, nothing lost.
  for (let s = n; s < 2 * n; s++) ring.tryWrite(msg(s));
  const gen = ring.i32[RSEG_GEN];
  expect(ring.tryRead(seqOf)).toBe(n);
  ring.i32[RSEG_ID] = 16;
  new Uint8Array(ring.i32.buffer, (RSEG_ID + 1) * 4, 16).fill(0x7a);
  Atomics.store(ring.i32, R_BUSY, 1);
  expect(drain(ring)).toEqual(range(n + 1, 2 * n));
  expect(ring.i32[RSEG_GEN]).toBeGreaterThanOrEqual(gen);
  expect(ring.size()).toBe(0);
});

it('a writer repairing the ring repairs a dead reader first (readers lock taken in order)', () => {
  const ring = filled(3);
  const head = ring.i32[S_HEAD];
  expect(ring.tryRead(seqOf)).toBe(0);
  ring.i32[R_HEAD] = head;
  ring.i32[R_HGEN] = 0;
  Atomics.add(ring.i32, COUNT, TAKING + 1);
  Atomics.store(ring.i32, R_BUSY, 1);
  Atomics.store(ring.i32, W_BUSY, 1); // a writer died too
  expect(ring.tryWrite(msg(3))).toBe(true);
  expect(Atomics.load(ring.i32, COUNT)).toBe(3);
  expect(drain(ring)).toEqual([1, 2, 3]);
});

// A writer that counts its message in a tally word (WriteOptions.tally, JoinableQueue's
// unfinished count) and died publishing it: the writers' repair keeps the count only if the
// message was published.

/** As if a writer died between raising `TALLY` (with its mark) and / or publishing. */
function diedPublishing(ring: MessageRing, tailBefore: number, published: boolean): void {
  ring.i32[W_TALLY] = TALLY;
  ring.i32[W_TAIL] = tailBefore;
  ring.i32[W_TGEN] = 0;
  Atomics.add(ring.i32, TALLY, (published ? 0 : 1) + TALLYING);
  Atomics.store(ring.i32, W_BUSY, 1);
}

it('a tallied write counts its message in the tally word, in the writers lock', () => {
  const ring = MessageRing.create({ capacity: 1024 });
  expect(ring.write(msg(0), { tally: TALLY })).toBe(true);
  expect(ring.write(msg(1), { tally: TALLY })).toBe(true);
  expect(ring.write(msg(2))).toBe(true);
  expect(Atomics.load(ring.i32, TALLY)).toBe(2);
  expect(ring.i32[W_TALLY]).toBe(0);
  expect(() => ring.write(msg(3), { tally: 40 })).toThrow(RangeError);
  expect(drain(ring)).toEqual([0, 1, 2]);
});

it('a writer that died before publishing: its count is taken back, and the waiters woken', async () => {
  const ring = MessageRing.create({ capacity: 1024 });
  diedPublishing(ring, ring.i32[S_TAIL], false);
  expect(Atomics.load(ring.i32, TALLY) & MessageRing.TALLY_MASK).toBe(1);
  const woken = Atomics.waitAsync(ring.i32, TALLY, Atomics.load(ring.i32, TALLY), 60_000).value;
  ring.repairWriters(); // what join() does when it sees the mark; the next write would too
  expect(await woken).toBe('ok');
  expect(Atomics.load(ring.i32, TALLY)).toBe(0);
  expect(Atomics.load(ring.i32, W_BUSY)).toBe(0);
  expect(ring.size()).toBe(0);
});

it('a writer that died after publishing: its count stays, only the mark goes', () => {
  const ring = MessageRing.create({ capacity: 1024 });
  const tail = ring.i32[S_TAIL];
  expect(ring.write(msg(0), { tally: TALLY })).toBe(true);
  Atomics.sub(ring.i32, COUNT, 1); // and before raising COUNT
  diedPublishing(ring, tail, true);
  expect(ring.write(msg(1), { tally: TALLY })).toBe(true); // repairs first
  expect(Atomics.load(ring.i32, TALLY)).toBe(2);
  expect(ring.size()).toBe(2);
  expect(drain(ring)).toEqual([0, 1]);
});
