import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { dumps, loads } from '@multiproc/serialization';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARENA_BYTES,
  SLOT_BYTES,
  type SharedBlock,
  type Slot,
  allocateSlot,
  childBootstrap,
  keepSlot,
  lockOpsOf,
  workerIdent,
} from '../src/index.js';
import { available, pkgDir, runScript } from './os-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const SLOT_WORDS = SLOT_BYTES / 4;

/** Collects garbage until `done()` (FinalizationRegistry callbacks run after a GC, later). */
async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    if (done()) return true;
  }
  return false;
}

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

function startChild(): Worker {
  const { data, transferList, onExit } = childBootstrap();
  const w = new Worker(new URL('./fixtures/child.mjs', import.meta.url), {
    workerData: { memory: data },
    transferList,
  });
  w.on('exit', onExit);
  workers.push(w);
  return w;
}

async function ask<T>(w: Worker, msg: unknown): Promise<T> {
  w.postMessage(msg);
  const [reply] = await once(w, 'message');
  return reply as T;
}

const key = (s: Slot) => `${s.block.id}:${s.offset}`;

describe('arenas (threads)', () => {
  it('hands out distinct, zeroed, cache-line slots of one shared WebAssembly memory', () => {
    const owners = Array.from({ length: 20 }, () => ({}));
    const slots = owners.map((o) => allocateSlot(o, 16));
    expect(new Set(slots.map(key)).size).toBe(20);
    for (const s of slots) {
      expect(s.offset % SLOT_WORDS).toBe(0);
      expect(s.block.memory).toBeDefined();
      expect(s.block.byteLength).toBe(ARENA_BYTES);
      expect(s.block.i32.subarray(s.offset, s.offset + SLOT_WORDS).every((w) => w === 0)).toBe(true);
    }
    expect(new Set(slots.map((s) => s.block)).size).toBeLessThanOrEqual(2);
  });

  it('opens a new arena when one is full', () => {
    const owners = Array.from({ length: ARENA_BYTES / SLOT_BYTES + 1 }, () => ({}));
    const blocks = new Set(owners.map((o) => allocateSlot(o, 4).block));
    expect(blocks.size).toBeGreaterThanOrEqual(2);
  });

  it('gives a request larger than a slot a block of its own', () => {
    const s = allocateSlot({}, SLOT_BYTES + 1);
    expect(s.offset).toBe(0);
    expect(s.block.memory).toBeUndefined();
    expect(s.block.byteLength).toBeGreaterThanOrEqual(SLOT_BYTES + 1);
  });

  it('rejects a negative or fractional size', () => {
    expect(() => allocateSlot({}, -1)).toThrow(RangeError);
    expect(() => allocateSlot({}, 2.5)).toThrow(RangeError);
  });

  it('reuses, zeroed, the slot of a collected owner, but never a kept one', async () => {
    let dropped: { block: SharedBlock; offset: number } | undefined;
    let kept: { block: SharedBlock; offset: number } | undefined;
    (() => {
      const a = allocateSlot({}, 16);
      a.block.i32[a.offset] = 7;
      dropped = { block: a.block, offset: a.offset };
      const b = allocateSlot({}, 16);
      b.block.i32[b.offset] = 9;
      keepSlot(b.block, b.offset);
      kept = { block: b.block, offset: b.offset };
    })();
    const handed: Slot[] = [];
    const holders: object[] = [];
    const reused = await collectUntil(() => {
      const holder = {};
      holders.push(holder);
      const s = allocateSlot(holder, 16);
      handed.push(s);
      return s.block === dropped!.block && s.offset === dropped!.offset;
    });
    expect(reused).toBe(true);
    const again = handed[handed.length - 1]!;
    expect(again.block.i32[again.offset]).toBe(0);
    // More than this file ever allocated: every free list drains, and never yields the kept slot.
    for (let i = 0; i < 1200; i++) {
      const holder = {};
      holders.push(holder);
      handed.push(allocateSlot(holder, 16));
    }
    expect(handed.some((s) => s.block === kept!.block && s.offset === kept!.offset)).toBe(false);
    expect(kept!.block.i32[kept!.offset]).toBe(9);
  });
});

/** A fresh slot with this thread's WebAssembly paths over it (`a`: the state word's address). */
function lockSlot() {
  const owner = {};
  const { block, offset } = allocateSlot(owner, 16);
  return { owner, ops: lockOpsOf(block)!, a: offset * 4, i32: block.i32, offset };
}

describe('WebAssembly lock paths', () => {
  it('lock: acquire swaps in 1 and writes the owner only when it was free; release swaps in 0', () => {
    const { owner, ops, a, i32, offset } = lockSlot();
    expect(ops.lockAcquire(a, 11)).toBe(0);
    expect([i32[offset], i32[offset + 1]]).toEqual([1, 11]);
    expect(ops.lockAcquire(a, 12)).toBe(1); // held: old state back, owner untouched
    expect(i32[offset + 1]).toBe(11);
    Atomics.store(i32, offset, 2); // a sleeper marked it
    expect(ops.lockRelease(a)).toBe(2);
    expect([i32[offset], i32[offset + 1]]).toEqual([0, 0]);
    expect(ops.lockRelease(a)).toBe(0); // not held
    expect(owner).toBeDefined();
  });

  it('rlock: re-entry counts depth; only the owner releases; the last release unlocks', () => {
    const { owner, ops, a, i32, offset } = lockSlot();
    expect(ops.rlockAcquire(a, 5)).toBe(0);
    expect(ops.rlockAcquire(a, 5)).toBe(0);
    expect([i32[offset], i32[offset + 1], i32[offset + 2]]).toEqual([1, 5, 2]);
    expect(ops.rlockAcquire(a, 6)).toBe(1); // another owner: old state back, nothing written
    expect([i32[offset + 1], i32[offset + 2]]).toEqual([5, 2]);
    expect(ops.rlockRelease(a, 6)).toBe(-1);
    expect(ops.rlockRelease(a, 5)).toBe(1);
    expect(i32[offset]).toBe(1);
    expect(ops.rlockRelease(a, 5)).toBe(1); // the final release: old state LOCKED
    expect([i32[offset], i32[offset + 1], i32[offset + 2]]).toEqual([0, 0, 0]);
    expect(ops.rlockRelease(a, 5)).toBe(-1); // not held any more
    expect(owner).toBeDefined();
  });

  it("an arena travels to a worker as the same memory, with the worker's own WebAssembly paths", async () => {
    const owner = {};
    const { block, offset } = allocateSlot(owner, 16);
    const w = startChild();
    const ident = await ask<number>(w, { op: 'ident' });
    expect(await ask(w, { op: 'lockAcquire', bytes: dumps(block), offset })).toBe(0);
    expect([Atomics.load(block.i32, offset), block.i32[offset + 1]]).toEqual([1, ident]);
    expect(lockOpsOf(block)!.lockAcquire(offset * 4, workerIdent())).toBe(1);
    expect(loads(dumps(block))).toBe(block);
  });
});

describe('arenas where no WebAssembly memory can be reserved', () => {
  it('fall back to plain blocks and Atomics (ulimit -v: V8 reserves ~10 GiB per memory)', async () => {
    const script = fileURLToPath(new URL('./fixtures/arena-no-wasm.mjs', import.meta.url));
    const proc = spawn('bash', ['-c', `ulimit -v 4000000 && exec "${process.execPath}" "${script}"`], {
      cwd: pkgDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const [code] = await once(proc, 'exit');
    expect(code, out).toBe(0);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r).toEqual({ sameBlock: true, distinct: true, memory: false, wasm: false, value: 3 });
  });
});

describe.skipIf(!available)('arenas (OS memory mode)', () => {
  it('slots share OS blocks (not a segment each) and keep to Atomics', async () => {
    const { code, out } = await runScript('os-arena.mjs', []);
    expect(code, out).toBe(0);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r).toEqual({ blocks: 1, distinct: 300, os: true, wasm: false });
  });
});
