import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  answerChallenge,
  deliverChallenge,
  type HandshakeChannel,
} from '../src/auth.js';
import { Client } from '../src/client.js';
import { FrameError } from '../src/framing.js';
import { Listener } from '../src/listener.js';

const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => {
  open.push(x);
  return x;
};
afterEach(() => {
  for (const x of open.splice(0).reverse()) x.close();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
type Tcp = { host: string; port: number };

/** An in-memory channel: records what is sent, replays scripted replies. */
function fakeChannel(
  replies: ((sent: Uint8Array[]) => Uint8Array)[],
): HandshakeChannel & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    sendBytes: (b) => void sent.push(Uint8Array.from(b)),
    recvBytes: async () => replies.shift()!(sent),
  };
}

describe('mutual HMAC challenge', () => {
  it('right key: both ends authenticate (string and bytes keys are the same key)', async () => {
    const listener = track(await Listener.create({ authkey: 'sésame' }));
    const [server, client] = await Promise.all([
      listener.accept(),
      Client(listener.address, { authkey: bytes('sésame') }),
    ]);
    track(server);
    track(client);
    client.send('after auth');
    server.send({ reply: true });
    expect(await server.recv()).toBe('after auth');
    expect(await client.recv()).toEqual({ reply: true });
  });

  it('wrong key: AuthenticationError on both sides, and the listener accepts the next good client', async () => {
    const listener = track(await Listener.create({ authkey: 'right' }));
    const [accepted, connected] = await Promise.allSettled([
      listener.accept(),
      Client(listener.address, { authkey: 'wrong' }),
    ]);
    expect(accepted.status).toBe('rejected');
    expect(connected.status).toBe('rejected');
    const serverErr = (accepted as PromiseRejectedResult).reason;
    const clientErr = (connected as PromiseRejectedResult).reason;
    expect(serverErr).toBeInstanceOf(AuthenticationError);
    expect(serverErr.message).toMatch(/wrong digest/);
    expect(clientErr).toBeInstanceOf(AuthenticationError);
    expect(clientErr.message).toMatch(/rejected our digest/);

    const [server, client] = await Promise.all([
      listener.accept(),
      Client(listener.address, { authkey: 'right' }),
    ]);
    track(server);
    track(client);
    client.send(42);
    expect(await server.recv()).toBe(42);
  });

  it('the listener proves its key too: a client refuses a listener that does not hold the key', async () => {
    // A rogue listener: welcomes whatever the client answers, then cannot answer the client's
    // own challenge because it does not know the key.
    const listener = track(await Listener.create());
    const rogue = listener.accept().then(async (conn) => {
      track(conn);
      conn.sendBytes(Buffer.concat([Buffer.from('#CHALLENGE#{sha256}'), Buffer.alloc(40, 9)]));
      await conn.recvBytes(256);
      conn.sendBytes(bytes('#WELCOME#'));
      return answerChallenge(conn, Buffer.from('guess')).catch((e) => e);
    });
    const err = await Client(listener.address, { authkey: 'key' }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/wrong digest/);
    expect(await rogue).toBeInstanceOf(AuthenticationError); // it got #FAILURE#
  });

  it('a client without a key times out the handshake; a key-less listener makes a keyed client fail', async () => {
    const keyed = track(await Listener.create({ authkey: 'k', authTimeout: 300 }));
    const plain = track(await Client(keyed.address));
    const err = await keyed.accept().catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/did not complete the authentication handshake within 300 ms/);
    plain.close();

    const open = track(await Listener.create());
    const served = open.accept().then((conn) => track(conn).sendBytes(bytes('hello, no challenge here')));
    await expect(Client(open.address, { authkey: 'k' })).rejects.toThrow(
      /expected an authentication challenge/,
    );
    await served;
  });

  it('garbage or an oversized frame before auth: accept rejects, the listener survives', async () => {
    const listener = track(await Listener.create({ authkey: 'k' }));
    for (const garbage of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x00\x00\x01\x01' + 'x'.repeat(257)]) {
      const raw = connect(listener.address as Tcp);
      raw.on('error', () => {});
      track({ close: () => raw.destroy() });
      raw.write(garbage);
      const err = await listener.accept().catch((e) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err.cause).toBeInstanceOf(FrameError);
      expect(err.message).toMatch(/during the authentication handshake/);
    }
    const [server, client] = await Promise.all([
      listener.accept(),
      Client(listener.address, { authkey: 'k' }),
    ]);
    track(server);
    track(client);
    server.send('alive');
    expect(await client.recv()).toBe('alive');
  });

  it('speaks the modern protocol: {sha256} challenge of 40 bytes, prefixed sha256 answer', async () => {
    const key = Buffer.from('key');
    const deliverer = fakeChannel([
      (sent) => {
        const message = Buffer.from(sent[0]!).subarray('#CHALLENGE#'.length);
        expect(message.subarray(0, 8).toString()).toBe('{sha256}');
        expect(message.length).toBe(8 + 40);
        return Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', key).update(message).digest()]);
      },
    ]);
    await deliverChallenge(deliverer, key);
    expect(text(deliverer.sent[1]!)).toBe('#WELCOME#');

    const message = Buffer.concat([Buffer.from('{sha256}'), Buffer.alloc(40, 7)]);
    const answerer = fakeChannel([
      () => Buffer.concat([Buffer.from('#CHALLENGE#'), message]),
      () => bytes('#WELCOME#'),
    ]);
    await answerChallenge(answerer, key);
    const expected = Buffer.concat([
      Buffer.from('{sha256}'),
      createHmac('sha256', key).update(message).digest(),
    ]);
    expect(Buffer.from(answerer.sent[0]!).equals(expected)).toBe(true);

    // A 20-byte challenge is a Python <= 3.11 listener: bare HMAC-MD5 answer.
    const legacy = Buffer.alloc(20, 1);
    const old = fakeChannel([
      () => Buffer.concat([Buffer.from('#CHALLENGE#'), legacy]),
      () => bytes('#WELCOME#'),
    ]);
    await answerChallenge(old, key);
    expect(Buffer.from(old.sent[0]!).equals(createHmac('md5', key).update(legacy).digest())).toBe(true);
  });
});

// ---- interop with the real CPython on this machine ----

const python = spawnSync('python3', ['-c', 'import sys; print(sys.version)'], { encoding: 'utf8' });
const hasPython = python.status === 0;
if (!hasPython) {
  console.warn('\n!!! python3 NOT FOUND: the CPython interop tests of Listener/Client are SKIPPED !!!\n');
}

/** Runs a Python script; resolves with its stdout once it exits 0, calls onLine for each line. */
function runPython(script: string, onLine: (line: string) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    track({ close: () => child.exitCode === null && child.kill('SIGKILL') });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      for (const line of d.split('\n').filter(Boolean)) onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`python3 exited ${code}: ${err}`)),
    );
  });
}

describe.skipIf(!hasPython)(`interop with CPython ${python.stdout?.split(' ')[0]}`, () => {
  it('a Python Client (send_bytes/recv_bytes, authkey) talks to our Listener', async () => {
    const listener = track(await Listener.create({ authkey: 'interop' }));
    const { port } = listener.address as Tcp;
    const py = runPython(`
from multiprocessing.connection import Client
with Client(('127.0.0.1', ${port}), authkey=b'interop') as c:
    c.send_bytes(b'hello from python')
    c.send_bytes(bytes(range(256)) * 4096)   # 1 MiB: Python sends header and payload apart
    msg = c.recv_bytes()
    c.send_bytes(msg[::-1])
print('python ok')
`);
    const conn = track(await listener.accept());
    expect(text(await conn.recvBytes())).toBe('hello from python');
    const big = await conn.recvBytes();
    expect(big.byteLength).toBe(1 << 20);
    expect(big[257]).toBe(1);
    conn.sendBytes(bytes('abc123'));
    expect(text(await conn.recvBytes())).toBe('321cba');
    expect(await py).toContain('python ok');
    await expect(conn.recvBytes()).rejects.toThrow(/peer closed/);
  });

  it('our Client talks to a Python Listener (authkey), and a wrong key fails on both sides', async () => {
    let resolvePort!: (p: number) => void;
    const port = new Promise<number>((r) => (resolvePort = r));
    const py = runPython(
      `
import sys
from multiprocessing.connection import Listener, AuthenticationError
with Listener(('127.0.0.1', 0), authkey=b'interop') as l:
    print(l.address[1], flush=True)
    try:
        l.accept()
        print('bad client accepted')
    except AuthenticationError:
        print('bad client refused', flush=True)
    with l.accept() as c:
        data = c.recv_bytes()
        c.send_bytes(data.upper())
        c.send_bytes(b'\\x00' * 3_000_000)
        c.recv_bytes()  # wait for our ack before closing
print('python ok')
`,
      (line) => /^\d+$/.test(line) && resolvePort(Number(line)),
    );
    const address = { host: '127.0.0.1', port: await port };
    await expect(Client(address, { authkey: 'not it' })).rejects.toBeInstanceOf(AuthenticationError);
    const conn = track(await Client(address, { authkey: 'interop' }));
    conn.sendBytes(bytes('shout'));
    expect(text(await conn.recvBytes())).toBe('SHOUT');
    expect((await conn.recvBytes()).byteLength).toBe(3_000_000);
    conn.sendBytes(bytes('ack'));
    const out = await py;
    expect(out).toContain('bad client refused');
    expect(out).toContain('python ok');
  });
});
