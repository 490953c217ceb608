/**
 * Server-side Value and Array. As in Python's manager (`managers.Value` / `array.array`), they
 * are ordinary objects in the server, not shared memory: the typecode only decides how a
 * number is stored. Numeric types coerce like C (an `'i'` wraps to 32 bits, an `'f'` rounds to
 * float32); 64-bit types hold bigints; `'c'`, `'u'`, `c_bool` and structures are kept as given.
 */
import { type NumericArray, type NumericTypecode, TYPECODE_ARRAYS } from '@multiproc/serialization';

type NumericCtor = { new (n: number | ArrayLike<number> | ArrayLike<bigint>): NumericArray };

const CODES: Record<string, NumericCtor> = { ...(TYPECODE_ARRAYS as Record<NumericTypecode, NumericCtor>) };
// The ctypes names the proxy may send instead of a typecode.
const alias = (code: NumericTypecode, ...names: string[]) => {
  for (const n of names) CODES[n] = CODES[code];
};
alias('b', 'c_byte', 'c_int8');
alias('B', 'c_ubyte', 'c_uint8');
alias('h', 'c_short', 'c_int16');
alias('H', 'c_ushort', 'c_uint16');
alias('i', 'c_int', 'c_int32');
alias('I', 'c_uint', 'c_uint32');
alias('l', 'c_long', 'c_longlong', 'c_int64', 'c_ssize_t');
alias('L', 'c_ulong', 'c_ulonglong', 'c_uint64', 'c_size_t');
alias('f', 'c_float');
alias('d', 'c_double');
const OTHER = new Set(['c', 'u', 'c_char', 'c_wchar', 'c_bool']);

/** Checks a type name (typecode or ctypes name) as the proxy sends it. */
export function checkTypeName(type: string): void {
  if (typeof type !== 'string' || (!(type in CODES) && !OTHER.has(type) && !type.startsWith('struct:'))) {
    throw new TypeError(
      `unknown typecode ${JSON.stringify(type)}: use one of 'c' 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q' 'f' 'd' 'u' or a ctypes type`,
    );
  }
}

function coerce(ctor: NumericCtor | undefined, v: unknown): unknown {
  if (!ctor) return v;
  const big = ctor === (BigInt64Array as unknown) || ctor === (BigUint64Array as unknown);
  const cell = new ctor(1);
  if (big) {
    if (typeof v === 'number' && Number.isInteger(v)) v = BigInt(v);
    if (typeof v !== 'bigint')
      throw new TypeError(`a 64-bit integer type holds bigints (or integer numbers), got ${typeof v}`);
  } else if (typeof v !== 'number') {
    throw new TypeError(`a numeric type holds numbers, got ${typeof v}`);
  }
  (cell as unknown as unknown[])[0] = v;
  return cell[0];
}

/** `manager.Value(type, value)`. */
export class ServerValue {
  readonly typecode: string;
  readonly #ctor: NumericCtor | undefined;
  #value: unknown;

  constructor(type: string, value?: unknown) {
    checkTypeName(type);
    this.typecode = type;
    this.#ctor = CODES[type];
    this.#value = coerce(this.#ctor, value ?? (this.#ctor ? 0 : value));
  }

  get(): unknown {
    return this.#value;
  }

  set(value: unknown): void {
    this.#value = coerce(this.#ctor, value);
  }
}

/** `manager.Array(type, sequence)`. */
export class ServerArray {
  readonly typecode: string;
  readonly #ctor: NumericCtor | undefined;
  readonly #items: NumericArray | unknown[];

  constructor(type: string, init?: unknown) {
    checkTypeName(type);
    this.typecode = type;
    this.#ctor = CODES[type];
    let seq: unknown[];
    if (typeof init === 'number') {
      if (!Number.isInteger(init) || init < 0)
        throw new RangeError(`Array size must be an integer >= 0, got ${init}`);
      seq = new Array(init).fill(this.#ctor ? 0 : undefined);
    } else if (init && typeof init === 'object' && Symbol.iterator in init)
      seq = [...(init as Iterable<unknown>)];
    else throw new TypeError('Array(type, sizeOrSequence): expected a size or an iterable of values');
    this.#items = this.#ctor
      ? new this.#ctor(seq.length).map((_, i) => coerce(this.#ctor, seq[i]) as never)
      : seq;
  }

  #index(i: unknown): number {
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new TypeError(`array index must be an integer, got ${String(i)}`);
    const n = this.#items.length;
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) throw new RangeError(`array index out of range: ${i} (length ${n})`);
    return j;
  }

  get(i: number): unknown {
    return this.#items[this.#index(i)];
  }

  set(i: number, value: unknown): void {
    (this.#items as unknown[])[this.#index(i)] = coerce(this.#ctor, value);
  }

  len(): number {
    return this.#items.length;
  }

  /** The items as a plain array. */
  toArray(): unknown[] {
    return Array.from(this.#items as ArrayLike<unknown>);
  }

  slice(start?: number, end?: number): unknown[] {
    return this.toArray().slice(start, end);
  }
}
