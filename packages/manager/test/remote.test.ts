import { connect } from 'node:net';
import { Client } from '@multiproc/pipe';
import { dumps, loads } from '@multiproc/serialization';
import { describeEachMethod } from '@multiproc/test-utils';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, BaseManager, ManagerError } from './api.js';
import { type AnyProxy, CounterManager } from './fixtures/workers.mjs';
import { runEach, track } from './helpers.js';

type Tcp = { host: string; port: number };

async function startRemote(options: { maxMessageSize?: number } = {}): Promise<BaseManager> {
  const m = track(
    new CounterManager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'secret', ...options }),
  );
  await m.start();
  return m;
}

/** The client side of a remote manager: it registers the typeid without a callable. */
class RemoteClient extends BaseManager {}
RemoteClient.register('Counter');

describe('remote managers over TCP', () => {
  it('binds 127.0.0.1 and serves a client that connects with the right key', async () => {
    const server = await startRemote();
    const address = server.address as Tcp;
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    const client = track(new RemoteClient({ address, authkey: 'secret' }));
    await client.connect();
    const c = await client.create<AnyProxy>('Counter', 1);
    expect(await c.increment()).toBe(2);
    await client.shutdown(); // closes this side only
    const again = await server.create<AnyProxy>('Counter', 5);
    expect(await again.value()).toBe(5);
  });

  it('a wrong key is an AuthenticationError, and the server keeps serving', async () => {
    const server = await startRemote();
    const bad = track(new RemoteClient({ address: server.address as Tcp, authkey: 'wrong' }));
    await expect(bad.connect()).rejects.toThrow(AuthenticationError);
    const good = track(new RemoteClient({ address: server.address as Tcp, authkey: 'secret' }));
    await good.connect();
    expect(await (await good.create<AnyProxy>('Counter', 3)).value()).toBe(3);
  });

  it('connecting where no server runs is a clear error', async () => {
    const server = await startRemote();
    const address = server.address as Tcp;
    await server.shutdown();
    const late = track(new RemoteClient({ address, authkey: 'secret' }));
    await expect(late.connect()).rejects.toThrow(ManagerError);
    await expect(late.connect()).rejects.toThrow(/not running/);
  });

  it('survives garbage: unauthenticated bytes, malformed, truncated and oversized frames', async () => {
    const server = await startRemote({ maxMessageSize: 4096 });
    const address = server.address as Tcp;
    const c = await server.create<AnyProxy>('Counter', 0);

    // 1. Raw garbage before the handshake: dropped.
    await new Promise<void>((resolve) => {
      const s = connect(address.port, address.host, () =>
        s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'.repeat(50))),
      );
      s.resume(); // read (and drop) what the server sends, so its hang-up is seen
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    // 2. Authenticated, then a frame that is not a serialized batch: told so, then dropped.
    const conn = await Client(address, { authkey: 'secret' });
    conn.sendBytes(new TextEncoder().encode('definitely not a request'));
    const fault = loads<[number, number, string][]>(await conn.recvBytes());
    expect(fault[0][0]).toBe(0);
    expect(fault[0][2]).toMatch(/malformed/);
    await expect(conn.recvBytes()).rejects.toThrow();
    // 3. A well-formed batch with a bad request gets an error reply, and the connection lives.
    const conn2 = await Client(address, { authkey: 'secret' });
    conn2.sendBytes(dumps([[1, 99]]));
    const reply = loads<[number, number, Error][]>(await conn2.recvBytes());
    expect(reply[0][0]).toBe(1);
    expect(reply[0][2].message).toMatch(/unknown request op/);
    conn2.sendBytes(dumps([[2, 0, 123456, 'get', []]]));
    expect(loads<[number, number, Error][]>(await conn2.recvBytes())[0][2].message).toMatch(
      /no shared object/,
    );
    conn2.close();
    // 4. Oversized frame (over maxMessageSize): dropped before it is buffered.
    const conn3 = await Client(address, { authkey: 'secret', maxMessageSize: 1 << 20 });
    conn3.sendBytes(new Uint8Array(100_000));
    await expect(conn3.recvBytes()).rejects.toThrow();
    // 5. Truncated frame: a header announcing more bytes than ever come, then hang-up.
    await new Promise<void>((resolve) => {
      const s = connect(address.port, address.host, () => {
        const head = Buffer.alloc(4);
        head.writeInt32BE(200);
        s.end(Buffer.concat([head, Buffer.from('short')]));
      });
      s.resume(); // read (and drop) what the server sends, so its hang-up is seen
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    // Other clients were never affected.
    expect(await c.increment()).toBe(1);
    await runEach('thread', 'bump', [[c, 3]]);
    expect(await c.value()).toBe(4);
  });
});

describeEachMethod((method) => {
  it('getServer().serveForever() serves in this thread, to this thread and to workers, until shutdown', async () => {
    const m = new CounterManager({ authkey: 'k2' });
    const server = m.getServer();
    const serving = server.serveForever();
    await server.ready;
    expect((m.address as Tcp).port).toBe((server.address as Tcp).port);
    const c = await m.create<AnyProxy>('Counter', 0);
    await c.increment();
    await runEach(method, 'bump', [[c, 2]]);
    expect(await c.value()).toBe(3);
    await m.shutdown();
    await serving;
  });
});
