/**
 * The connections of a Queue or a Manager and its proxies: one for commands, a small pool of
 * blocking connections (one per blocked get/acquire; a blocked call is cancelled with
 * CLIENT UNBLOCK, so no item is lost), and one subscriber for Event and JoinableQueue.join.
 * Commands fail with {@link ConnectionError} once Redis has been unreachable for about
 * `reconnectTimeout` ms, instead of waiting forever.
 */
import type { Redis } from 'ioredis';
import { Health, type RedisSpec, connect, describeRedis, whenReady } from './connection.js';
import { ConnectionError } from './errors.js';

const delay = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

/** Reconnect attempts that fit in `ms` with the back-off above. */
function retriesFor(ms: number): number {
  let total = 0;
  let n = 0;
  while (total < ms && n < 1000) total += delay(++n);
  return Math.max(1, n);
}

interface BlockConn {
  redis: Redis;
  id: number | null;
}

/** Credentials and address of `spec` as plain data, so proxies can travel and reconnect. */
export function portableSpec(spec: RedisSpec): string | Record<string, unknown> {
  if (typeof spec === 'string') return spec;
  const o = (spec as { options?: Record<string, unknown> }).options ?? (spec as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    else if (k === 'tls' && v && typeof v === 'object') out[k] = v;
  }
  return out;
}

const shared = new Map<string, Conn>();

export class Conn {
  readonly cmd: Redis;
  readonly health: Health;
  readonly #idle: BlockConn[] = [];
  #sub: Redis | null = null;
  #subReady: Promise<void> | null = null;
  readonly #listeners = new Map<string, Set<(msg: string | null) => void>>();
  #closed = false;
  readonly #extra: { maxRetriesPerRequest: number; retryStrategy: (t: number) => number };

  constructor(
    readonly spec: RedisSpec,
    readonly reconnectTimeout = 10_000,
  ) {
    this.#extra = { maxRetriesPerRequest: retriesFor(reconnectTimeout), retryStrategy: delay };
    this.cmd = connect(spec, 'multiproc-cluster', this.#extra);
    this.health = new Health(this.cmd);
  }

  /** A connection shared by the proxies rebuilt in this process (after travelling). */
  static shared(spec: RedisSpec): Conn {
    const key = JSON.stringify(portableSpec(spec));
    let c = shared.get(key);
    if (!c || c.#closed) {
      c = new Conn(spec);
      shared.set(key, c);
    }
    return c;
  }

  /** Closes the connections of every proxy rebuilt in this process. */
  static closeShared(): void {
    for (const c of shared.values()) c.close();
    shared.clear();
  }

  get where(): string {
    return describeRedis(this.spec);
  }

  ready(timeout: number, what: string): Promise<void> {
    return whenReady(this.cmd, this.spec, timeout, what);
  }

  /** Runs a command, turning a lost connection into a clear {@link ConnectionError}. */
  async run<T>(what: string, f: (r: Redis) => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new ConnectionError(`${what}: the connection to Redis was closed (shutdown() or close())`);
    try {
      return await f(this.cmd);
    } catch (e) {
      throw this.wrap(e, what);
    }
  }

  wrap(e: unknown, what: string): unknown {
    const msg = String((e as Error)?.message ?? e);
    if (
      /max retries|Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET|Stream isn't writeable/i.test(msg)
    ) {
      return new ConnectionError(
        `${what}: Redis at ${this.where} is unreachable (${msg}); check the server and retry`,
        { cause: e },
      );
    }
    return e;
  }

  async #acquire(): Promise<BlockConn> {
    const c = this.#idle.pop();
    if (c) return c;
    const redis = connect(this.spec, 'multiproc-cluster-blocking', this.#extra);
    redis.on('error', () => {});
    const bc: BlockConn = { redis, id: null };
    redis.on('ready', () => {
      redis.client('ID').then(
        (id) => {
          bc.id = Number(id);
        },
        () => {},
      );
    });
    await whenReady(redis, this.spec, this.reconnectTimeout, 'blocking connection');
    bc.id = Number(await redis.client('ID'));
    return bc;
  }

  #release(c: BlockConn): void {
    if (this.#closed || this.#idle.length >= 4 || c.redis.status !== 'ready') c.redis.disconnect();
    else this.#idle.push(c);
  }

  /**
   * Runs a blocking command on a connection of its own. An abort of `signal` unblocks it
   * (CLIENT UNBLOCK): the command then returns its empty reply, and `aborted` is true. A
   * reply that carries data despite the abort is returned too: the caller puts it back.
   */
  async block<T>(
    what: string,
    signal: AbortSignal | undefined,
    f: (r: Redis) => Promise<T>,
  ): Promise<{ value: T; aborted: boolean }> {
    if (this.#closed)
      throw new ConnectionError(`${what}: the connection to Redis was closed (shutdown() or close())`);
    let c: BlockConn;
    try {
      c = await this.#acquire();
    } catch (e) {
      throw this.wrap(e, what);
    }
    let aborted = false;
    let settled = false;
    // CLIENT UNBLOCK only works once the command blocks on the server: repeat it until the
    // command returns (its reply, empty or not, is then handled by the caller: nothing is lost).
    const unblock = () => {
      if (settled) return;
      if (c.id === null) c.redis.disconnect();
      else this.cmd.client('UNBLOCK', c.id).catch(() => c.redis.disconnect());
      setTimeout(unblock, 20).unref();
    };
    const onAbort = () => {
      aborted = true;
      unblock();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      const value = await f(c.redis);
      return { value, aborted };
    } catch (e) {
      if (aborted) return { value: null as T, aborted };
      throw this.wrap(e, what);
    } finally {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      this.#release(c);
    }
  }

  /**
   * Listens on `channel`; resolves once subscribed. The listener gets each message, and
   * `null` after a reconnect (messages may have been missed: re-check the state).
   */
  async subscribe(channel: string, listener: (msg: string | null) => void): Promise<() => void> {
    if (!this.#sub) {
      const sub = connect(this.spec, 'multiproc-cluster-sub', this.#extra);
      sub.on('error', () => {});
      sub.on('message', (ch: string, msg: string) => {
        for (const l of this.#listeners.get(ch) ?? []) l(msg);
      });
      let first = true;
      sub.on('ready', () => {
        if (first) {
          first = false;
          return;
        }
        for (const set of this.#listeners.values()) for (const l of set) l(null);
      });
      this.#sub = sub;
      this.#subReady = whenReady(sub, this.spec, this.reconnectTimeout, 'subscriber');
    }
    await this.#subReady;
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      await this.#sub.subscribe(channel);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(channel) === set) {
        this.#listeners.delete(channel);
        this.#sub?.unsubscribe(channel).catch(() => {});
      }
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.redis.disconnect();
    this.#sub?.disconnect();
    void this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** Splits a blocking option set: deadline (ms since epoch, Infinity) and signal. */
export function deadlineOf(
  opts: { block?: boolean; timeout?: number; signal?: AbortSignal } | undefined,
  what: string,
) {
  const block = opts?.block ?? true;
  const timeout = opts?.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${String(timeout)}`);
  }
  const deadline = !block
    ? 0
    : timeout === undefined
      ? Number.POSITIVE_INFINITY
      : Date.now() + Math.max(0, timeout);
  return { block, deadline, signal: opts?.signal };
}

/** Seconds for a blocking command until `deadline` (0 = forever), capped by `capMs`. */
export function blockSeconds(deadline: number, capMs = Number.POSITIVE_INFINITY): number {
  const ms = Math.min(deadline - Date.now(), capMs);
  if (ms === Number.POSITIVE_INFINITY) return 0;
  return Math.max(0.01, ms / 1000);
}
