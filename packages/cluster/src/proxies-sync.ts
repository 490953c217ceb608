/**
 * Lock, Event and Semaphore proxies of the Redis Manager, with the local manager proxies'
 * method names (all async; blocking ones take `{ block?, timeout?, signal? }`).
 *
 *   Lock       <key> = owner token, with a lease (PX) renewed while held, so a crashed holder's
 *              lock frees itself; <key>:wake holds at most one wake-up token for waiters (BLPOP).
 *              Only the acquirer (this proxy instance) may release it.
 *   Event      <key> = '1' while set; set() publishes on channel <key>:ch (waiters subscribe).
 *   Semaphore  <key> = counter; <key>:wake holds wake-up tokens (at most the counter's value);
 *              <key>:bound is the BoundedSemaphore's initial value.
 */
import { type Conn, blockSeconds, deadlineOf } from './conn.js';
import { randomId } from './connection.js';
import { RedisProxy, travels } from './proxy-base.js';
import { Script } from './script.js';

export interface BlockingOptions {
  block?: boolean;
  timeout?: number;
  signal?: AbortSignal;
}
export type WaitTimeout = number | { timeout?: number; signal?: AbortSignal } | undefined;

const lockRelease = new Script(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if cur ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
redis.call('RPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, 0)
return 1
`);
const lockRenew = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** A Lock in Redis with an owner token and a lease (default 30 s, renewed while held). */
export class LockProxy extends RedisProxy {
  #token: string | null = null;
  #renew: ReturnType<typeof setInterval> | null = null;

  get #lease(): number {
    return Number(this._extra) || 30_000;
  }

  /** Acquires the lock; resolves false when `block: false` or the timeout ran out. */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const what = this._what('acquire');
    const { block, deadline, signal } = deadlineOf(options, what);
    if (signal?.aborted) throw signal.reason;
    const token = randomId();
    for (;;) {
      const ok = await this._run('acquire', (r) => r.set(this.key, token, 'PX', this.#lease, 'NX'));
      if (ok === 'OK') {
        this.#token = token;
        this.#renew = setInterval(() => {
          lockRenew.run(this._conn.cmd, [this.key], [token, this.#lease]).catch(() => {});
        }, this.#lease / 3);
        this.#renew.unref();
        return true;
      }
      if (!block || Date.now() >= deadline) return false;
      // Wait for a release, or for the holder's lease to run out (a crashed holder).
      const ttl = await this._run('acquire', (r) => r.pttl(this.key));
      const { aborted, value } = await this._conn.block(what, signal, (r) =>
        r.blpop(`${this.key}:wake`, blockSeconds(deadline, ttl > 0 ? ttl + 10 : 50)),
      );
      if (aborted) {
        if (value) await this._run('acquire', (r) => r.rpush(`${this.key}:wake`, '1'));
        throw signal?.reason;
      }
    }
  }

  /** Releases the lock this proxy acquired (Error if it is not held, or held by another owner). */
  async release(): Promise<void> {
    const token = this.#token;
    if (this.#renew) clearInterval(this.#renew);
    this.#renew = null;
    this.#token = null;
    const res = Number(
      await this._run('release', (r) => lockRelease.run(r, [this.key, `${this.key}:wake`], [token ?? ''])),
    );
    if (res === 0) throw new Error(`${this._what('release')}: release unlocked lock`);
    if (res === -1) {
      throw new Error(
        `${this._what('release')}: the lock is held by another owner` +
          `${token ? ' (this owner’s lease ran out and another client acquired it)' : ''}; only the acquirer may release it`,
      );
    }
  }

  async locked(): Promise<boolean> {
    return (await this._run('locked', (r) => r.exists(this.key))) === 1;
  }

  /** Runs `fn` holding the lock. */
  async withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

function parseWait(t: WaitTimeout): { timeout?: number; signal?: AbortSignal } {
  return typeof t === 'number' ? { timeout: t } : (t ?? {});
}

/** An Event in Redis. */
export class EventProxy extends RedisProxy {
  async isSet(): Promise<boolean> {
    return (await this._run('isSet', (r) => r.exists(this.key))) === 1;
  }
  async set(): Promise<void> {
    await this._run('set', (r) => r.multi().set(this.key, '1').publish(`${this.key}:ch`, '1').exec());
  }
  async clear(): Promise<void> {
    await this._run('clear', (r) => r.del(this.key));
  }
  /** Waits until the event is set; resolves false if `timeout` ms pass first. */
  async wait(timeout?: WaitTimeout): Promise<boolean> {
    const { timeout: ms, signal } = parseWait(timeout);
    if (signal?.aborted) throw signal.reason;
    let wake: () => void = () => {};
    const unsub = await this._conn.subscribe(`${this.key}:ch`, () => wake());
    try {
      if (await this.isSet()) return true;
      for (;;) {
        const woke = await new Promise<boolean>((resolve, reject) => {
          const timer = ms === undefined ? undefined : setTimeout(() => resolve(false), Math.max(0, ms));
          const onAbort = () => {
            clearTimeout(timer);
            reject(signal?.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          wake = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(true);
          };
        });
        if (!woke) return this.isSet();
        if (await this.isSet()) return true;
      }
    } finally {
      unsub();
    }
  }
}

const semAcquire = new Script(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > 0 then redis.call('DECR', KEYS[1]); return 1 end
return 0
`);
const semRelease = new Script(`
local b = redis.call('GET', KEYS[3])
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if b and v + n > tonumber(b) then return -1 end
v = redis.call('INCRBY', KEYS[1], n)
for i = 1, n do redis.call('RPUSH', KEYS[2], '1') end
redis.call('LTRIM', KEYS[2], 0, v - 1)
return v
`);

/** A Semaphore (or BoundedSemaphore) in Redis. */
export class SemaphoreProxy extends RedisProxy {
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const what = this._what('acquire');
    const { block, deadline, signal } = deadlineOf(options, what);
    if (signal?.aborted) throw signal.reason;
    for (;;) {
      const ok = await this._run('acquire', (r) => semAcquire.run(r, [this.key], []));
      if (Number(ok) === 1) return true;
      if (!block || Date.now() >= deadline) return false;
      const { aborted, value } = await this._conn.block(what, signal, (r) =>
        r.blpop(`${this.key}:wake`, blockSeconds(deadline)),
      );
      if (aborted) {
        if (value) await this._run('acquire', (r) => r.rpush(`${this.key}:wake`, '1'));
        throw signal?.reason;
      }
    }
  }
  async release(n = 1): Promise<void> {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`${this._what('release')}: n must be an integer >= 1`);
    const v = await this._run('release', (r) =>
      semRelease.run(r, [this.key, `${this.key}:wake`, `${this.key}:bound`], [n]),
    );
    if (Number(v) === -1) throw new RangeError(`${this._what('release')}: semaphore released too many times`);
  }
  async getValue(): Promise<number> {
    return Number((await this._run('getValue', (r) => r.get(this.key))) ?? 0);
  }
}

travels(LockProxy, 'LockProxy');
travels(EventProxy, 'EventProxy');
travels(SemaphoreProxy, 'SemaphoreProxy');

export type { Conn };
