import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../src/client.js';
import { FrameError } from '../src/framing.js';
import { Listener } from '../src/listener.js';
import {
  BrokenPipeError,
  BufferTooShort,
  ClosedError,
  EOFError,
  MessageTooLongError,
} from '../src/errors.js';
import type { SocketConnection } from '../src/socket-connection.js';

// Everything a test opens is closed after it, pass or fail.
const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => {
  open.push(x);
  return x;
};
afterEach(() => {
  for (const x of open.splice(0).reverse()) x.close();
});

async function pair(listener: Listener, options = {}): Promise<[SocketConnection, SocketConnection]> {
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, options)]);
  return [track(server), track(client)];
}

function rawSocket(address: { host: string; port: number } | { path: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(address as { port: number }, () => resolve(s));
    s.on('error', reject);
    track({ close: () => s.destroy() });
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Listener / Client without authkey', () => {
  it('binds 127.0.0.1 on a free port and exchanges values both ways', async () => {
    const listener = track(await Listener.create());
    const address = listener.address as { host: string; port: number };
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    const [server, client] = await pair(listener);
    client.send({ op: 'add', args: [1, 2n], when: new Date(0) });
    expect(await server.recv()).toEqual({ op: 'add', args: [1, 2n], when: new Date(0) });
    server.send(['ok', null]);
    expect(await client.recv()).toEqual(['ok', null]);
    expect(listener.lastAccepted?.host).toBe('127.0.0.1');
    expect([client.readable, client.writable, client.closed]).toEqual([true, true, false]);
  });

  it('address throws a clear error before the port is bound, and works after `ready`', async () => {
    const listener = track(new Listener());
    expect(() => listener.address).toThrow(/await listener.ready/);
    await listener.ready;
    expect((listener.address as { port: number }).port).toBeGreaterThan(0);
  });

  it('sendBytes / recvBytes / recvBytesInto with offsets, and BufferTooShort', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    const buf = bytes('xxhello worldxx');
    client.sendBytes(buf, 2, 11);
    buf.fill(0); // sendBytes copied: reusing the buffer at once is safe
    expect(text(await server.recvBytes())).toBe('hello world');

    client.sendBytes(bytes('abc'));
    const into = new Uint8Array(8);
    expect(await server.recvBytesInto(into, 4)).toBe(3);
    expect(text(into.subarray(4, 7))).toBe('abc');

    client.sendBytes(bytes('too long for it'));
    const err = await server.recvBytesInto(new Uint8Array(4)).catch((e) => e);
    expect(err).toBeInstanceOf(BufferTooShort);
    expect(text(err.data)).toBe('too long for it');

    client.sendBytes(new Uint8Array(0));
    expect((await server.recvBytes()).byteLength).toBe(0);
    expect(() => client.sendBytes(bytes('abc'), 2, 5)).toThrow(RangeError);
  });

  it('passes a 10 MiB message intact', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
    client.sendBytes(big);
    client.send({ big });
    const got = await server.recvBytes();
    expect(got.byteLength).toBe(big.length);
    expect(Buffer.compare(got, big)).toBe(0);
    const obj = await server.recv<{ big: Uint8Array }>();
    expect(Buffer.compare(obj.big, big)).toBe(0);
  });

  it('delivers many messages in order, to concurrent recv calls too', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    const N = 20_000;
    for (let i = 0; i < N; i++) client.send(i);
    const first = await Promise.all([server.recv(), server.recv(), server.recv()]);
    expect(first).toEqual([0, 1, 2]);
    for (let i = 3; i < N; i++) {
      const v = await server.recv();
      if (v !== i) expect(v).toBe(i);
    }
    expect(await server.poll()).toBe(false);
  });

  it('a slow reader pushes back on the sender (48 MiB queued) and loses nothing', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < 48; i++) client.sendBytes(chunk.fill(i));
    await new Promise((r) => setTimeout(r, 100)); // let the reader fill up and pause
    for (let i = 0; i < 48; i++) {
      const got = await server.recvBytes();
      if (got.byteLength !== chunk.length || got[0] !== i || got[got.length - 1] !== i) {
        expect([i, got.byteLength, got[0]]).toEqual([i, chunk.length, i]);
      }
    }
  });

  it('concurrent accept() calls each get their own client', async () => {
    const listener = track(await Listener.create());
    const accepts = [listener.accept(), listener.accept(), listener.accept()];
    const clients = await Promise.all([0, 1, 2].map(() => Client(listener.address).then(track)));
    const servers = (await Promise.all(accepts)).map(track);
    for (const [i, c] of clients.entries()) c.send(i);
    const got = await Promise.all(servers.map((s) => s.recv()));
    expect(got.sort()).toEqual([0, 1, 2]);
  });

  it('reads what is left after the peer closed, then EOFError (poll says true at EOF)', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    client.send('one');
    client.send('two');
    client.close();
    expect(client.closed).toBe(true);
    expect(await server.recv()).toBe('one');
    expect(await server.recv()).toBe('two');
    await expect(server.recv()).rejects.toBeInstanceOf(EOFError);
    expect(await server.poll(null)).toBe(true);
    await expect(server.recvBytes()).rejects.toThrow(/peer closed/);
    expect(() => server.send('x')).toThrow(BrokenPipeError);
    await expect(client.recv()).rejects.toBeInstanceOf(ClosedError);
  });

  it('poll waits with a timeout; recv and poll honour AbortSignal without losing a message', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    expect(await server.poll(20)).toBe(false);
    const ac = new AbortController();
    const pending = server.recv({ signal: ac.signal });
    ac.abort();
    const idle = new AbortController();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(await server.poll({ signal: idle.signal })).toBe(false); // omitted timeout: 0, as Python
    const polled = server.poll({ timeout: null, signal: new AbortController().signal });
    client.send('kept');
    expect(await polled).toBe(true);
    expect(await server.recv()).toBe('kept');
  });

  it('the Sync forms throw and point to the async ones', async () => {
    const listener = track(await Listener.create());
    const [server] = await pair(listener);
    expect(() => server.recvSync()).toThrow(/await conn.recv\(\)/);
    expect(() => server.pollSync()).toThrow(/await conn.poll\(\)/);
    expect(() => server.recvBytesSync()).toThrow(/await conn.recvBytes\(\)/);
  });

  it('works on a Unix socket path and removes the file on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-listener-'));
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const path = join(dir, 'sock');
    const listener = track(new Listener({ address: { path }, authkey: 'k' }));
    expect(listener.address).toEqual({ path }); // known before the bind completes
    const [server, client] = await pair(listener, { authkey: 'k' });
    client.send('over unix');
    expect(await server.recv()).toBe('over unix');
    listener.close();
    await expect(Client({ path })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a garbage stream fails that connection only; the listener serves the next client', async () => {
    const listener = track(await Listener.create());
    const raw = await rawSocket(listener.address as { host: string; port: number });
    const victim = track(await listener.accept());
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])); // length -16: malformed
    await expect(victim.recv()).rejects.toBeInstanceOf(FrameError);
    const [server, client] = await pair(listener);
    client.send('still serving');
    expect(await server.recv()).toBe('still serving');
  });

  it('refuses a frame over maxMessageSize before buffering it, and a truncated frame is EOF', async () => {
    const listener = track(await Listener.create({ maxMessageSize: 1024 }));
    const [server, client] = await pair(listener, { maxMessageSize: 1 << 20 });
    client.sendBytes(new Uint8Array(1000));
    client.sendBytes(new Uint8Array(5000));
    expect((await server.recvBytes()).byteLength).toBe(1000);
    const err = await server.recvBytes().catch((e) => e);
    expect(err).toBeInstanceOf(FrameError);
    expect(err.message).toMatch(/5000-byte message, over maxMessageSize \(1024/);
    expect(server.closed).toBe(false); // broken stream: reads fail, close() is still the caller's

    const raw = await rawSocket(listener.address as { host: string; port: number });
    const victim = track(await listener.accept());
    raw.end(Buffer.from([0, 0, 0, 100, 1, 2, 3])); // announces 100 bytes, sends 3, hangs up
    await expect(victim.recv()).rejects.toThrow(/middle of a message \(3 of 100 bytes/);

    const [server2, client2] = await pair(listener);
    client2.sendBytes(bytes('next'));
    expect(text(await server2.recvBytes())).toBe('next');
    expect(() => server2.sendBytes(new Uint8Array(2000))).toThrow(/over maxMessageSize \(1024 bytes\)/);
  });

  it('recvBytes(maxlength) refuses a longer message and leaves it to read', async () => {
    const listener = track(await Listener.create());
    const [server, client] = await pair(listener);
    const early = server.recvBytes(10); // parked before the message arrives
    client.sendBytes(new Uint8Array(100));
    await expect(early).rejects.toBeInstanceOf(MessageTooLongError);
    await expect(server.recvBytes(99)).rejects.toThrow(/100 bytes, more than maxlength 99/);
    expect((await server.recvBytes(100)).byteLength).toBe(100);
  });

  it('close() rejects a pending accept; connecting to a closed port is refused', async () => {
    const listener = new Listener();
    await listener.ready;
    const address = listener.address;
    const pending = listener.accept();
    listener.close();
    await expect(pending).rejects.toThrow(/listener is closed/);
    await expect(listener.accept()).rejects.toThrow(/listener is closed/);
    await expect(Client(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('supports `using` / `await using`', async () => {
    let conn: SocketConnection;
    {
      await using listener = await Listener.create();
      const [server, client] = await Promise.all([listener.accept(), Client(listener.address)]);
      await using c = client;
      using s = server;
      c.send(1);
      expect(await s.recv()).toBe(1);
      conn = c;
    }
    expect(conn.closed).toBe(true);
  });
});
