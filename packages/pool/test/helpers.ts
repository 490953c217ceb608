import type { StartMethod } from '@multiproc/process';
import { afterEach } from 'vitest';
import { Pool, type PoolOptions } from '../dist/index.js';

const pools: Pool[] = [];

/**
 * A pool that afterEach terminates. `method` ('thread' | 'spawn') becomes its `context`; without
 * it the pool takes the default context's start method ('thread').
 */
export function makePool(opts: PoolOptions | number = 2, method?: StartMethod): Pool {
  const o: PoolOptions = typeof opts === 'number' ? { processes: opts } : opts;
  const p = new Pool(method === undefined ? o : { ...o, context: method });
  pools.push(p);
  return p;
}

afterEach(async () => {
  for (const p of pools.splice(0)) {
    p.terminate();
    await p.join();
  }
});

export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** Polls `check` every 10 ms until it is true; throws after `ms` (a bug fails, never hangs). */
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True while a process with this pid exists (and is not yet reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
