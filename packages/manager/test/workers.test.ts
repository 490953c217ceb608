import { Process } from '@multiproc/process';
import { describe, expect, it } from 'vitest';
import { ListProxy } from './api.js';
import {
  appendTo,
  barrierParty,
  decrement,
  makeMpQueue,
  pingPong,
  sendAndDrop,
  takeAndUse,
  takeFromMpQueue,
  useNested,
} from './fixtures/workers.mjs';
import { eventually, startManager } from './helpers.js';

async function runAll(target: (...args: any[]) => unknown, argsList: unknown[][]): Promise<Process[]> {
  const ps = argsList.map((args) => new Process({ target, args }));
  await Promise.all(ps.map((p) => p.start()));
  await Promise.all(ps.map((p) => p.join(30_000)));
  for (const p of ps) expect(p.exitcode).toBe(0);
  return ps;
}

describe('proxies in workers', () => {
  it('the seed scenario: 20 workers decrement d.count under a manager Lock, exactly', async () => {
    const m = await startManager();
    const d = await m.dict({ count: 100 });
    const lock = await m.Lock();
    await runAll(
      decrement,
      Array.from({ length: 20 }, () => [d, lock]),
    );
    expect(await d.get('count')).toBe(80);
  });

  it('a proxy passed as a Process arg reconnects in the worker', async () => {
    const m = await startManager();
    const l = await m.list();
    await runAll(appendTo, [
      [l, 'a'],
      [l, 'b'],
    ]);
    expect((await l.copy()).sort()).toEqual(['a', 'b']);
  });

  it('proxies travel through a manager Queue, and survive their sender dropping its copy', async () => {
    const m = await startManager();
    const q = await m.Queue();
    const d = await m.dict();
    const relay = await m.Queue();
    // A worker puts the proxy into `relay` and closes its copy at once; another uses it.
    await runAll(sendAndDrop, [[relay, d]]);
    const arrived = await relay.get();
    await q.put(arrived);
    await runAll(takeAndUse, [[q]]);
    expect(await d.get('seen')).toBe(true);
  });

  it('proxies travel through a multiproc (shared-memory) Queue', async () => {
    const m = await startManager();
    const l = await m.list();
    const q = makeMpQueue();
    await q.put(l);
    await runAll(takeFromMpQueue, [[q]]);
    expect(await l.copy()).toEqual(['from-mp-queue']);
    q.close();
  });

  it('nested proxies: a list stored in a dict stays a proxy', async () => {
    const m = await startManager();
    const d = await m.dict();
    const inner = await m.list(['from-parent']);
    await d.set('inner', inner);
    inner.close(); // the dict's copy keeps the list alive
    await runAll(useNested, [[d]]);
    const again = await d.get('inner');
    expect(again).toBeInstanceOf(ListProxy);
    expect(await (again as ListProxy).copy()).toEqual(['from-parent', 'from-worker']);
  });

  it('Events and Barriers coordinate workers', async () => {
    const m = await startManager();
    const ev1 = await m.Event();
    const ev2 = await m.Event();
    const p = new Process({ target: pingPong, args: [ev1, ev2] });
    await p.start();
    await ev1.set();
    expect(await ev2.wait(20_000)).toBe(true);
    await p.join(20_000);
    const b = await m.Barrier(3);
    const l = await m.list();
    await runAll(barrierParty, [
      [b, l],
      [b, l],
      [b, l],
    ]);
    expect((await l.copy()).sort()).toEqual([0, 1, 2]);
  });

  it('references of an exited worker are released; sent proxies are freed once closed everywhere', async () => {
    const m = await startManager();
    const base = (await m.info()).objects;
    const l = await m.list();
    await runAll(appendTo, [[l, 1]]);
    // The worker's connection dropped: its reference is gone, ours remains.
    await eventually(async () => (await m.info()).connections <= 2);
    expect((await m.info()).objects).toBe(base + 1);
    l.close();
    await eventually(async () => (await m.info()).objects === base);
    expect((await m.info()).holds).toBe(0);
  });
});
