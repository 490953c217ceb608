/**
 * cluster.Queue / cluster.JoinableQueue: the local Queue's methods (async forms) on a Redis
 * list. Keys of queue `name` start with `mp:{q:<name>}:`:
 *
 *   items        the list (RPUSH in, BLPOP out: blocking get without polling)
 *   space        wake-up tokens for blocked put() on a bounded queue (one per get, at most maxsize)
 *   unfinished   JoinableQueue: items put and not yet taskDone(); channel `joined` fires at 0
 */
import { Empty, Full } from '@multiproc/queue';
import { dumps, loads, registerReducer } from '@multiproc/serialization';
import { Conn, blockSeconds, deadlineOf, portableSpec } from './conn.js';
import type { RedisSpec } from './connection.js';
import { Script } from './script.js';

/** `{ block?, timeout?, signal? }` of put and get (timeout in ms). */
export interface QueueWaitOptions {
  block?: boolean;
  timeout?: number;
  signal?: AbortSignal;
}

export interface QueueOptions {
  /** A URL, ioredis options or an ioredis client. */
  redis: RedisSpec;
  /** The queue's name: every Queue with the same Redis and name is the same queue. */
  name: string;
  /** 0 (default): unbounded. Give the same value everywhere the queue is opened. */
  maxsize?: number;
  /** Fail calls with ConnectionError after Redis has been unreachable this long (ms, default 10000). */
  reconnectTimeout?: number;
}

const putBounded = new Script(`
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
if ARGV[3] == '1' then redis.call('INCR', KEYS[2]) end
return 1
`);

const taskDoneScript = new Script(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return -1 end
n = redis.call('DECR', KEYS[1])
if n == 0 then redis.call('PUBLISH', KEYS[2], '0') end
return n
`);

export class Queue<T = unknown> {
  readonly name: string;
  readonly maxsize: number;
  /** @internal */
  readonly _conn: Conn;
  readonly #owned: boolean;
  readonly #k: { items: string; space: string; unfinished: string; joined: string };
  readonly #joinable: boolean;

  constructor(options: QueueOptions);
  /** @internal shares a Manager's connections. */
  constructor(options: QueueOptions, conn: Conn, joinable?: boolean);
  constructor(options: QueueOptions, conn?: Conn, joinable = false) {
    if (
      !options ||
      typeof options !== 'object' ||
      options.redis === undefined ||
      typeof options.name !== 'string' ||
      !options.name
    ) {
      throw new TypeError("cluster.Queue: pass { redis: 'redis://host:6379', name: 'my-queue', maxsize? }");
    }
    const maxsize = options.maxsize ?? 0;
    if (!Number.isInteger(maxsize) || maxsize < 0) {
      throw new RangeError(`cluster.Queue: maxsize must be an integer >= 0, got ${String(maxsize)}`);
    }
    this.name = options.name;
    this.maxsize = maxsize;
    this.#joinable = joinable || new.target === JoinableQueue;
    this._conn = conn ?? new Conn(options.redis, options.reconnectTimeout);
    this.#owned = !conn;
    const p = `mp:{q:${options.name}}:`;
    this.#k = { items: `${p}items`, space: `${p}space`, unfinished: `${p}unfinished`, joined: `${p}joined` };
  }

  #what(m: string): string {
    return `cluster.Queue('${this.name}').${m}`;
  }

  /** Puts `obj`; on a full bounded queue waits for room (Full after `timeout`, or at once with block: false). */
  async put(obj: T, options?: QueueWaitOptions): Promise<void> {
    const what = this.#what('put');
    const { block, deadline, signal } = deadlineOf(options, what);
    if (signal?.aborted) throw signal.reason;
    const bytes = Buffer.from(dumps(obj, { path: 'item' }));
    const flag = this.#joinable ? '1' : '0';
    if (this.maxsize === 0) {
      await this._conn.run(what, (r) => {
        const m = r.multi().rpush(this.#k.items, bytes);
        if (this.#joinable) m.incr(this.#k.unfinished);
        return m.exec();
      });
      return;
    }
    for (;;) {
      const ok = await this._conn.run(what, (r) =>
        putBounded.run<number>(r, [this.#k.items, this.#k.unfinished], [this.maxsize, bytes, flag]),
      );
      if (Number(ok) === 1) return;
      if (!block || Date.now() >= deadline)
        throw new Full(`${what}: the queue is full (maxsize ${this.maxsize})`);
      const { aborted } = await this._conn.block(what, signal, (r) =>
        r.blpop(this.#k.space, blockSeconds(deadline)),
      );
      if (aborted) throw signal?.reason;
    }
  }

  /** put({ block: false }). */
  putNowait(obj: T): Promise<void> {
    return this.put(obj, { block: false });
  }

  /** Removes and returns the next item; waits for one (Empty after `timeout`, or at once with block: false). */
  async get(options?: QueueWaitOptions): Promise<T> {
    const what = this.#what('get');
    const { block, deadline, signal } = deadlineOf(options, what);
    if (signal?.aborted) throw signal.reason;
    let bytes: Buffer | null;
    if (!block || deadline - Date.now() < 10) {
      bytes = await this._conn.run(what, (r) => r.lpopBuffer(this.#k.items));
    } else {
      const { value, aborted } = await this._conn.block(what, signal, (r) =>
        r.blpopBuffer(this.#k.items, blockSeconds(deadline)),
      );
      if (aborted) {
        if (value) await this._conn.run(what, (r) => r.lpush(this.#k.items, value[1]));
        throw signal?.reason;
      }
      bytes = value ? value[1] : null;
    }
    if (!bytes) throw new Empty(`${what}: the queue is empty`);
    if (this.maxsize > 0) {
      void this._conn
        .run(what, (r) =>
          r
            .multi()
            .rpush(this.#k.space, '1')
            .ltrim(this.#k.space, 0, this.maxsize - 1)
            .exec(),
        )
        .catch(() => {});
    }
    return loads<T>(bytes);
  }

  /** get({ block: false }). */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  qsize(): Promise<number> {
    return this._conn.run(this.#what('qsize'), (r) => r.llen(this.#k.items));
  }
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }
  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.qsize()) >= this.maxsize;
  }

  /** Closes this handle's connections (the queue and its items stay in Redis). */
  close(): void {
    if (this.#owned) this._conn.close();
  }

  /** Deletes the queue and its items from Redis. */
  async destroy(): Promise<void> {
    await this._conn.run(this.#what('destroy'), (r) =>
      r.del(this.#k.items, this.#k.space, this.#k.unfinished),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** @internal JoinableQueue.taskDone */
  protected async _taskDone(): Promise<void> {
    const n = await this._conn.run(this.#what('taskDone'), (r) =>
      taskDoneScript.run<number>(r, [this.#k.unfinished, this.#k.joined], []),
    );
    if (Number(n) < 0)
      throw new RangeError(`${this.#what('taskDone')}: called more times than there were items put`);
  }

  /** @internal JoinableQueue.join */
  protected async _join(signal?: AbortSignal): Promise<void> {
    const what = this.#what('join');
    if (signal?.aborted) throw signal.reason;
    let wake: () => void = () => {};
    const woke = () => wake();
    let unsub: () => void = () => {};
    try {
      unsub = await this._conn.subscribe(this.#k.joined, woke);
    } catch (e) {
      throw this._conn.wrap(e, what);
    }
    try {
      for (;;) {
        const n = Number((await this._conn.run(what, (r) => r.get(this.#k.unfinished))) ?? 0);
        if (n <= 0) return;
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal?.reason);
          wake = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
    } finally {
      unsub();
    }
  }
}

/** A Queue whose consumers call taskDone() per item and whose join() waits until all are done. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** Marks one item as processed; RangeError if called more times than items were put. */
  taskDone(): Promise<void> {
    return this._taskDone();
  }
  /** Waits until every item put has been marked with taskDone(). */
  join(options?: { signal?: AbortSignal }): Promise<void> {
    return this._join(options?.signal);
  }
}

for (const [Cls, label] of [
  [Queue, 'Queue'],
  [JoinableQueue, 'JoinableQueue'],
] as const) {
  registerReducer(Cls as unknown as new (...a: unknown[]) => Queue, {
    name: `@multiproc/cluster:${label}`,
    reduce: (q: Queue) => [portableSpec(q._conn.spec), q.name, q.maxsize],
    rebuild: ([spec, name, maxsize]: [RedisSpec, string, number]) =>
      new (Cls as new (o: QueueOptions, c: Conn) => Queue)({ redis: spec, name, maxsize }, Conn.shared(spec)),
  });
}
