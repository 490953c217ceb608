import { afterAll, describe, expect, it } from 'vitest';
import {
  BrokenPipeError,
  BufferTooShort,
  ClosedError,
  Connection,
  EOFError,
  MessageTooLongError,
  Pipe,
} from '../src/index.js';
import { firstMessage, start, stopAll } from './helpers.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterAll(stopAll);

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

describe('Pipe across workers', () => {
  it("the seed's echo: x + 5 with recvSync in the worker, parent closes its copy after start", async () => {
    const [parent, child] = Pipe();
    const w = start(fixture, 'echo', child);
    child.close(); // the worker holds it from the moment it was sent
    for (let i = 0; i < 100; i++) {
      parent.send(i);
      expect(await parent.recv()).toBe(i + 5);
    }
    parent.close();
    expect(await w.result).toBe('eof');
  });

  it('EOF only after every holder of the write end closed or exited', async () => {
    const [r, w] = Pipe({ duplex: false });
    const producers = [0, 1, 2].map((k) => start(fixture, 'produce', w, k * 1000, 1000, k !== 1));
    const holder = start(fixture, 'holdThenClose', w, 300);
    w.close();
    const got: number[] = [];
    for (;;) {
      try {
        got.push(await r.recv<number>());
      } catch (e) {
        expect(e).toBeInstanceOf(EOFError);
        break;
      }
    }
    expect(got.length).toBe(3000);
    expect(new Set(got).size).toBe(3000);
    for (const p of producers) expect(await p.result).toBe(1000);
    expect(await holder.result).toBe('closed');
    // FIFO per producer
    for (let k = 0; k < 3; k++) {
      const mine = got.filter((x) => Math.floor(x / 1000) === k);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
  });

  it('a writer terminated mid-stream: the reader gets its data, then EOF, never a hang', async () => {
    const [r, w] = Pipe({ duplex: false });
    const p = start(fixture, 'flood', w);
    w.close();
    await firstMessage(p.worker);
    await new Promise((res) => setTimeout(res, 50));
    await p.worker.terminate();
    await p.exited;
    let n = 0;
    let last = -1;
    for (;;) {
      try {
        const x = r.recvSync<number>();
        expect(x).toBe(last + 1);
        last = x;
        n++;
      } catch (e) {
        expect(e).toBeInstanceOf(EOFError);
        break;
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  it('a blocked recv wakes with EOF when the last writer dies', async () => {
    const [r, w] = Pipe({ duplex: false });
    const p = start(fixture, 'produce', w, 0, 1, false); // sends 1, exits without closing
    w.close();
    expect(await r.recv()).toBe(0);
    await expect(r.recv()).rejects.toThrow(EOFError);
    await p.exited;
  });

  it('64 MiB messages both ways', async () => {
    const n = 64 * 1024 * 1024;
    const [a, b] = Pipe();
    const w = start(fixture, 'recvBig', b);
    const big = new Uint8Array(n);
    let sum = 0;
    for (let i = 0; i < n; i += 4099) sum += big[i] = (i * 7) & 255;
    a.send(big);
    expect(await w.result).toEqual([n, sum]);
    const s = start(fixture, 'sendBig', b, n);
    b.close();
    const got = await a.recv<Uint8Array>();
    expect(got.length).toBe(n);
    expect(got[4099 * 3]).toBe((4099 * 3) & 255);
    await s.result;
  });

  it('ping-pong with recvSync in the worker', async () => {
    const [a, b] = Pipe();
    const w = start(fixture, 'pingpong', b, 2000);
    b.close();
    for (let i = 0; i < 2000; i++) {
      a.send(i);
      expect(a.recvSync()).toBe(i);
    }
    expect(await w.result).toBe(2000);
  });

  it('a Connection sent through a Connection to a worker', async () => {
    const [a, b] = Pipe();
    const [c, d] = Pipe();
    const w = start(fixture, 'relay', b);
    b.close();
    a.send(c);
    c.close();
    expect(await d.recv()).toBe('via relay');
    await expect(d.recv()).rejects.toThrow(EOFError);
    expect(await w.result).toBe('ok');
  });
});
