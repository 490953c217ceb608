/**
 * Connections to Redis (ioredis). Every public class takes `redis`: a URL
 * (`redis://[user:pass@]host:port/db`, `rediss://` for TLS), an ioredis options object (any
 * option passes through: `password`, `username`, `tls`, `db`, ...), or an ioredis client (it is
 * duplicated, never closed by us). Blocking commands get their own connections.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConnectionError } from './errors.js';

/** Where Redis is: a URL, ioredis options, or an ioredis client to duplicate. */
export type RedisSpec = string | RedisOptions | Redis;

const BASE: RedisOptions = {
  // Commands wait across a reconnect; our own watchdogs (reconnectTimeout) decide when to give up.
  maxRetriesPerRequest: null,
  enableReadyCheck: true,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
};

/** A printable description of `spec` without credentials. */
export function describeRedis(spec: RedisSpec): string {
  if (typeof spec === 'string') {
    try {
      const u = new URL(spec);
      u.username = '';
      u.password = '';
      return u.href.replace(/\/$/, '');
    } catch {
      return spec;
    }
  }
  const o = spec instanceof Redis ? spec.options : spec;
  const proto = o.tls ? 'rediss' : 'redis';
  return o.path
    ? `redis+unix://${o.path}`
    : `${proto}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** Opens a new connection for `spec` (`name` shows in `CLIENT LIST`). */
export function connect(spec: RedisSpec, name: string, extra: RedisOptions = {}): Redis {
  const opts = { ...BASE, connectionName: name, ...extra };
  if (spec instanceof Redis) return spec.duplicate(opts);
  if (typeof spec === 'string') return new Redis(spec, opts);
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError(
      `redis must be a URL ('redis://127.0.0.1:6379'), ioredis options or an ioredis client, got ${String(spec)}`,
    );
  }
  return new Redis({ ...spec, ...opts });
}

/**
 * Waits until `client` is ready; rejects with a {@link ConnectionError} (and closes it) when it
 * is not within `timeout` ms.
 */
export function whenReady(client: Redis, spec: RedisSpec, timeout: number, what: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const onError = (e: unknown) => {
      lastError = e;
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      client.disconnect();
      reject(
        new ConnectionError(
          `${what}: cannot reach Redis at ${describeRedis(spec)} within ${timeout} ms` +
            `${lastError ? ` (${(lastError as Error).message})` : ''}; start redis-server or fix the redis option`,
          { cause: lastError },
        ),
      );
    }, timeout);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/** Waits `ms` (for retry back-off). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A random id (hex). */
export function randomId(bytes = 8): string {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Tracks how long a connection has been down; `downFor()` is 0 while it is ready.
 * An `error` listener is installed so ioredis does not print unhandled errors.
 */
export class Health {
  #downSince: number | null = null;
  lastError: unknown;
  constructor(readonly client: Redis) {
    client.on('error', (e) => {
      this.lastError = e;
    });
    client.on('ready', () => {
      this.#downSince = null;
    });
    const down = () => {
      this.#downSince ??= Date.now();
    };
    client.on('close', down);
    client.on('reconnecting', down);
  }
  downFor(): number {
    return this.#downSince === null ? 0 : Date.now() - this.#downSince;
  }
}
