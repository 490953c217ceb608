import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { childBootstrap } from '@multiproc/memory';
import { dumps } from '@multiproc/serialization';
import { afterEach } from 'vitest';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
const live = new Set<Worker>();
let nextId = 1;

export interface Child {
  worker: Worker;
  /** Runs `op` in the worker; resolves its result, rejects with the worker's error. */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  terminate(): Promise<void>;
}

/** Starts a fixture worker that joined this tree's memory (it imports @multiproc/sharedctypes from dist). */
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

export function startChildren(n: number): Promise<Child[]> {
  return Promise.all(Array.from({ length: n }, () => startChild()));
}

/** What a worker receives: the object serialized by the core, as a Queue or Process args carry it. */
export const wire = (x: unknown): Uint8Array => dumps(x);

afterEach(async () => {
  await Promise.all([...live].map((w) => w.terminate()));
  live.clear();
});
