/**
 * cluster.Manager: the local Manager's factories, with every object living in Redis under
 * `mp:{m:<namespace>}:<type>:<id>`. Proxies travel between processes (as Process/Pool args or
 * through a cluster Queue) and reconnect on arrival; `manager.get(proxy.key)`-style lookup is
 * not needed.
 */
import { Conn } from './conn.js';
import { type RedisSpec, randomId } from './connection.js';
import { DictProxy, ListProxy, NamespaceProxy, ValueProxy } from './proxies-collections.js';
import { EventProxy, LockProxy, SemaphoreProxy } from './proxies-sync.js';
import { JoinableQueue, Queue } from './queue.js';
import { enc } from './proxy-base.js';

export interface ManagerOptions {
  redis: RedisSpec;
  /** Keeps apps apart on one Redis (default 'default'). */
  namespace?: string;
  /** Ms to wait for Redis when connecting (default 10000). */
  connectTimeout?: number;
  /** Calls fail with ConnectionError after Redis has been unreachable this long (ms, default 10000). */
  reconnectTimeout?: number;
  /** Lease of Lock proxies in ms (default 30000), renewed while held. */
  lockLease?: number;
}

export class RedisManager {
  readonly namespace: string;
  /** @internal */
  readonly _conn: Conn;
  readonly #prefix: string;
  readonly #lease: number;

  /** @internal use `await cluster.Manager(options)`. */
  constructor(options: ManagerOptions) {
    this.namespace = options.namespace ?? 'default';
    this.#prefix = `mp:{m:${this.namespace}}:`;
    this.#lease = options.lockLease ?? 30_000;
    this._conn = new Conn(options.redis, options.reconnectTimeout);
  }

  #key(type: string): string {
    return `${this.#prefix}${type}:${randomId()}`;
  }

  async dict<K = unknown, V = any>(
    init?: Record<string, V> | Map<K, V> | Iterable<[K, V]>,
  ): Promise<DictProxy<K, V>> {
    const d = new DictProxy<K, V>(this._conn, this.#key('dict'));
    if (init !== undefined) await d.update(init);
    return d;
  }
  async list<T = any>(init?: Iterable<T>): Promise<ListProxy<T>> {
    const l = new ListProxy<T>(this._conn, this.#key('list'));
    if (init !== undefined) await l.extend(init);
    return l;
  }
  async Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    const ns = new NamespaceProxy(this._conn, this.#key('ns'));
    for (const [k, v] of Object.entries(init ?? {})) await ns.set(k, v);
    return ns;
  }
  /** `typecode` is kept for API compatibility; any serializable value is stored. */
  async Value<T = any>(_typecode: unknown, value: T): Promise<ValueProxy<T>> {
    const key = this.#key('value');
    await this._conn.run('Manager.Value', (r) => r.set(key, enc(value)));
    return new ValueProxy<T>(this._conn, key);
  }
  async Lock(): Promise<LockProxy> {
    return new LockProxy(this._conn, this.#key('lock'), this.#lease);
  }
  async Event(): Promise<EventProxy> {
    return new EventProxy(this._conn, this.#key('event'));
  }
  async Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.#semaphore(value, false);
  }
  async BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.#semaphore(value, true);
  }
  async #semaphore(value: number, bounded: boolean): Promise<SemaphoreProxy> {
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`Semaphore: initial value must be an integer >= 0, got ${value}`);
    const key = this.#key('sem');
    await this._conn.run('Manager.Semaphore', (r) => {
      const m = r.multi().set(key, String(value));
      if (value > 0) m.rpush(`${key}:wake`, ...Array(value).fill('1'));
      if (bounded) m.set(`${key}:bound`, String(value));
      return m.exec();
    });
    return new SemaphoreProxy(this._conn, key);
  }
  async Queue<T = any>(maxsize = 0): Promise<Queue<T>> {
    return new Queue<T>(
      { redis: this._conn.spec, name: `${this.namespace}:${randomId()}`, maxsize },
      this._conn,
    );
  }
  async JoinableQueue<T = any>(maxsize = 0): Promise<JoinableQueue<T>> {
    return new JoinableQueue<T>(
      { redis: this._conn.spec, name: `${this.namespace}:${randomId()}`, maxsize },
      this._conn,
    );
  }

  /** Closes this manager's connections. The objects stay in Redis (see destroy()). */
  async shutdown(): Promise<void> {
    this._conn.close();
  }

  /** Deletes every object of this namespace from Redis (all managers' proxies of it stop working). */
  async destroy(): Promise<number> {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this._conn.run('Manager.destroy', (r) =>
        r.scan(cursor, 'MATCH', `${this.#prefix}*`, 'COUNT', 500),
      );
      cursor = next;
      if (keys.length) n += await this._conn.run('Manager.destroy', (r) => r.del(...keys));
    } while (cursor !== '0');
    return n;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}

/**
 * Connects to Redis and returns a manager whose objects live there.
 *
 * @example
 * ```ts
 * await using m = await cluster.Manager({ redis: 'redis://127.0.0.1:6379', namespace: 'app' });
 * const d = await m.dict({ hits: 0 });
 * await d.set('hits', (await d.get('hits')) + 1);
 * ```
 */
export async function Manager(options: ManagerOptions): Promise<RedisManager> {
  if (!options || typeof options !== 'object' || options.redis === undefined) {
    throw new TypeError("cluster.Manager: pass { redis: 'redis://host:6379', namespace? }");
  }
  const m = new RedisManager(options);
  try {
    await m._conn.ready(options.connectTimeout ?? 10_000, 'cluster.Manager');
  } catch (e) {
    m._conn.close();
    throw e;
  }
  return m;
}
