import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { childBootstrap } from '@multiproc/memory';
import { dumps } from '@multiproc/serialization';

export interface Started {
  worker: Worker;
  /** The value the op returned (rejects if the worker failed). */
  result: Promise<unknown>;
  /** Resolves with the exit code once the worker is gone (and its exit hooks applied). */
  exited: Promise<number>;
}

const live = new Set<Worker>();

/** Starts the fixture worker on `op(...args)`; args go through dumps, so ends travel as handles. */
export function start(fixture: URL, op: string, ...args: unknown[]): Started {
  const { data, transferList, onExit } = childBootstrap();
  const worker = new Worker(fixture, { workerData: { memory: data, op, args: dumps(args) }, transferList });
  live.add(worker);
  const exited = new Promise<number>((resolve) => {
    worker.on('exit', (code) => {
      onExit();
      live.delete(worker);
      resolve(code);
    });
  });
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m && typeof m === 'object' && 'result' in m) resolve(m.result);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited (${code}) before answering`)));
  });
  result.catch(() => {});
  return { worker, result, exited };
}

export async function firstMessage(w: Worker): Promise<unknown> {
  const [m] = await once(w, 'message');
  return m;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.terminate()));
}
