import { execFile } from 'node:child_process';
import { Client, Pipe } from '@multiproc/pipe';
import { Process } from '@multiproc/process';
import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, type ConnectionInfo } from './api.js';
import { callForever, hammer, reportConnection } from './fixtures/fast.mjs';
import { type AnyProxy, CounterManager } from './fixtures/workers.mjs';
import { eventually, startManager, track } from './helpers.js';

type Tcp = { host: string; port: number };
const OP_LOCAL = 9;
const OP_ATTACH = 10;
const R_RETURN = 0;
const R_ERROR = 1;

async function runAll(target: (...args: any[]) => unknown, argsList: unknown[][]): Promise<void> {
  const ps = argsList.map((args) => new Process({ target, args }));
  await Promise.all(ps.map((p) => p.start()));
  await Promise.all(ps.map((p) => p.join(30_000)));
  for (const p of ps) expect(p.exitcode).toBe(0);
}

describe('the shared-memory fast path', () => {
  it('a worker of the tree (and the parent) call through shared memory', async () => {
    const m = await startManager();
    const d = await m.dict();
    expect(d._connectionInfo().kind).toBe('shared-memory');
    const [reader, writer] = Pipe({ duplex: false });
    const p = new Process({ target: reportConnection, args: [d, writer] });
    await p.start();
    writer.close();
    const report = await reader.recv<{ info: ConnectionInfo; value: number }>();
    await p.join(30_000);
    expect(report.value).toBe(4);
    expect(report.info.kind).toBe('shared-memory');
    expect(report.info.framesSent).toBeGreaterThanOrEqual(5); // the claim rides with the first call
    expect((await m.info()).sharedMemory).toBeGreaterThanOrEqual(1);
  });

  it('many concurrent callers, one at a time and pipelined: nothing lost, order kept per worker', async () => {
    const m = await startManager();
    const l = await m.list();
    const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
    await runAll(
      hammer,
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
    const m = await startManager();
    const d = await m.dict();
    const started = await m.Event();
    const before = (await m.info()).connections;
    const p = new Process({ target: callForever, args: [d, started] });
    await p.start();
    expect(await started.wait(20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // calls in flight, in both directions
    p.terminate();
    await p.join(20_000);
    expect(p.exitcode).toBe(-15);
    expect(await d.get('started')).toBe(true);
    const l = await m.list();
    await runAll(hammer, [
      [l, 'x', 40],
      [l, 'y', 40],
    ]);
    expect(await l.len()).toBe(80);
    // The dead worker's connection (and its references) are gone.
    await eventually(async () => (await m.info()).connections === before);
    expect((await m.info()).sharedMemory).toBe(before);
  });

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
});
