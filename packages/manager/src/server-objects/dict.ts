/**
 * Server-side dict and Namespace. Keys are primitives (strings, numbers, bigints, booleans,
 * null, undefined), compared like a JS Map's keys — `1` and `'1'` are two keys, as in Python.
 * An object key would be a copy that never matches again, so it is a TypeError (Python's
 * "unhashable type").
 */
import { KeyError } from '../errors.js';

export type DictKey = string | number | bigint | boolean | null | undefined;

function checkKey(key: unknown): DictKey {
  if (key !== null && (typeof key === 'object' || typeof key === 'function' || typeof key === 'symbol')) {
    throw new TypeError(
      `unhashable dict key (${Array.isArray(key) ? 'an array' : typeof key}): keys must be strings, numbers, ` +
        'bigints, booleans or null; join a compound key into a string (e.g. "3,4")',
    );
  }
  return key as DictKey;
}

/** Entries of a plain object, a Map, or an iterable of [key, value] pairs. */
export function entriesOf(init: unknown, what: string): Iterable<[unknown, unknown]> {
  if (init === undefined || init === null) return [];
  if (init instanceof Map) return init.entries();
  if (typeof init === 'object' && Symbol.iterator in init) return init as Iterable<[unknown, unknown]>;
  if (typeof init === 'object') return Object.entries(init);
  throw new TypeError(`${what}: expected an object, a Map or [key, value] pairs, got ${typeof init}`);
}

/** `manager.dict(init?)`: Python's dict, in the server. */
export class ServerDict {
  readonly #map = new Map<DictKey, unknown>();

  constructor(init?: unknown) {
    this.update(init);
  }

  /** The value at `key`, or `dflt` (undefined) when missing. */
  get(key: unknown, dflt?: unknown): unknown {
    const k = checkKey(key);
    return this.#map.has(k) ? this.#map.get(k) : dflt;
  }

  set(key: unknown, value: unknown): void {
    this.#map.set(checkKey(key), value);
  }

  has(key: unknown): boolean {
    return this.#map.has(checkKey(key));
  }

  /** Removes `key`; true if it was there. */
  delete(key: unknown): boolean {
    return this.#map.delete(checkKey(key));
  }

  keys(): DictKey[] {
    return [...this.#map.keys()];
  }

  values(): unknown[] {
    return [...this.#map.values()];
  }

  items(): [DictKey, unknown][] {
    return [...this.#map.entries()];
  }

  update(other?: unknown): void {
    for (const [k, v] of entriesOf(other, 'update')) this.#map.set(checkKey(k), v);
  }

  /** Removes `key` and returns its value; `dflt` if missing, or KeyError without `dflt`. */
  pop(key: unknown, ...dflt: unknown[]): unknown {
    const k = checkKey(key);
    if (this.#map.has(k)) {
      const v = this.#map.get(k);
      this.#map.delete(k);
      return v;
    }
    if (dflt.length > 0) return dflt[0];
    throw new KeyError(key);
  }

  /** Removes and returns the last inserted [key, value]; KeyError when empty. */
  popitem(): [DictKey, unknown] {
    if (this.#map.size === 0) throw new KeyError(undefined, 'popitem(): dictionary is empty');
    const last = [...this.#map.keys()].pop() as DictKey;
    const v = this.#map.get(last);
    this.#map.delete(last);
    return [last, v];
  }

  setdefault(key: unknown, value?: unknown): unknown {
    const k = checkKey(key);
    if (this.#map.has(k)) return this.#map.get(k);
    this.#map.set(k, value);
    return value;
  }

  len(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
  }

  /** A copy as a Map (keys keep their type). */
  copy(): Map<DictKey, unknown> {
    return new Map(this.#map);
  }

  /** A copy as a plain object (keys become strings). */
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.#map) out[String(k)] = v;
    return out;
  }
}

/** `manager.Namespace(init?)`: named attributes. */
export class ServerNamespace {
  readonly #attrs = new Map<string, unknown>();

  constructor(init?: unknown) {
    for (const [k, v] of entriesOf(init, 'Namespace')) this.#attrs.set(String(k), v);
  }

  /** The attribute; an AttributeError-like Error when it does not exist (as Python). */
  get(name: string): unknown {
    if (!this.#attrs.has(name)) {
      const err = new Error(`'Namespace' object has no attribute ${JSON.stringify(name)}`);
      err.name = 'AttributeError';
      throw err;
    }
    return this.#attrs.get(name);
  }

  set(name: string, value: unknown): void {
    if (typeof name !== 'string') throw new TypeError(`attribute name must be a string, got ${typeof name}`);
    this.#attrs.set(name, value);
  }

  has(name: string): boolean {
    return this.#attrs.has(name);
  }

  delete(name: string): boolean {
    return this.#attrs.delete(name);
  }

  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.#attrs);
  }
}
