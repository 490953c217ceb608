// Test-side half of the fixture protocol: start a fixture module as a child under either start
// method and call the operations it serves. Plain JavaScript (with .d.ts) so that fixtures, which
// run without a TypeScript loader in threads and child processes, share the protocol with no build.
import { osMemoryAvailable, waitAsync } from '@multiproc/memory';
import { prepareChild, startWorker } from '@multiproc/process';
import { dumps, loadsAsync } from '@multiproc/serialization';

const live = new Set();
let nextId = 1;
let nextChild = 1;

/** True when the 'spawn' start method can run here (the native shared-memory addon loaded). */
export const spawnAvailable = osMemoryAvailable();

/** Starts `fixture` (a module that calls `serve()` from `@multiproc/test-utils/child`). */
export async function startChild(fixture, method = 'thread', options = {}) {
  // The identity carries the module table, so the child imports the packages of what it receives.
  const who = prepareChild({ name: `TestChild-${nextChild++}`, daemon: true });
  const data = { who, data: options.data ?? null };
  const handle = startWorker({ entry: fixture, data, name: who.name, daemon: true }, method);
  const pending = new Map();
  const events = [];
  const waiters = [];
  const child = {
    method,
    pid: handle.pid,
    handle,
    ident: undefined,
    exited: undefined,
    get exitcode() {
      return handle.exitcode;
    },
    call(op, ...args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { op, resolve, reject });
        handle.post({ id, op, args: dumps(args) });
      });
    },
    nextEvent() {
      if (events.length > 0) return Promise.resolve(events.shift());
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    terminate() {
      handle.terminate();
      return child.exited;
    },
    kill() {
      handle.kill();
      return child.exited;
    },
  };
  handle.onMessage(async (m) => {
    if (m === null || typeof m !== 'object') return;
    if ('event' in m) {
      const value = await loadsAsync(m.event);
      const w = waiters.shift();
      if (w) w.resolve(value);
      else events.push(value);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    try {
      if (m.ok) p.resolve(await loadsAsync(m.value));
      else p.reject(await loadsAsync(m.error));
    } catch (err) {
      p.reject(err);
    }
  });
  child.exited = handle.exited.then((code) => {
    live.delete(child);
    const gone = () => new Error(`the ${method} child exited (${code}) before answering`);
    for (const p of pending.values()) p.reject(Object.assign(gone(), { exitcode: code }));
    pending.clear();
    for (const w of waiters.splice(0)) w.reject(gone());
    return code;
  });
  live.add(child);
  child.ident = await handle.ready;
  if (child.ident === undefined)
    throw new Error(`the ${method} child exited (${await child.exited}) while starting`);
  return child;
}

/** Kills every child still running and waits until each is gone (call it in afterEach). */
export async function stopChildren() {
  await Promise.all([...live].map((c) => c.kill()));
}

/** Marks a call that ends with the child (an endless loop, or an exit): its rejection is expected. */
export const endless = (call) => void call.catch(() => {});

/** The index of an item of a fixture's `flood` (a number, or `{ i, pad }` for a spilled one). */
export const floodIndex = (x) => (typeof x === 'number' ? x : x.i);

/**
 * Asks a fixture's `flood` (child.js) to park between two sends, holding no lock, and waits until
 * it has; resolves how many sends it completed.
 */
export async function parkFlood(ctl) {
  Atomics.store(ctl.i32, 1, 1);
  while (Atomics.load(ctl.i32, 2) === 0) await waitAsync(ctl.i32, 2, 0, 100);
  return Atomics.load(ctl.i32, 0);
}

/** What a lookup of a released block says: "was released" (threads) or "is gone" (OS memory). */
export const GONE = /was released|is gone/;

/** Per id, whether a fresh child of `fixture` (serving `lookupAll`) finds the block. */
export async function lookups(fixture, method, ids) {
  const child = await startChild(fixture, method);
  try {
    return await child.call('lookupAll', ids);
  } finally {
    await child.terminate();
  }
}
