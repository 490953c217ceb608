import { allocateBlock } from '@multiproc/memory';
import { type Child, describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { endless, type FloodItem, floodIndex, parkFlood } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrokenPipeError,
  BufferTooShort,
  ClosedError,
  Connection,
  EOFError,
  MessageTooLongError,
  Pipe,
} from '../src/index.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Everything left in `r` until EOF (which must come). */
async function drain<T>(r: Connection): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    try {
      got.push(await r.recv<T>());
    } catch (e) {
      expect(e).toBeInstanceOf(EOFError);
      return got;
    }
  }
}

describe('Pipe in one thread', () => {
  it('sends values both ways on a duplex pipe (recv and recvSync)', async () => {
    const [a, b] = Pipe();
    a.send({ x: 1, list: [1, 'two'], when: new Date(0) });
    b.send('back');
    expect(await b.recv()).toEqual({ x: 1, list: [1, 'two'], when: new Date(0) });
    expect(a.recvSync()).toBe('back');
    expect([a.readable, a.writable, b.readable, b.writable]).toEqual([true, true, true, true]);
  });

  it('a one-way pipe is [receiver, sender]', () => {
    const [r, w] = Pipe({ duplex: false });
    expect([r.readable, r.writable, w.readable, w.writable]).toEqual([true, false, false, true]);
    w.send(1);
    expect(r.recvSync()).toBe(1);
    expect(() => r.send(1)).toThrow(/only receives/);
    expect(() => w.recvSync()).toThrow(/only sends/);
  });

  it('keeps FIFO order across ring growth and big (spilled) messages', async () => {
    const [a, b] = Pipe({ bufferSize: 1024 });
    const sent: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      const v =
        i % 500 === 0 ? new Uint8Array(5000 + i).fill(i & 255) : i % 3 === 0 ? 'x'.repeat(i % 200) : i;
      sent.push(v);
      a.send(v);
    }
    for (let i = 0; i < sent.length; i++) expect(i % 2 ? b.recvSync() : await b.recv()).toEqual(sent[i]);
    expect(b.pollSync()).toBe(false);
  });

  it('poll / pollSync: no argument returns at once, a timeout waits, data or EOF make it true', async () => {
    const [a, b] = Pipe();
    expect(await b.poll()).toBe(false);
    expect(b.pollSync(20)).toBe(false);
    expect(await b.poll({ timeout: 20 })).toBe(false);
    setTimeout(() => a.send('late'), 30);
    expect(await b.poll(null)).toBe(true);
    expect(b.pollSync()).toBe(true);
    expect(await b.recv()).toBe('late');
    a.close();
    expect(b.pollSync()).toBe(true);
  });

  it('poll rejects with the abort reason', async () => {
    const [, b] = Pipe();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop waiting')), 20);
    await expect(b.poll({ timeout: 10_000, signal: ac.signal })).rejects.toThrow('stop waiting');
  });

  it('sendBytes / recvBytes / recvBytesSync with offset, size and maxlength', async () => {
    const [a, b] = Pipe();
    const buf = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    a.sendBytes(buf);
    a.sendBytes(buf, 2);
    a.sendBytes(buf.buffer, 1, 3);
    a.sendBytes(new Uint16Array([258]));
    expect([...(await b.recvBytes())]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...b.recvBytesSync()]).toEqual([2, 3, 4, 5, 6, 7]);
    expect([...(await b.recvBytes(3))]).toEqual([1, 2, 3]);
    expect([...b.recvBytesSync()]).toEqual([2, 1]);
    a.sendBytes(buf);
    await expect(b.recvBytes(4)).rejects.toThrow(MessageTooLongError);
    expect(() => b.recvBytesSync(4)).toThrow(/8 bytes, more than maxlength 4/);
    expect(b.recvBytesSync(8).length).toBe(8); // still there
    expect(() => a.sendBytes(buf, 9)).toThrow(RangeError);
    expect(() => a.sendBytes(buf, 4, 5)).toThrow(RangeError);
    expect(() => a.sendBytes('nope' as never)).toThrow(TypeError);
  });

  it('recvBytesInto / recvBytesIntoSync, and BufferTooShort carrying the message', async () => {
    const [a, b] = Pipe();
    a.sendBytes(new Uint8Array([9, 8, 7]));
    a.sendBytes(new Uint8Array([1, 2]));
    a.sendBytes(new Uint8Array([5, 5, 5, 5, 5]));
    const into = new Uint8Array(6);
    expect(await b.recvBytesInto(into, 1)).toBe(3);
    expect(b.recvBytesIntoSync(into.buffer, 4)).toBe(2);
    expect([...into]).toEqual([0, 9, 8, 7, 1, 2]);
    const err = await b.recvBytesInto(into, 2).catch((e) => e);
    expect(err).toBeInstanceOf(BufferTooShort);
    expect([...err.data]).toEqual([5, 5, 5, 5, 5]);
    a.sendBytes(new Uint8Array(10));
    expect(() => b.recvBytesIntoSync(new Uint8Array(4))).toThrow(BufferTooShort);
    expect(() => b.recvBytesIntoSync(into, 7)).toThrow(RangeError);
  });

  it('EOFError after the writer closed and everything was read', async () => {
    const [a, b] = Pipe();
    a.send(1);
    a.send(2);
    a.close();
    expect(await b.recv()).toBe(1);
    expect(b.recvSync()).toBe(2);
    await expect(b.recv()).rejects.toThrow(EOFError);
    expect(() => b.recvSync()).toThrow(EOFError);
    expect(() => b.recvBytesSync()).toThrow(EOFError);
  });

  it('bad input: a function, a closed end, a peer gone', () => {
    const [a, b] = Pipe();
    function callback() {}
    expect(() => a.send({ callback })).toThrow(TypeError);
    expect(() => a.send({ callback })).toThrow(/function/);
    a.close();
    expect(a.closed).toBe(true);
    a.close();
    expect(() => a.recvSync()).toThrow(ClosedError);
    expect(() => a.recvSync()).toThrow(/closed/);
    expect(() => a.send(1)).toThrow(ClosedError);
    expect(() => b.send(1)).toThrow(BrokenPipeError);
  });

  it('Symbol.dispose closes the end', () => {
    const [a, b] = Pipe();
    {
      using end = a;
      end.send('last');
    }
    expect(a.closed).toBe(true);
    expect(b.recvSync()).toBe('last');
    expect(() => b.recvSync()).toThrow(EOFError);
  });

  it('a Connection travels through a Pipe in the same thread', () => {
    const [a, b] = Pipe();
    const [c, d] = Pipe();
    a.send(c);
    c.close();
    const c2 = b.recvSync<Connection>();
    expect(c2).toBeInstanceOf(Connection);
    c2.send('hello');
    expect(d.recvSync()).toBe('hello');
    c2.close();
    expect(() => d.recvSync()).toThrow(EOFError);
  });
});

describeEachMethod((method) => {
  const start = (n: number): Promise<Child[]> =>
    Promise.all(Array.from({ length: n }, () => startChild(fixture, method)));

  it("the seed's echo: x + 5 with recvSync in the child, parent closes its copy after the call", async () => {
    const [child] = await start(1);
    const [parent, end] = Pipe();
    const done = child.call('echo', end);
    end.close(); // the child holds it from the moment it was sent
    for (let i = 0; i < 100; i++) {
      parent.send(i);
      expect(await parent.recv()).toBe(i + 5);
    }
    parent.close();
    expect(await done).toBe('eof');
  });

  it('EOF only after every holder of the write end closed, exited or was killed', async () => {
    const [r, w] = Pipe({ duplex: false });
    const [p0, p1, p2, holder] = await start(4);
    const closes = p0.call('produce', w, 0, 1000, 'close');
    endless(p1.call('produce', w, 1000, 1000, 'exit')); // exits without closing
    const killed = p2.call('produce', w, 2000, 1000, 'keep').then(() => p2.kill());
    const held = holder.call('holdThenClose', w, 300);
    w.close();
    const got = await drain<number>(r);
    expect(got.length).toBe(3000);
    expect(new Set(got).size).toBe(3000);
    expect(await closes).toBe(1000);
    expect(await p1.exited).toBe(0);
    expect(await killed).toBe(-9);
    expect(await held).toBe('closed');
    for (let k = 0; k < 3; k++) {
      const mine = got.filter((x) => Math.floor(x / 1000) === k);
      expect(mine).toEqual(range(k * 1000, 1000)); // FIFO per producer
    }
  });

  it('EOF refcounting, step by step: a holder that closes, exits, is terminated, is killed', async () => {
    const [r, w] = Pipe({ duplex: false });
    const children = await start(4);
    expect(await Promise.all(children.map((c) => c.call('hold', w)))).toEqual([1, 1, 1, 1]);
    w.close();
    const [closer, exiter, terminated, killed] = children;
    expect(r.pollSync()).toBe(false); // four holders left, nothing to read
    expect(await closer.call('release')).toBe('released');
    expect(r.pollSync()).toBe(false);
    endless(exiter.call('exit', 0));
    expect(await exiter.exited).toBe(0);
    expect(r.pollSync()).toBe(false);
    expect(await terminated.terminate()).toBe(-15);
    expect(r.pollSync()).toBe(false);
    expect(await killed.kill()).toBe(-9); // exited resolves once its exit hooks ran
    expect(r.pollSync()).toBe(true);
    await expect(r.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it('the peer of a duplex pipe killed while holding its end: BrokenPipeError on send, EOF on recv', async () => {
    const [a, b] = Pipe();
    const [peer] = await start(1);
    expect(await peer.call('hold', b)).toBe(1);
    b.close();
    a.send('into the void');
    expect(a.pollSync()).toBe(false);
    expect(await peer.kill()).toBe(-9);
    expect(() => a.send(1)).toThrow(BrokenPipeError);
    await expect(a.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it('a writer killed mid-stream: the reader gets every message it sent, in order, then EOF', async () => {
    const [r, w] = Pipe({ duplex: false });
    const ctl = allocateBlock(64);
    const [flooder] = await start(1);
    endless(flooder.call('flood', w, ctl));
    w.close();
    expect(await flooder.nextEvent()).toBe('flooding');
    for (let i = 0; i < 1000; i++) expect(floodIndex(await r.recv<FloodItem>())).toBe(i); // in full swing
    expect(await flooder.kill()).toBe(-9); // anywhere: between two sends or inside one
    const sent = Atomics.load(ctl.i32, 0);
    const got = (await drain<FloodItem>(r)).map(floodIndex);
    expect(got).toEqual(range(1000, got.length));
    expect([sent, sent + 1]).toContain(1000 + got.length); // + the send it was killed in, if committed
  });

  it('a writer killed between two sends: the other writers keep working, EOF once they are done', async () => {
    const [r, w] = Pipe({ duplex: false });
    const ctl = allocateBlock(64);
    const [flooder, other] = await start(2);
    endless(flooder.call('flood', w, ctl));
    expect(await flooder.nextEvent()).toBe('flooding');
    const during = other.call('produce', w, 1_000_000, 10_000, 'close');
    expect(await r.poll(null)).toBe(true);
    const sent = await parkFlood(ctl);
    expect(await flooder.kill()).toBe(-9);
    expect(await other.call('produce', w, 2_000_000, 1000, 'close')).toBe(1000);
    w.send(3_000_000);
    w.close();
    expect(await during).toBe(10_000);
    const got = (await drain<FloodItem>(r)).map(floodIndex);
    expect(got.filter((x) => x < 1_000_000)).toEqual(range(0, sent));
    expect(got.filter((x) => x >= 1_000_000 && x < 2_000_000)).toEqual(range(1_000_000, 10_000));
    expect(got.slice(-1001)).toEqual([...range(2_000_000, 1000), 3_000_000]);
  });

  it('a blocked recv wakes with EOF when the last writer exits without closing', async () => {
    const [r, w] = Pipe({ duplex: false });
    const [p] = await start(1);
    w.send('mine');
    endless(p.call('produce', w, 0, 1, 'exit')); // sends 0, exits without closing
    w.close();
    expect(await r.recv()).toBe('mine');
    expect(await r.recv()).toBe(0);
    await expect(r.recv()).rejects.toThrow(EOFError);
    expect(await p.exited).toBe(0);
  });

  it('64 MiB messages both ways', async () => {
    const n = 64 * 1024 * 1024;
    const [a, b] = Pipe();
    const [child] = await start(1);
    const big = new Uint8Array(n);
    let sum = 0;
    for (let i = 0; i < n; i += 4099) sum += big[i] = (i * 7) & 255;
    const received = child.call('recvBig', b);
    a.send(big);
    expect(await received).toEqual([n, sum]);
    const sent = child.call('sendBig', b, n);
    b.close();
    const got = await a.recv<Uint8Array>();
    expect(got.length).toBe(n);
    expect(got[4099 * 3]).toBe((4099 * 3) & 255);
    expect(await sent).toBe(n);
  });

  it('ping-pong with recvSync on both sides', async () => {
    const [a, b] = Pipe();
    const [child] = await start(1);
    const done = child.call('pingpong', b, 2000);
    b.close();
    a.send(-1);
    expect(await a.recv()).toBe(-1); // the child is in its loop: blocking this thread is safe now
    for (let i = 1; i < 2000; i++) {
      a.send(i);
      expect(a.recvSync()).toBe(i);
    }
    expect(await done).toBe(2000);
    await expect(a.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it('a Connection sent through a Connection to a child', async () => {
    const [a, b] = Pipe();
    const [c, d] = Pipe();
    const [child] = await start(1);
    const done = child.call('relay', b);
    b.close();
    a.send(c);
    c.close();
    expect(await d.recv()).toBe('via relay');
    await expect(d.recv()).rejects.toThrow(EOFError);
    expect(await done).toBe('ok');
  });
});
