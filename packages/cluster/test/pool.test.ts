/**
 * cluster.Pool against a real redis-server, with `multiproc worker` CLIs as child processes.
 * The tests run in order: the last one stops Redis.
 */
import { ref } from '@multiproc/process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Pool, ProcessError, RefusedError, TimeoutError } from '../src/index.js';
import { type RedisServer, available, startRedis, warnUnavailable } from './redis-server.js';
import { type WorkerProc, killGroup, spawnWorker } from './workers.js';

const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url);
const OTHER = new URL('./fixtures/other.mjs', import.meta.url);
const square = ref<(x: number) => number>(TASKS, 'square');
const squareWhere = ref<(x: number) => [number, number]>(TASKS, 'squareWhere');
const slowSquare = ref<(x: number, ms?: number) => number>(TASKS, 'slowSquare');

warnUnavailable('cluster Pool tests');

describe.skipIf(!available)('cluster.Pool on Redis with 3 worker processes', () => {
  let server: RedisServer;
  let admin: Redis;
  const workers: WorkerProc[] = [];
  let pool: Pool;

  async function waitWorkers(n: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await admin.hlen('mp:{pool:jobs}:workers')) < n) {
      if (Date.now() > deadline)
        throw new Error(`workers did not register:\n${workers.map((w) => w.log()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.port, '127.0.0.1');
    admin.on('error', () => {});
    for (let i = 0; i < 3; i++) {
      workers.push(
        spawnWorker(server.url, ['--concurrency', '2', '--start-method', 'thread', '--lease', '1500']),
      );
    }
    await waitWorkers(3);
    pool = new Pool({ redis: server.url, workerTimeout: 20_000, reconnectTimeout: 2000, heartbeat: 300 });
  });

  afterAll(async () => {
    pool?.terminate();
    for (const w of workers) killGroup(w);
    await Promise.all(workers.map((w) => w.exited));
    admin?.disconnect();
    await server?.stop();
  });

  it('maps across the 3 worker processes, in input order', async () => {
    const xs = Array.from({ length: 36 }, (_, i) => i);
    const out = await pool.map(squareWhere, xs, { chunksize: 1 });
    expect(out.map(([v]) => v)).toEqual(xs.map((x) => x * x));
    const pids = new Set(out.map(([, pid]) => pid));
    expect([...pids].sort()).toEqual(workers.map((w) => w.proc.pid).sort());
  });

  it('has the local Pool methods: apply, applyAsync, starmap, imap, imapUnordered, default chunks', async () => {
    expect(await pool.apply(ref(TASKS, 'add'), [2, 3])).toBe(5);
    const r = pool.applyAsync(square, [7]);
    expect(await r.get(20_000)).toBe(49);
    expect(r.successful()).toBe(true);
    expect(
      await pool.starmap(ref(TASKS, 'add'), [
        [1, 2],
        [3, 4],
      ]),
    ).toEqual([3, 7]);
    expect(
      await pool.map(
        square,
        Array.from({ length: 1000 }, (_, i) => i),
      ),
    ).toEqual(Array.from({ length: 1000 }, (_, i) => i * i));
    const ordered: number[] = [];
    for await (const y of pool.imap(square, [1, 2, 3, 4, 5], { chunksize: 2 })) ordered.push(y as number);
    expect(ordered).toEqual([1, 4, 9, 16, 25]);
    const unordered: number[] = [];
    for await (const y of pool.imapUnordered(
      square,
      (async function* () {
        yield* [1, 2, 3];
      })(),
    ))
      unordered.push(y);
    expect(unordered.sort((a, b) => a - b)).toEqual([1, 4, 9]);
    expect(await pool.map(square, [])).toEqual([]);
  });

  it('rejects with the task error (same class, message) and keeps working', async () => {
    const err = (await pool
      .map(ref<(x: number) => number>(TASKS, 'fail'), [1, 2, 3, 4], { chunksize: 1 })
      .catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('bad item 3');
    const it = pool.imap(ref<(x: number) => number>(TASKS, 'fail'), [2, 3, 4]);
    expect((await it.next()).value).toBe(2);
    await expect(it.next()).rejects.toThrow('bad item 3');
    expect((await it.next()).value).toBe(4);
    expect((await it.next()).done).toBe(true);
  });

  it('refuses a job naming a module the workers were not started with', async () => {
    const err = (await pool.apply(ref(OTHER, 'secret'), []).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.message).toMatch(/refused to run '@multiproc\/cluster\/test\/fixtures\/other\.mjs#secret'/);
    expect(err.message).toMatch(/--import/);
    const err2 = await pool.apply(ref(TASKS, 'notExported'), []).catch((e: Error) => e);
    expect(err2).toBeInstanceOf(RefusedError);
  });

  it('gives up on a task that kills its worker process every time: ProcessError after maxAttempts', async () => {
    const p = new Pool({ redis: server.url, maxAttempts: 2, heartbeat: 300 });
    try {
      const err = (await p.apply(ref(TASKS, 'crash'), []).catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(ProcessError);
      expect(err.message).toMatch(/attempt 2 of 2/);
      expect(await p.apply(square, [3])).toBe(9);
    } finally {
      p.close();
      await p.join();
    }
  });

  it('keeps imap bounded: reads input only a few chunks ahead of the consumer', async () => {
    let pulled = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const it = pool.imap(square, naturals(), { buffersize: 3 });
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(pulled).toBeLessThanOrEqual(5);
    await it.return();
  });

  it('re-runs the tasks of a worker SIGKILLed mid-map: results complete and correct', async () => {
    const xs = Array.from({ length: 40 }, (_, i) => i);
    const result = pool.mapAsync(slowSquare, xs, { chunksize: 1 }); // 50 ms per item
    await new Promise((r) => setTimeout(r, 250));
    killGroup(workers[0]);
    expect(await result.get(60_000)).toEqual(xs.map((x) => x * x));
    await workers[0].exited;
  });

  it('times out instead of hanging: per-call timeout, and a pool nobody serves', async () => {
    await expect(pool.apply(slowSquare, [2, 5000], { timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    const lonely = new Pool({
      redis: server.url,
      name: 'nobody-serves-this',
      workerTimeout: 1000,
      heartbeat: 200,
    });
    const err = (await lonely.apply(square, [1]).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(ProcessError);
    expect(err.message).toMatch(/no worker has been serving/);
    lonely.terminate();
    await lonely.join();
  });

  it('survives a Redis restart that lost every key: outstanding tasks are re-submitted', async () => {
    const result = pool.starmapAsync(
      slowSquare,
      [
        [5, 1500],
        [6, 1500],
      ],
      { chunksize: 1 },
    );
    await new Promise((r) => setTimeout(r, 300));
    await server.restart();
    expect(await result.get(60_000)).toEqual([25, 36]);
  });

  it('drains a worker on SIGINT: running tasks finish, then it exits 0', async () => {
    const w = spawnWorker(server.url, ['--concurrency', '2', '--start-method', 'thread', '--name', 'drain']);
    workers.push(w);
    const p = new Pool({ redis: server.url, name: 'drain', heartbeat: 300 });
    try {
      const deadline = Date.now() + 30_000;
      while ((await admin.hlen('mp:{pool:drain}:workers')) < 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = p.starmapAsync(
        slowSquare,
        [
          [2, 800],
          [3, 800],
        ],
        { chunksize: 1 },
      );
      await new Promise((r) => setTimeout(r, 300));
      w.proc.kill('SIGINT');
      expect(await result.get(30_000)).toEqual([4, 9]);
      expect(await w.exited).toBe(0);
      expect(w.log()).toMatch(/draining 2 running task/);
    } finally {
      p.terminate();
      await p.join();
    }
  });

  it('fails pending calls with a clear ConnectionError when Redis stops mid-run', async () => {
    const result = pool.starmapAsync(
      slowSquare,
      [
        [1, 3000],
        [2, 3000],
      ],
      { chunksize: 1 },
    );
    const slow = pool.apply(slowSquare, [1, 10_000]);
    await new Promise((r) => setTimeout(r, 300));
    await server.stop();
    const err = (await slow.catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/unreachable/);
    await expect(result.get(30_000)).rejects.toBeInstanceOf(ConnectionError);
  });
});
