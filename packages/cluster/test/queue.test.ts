/** cluster.Queue / JoinableQueue against a real redis-server. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Empty, Full, JoinableQueue, Queue } from '../src/index.js';
import { type RedisServer, available, startRedis, warnUnavailable } from './redis-server.js';

warnUnavailable('cluster Queue tests');

describe.skipIf(!available)('cluster.Queue on Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.port, '127.0.0.1');
    admin.on('error', () => {});
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('put/get keep order and values; get times out with Empty', async () => {
    await using q = new Queue<unknown>({ redis: server.url, name: 'basic' });
    await q.put({ a: [1, 2n, new Map([[1, 'x']])] });
    await q.putNowait('two');
    expect(await q.qsize()).toBe(2);
    expect(await q.get()).toEqual({ a: [1, 2n, new Map([[1, 'x']])] });
    expect(await q.getNowait()).toBe('two');
    expect(await q.empty()).toBe(true);
    await expect(q.get({ timeout: 100 })).rejects.toBeInstanceOf(Empty);
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
  });

  it('a blocked get waits on the server (no polling) until another client puts', async () => {
    await using consumer = new Queue<number>({ redis: server.url, name: 'block' });
    await using producer = new Queue<number>({ redis: server.url, name: 'block' });
    const got = consumer.get({ timeout: 20_000 });
    let blocked = 0;
    for (let i = 0; i < 100 && blocked === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      blocked = Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);
    }
    expect(blocked).toBe(1);
    await producer.put(7);
    expect(await got).toBe(7);
  });

  it('an aborted get rejects with the reason and loses no item', async () => {
    await using q = new Queue<number>({ redis: server.url, name: 'abort' });
    const ac = new AbortController();
    const got = q.get({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(got).rejects.toMatchObject({ name: 'AbortError' });
    await q.put(1);
    expect(await q.get({ timeout: 5000 })).toBe(1);
  });

  it('a bounded queue: put blocks while full, Full on timeout', async () => {
    await using q = new Queue<number>({ redis: server.url, name: 'bounded', maxsize: 1 });
    await q.put(1);
    expect(await q.full()).toBe(true);
    await expect(q.put(2, { timeout: 100 })).rejects.toBeInstanceOf(Full);
    await expect(q.putNowait(2)).rejects.toBeInstanceOf(Full);
    const putting = q.put(3, { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await q.get()).toBe(1);
    await putting;
    expect(await q.get()).toBe(3);
  });

  it('JoinableQueue: join waits for taskDone of every item', async () => {
    await using q = new JoinableQueue<number>({ redis: server.url, name: 'joinable' });
    await q.put(1);
    await q.put(2);
    let joined = false;
    const join = q.join().then(() => {
      joined = true;
    });
    await q.get();
    await q.taskDone();
    await new Promise((r) => setTimeout(r, 50));
    expect(joined).toBe(false);
    await q.get();
    await q.taskDone();
    await join;
    await expect(q.taskDone()).rejects.toBeInstanceOf(RangeError);
  });
});
