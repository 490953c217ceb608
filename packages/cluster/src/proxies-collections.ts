/**
 * dict, list, Namespace and Value proxies of the Redis Manager, with the local manager
 * proxies' method names (all async). Values are stored as `dumps(value)`.
 *
 *   dict       hash <key> (field dumps(k) -> dumps(v)) + zset <key>:order (insertion order) + <key>:seq
 *   list       list <key>
 *   Namespace  hash <key> (attribute name -> dumps(v))
 *   Value      string <key>
 */
import { KeyError } from '@multiproc/manager';
import { Script } from './script.js';
import { RedisProxy, dec, enc, travels } from './proxy-base.js';

const dictSet = new Script(`
for i = 1, #ARGV, 2 do
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[i])
  end
end
return 1
`);
const dictItems = new Script(`
local ks = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = {}
for i = 1, #ks do out[#out + 1] = ks[i]; out[#out + 1] = redis.call('HGET', KEYS[1], ks[i]) end
return out
`);
const dictPop = new Script(`
local f = ARGV[1]
if f == '' then f = redis.call('ZRANGE', KEYS[2], -1, -1)[1]; if not f then return nil end end
local v = redis.call('HGET', KEYS[1], f)
if not v then return nil end
redis.call('HDEL', KEYS[1], f)
redis.call('ZREM', KEYS[2], f)
return {f, v}
`);
const dictSetdefault = new Script(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
`);

/** A dict in Redis (Python dict semantics, insertion-ordered). */
export class DictProxy<K = unknown, V = any> extends RedisProxy {
  #keys(): string[] {
    return [this.key, `${this.key}:order`, `${this.key}:seq`];
  }
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, dflt: D): Promise<V | D>;
  async get(...args: unknown[]): Promise<unknown> {
    const b = await this._run('get', (r) => r.hgetBuffer(this.key, enc(args[0])));
    return b ? dec(b) : args[1];
  }
  async set(key: K, value: V): Promise<void> {
    await this._run('set', (r) => dictSet.run(r, this.#keys(), [enc(key), enc(value)]));
  }
  async has(key: K): Promise<boolean> {
    return (await this._run('has', (r) => r.hexists(this.key, enc(key)))) === 1;
  }
  async delete(key: K): Promise<boolean> {
    const f = enc(key);
    const res = await this._run('delete', (r) =>
      r.multi().hdel(this.key, f).zrem(`${this.key}:order`, f).exec(),
    );
    return Number(res?.[0]?.[1]) === 1;
  }
  async keys(): Promise<K[]> {
    const ks = await this._run('keys', (r) => r.zrangeBuffer(`${this.key}:order`, '0', '-1'));
    return ks.map((k) => dec<K>(k));
  }
  async items(): Promise<[K, V][]> {
    const flat = await this._run('items', (r) => dictItems.runBuffer<Buffer[]>(r, this.#keys(), []));
    const out: [K, V][] = [];
    for (let i = 0; i < flat.length; i += 2) out.push([dec<K>(flat[i]), dec<V>(flat[i + 1])]);
    return out;
  }
  async values(): Promise<V[]> {
    return (await this.items()).map(([, v]) => v);
  }
  async update(other: Record<string, V> | Map<K, V> | Iterable<[K, V]>): Promise<void> {
    const entries =
      other instanceof Map || Symbol.iterator in Object(other)
        ? [...(other as Iterable<[K, V]>)]
        : Object.entries(other as Record<string, V>);
    if (entries.length === 0) return;
    await this._run('update', (r) =>
      dictSet.run(
        r,
        this.#keys(),
        entries.flatMap(([k, v]) => [enc(k), enc(v)]),
      ),
    );
  }
  pop(key: K): Promise<V>;
  pop<D>(key: K, dflt: D): Promise<V | D>;
  async pop(...args: unknown[]): Promise<unknown> {
    const res = await this._run('pop', (r) =>
      dictPop.runBuffer<Buffer[] | null>(r, this.#keys(), [enc(args[0])]),
    );
    if (res) return dec(res[1]);
    if (args.length > 1) return args[1];
    throw new KeyError(args[0]);
  }
  async popitem(): Promise<[K, V]> {
    const res = await this._run('popitem', (r) => dictPop.runBuffer<Buffer[] | null>(r, this.#keys(), ['']));
    if (!res) throw new KeyError(undefined, 'popitem(): dictionary is empty');
    return [dec<K>(res[0]), dec<V>(res[1])];
  }
  async setdefault(key: K, value?: V): Promise<V> {
    return dec<V>(
      await this._run('setdefault', (r) =>
        dictSetdefault.runBuffer<Buffer>(r, this.#keys(), [enc(key), enc(value)]),
      ),
    );
  }
  len(): Promise<number> {
    return this._run('len', (r) => r.hlen(this.key));
  }
  async clear(): Promise<void> {
    await this._run('clear', (r) => r.del(...this.#keys()));
  }
  async copy(): Promise<Map<K, V>> {
    return new Map(await this.items());
  }
  async toObject(): Promise<Record<string, V>> {
    return Object.fromEntries((await this.items()).map(([k, v]) => [String(k), v]));
  }
}

const TOMB = '\u0000multiproc-tombstone\u0000';
const listPop = new Script(`
local v = redis.call('LINDEX', KEYS[1], ARGV[1])
if not v then return nil end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LREM', KEYS[1], 1, ARGV[2])
return v
`);
const listInsert = new Script(`
local n = redis.call('LLEN', KEYS[1])
local i = tonumber(ARGV[1])
if i < 0 then i = math.max(0, n + i) end
if i >= n then return redis.call('RPUSH', KEYS[1], ARGV[2]) end
if i == 0 then return redis.call('LPUSH', KEYS[1], ARGV[2]) end
local tail = redis.call('LRANGE', KEYS[1], i, -1)
redis.call('LTRIM', KEYS[1], 0, i - 1)
redis.call('RPUSH', KEYS[1], ARGV[2])
for j = 1, #tail do redis.call('RPUSH', KEYS[1], tail[j]) end
return n + 1
`);
const listReplace = new Script(`
local cur = redis.call('LRANGE', KEYS[1], 0, -1)
local nOld = tonumber(ARGV[1])
if #cur ~= nOld then return 0 end
for i = 1, nOld do if cur[i] ~= ARGV[1 + i] then return 0 end end
redis.call('DEL', KEYS[1])
for i = nOld + 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return 1
`);

function pyCompare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'bigint' || typeof b === 'bigint') return a! < b! ? -1 : a! > b! ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = pyCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  throw new TypeError(`'<' not supported between ${typeof a} and ${typeof b}`);
}

/** A list in Redis (Python list semantics: negative indices; out of range -> RangeError). */
export class ListProxy<T = any> extends RedisProxy {
  async get(i: number): Promise<T> {
    const b = await this._run('get', (r) => r.lindexBuffer(this.key, i));
    if (!b) throw new RangeError(`${this._what('get')}: list index ${i} out of range`);
    return dec<T>(b);
  }
  async set(i: number, value: T): Promise<void> {
    try {
      await this._run('set', (r) => r.lset(this.key, i, enc(value)));
    } catch (e) {
      if (/no such key|out of range/i.test(String((e as Error)?.message))) {
        throw new RangeError(`${this._what('set')}: list assignment index ${i} out of range`);
      }
      throw e;
    }
  }
  async append(x: T): Promise<void> {
    await this._run('append', (r) => r.rpush(this.key, enc(x)));
  }
  async extend(xs: Iterable<T>): Promise<void> {
    const items = [...xs].map(enc);
    if (items.length) await this._run('extend', (r) => r.rpush(this.key, ...items));
  }
  async pop(i?: number): Promise<T> {
    const b =
      i === undefined
        ? await this._run('pop', (r) => r.rpopBuffer(this.key))
        : await this._run('pop', (r) => listPop.runBuffer<Buffer | null>(r, [this.key], [i, TOMB]));
    if (!b)
      throw new RangeError(
        `${this._what('pop')}: ${i === undefined ? 'pop from empty list' : `pop index ${i} out of range`}`,
      );
    return dec<T>(b);
  }
  async insert(i: number, x: T): Promise<void> {
    await this._run('insert', (r) => listInsert.run(r, [this.key], [Math.trunc(i), enc(x)]));
  }
  async remove(x: T): Promise<void> {
    const n = await this._run('remove', (r) => r.lrem(this.key, 1, enc(x)));
    if (n === 0) throw new RangeError(`${this._what('remove')}: x not in list`);
  }
  async index(x: T, start = 0, stop?: number): Promise<number> {
    const all = await this._run('index', (r) => r.lrangeBuffer(this.key, 0, -1));
    const needle = enc(x);
    const n = all.length;
    const norm = (v: number) => (v < 0 ? Math.max(0, n + v) : Math.min(v, n));
    for (let i = norm(start); i < norm(stop ?? n); i++) if (all[i].equals(needle)) return i;
    throw new RangeError(`${this._what('index')}: value is not in list`);
  }
  async count(x: T): Promise<number> {
    const all = await this._run('count', (r) => r.lrangeBuffer(this.key, 0, -1));
    const needle = enc(x);
    return all.filter((b) => b.equals(needle)).length;
  }
  async reverse(): Promise<void> {
    await this.#rewrite('reverse', (items) => items.reverse());
  }
  async sort(options?: { reverse?: boolean }): Promise<void> {
    await this.#rewrite('sort', (items) => {
      const decoded = items.map((b) => ({ b, v: dec(b) }));
      decoded.sort((a, b) => pyCompare(a.v, b.v));
      if (options?.reverse) decoded.reverse();
      return decoded.map((d) => d.b);
    });
  }
  /** Read, transform, write back if nobody changed the list meanwhile (else retry). */
  async #rewrite(method: string, f: (items: Buffer[]) => Buffer[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const old = await this._run(method, (r) => r.lrangeBuffer(this.key, 0, -1));
      const next = f([...old]);
      const ok = await this._run(method, (r) =>
        listReplace.run(r, [this.key], [old.length, ...old, ...next]),
      );
      if (Number(ok) === 1) return;
    }
    throw new Error(`${this._what(method)}: the list kept changing; retry`);
  }
  len(): Promise<number> {
    return this._run('len', (r) => r.llen(this.key));
  }
  async clear(): Promise<void> {
    await this._run('clear', (r) => r.del(this.key));
  }
  async copy(): Promise<T[]> {
    const all = await this._run('copy', (r) => r.lrangeBuffer(this.key, 0, -1));
    return all.map((b) => dec<T>(b));
  }
  async slice(start?: number, end?: number): Promise<T[]> {
    return (await this.copy()).slice(start, end);
  }
}

/** A Namespace in Redis: named attributes. */
export class NamespaceProxy extends RedisProxy {
  async get<T = any>(name: string): Promise<T> {
    const b = await this._run('get', (r) => r.hgetBuffer(this.key, name));
    if (!b) {
      const e = new Error(`'Namespace' object has no attribute '${name}'`);
      e.name = 'AttributeError';
      throw e;
    }
    return dec<T>(b);
  }
  async set(name: string, value: unknown): Promise<void> {
    await this._run('set', (r) => r.hset(this.key, name, enc(value)));
  }
  async has(name: string): Promise<boolean> {
    return (await this._run('has', (r) => r.hexists(this.key, name))) === 1;
  }
  async delete(name: string): Promise<boolean> {
    return (await this._run('delete', (r) => r.hdel(this.key, name))) === 1;
  }
  async toObject(): Promise<Record<string, any>> {
    const all = await this._run('toObject', (r) => r.hgetallBuffer(this.key));
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, dec(v)]));
  }
}

/** A Value in Redis: `await v.get()`, `v.set(x)`. */
export class ValueProxy<T = any> extends RedisProxy {
  async get(): Promise<T> {
    return dec<T>(await this._run('get', (r) => r.getBuffer(this.key)));
  }
  async set(value: T): Promise<void> {
    await this._run('set', (r) => r.set(this.key, enc(value)));
  }
}

travels(DictProxy, 'DictProxy');
travels(ListProxy, 'ListProxy');
travels(NamespaceProxy, 'NamespaceProxy');
travels(ValueProxy, 'ValueProxy');
