// Fixture-side half of the protocol (see parent.js): serves named operations to the test.
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
