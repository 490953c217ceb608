/**
 * The base of the Redis Manager's proxies: a key prefix in Redis plus the connections. A proxy
 * travels (Process/Pool args, queues) as its Redis address and key, and reconnects on arrival.
 */
import { dumps, loads, registerReducer } from '@multiproc/serialization';
import type { Redis } from 'ioredis';
import { Conn, portableSpec } from './conn.js';
import type { RedisSpec } from './connection.js';

export class RedisProxy {
  /** @internal */
  readonly _conn: Conn;
  /** The object's key prefix in Redis. */
  readonly key: string;
  /** @internal extra state that travels (lease, bound, ...). */
  readonly _extra: unknown;

  /** @internal created by the Manager. */
  constructor(conn: Conn, key: string, extra?: unknown) {
    this._conn = conn;
    this.key = key;
    this._extra = extra;
  }

  /** @internal */
  protected _what(method: string): string {
    return `${this.constructor.name.replace(/\d+$/, '')}(${this.key}).${method}`;
  }

  /** @internal */
  protected _run<T>(method: string, f: (r: Redis) => Promise<T>): Promise<T> {
    return this._conn.run(this._what(method), f);
  }
}

export const enc = (v: unknown): Buffer => Buffer.from(dumps(v));
export const dec = <T = unknown>(b: Buffer | null | undefined): T => loads<T>(b as Buffer);

/** Registers a proxy class so it travels between processes (by Redis address and key). */
export function travels<P extends RedisProxy>(
  Cls: new (conn: Conn, key: string, extra?: any) => P,
  label: string,
): void {
  registerReducer(Cls, {
    name: `@multiproc/cluster:${label}`,
    reduce: (p: P) => [portableSpec(p._conn.spec), p.key, p._extra],
    rebuild: ([spec, key, extra]: [RedisSpec, string, unknown]) => new Cls(Conn.shared(spec), key, extra),
  });
}
