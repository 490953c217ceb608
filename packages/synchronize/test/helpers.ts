import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { childBootstrap } from '@multiproc/memory';
import { dumps } from '@multiproc/serialization';
import { afterEach } from 'vitest';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
const live = new Set<Worker>();

export interface Child {
  worker: Worker;
  /** Runs `op` in the worker; resolves its value, rejects with an Error named as the worker's. */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Resolves once the worker has exited and its exit hooks were applied. */
  terminate(): Promise<void>;
}

let nextId = 1;

/** Starts a fixture worker that has joined this tree's memory. */
export async function startChild(): Promise<Child> {
  const { data, transferList, onExit } = childBootstrap();
  const worker = new Worker(fixture, { workerData: { memory: data }, transferList });
  live.add(worker);
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const exited = once(worker, 'exit').then(() => {
    onExit();
    live.delete(worker);
    for (const p of pending.values()) p.reject(new Error('worker exited'));
  });
  worker.on('error', (err) => {
    for (const p of pending.values()) p.reject(err);
  });
  worker.on(
    'message',
    (m: { id: number; ok: boolean; value?: unknown; error?: { name: string; message: string } }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.error!.message), { name: m.error!.name }));
    },
  );
  await once(worker, 'message');
  return {
    worker,
    call<T>(op: string, args?: Record<string, unknown>): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, op, args });
      });
    },
    async terminate() {
      await worker.terminate();
      await exited;
    },
  };
}

export async function startChildren(n: number): Promise<Child[]> {
  return Promise.all(Array.from({ length: n }, () => startChild()));
}

/** Serialized form of a primitive, as a worker receives it. */
export const wire = (x: unknown) => dumps(x);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it is true (bounded), for cross-thread states the test cannot await. */
export async function until(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(2);
  }
}

afterEach(async () => {
  await Promise.all([...live].map((w) => w.terminate()));
  live.clear();
});

/** Reads word `index` of a primitive's shared state (white-box checks of who sleeps). */
export function word(prim: object, index: number): number {
  const { _i32, _off } = prim as unknown as { _i32: Int32Array; _off: number };
  return Atomics.load(_i32, _off + index);
}
