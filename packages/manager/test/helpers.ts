import { getContext, type StartMethod } from '@multiproc/process';
import { startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach } from 'vitest';
import { type BaseManager, Manager, type SyncManager } from './api.js';

/** The fixture every worker of these tests runs (its operations: fixtures/child.mjs). */
export const CHILD = new URL('./fixtures/child.mjs', import.meta.url);

// Every child and manager a test starts is gone after it, pass or fail: children first (they
// hold connections to the managers).
const open: BaseManager[] = [];
afterEach(async () => {
  await stopChildren();
  for (const m of open.splice(0).reverse()) await m.shutdown();
});

export function track<M extends BaseManager>(m: M): M {
  open.push(m);
  return m;
}

/** A SyncManager whose server runs in `method`'s context (the default context's when omitted). */
export async function startManager(method?: StartMethod): Promise<SyncManager> {
  return track(await Manager(method === undefined ? {} : { context: getContext(method) }));
}

/**
 * One child (fixtures/child.mjs) under `method` per entry of `argsList`, each calling
 * `op(...args)`; resolves with the results once every child answered and was stopped.
 */
export async function runEach(method: StartMethod, op: string, argsList: unknown[][]): Promise<unknown[]> {
  const children = await Promise.all(argsList.map(() => startChild(CHILD, method)));
  try {
    return await Promise.all(children.map((c, i) => c.call(op, ...argsList[i])));
  } finally {
    await Promise.all(children.map((c) => c.terminate()));
  }
}

/** Polls `check` until it is true (bounded), for effects that travel asynchronously (decrefs). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
