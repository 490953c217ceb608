import { afterEach } from 'vitest';
import { type BaseManager, Manager, type SyncManager } from './api.js';

// Every manager a test starts is shut down after it, pass or fail.
const open: BaseManager[] = [];
afterEach(async () => {
  for (const m of open.splice(0).reverse()) await m.shutdown();
});

export function track<M extends BaseManager>(m: M): M {
  open.push(m);
  return m;
}

export async function startManager(): Promise<SyncManager> {
  return track(await Manager());
}

/** Polls `check` until it is true (bounded), for effects that travel asynchronously (decrefs). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
