/**
 * Server-side list: Python's list semantics (negative indices, IndexError -> RangeError,
 * ValueError -> RangeError, value equality for index/count/remove, Python-ordered sort).
 */
import { isDeepStrictEqual } from 'node:util';

function toArray(iterable: unknown, what: string): unknown[] {
  if (iterable === undefined || iterable === null) return [];
  if (typeof iterable === 'object' && Symbol.iterator in iterable)
    return [...(iterable as Iterable<unknown>)];
  throw new TypeError(`${what}: expected an iterable (an array), got ${typeof iterable}`);
}

/** Python's `<` on the values a list usually holds. */
export function compare(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  const numeric = (t: string) => t === 'number' || t === 'bigint' || t === 'boolean';
  if (numeric(ta) && numeric(tb)) {
    const x = ta === 'boolean' ? Number(a) : (a as number);
    const y = tb === 'boolean' ? Number(b) : (b as number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ta === 'string' && tb === 'string') return (a as string) < (b as string) ? -1 : a === b ? 0 : 1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(`'<' is not supported between ${describe(a)} and ${describe(b)}`);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

/** `manager.list(init?)`. */
export class ServerList {
  #items: unknown[];

  constructor(init?: unknown) {
    this.#items = toArray(init, 'list');
  }

  #index(i: unknown, what = 'list index'): number {
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new TypeError(`${what} must be an integer, got ${String(i)}`);
    const n = this.#items.length;
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) throw new RangeError(`${what} out of range: ${i} (length ${n})`);
    return j;
  }

  get(i: number): unknown {
    return this.#items[this.#index(i)];
  }

  set(i: number, value: unknown): void {
    this.#items[this.#index(i, 'list assignment index')] = value;
  }

  append(x: unknown): void {
    this.#items.push(x);
  }

  extend(xs: unknown): void {
    for (const x of toArray(xs, 'extend')) this.#items.push(x);
  }

  /** Removes and returns the item at `i` (default: the last). RangeError if out of range. */
  pop(i = -1): unknown {
    if (this.#items.length === 0) throw new RangeError('pop from an empty list');
    return this.#items.splice(this.#index(i, 'pop index'), 1)[0];
  }

  insert(i: number, x: unknown): void {
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new TypeError(`insert index must be an integer, got ${String(i)}`);
    const n = this.#items.length;
    const j = i < 0 ? Math.max(0, i + n) : Math.min(i, n);
    this.#items.splice(j, 0, x);
  }

  /** Removes the first item equal to `x`; RangeError if there is none. */
  remove(x: unknown): void {
    const i = this.#items.findIndex((y) => isDeepStrictEqual(x, y));
    if (i < 0) throw new RangeError('list.remove(x): x not in list');
    this.#items.splice(i, 1);
  }

  /** Index of the first item equal to `x` (in [start, stop)); RangeError if there is none. */
  index(x: unknown, start = 0, stop = this.#items.length): number {
    const n = this.#items.length;
    const from = start < 0 ? Math.max(0, start + n) : start;
    const to = stop < 0 ? stop + n : Math.min(stop, n);
    for (let i = from; i < to; i++) if (isDeepStrictEqual(x, this.#items[i])) return i;
    throw new RangeError('list.index(x): x not in list');
  }

  count(x: unknown): number {
    let c = 0;
    for (const y of this.#items) if (isDeepStrictEqual(x, y)) c++;
    return c;
  }

  reverse(): void {
    this.#items.reverse();
  }

  /** Sorts in place in Python's order (numbers numerically, strings, arrays lexicographically). */
  sort(options: { reverse?: boolean } = {}): void {
    const sign = options?.reverse ? -1 : 1;
    this.#items.sort((a, b) => sign * compare(a, b));
  }

  len(): number {
    return this.#items.length;
  }

  clear(): void {
    this.#items = [];
  }

  copy(): unknown[] {
    return [...this.#items];
  }

  /** Items from `start` to `end` (Python's `l[start:end]`, negative indices allowed). */
  slice(start?: number, end?: number): unknown[] {
    return this.#items.slice(start, end);
  }
}
