import { afterEach } from 'vitest';
import { Pool, type PoolOptions } from '../dist/index.js';

const pools: Pool[] = [];

/** A pool that afterEach terminates. */
export function makePool(opts: PoolOptions | number = 2): Pool {
  const p = new Pool(opts);
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
