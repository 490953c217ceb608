import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { dumps, loads } from '@multiproc/serialization';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SharedBlock,
  afterExitHooks,
  allocateBlock,
  childBootstrap,
  createNamedBlock,
  lookupBlock,
  openNamedBlock,
  releaseBlock,
  unlinkNamedBlock,
  waitAsync,
  waitSync,
  wake,
  workerIdent,
} from '../src/index.js';

const fixture = new URL('./fixtures/child.mjs', import.meta.url);
const workers: Worker[] = [];

function startChild(): Worker & { onGone: () => void } {
  const { data, transferList, onExit } = childBootstrap();
  const w = new Worker(fixture, { workerData: { memory: data }, transferList });
  w.on('exit', onExit);
  workers.push(w);
  return Object.assign(w, { onGone: onExit });
}

async function ask<T>(w: Worker, msg: unknown): Promise<T> {
  w.postMessage(msg);
  const [reply] = await once(w, 'message');
  return reply as T;
}

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

describe('blocks', () => {
  it('allocates zeroed, 8-byte rounded shared memory', () => {
    const b = allocateBlock(13);
    expect(b).toBeInstanceOf(SharedBlock);
    expect(b.byteLength).toBe(16);
    expect(b.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...new Uint8Array(b.buffer)].every((x) => x === 0)).toBe(true);
  });

  it('rejects a negative or fractional size', () => {
    expect(() => allocateBlock(-1)).toThrow(RangeError);
    expect(() => allocateBlock(1.5)).toThrow(RangeError);
  });

  it('round-trips through dumps/loads in the same thread as the same block', () => {
    const b = allocateBlock(8);
    expect(loads(dumps(b))).toBe(b);
    expect(lookupBlock(b.id)).toBe(b);
  });

  it('a block sent to a worker is the same memory there', async () => {
    const w = startChild();
    const b = allocateBlock(16);
    await ask(w, { op: 'add', bytes: dumps(b), index: 1, value: 5 });
    await ask(w, { op: 'add', bytes: dumps(b), index: 1, value: 5 });
    expect(Atomics.load(b.i32, 1)).toBe(10);
  });

  it("a worker's block reaches another worker through the directory", async () => {
    const a = startChild();
    const b = startChild();
    const bytes = await ask<Uint8Array>(a, { op: 'allocate' });
    await ask(b, { op: 'add', bytes, index: 0, value: 1 });
    expect(await ask(a, { op: 'read' })).toBe(42);
    const mine = loads<SharedBlock>(bytes);
    expect(Atomics.load(mine.i32, 0)).toBe(42);
  });

  it('gives every worker a distinct ident', async () => {
    const ids = await Promise.all(
      [startChild(), startChild(), startChild()].map((w) => ask<number>(w, { op: 'ident' })),
    );
    expect(new Set([...ids, workerIdent()]).size).toBe(4);
  });
});

describe('wait and wake', () => {
  it('waitSync returns not-equal or timed-out without blocking forever', () => {
    const b = allocateBlock(8);
    expect(waitSync(b.i32, 0, 1, 10)).toBe('not-equal');
    expect(waitSync(b.i32, 0, 0, 1)).toBe('timed-out');
  });

  it('a worker blocked in waitSync is woken by the main thread', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    w.postMessage({ op: 'waitSync', bytes: dumps(b), timeout: 60_000 });
    await once(w, 'message'); // 'waiting'
    const result = once(w, 'message');
    Atomics.store(b.i32, 0, 1);
    wake(b.i32, 0);
    expect((await result)[0]).toMatch(/ok|not-equal/);
  });

  it('waitAsync is woken by a worker without blocking the event loop', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    const waiting = waitAsync(b.i32, 0, 0, 60_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await new Promise((r) => setTimeout(r, 20));
    await ask(w, { op: 'wake', bytes: dumps(b) });
    expect(await waiting).toBe('ok');
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('waitAsync ends as woken when the word changed but the notify never came (lost wake-up)', async () => {
    const b = allocateBlock(8);
    const waiting = waitAsync(b.i32, 0, 0, 60_000);
    Atomics.store(b.i32, 0, 1); // changed, and no wake(): as if the notify were lost
    expect(await waiting).toBe('ok');
  });

  it('waitAsync times out', async () => {
    const b = allocateBlock(8);
    expect(await waitAsync(b.i32, 0, 0, 5)).toBe('timed-out');
  });

  it('waitAsync rejects with the abort reason, and an aborted waiter passes its wake-up on', async () => {
    const b = allocateBlock(8);
    const ac = new AbortController();
    const aborted = waitAsync(b.i32, 0, 0, undefined, ac.signal);
    const other = waitAsync(b.i32, 0, 0, 60_000);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    // Wake exactly one: whichever waiter V8 picks, the live one must end up woken.
    wake(b.i32, 0, 1);
    expect(await other).toBe('ok');
  });

  it('an already-aborted signal rejects at once', async () => {
    const b = allocateBlock(8);
    await expect(waitAsync(b.i32, 0, 0, 1000, AbortSignal.abort())).rejects.toThrow();
  });

  it('rejects a timeout that is not a number', () => {
    const b = allocateBlock(8);
    expect(() => waitSync(b.i32, 0, 0, 'x' as unknown as number)).toThrow(TypeError);
  });
});

describe('exit hooks', () => {
  it("applies a worker's hooks when it is terminated, and wakes the waiters", async () => {
    const w = startChild();
    const b = allocateBlock(8);
    Atomics.store(b.i32, 0, 2);
    await ask(w, { op: 'atExit', bytes: dumps(b), index: 0, delta: -1 });
    const woken = waitAsync(b.i32, 0, 2, 60_000);
    await w.terminate();
    expect(await woken).toBe('ok');
    expect(Atomics.load(b.i32, 0)).toBe(1);
    w.onGone(); // applying twice changes nothing
    expect(Atomics.load(b.i32, 0)).toBe(1);
  });

  it('a cancelled hook is not applied', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    await ask(w, { op: 'atExit', bytes: dumps(b), index: 0, delta: 5, cancel: true });
    await w.terminate();
    w.onGone();
    expect(Atomics.load(b.i32, 0)).toBe(0);
  });

  it('afterExitHooks listeners run once the hooks are applied, and one that throws stops no other', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    await ask(w, { op: 'atExit', bytes: dumps(b), index: 0, delta: 3 });
    const seen: number[] = [];
    afterExitHooks(() => {
      throw new Error('a broken listener');
    });
    afterExitHooks(() => seen.push(Atomics.load(b.i32, 0)));
    await w.terminate();
    w.onGone();
    expect(seen[0]).toBe(3); // the hook had been applied when the listener ran
  });
});

describe('named blocks', () => {
  it('creates, opens from a worker, refuses a taken name, and unlinks', async () => {
    const name = `test-${process.pid}-${Date.now()}`;
    const b = createNamedBlock(name, 32);
    expect(() => createNamedBlock(name, 32)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(openNamedBlock(name)).toBe(b);
    const w = startChild();
    expect(await ask(w, { op: 'openNamed', name })).toBe('added');
    expect(Atomics.load(b.i32, 2)).toBe(7);
    unlinkNamedBlock(name);
    expect(() => openNamedBlock(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => unlinkNamedBlock(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    // The memory stays valid for those holding it.
    Atomics.add(b.i32, 2, 1);
    expect(Atomics.load(b.i32, 2)).toBe(8);
  });
});

describe('releaseBlock', () => {
  it('drops an exported block from the directory; holders keep their memory', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    const bytes = dumps(b);
    await ask(w, { op: 'add', bytes, index: 0, value: 1 });
    releaseBlock(b);
    releaseBlock(b); // twice is harmless
    Atomics.add(b.i32, 0, 1);
    expect(Atomics.load(b.i32, 0)).toBe(2);
    // Sending it again re-exports it.
    await ask(w, { op: 'add', bytes: dumps(b), index: 0, value: 1 });
    expect(Atomics.load(b.i32, 0)).toBe(3);
  });
});

describe('released blocks', () => {
  it('a worker asking for a released id fails at once with a clear error, not after the lookup timeout', async () => {
    const w = startChild();
    const b = allocateBlock(8);
    const bytes = dumps(b);
    releaseBlock(b);
    const failed = once(w, 'error');
    w.postMessage({ op: 'add', bytes, index: 0, value: 1 });
    const [err] = await failed;
    expect(String((err as Error).message)).toMatch(/released/);
  });

  it('any worker that holds a block may release it, not only the one that exported it', async () => {
    const a = startChild();
    const b = startChild();
    const bytes = await ask<Uint8Array>(a, { op: 'allocate' }); // exported by worker a
    const block = loads<SharedBlock>(bytes); // looked up here
    releaseBlock(block);
    const failed = once(b, 'error');
    b.postMessage({ op: 'add', bytes, index: 0, value: 1 });
    const [err] = await failed;
    expect(String((err as Error).message)).toMatch(/released/);
  });
});
