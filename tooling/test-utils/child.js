// Fixture-side half of the protocol (see parent.js): serves named operations to the test.
import { lookupBlock, waitSync, wake } from '@multiproc/memory';
import { connectToParent, enterChild } from '@multiproc/process';
import { dumps, loadsAsync } from '@multiproc/serialization';

let channel;

/**
 * Connects to the parent and answers its calls with `ops[op](...args)` (sync or async). Arguments
 * and results travel through dumps/loads, so shared objects arrive as live handles and errors
 * keep their class. Returns the start data.
 */
export function serve(ops) {
  channel = connectToParent();
  enterChild(channel.data.who);
  channel.onMessage(async (m) => {
    if (m === null || typeof m !== 'object' || typeof m.op !== 'string') return;
    let reply;
    try {
      const fn = ops[m.op];
      if (typeof fn !== 'function') throw new Error(`the fixture has no operation '${m.op}'`);
      const args = await loadsAsync(m.args);
      reply = { id: m.id, ok: true, value: dumps(await fn(...args)) };
    } catch (err) {
      reply = { id: m.id, ok: false, error: dumps(err instanceof Error ? err : new Error(String(err))) };
    }
    channel.post(reply);
  });
  return channel.data.data;
}

/** Sends a value to the test's `child.nextEvent()` (e.g. "I am about to block"). */
export function emit(value) {
  channel.post({ event: dumps(value) });
}

/** Handles a fixture keeps open on purpose (`settle(h, 'keep')`), until the child dies. */
export const held = [];

/**
 * What an operation does with a handle (a Connection end, a Queue) when done: 'close' it, 'keep'
 * it open, or 'exit' the child without closing it (no reply: its exit hook must release it).
 */
export function settle(handle, what) {
  if (what === 'close') handle.close();
  else if (what === 'keep') held.push(handle);
  else if (what === 'exit') process.exit(0);
}

/**
 * The flood of the crash tests (the test side is `parkFlood` and `floodIndex`): hands 0, 1, 2,
 * ... to `send` until killed, every 1000th as `{ i, pad }` of 64 KiB so that it spills while a
 * ring is small. ctl.i32: [0] sends that returned; [1] set by the test: park between two sends,
 * then set [2] (parked: holding no lock of the ring) and sleep until killed. It parks by itself
 * after a million sends, to bound the memory a slow test lets it fill. Emits 'flooding' first.
 */
export function flood(ctl, send) {
  emit('flooding');
  for (let i = 0; ; i++) {
    if (Atomics.load(ctl.i32, 1) !== 0 || i === 1_000_000) {
      Atomics.store(ctl.i32, 2, 1);
      wake(ctl.i32, 2);
      for (;;) waitSync(ctl.i32, 1, 1);
    }
    send(i % 1000 === 999 ? { i, pad: new Uint8Array(65_536).fill(i & 255) } : i);
    Atomics.store(ctl.i32, 0, i + 1);
  }
}

/** Per block id: 'found', or why the tree cannot find the block (a released one is not found). */
export function lookupAll(ids) {
  return ids.map((id) => {
    try {
      lookupBlock(id, 2_000);
      return 'found';
    } catch (e) {
      return e.message;
    }
  });
}
