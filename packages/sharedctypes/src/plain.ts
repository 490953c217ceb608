/**
 * Deep copies of views as plain data, for logging, JSON and comparisons.
 */
import type { CType, PlainOf, ValueOf } from './ctype.js';
import { CArrayImpl } from './c-array.js';
import { structTypeOf } from './struct-view.js';

/**
 * A plain, detached copy of a value read from shared memory: a struct view becomes an object,
 * a CArray or typed array becomes a JS array (elements copied recursively), primitives stay.
 * `JSON.stringify(view)` uses it.
 *
 * @example
 * const u = createStructView(User, buf, 0);
 * toPlain(u); // { name: 'Joe', age: 18 }
 */
export function toPlain<T extends CType>(value: ValueOf<T>): PlainOf<T>;
export function toPlain(value: unknown): unknown;
export function toPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const S = structTypeOf(value);
  if (S !== undefined) {
    const out: Record<string, unknown> = {};
    for (const f of S.fields) out[f.name] = toPlain((value as Record<string, unknown>)[f.name]);
    return out;
  }
  if (value instanceof CArrayImpl) return value.toArray().map((v) => toPlain(v));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<unknown>);
  return value;
}
