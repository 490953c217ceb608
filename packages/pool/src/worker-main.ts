/**
 * The main loop of a pool worker: join the tree's memory, run the initializer, then take
 * chunks from the task ring, run them and write their results to the result ring, until told
 * to exit or `maxTasksPerChild` chunks are done.
 *
 * Idle waiting: spin briefly on the task ring's tail, then an async futex wait
 * (`waitAsync` from @multiproc/memory), so the worker's event loop keeps turning while idle
 * (a task's timers still fire) and a sleeping worker costs no CPU. While busy, the loop yields
 * to the event loop every few milliseconds.
 */
import { waitAsync } from '@multiproc/memory';
import { connectToParent, enterChild, loadFunction } from '@multiproc/process';
import { dumps, loads, loadsAsync, mayHoldReducers } from '@multiproc/serialization';
import {
  F_ERRORS,
  F_FAIL_FAST,
  F_PORT,
  F_STAR,
  type FuncRef,
  K_DEFINE,
  K_EXIT,
  K_FATAL,
  K_INIT_FAILED,
  K_RESULT,
  K_TASK,
  type PoolWorkerData,
} from './protocol.js';
import { beginTask, endTask } from './task-context.js';
import { Channel, R_HEAD, R_SLEEP, STARTED, T_HEAD, T_SLEEP, T_TAIL, ringDoorbell } from './task-channel.js';

const SPIN = 2000;
/**
 * The idle wait re-checks the ring this often: a notify to an `Atomics.waitAsync` waiter is
 * occasionally lost on Node 20 (seen a few times in 6 million one-item chunks: the ring full,
 * SLEEP cleared by the parent, the worker still asleep): that must cost a stall, never a hang.
 */
const IDLE_RECHECK_MS = 50;
const YIELD_MS = 8;
const decoder = new TextDecoder();

type Fn = (...args: unknown[]) => unknown;

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  x !== null &&
  (typeof x === 'object' || typeof x === 'function') &&
  typeof (x as { then?: unknown }).then === 'function';

/** Encodes a chunk's outcome; an unsendable value fails only its own item. */
function encodeResults(out: unknown[], failed: number[] | null): { flags: number; bytes: Uint8Array } {
  if (failed === null) {
    try {
      return { flags: 0, bytes: dumps(out, { path: 'result' }) };
    } catch {
      failed = [];
    }
  }
  try {
    return { flags: F_ERRORS, bytes: dumps([out, failed], { path: 'result' }) };
  } catch {
    const isFailed = new Set(failed);
    for (let i = 0; i < out.length; i++) {
      try {
        dumps(out[i], { path: `result[${i}]` });
      } catch (e) {
        out[i] = e;
        isFailed.add(i);
      }
    }
    const list = [...isFailed].sort((x, y) => x - y);
    try {
      return { flags: F_ERRORS, bytes: dumps([out, list]) };
    } catch (e) {
      // An error itself could not be sent: report each failure as a plain Error.
      for (const i of list) out[i] = new Error(String((out[i] as Error)?.message ?? out[i]), { cause: e });
      return { flags: F_ERRORS, bytes: dumps([out, list]) };
    }
  }
}

function encodeError(e: unknown): Uint8Array {
  try {
    return dumps(e);
  } catch {
    return dumps(new Error(String(e)));
  }
}

/** Runs a pool worker until it is told to exit: the body of the worker's entry module. */
export async function runPoolWorker(): Promise<void> {
  const parent = connectToParent();
  const data = parent.data as PoolWorkerData;
  enterChild(data.who);
  const chan = new Channel(data.channel);
  const { ctrl, tasks, results } = chan;
  const bell = new Int32Array(data.doorbell);
  const defs = new Map<number, FuncRef>();
  const fns = new Map<number, Fn>();

  // Payloads too big for the ring arrive as messages, in the order of their F_PORT records.
  const large: Uint8Array[] = [];
  let onLarge: (() => void) | null = null;
  const stopListening = parent.onMessage((m) => {
    large.push(m as Uint8Array);
    onLarge?.();
  });
  const nextLarge = async (): Promise<Uint8Array> => {
    while (large.length === 0) await new Promise<void>((r) => (onLarge = r));
    onLarge = null;
    return large.shift() as Uint8Array;
  };

  // An error thrown outside any task kills the worker (as in Python); tell the parent why first.
  process.on('uncaughtException', (err) => {
    try {
      process.stderr.write(`Exception in pool worker ${data.name}: ${err?.stack ?? String(err)}\n`);
      results.tryWrite(K_FATAL, 0, 0, 0, encodeError(err));
      ringDoorbell(bell);
    } finally {
      process.exit(1);
    }
  });

  const send = async (kind: number, flags: number, a: number, b: number, bytes: Uint8Array | undefined) => {
    if (bytes !== undefined && bytes.byteLength > results.maxPayload) {
      parent.post(
        bytes,
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? [bytes.buffer as ArrayBuffer]
          : [],
      );
      flags |= F_PORT;
      bytes = undefined;
    }
    while (!results.tryWrite(kind, flags, a, b, bytes)) {
      // The parent is behind: wait for it to free room (it wakes us when R_SLEEP is set).
      const head = Atomics.load(ctrl, R_HEAD);
      Atomics.store(ctrl, R_SLEEP, 1);
      if (!results.tryWrite(kind, flags, a, b, bytes)) await waitAsync(ctrl, R_HEAD, head, 50);
      else {
        Atomics.store(ctrl, R_SLEEP, 0);
        break;
      }
      Atomics.store(ctrl, R_SLEEP, 0);
    }
    ringDoorbell(bell);
  };

  if (data.initializer) {
    try {
      const init = (await loadFunction(data.initializer)) as Fn;
      const args = await loadsAsync<unknown[]>(data.initargs);
      const r = init(...args);
      if (isThenable(r)) await r;
    } catch (e) {
      await send(K_INIT_FAILED, 0, 0, 0, encodeError(e));
      stopListening();
      return;
    }
  }

  let done = 0;
  let lastYield = performance.now();
  for (;;) {
    let payload = tasks.next();
    if (payload === null) {
      for (let i = 0; i < SPIN && payload === null; i++) payload = tasks.next();
      if (payload === null) {
        const tail = Atomics.load(ctrl, T_TAIL);
        Atomics.store(ctrl, T_SLEEP, 1);
        if (tail === Atomics.load(ctrl, T_HEAD)) await waitAsync(ctrl, T_TAIL, tail, IDLE_RECHECK_MS);
        Atomics.store(ctrl, T_SLEEP, 0);
        lastYield = performance.now();
        continue;
      }
    }
    const { kind, flags, a, b } = tasks;
    if (kind === K_EXIT) {
      tasks.consume();
      break;
    }
    const bytes = flags & F_PORT ? await nextLarge() : payload;
    if (kind === K_DEFINE) {
      defs.set(a, JSON.parse(decoder.decode(bytes.slice())) as FuncRef);
      tasks.consume();
      continue;
    }
    if (kind !== K_TASK) throw new Error(`pool worker: unknown record kind ${kind}`);
    Atomics.add(ctrl, STARTED, 1);
    beginTask(ctrl, a);
    let items: unknown[] = [];
    let out: unknown[];
    let failed: number[] | null = null;
    let consumed = false;
    try {
      items = mayHoldReducers(bytes) ? await loadsAsync<unknown[]>(bytes) : loads<unknown[]>(bytes);
      tasks.consume();
      consumed = true;
      let fn = fns.get(b);
      if (fn === undefined) {
        const ref = defs.get(b);
        if (ref === undefined) throw new Error(`pool worker: function #${b} was never defined`);
        fn = (await loadFunction(ref)) as Fn;
        fns.set(b, fn);
      }
      const star = (flags & F_STAR) !== 0;
      const n = items.length;
      out = new Array(n);
      for (let i = 0; i < n; i++) {
        try {
          let r = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
          if (isThenable(r)) r = await r;
          out[i] = r;
        } catch (e) {
          out[i] = e;
          (failed ??= []).push(i);
          if (flags & F_FAIL_FAST) {
            out.length = i + 1;
            break;
          }
        }
      }
    } catch (e) {
      // The chunk could not be decoded or its function not imported: every item fails (the
      // parent gives the items missing from a short result the last error).
      if (!consumed) tasks.consume();
      out = [e];
      failed = [0];
    }
    endTask();
    const enc = encodeResults(out, failed);
    await send(K_RESULT, enc.flags, a, out.length, enc.bytes);
    if (data.maxTasks > 0 && ++done >= data.maxTasks) break;
    if (performance.now() - lastYield > YIELD_MS) {
      await new Promise<void>((r) => setImmediate(r));
      lastYield = performance.now();
    }
  }
  stopListening();
}
