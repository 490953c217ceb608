/**
 * Typed proxies of the shared collections: dict, list, Namespace, Value, Array. Every method
 * is one round trip to the server and returns a Promise.
 */
import { BaseProxy, setProxyType } from '../proxy.js';
import type { DictKey } from '../server-objects/dict.js';

/**
 * Proxy of `manager.dict()`: Python's dict in the manager's server.
 *
 * @example
 * ```ts
 * const d = await manager.dict<string, number>({ count: 100 });
 * await d.set('count', (await d.get('count'))! - 1);
 * await d.items(); // [['count', 99]]
 * ```
 */
export class DictProxy<K extends DictKey = DictKey, V = any> extends BaseProxy {
  /** The value at `key`, or `dflt` (undefined) when missing. */
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, dflt: D): Promise<V | D>;
  get(...args: unknown[]): Promise<unknown> {
    return this._callMethod('get', args);
  }
  set(key: K, value: V): Promise<void> {
    return this._callMethod('set', [key, value]);
  }
  has(key: K): Promise<boolean> {
    return this._callMethod('has', [key]);
  }
  /** Removes `key`; resolves true if it was there. */
  delete(key: K): Promise<boolean> {
    return this._callMethod('delete', [key]);
  }
  keys(): Promise<K[]> {
    return this._callMethod('keys');
  }
  values(): Promise<V[]> {
    return this._callMethod('values');
  }
  items(): Promise<[K, V][]> {
    return this._callMethod('items');
  }
  /** Adds the entries of a plain object, a Map or [key, value] pairs. */
  update(other: Record<string, V> | Map<K, V> | Iterable<[K, V]>): Promise<void> {
    return this._callMethod('update', [other]);
  }
  /** Removes `key` and resolves with its value; `dflt` if missing, else rejects (KeyError). */
  pop(key: K): Promise<V>;
  pop<D>(key: K, dflt: D): Promise<V | D>;
  pop(...args: unknown[]): Promise<unknown> {
    return this._callMethod('pop', args);
  }
  /** Removes and resolves with the last inserted [key, value] (KeyError when empty). */
  popitem(): Promise<[K, V]> {
    return this._callMethod('popitem');
  }
  /** The value at `key`; sets it to `value` first if missing. */
  setdefault(key: K, value?: V): Promise<V> {
    return this._callMethod('setdefault', [key, value]);
  }
  len(): Promise<number> {
    return this._callMethod('len');
  }
  clear(): Promise<void> {
    return this._callMethod('clear');
  }
  /** A copy as a Map (keys keep their type). */
  copy(): Promise<Map<K, V>> {
    return this._callMethod('copy');
  }
  /** A copy as a plain object (keys become strings). */
  toObject(): Promise<Record<string, V>> {
    return this._callMethod('toObject');
  }
}

/**
 * Proxy of `manager.list()`: Python's list (negative indices; out of range -> RangeError).
 *
 * @example
 * ```ts
 * const l = await manager.list([3, 1, 2]);
 * await l.sort();
 * await l.copy(); // [1, 2, 3]
 * ```
 */
export class ListProxy<T = any> extends BaseProxy {
  get(i: number): Promise<T> {
    return this._callMethod('get', [i]);
  }
  set(i: number, value: T): Promise<void> {
    return this._callMethod('set', [i, value]);
  }
  append(x: T): Promise<void> {
    return this._callMethod('append', [x]);
  }
  extend(xs: Iterable<T>): Promise<void> {
    return this._callMethod('extend', [[...xs]]);
  }
  /** Removes and resolves with the item at `i` (default: the last). */
  pop(i?: number): Promise<T> {
    return this._callMethod('pop', i === undefined ? [] : [i]);
  }
  insert(i: number, x: T): Promise<void> {
    return this._callMethod('insert', [i, x]);
  }
  /** Removes the first item equal to `x` (value equality); RangeError if none. */
  remove(x: T): Promise<void> {
    return this._callMethod('remove', [x]);
  }
  index(x: T, start?: number, stop?: number): Promise<number> {
    return this._callMethod(
      'index',
      stop === undefined ? (start === undefined ? [x] : [x, start]) : [x, start ?? 0, stop],
    );
  }
  count(x: T): Promise<number> {
    return this._callMethod('count', [x]);
  }
  reverse(): Promise<void> {
    return this._callMethod('reverse');
  }
  /** Sorts in Python's order: numbers numerically, strings, arrays lexicographically. */
  sort(options?: { reverse?: boolean }): Promise<void> {
    return this._callMethod('sort', options ? [options] : []);
  }
  len(): Promise<number> {
    return this._callMethod('len');
  }
  clear(): Promise<void> {
    return this._callMethod('clear');
  }
  copy(): Promise<T[]> {
    return this._callMethod('copy');
  }
  /** Python's `l[start:end]`. */
  slice(start?: number, end?: number): Promise<T[]> {
    return this._callMethod('slice', [start, end]);
  }
}

/**
 * Proxy of `manager.Namespace()`: named attributes.
 *
 * @example
 * ```ts
 * const ns = await manager.Namespace();
 * await ns.set('x', 10);
 * await ns.get('x'); // 10
 * ```
 */
export class NamespaceProxy extends BaseProxy {
  /** The attribute; rejects (AttributeError) when it does not exist. */
  get<T = any>(name: string): Promise<T> {
    return this._callMethod('get', [name]);
  }
  set(name: string, value: unknown): Promise<void> {
    return this._callMethod('set', [name, value]);
  }
  has(name: string): Promise<boolean> {
    return this._callMethod('has', [name]);
  }
  delete(name: string): Promise<boolean> {
    return this._callMethod('delete', [name]);
  }
  toObject(): Promise<Record<string, any>> {
    return this._callMethod('toObject');
  }
}

/** Proxy of `manager.Value(type, value)`. */
export class ValueProxy<T = any> extends BaseProxy {
  get(): Promise<T> {
    return this._callMethod('get');
  }
  set(value: T): Promise<void> {
    return this._callMethod('set', [value]);
  }
}

/** Proxy of `manager.Array(type, sequence)`. */
export class ArrayProxy<T = any> extends BaseProxy {
  get(i: number): Promise<T> {
    return this._callMethod('get', [i]);
  }
  set(i: number, value: T): Promise<void> {
    return this._callMethod('set', [i, value]);
  }
  len(): Promise<number> {
    return this._callMethod('len');
  }
  toArray(): Promise<T[]> {
    return this._callMethod('toArray');
  }
  slice(start?: number, end?: number): Promise<T[]> {
    return this._callMethod('slice', [start, end]);
  }
}

setProxyType('dict', DictProxy);
setProxyType('list', ListProxy);
setProxyType('Namespace', NamespaceProxy);
setProxyType('Value', ValueProxy);
setProxyType('Array', ArrayProxy);
