import type { StartMethod } from '@multiproc/process';
import { type Child, startChild } from '@multiproc/test-utils';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);

/** Starts `n` fixture children under `method`, in parallel. */
export function startChildren(n: number, method: StartMethod): Promise<Child[]> {
  return Promise.all(Array.from({ length: n }, () => startChild(fixture, method)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it is true (bounded), for cross-worker states the test cannot await. */
export async function until(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(2);
  }
}

/** Reads word `index` of a primitive's shared state (white-box checks of who sleeps). */
export function word(prim: object, index: number): number {
  const { _i32, _off } = prim as unknown as { _i32: Int32Array; _off: number };
  return Atomics.load(_i32, _off + index);
}
