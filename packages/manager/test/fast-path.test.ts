import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { osTreeId } from '@multiproc/memory';
import { Client, MessageRing } from '@multiproc/pipe';
import { describeEachMethod, startChild } from '@multiproc/test-utils';
import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it, vi } from 'vitest';
import { AuthenticationError, type ConnectionInfo, Manager, SyncManager } from './api.js';
import { type AnyProxy, CounterManager } from './fixtures/workers.mjs';
import { CHILD, eventually, runEach, startManager, track } from './helpers.js';

type Tcp = { host: string; port: number };
type Reply = [number, number, any][];
const OP_SHUTDOWN = 4;
const OP_LOCAL = 9;
const OP_ATTACH = 10;
const R_RETURN = 0;
const R_ERROR = 1;

/** One raw connection that moves to shared memory, as a proxy's does: its rings' block ids. */
async function attachOnce(m: SyncManager, authkey: string): Promise<string[]> {
  const conn = await Client(m.address as Tcp, { authkey });
  try {
    conn.sendBytes(dumps([[1, OP_LOCAL]]));
    expect(loads<Reply>(await conn.recvBytes())[0][1]).toBe(R_RETURN);
    conn.sendBytes(dumps([[2, OP_ATTACH]]));
    const [[, kind, handles]] = loads<Reply>(await conn.recvBytes());
    expect(kind).toBe(R_RETURN);
    return [handles.requests.id, handles.replies.id];
  } finally {
    conn.close();
  }
}

/**
 * Sets and gets `n` bytes through a new dict of `m`, whose connection from this thread is made
 * here (over a quarter of a ring's 16 KiB: spill blocks both ways): the block ids of its rings.
 */
async function bigRoundTrip(m: SyncManager, n: number): Promise<string[]> {
  const attach = vi.spyOn(MessageRing, 'attach');
  try {
    const d = await m.dict();
    await d.set('big', new Uint8Array(n).fill(7));
    expect(((await d.get('big')) as Uint8Array).length).toBe(n);
    expect(d._connectionInfo().kind).toBe('shared-memory');
    const rings = attach.mock.results.map((r) => r.value as MessageRing);
    expect(rings).toHaveLength(2); // requests, replies
    const ids = rings.flatMap((r) => r.blocks().map((b) => b.id));
    expect(ids.length).toBeGreaterThanOrEqual(4); // the first blocks, and a spill block each
    return ids;
  } finally {
    attach.mockRestore();
  }
}

/** Waits until a worker that never saw them (nothing cached) finds none of `ids` in the tree. */
async function allReleased(method: Parameters<typeof runEach>[0], ids: string[]): Promise<void> {
  await eventually(async () => {
    const [found] = (await runEach(method, 'blocksFound', [[ids]])) as string[][];
    return found.length === 0;
  }, 30_000);
}

/** This tree's segments in /dev/shm (OS memory mode). */
const segments = () => readdirSync('/dev/shm').filter((n) => n.startsWith(`mp-${osTreeId()}-`)).length;

describe('the shared-memory fast path (in this process)', () => {
  it('a client outside the process tree stays on the socket, and the server serves both', async () => {
    const server = track(new CounterManager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'secret' }));
    await server.start();
    const local = await server.create<AnyProxy>('Counter', 0);
    await local.increment();
    expect(local._connectionInfo().kind).toBe('shared-memory');
    const script = new URL('./fixtures/remote-client.mjs', import.meta.url);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [script.pathname, JSON.stringify(server.address as Tcp), 'secret'],
        { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const report = JSON.parse(out.trim().split('\n').pop()!) as { info: ConnectionInfo; value: number };
    expect(report.info.kind).toBe('socket');
    expect(report.value).toBe(15);
    expect(await local.increment()).toBe(2);
  });

  it('rings only go to an authenticated client that asked in order', async () => {
    const server = track(new CounterManager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'secret' }));
    await server.start();
    const address = server.address as Tcp;
    await expect(Client(address, { authkey: 'wrong' })).rejects.toThrow(AuthenticationError);
    const conn = await Client(address, { authkey: 'secret' });
    conn.sendBytes(dumps([[1, OP_ATTACH]]));
    const refused = loads<[number, number, Error][]>(await conn.recvBytes());
    expect(refused[0][1]).toBe(R_ERROR);
    expect(refused[0][2].message).toMatch(/OP_LOCAL/);
    conn.sendBytes(dumps([[2, OP_LOCAL]]));
    const offer = loads<[number, number, Record<string, unknown>][]>(await conn.recvBytes());
    expect(offer[0][1]).toBe(R_RETURN);
    expect(Object.keys(offer[0][2]).sort()).toEqual(['name', 'nonce', 'osTree', 'pid']);
    conn.close();
    // The server is unharmed.
    const c = await server.create<AnyProxy>('Counter', 1);
    expect(await c.increment()).toBe(2);
  });

  it('fastPath: false keeps every connection on its socket', async () => {
    const m = track(await Manager({ fastPath: false }));
    const d = await m.dict();
    await d.set('a', 1);
    expect(d._connectionInfo().kind).toBe('socket');
    const [report] = (await runEach('thread', 'connectionReport', [[d]])) as { info: ConnectionInfo }[];
    expect(report.info.kind).toBe('socket');
    expect((await m.info()).sharedMemory).toBe(0);
  });
});

describeEachMethod((method) => {
  it('a worker of the tree (and the parent) call through shared memory', async () => {
    const m = await startManager(method);
    const d = await m.dict();
    expect(d._connectionInfo().kind).toBe('shared-memory');
    const [report] = (await runEach(method, 'connectionReport', [[d]])) as {
      info: ConnectionInfo;
      value: number;
    }[];
    expect(report.value).toBe(4);
    expect(report.info.kind).toBe('shared-memory');
    expect(report.info.framesSent).toBeGreaterThanOrEqual(5); // the claim rides with the first call
  });

  it('many concurrent callers, one at a time and pipelined: nothing lost, order kept per worker', async () => {
    const m = await startManager(method);
    const l = await m.list();
    const tags = method === 'spawn' ? ['a', 'b', 'c'] : ['a', 'b', 'c', 'd', 'e', 'f'];
    await runEach(
      method,
      'hammer',
      tags.map((tag) => [l, tag, 200]),
    );
    const all = (await l.copy()) as string[];
    expect(all).toHaveLength(tags.length * 200);
    for (const tag of tags) {
      const mine = all.filter((x) => x.startsWith(`${tag}:`)).map((x) => Number(x.split(':')[1]));
      expect(mine).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
  });

  it('a client worker terminated mid-call harms neither the server nor other clients', async () => {
    const m = await startManager(method);
    const d = await m.dict();
    const started = await m.Event();
    const before = (await m.info()).connections;
    const child = await startChild(CHILD, method);
    void child.call('callForever', d, started).catch(() => {}); // never answers: it is killed
    expect(await started.wait(20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // calls in flight, in both directions
    expect(await child.terminate()).not.toBe(0);
    expect(await d.get('started')).toBe(true);
    const l = await m.list();
    await runEach(method, 'hammer', [
      [l, 'x', 40],
      [l, 'y', 40],
    ]);
    expect(await l.len()).toBe(80);
    // The dead worker's connection (and its references) are gone.
    await eventually(async () => (await m.info()).connections === before);
    expect((await m.info()).sharedMemory).toBe(before);
  });

  it("a closed connection's rings are released (issue #6)", async () => {
    const m = track(await Manager({ context: method, authkey: 'secret' }));
    const { connections } = await m.info(); // this thread's own connection
    await attachOnce(m, 'secret'); // the server's doorbell and token exist from now on
    await eventually(async () => (await m.info()).connections === connections);
    const before = method === 'spawn' ? segments() : 0;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await attachOnce(m, 'secret')));
    await eventually(async () => (await m.info()).connections === connections);
    if (method === 'spawn') expect(segments()).toBe(before); // no /dev/shm names left behind
    // And a worker that never saw them (nothing cached) cannot find them in the tree.
    expect(await runEach(method, 'blocksFound', [[ids]])).toEqual([[]]);
  });

  it("a closed connection's spill blocks and grown segments are released too", async () => {
    const m = track(await Manager({ context: method, authkey: 'secret' }));
    const ids = await bigRoundTrip(m, 300_000);
    // This thread's connection closes first (a connected manager's shutdown closes only that):
    // the server, last to let go, releases what either side allocated.
    const c = new SyncManager({ address: m.address, authkey: 'secret' });
    await c.connect();
    await c.shutdown();
    await allReleased(method, ids);
    const d = await m.dict(); // the server is unharmed
    await d.set('big', new Uint8Array(300_000));
    expect(((await d.get('big')) as Uint8Array).length).toBe(300_000);
  });

  it("a connection's blocks are released when its server goes away first", async () => {
    const m = track(await Manager({ context: method, authkey: 'secret' }));
    const ids = await bigRoundTrip(m, 300_000);
    // Another client shuts the server down: this thread's connection sees EOF and releases.
    const conn = await Client(m.address as Tcp, { authkey: 'secret' });
    try {
      conn.sendBytes(dumps([[1, OP_SHUTDOWN]]));
      expect(loads<Reply>(await conn.recvBytes())[0][1]).toBe(R_RETURN);
    } finally {
      conn.close();
    }
    await m.join(20_000);
    await allReleased(method, ids);
  });
});
