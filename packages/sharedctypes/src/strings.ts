/**
 * Internal: the string forms of `c_wchar * n` (UTF-32 code points, native byte order) and
 * `c_char * n` (bytes; strings are taken as latin1).
 *
 * Reading stops at the first NUL. Writing a string of `k <= n` characters writes them and zeroes
 * the rest of the array (ctypes writes only one NUL; zeroing keeps the memory deterministic);
 * `k === n` fits exactly without a terminator, as in ctypes; `k > n` is a RangeError (ctypes'
 * "string too long" ValueError) and nothing is written.
 */
import { LE } from './codec.js';
import { describeValue } from './convert.js';

/** Number of code points of `s` (what a `c_wchar` array needs), not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Reads up to `n` code points at `off`, stopping at NUL. */
export function readWString(dv: DataView, off: number, n: number): string {
  let out = '';
  let chunk: number[] = [];
  for (let i = 0; i < n; i++) {
    const cp = dv.getUint32(off + 4 * i, LE);
    if (cp === 0) break;
    chunk.push(cp <= 0x10ffff ? cp : 0xfffd);
    if (chunk.length === 4096) {
      out += String.fromCodePoint(...chunk);
      chunk = [];
    }
  }
  return chunk.length > 0 ? out + String.fromCodePoint(...chunk) : out;
}

/** Writes `s` as UTF-32 into `n` wchars at `off`, zero-filling the rest. */
export function writeWString(dv: DataView, off: number, n: number, s: unknown, typeName: string): void {
  if (typeof s !== 'string') throw new TypeError(`${typeName} expects a string, got ${describeValue(s)}`);
  const len = codePointLength(s);
  if (len > n) {
    throw new RangeError(
      `string too long for ${typeName} (${len} characters, maximum ${n}); shorten it or use a longer array`,
    );
  }
  let i = 0;
  for (const ch of s) {
    dv.setUint32(off + 4 * i++, ch.codePointAt(0)!, LE);
  }
  for (; i < n; i++) dv.setUint32(off + 4 * i, 0, LE);
}

/** Reads bytes up to the first NUL as a latin1 string (Python's `c_char_array.value`, decoded). */
export function readCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const b = end < 0 ? bytes : bytes.subarray(0, end);
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/**
 * Writes a `c_char * n`: a latin1 string or any array-like of bytes of length <= n; the rest is zeroed.
 */
export function writeBytes(target: Uint8Array, src: unknown, typeName: string): void {
  const n = target.length;
  if (typeof src === 'string') {
    if (src.length > n) {
      throw new RangeError(`bytes too long for ${typeName} (${src.length}, maximum length ${n})`);
    }
    for (let i = 0; i < src.length; i++) {
      const c = src.charCodeAt(i);
      if (c > 255) {
        throw new RangeError(
          `${typeName} takes latin1 strings; character ${JSON.stringify(src[i])} at index ${i} is not ` +
            'latin1: encode the text to bytes first (new TextEncoder().encode(s))',
        );
      }
    }
    for (let i = 0; i < src.length; i++) target[i] = src.charCodeAt(i);
    target.fill(0, src.length);
    return;
  }
  if (typeof src !== 'object' || src === null || typeof (src as ArrayLike<number>).length !== 'number') {
    throw new TypeError(
      `${typeName} expects a Uint8Array, an array of bytes or a latin1 string, got ${describeValue(src)}`,
    );
  }
  const a = src as ArrayLike<unknown>;
  if (a.length > n) throw new RangeError(`bytes too long for ${typeName} (${a.length}, maximum length ${n})`);
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray || a instanceof Int8Array) {
    target.set(a instanceof Int8Array ? new Uint8Array(a.buffer, a.byteOffset, a.length) : a);
  } else {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new TypeError(`${typeName}: element ${i} must be a byte 0..255, got ${describeValue(v)}`);
      }
    }
    for (let i = 0; i < a.length; i++) target[i] = a[i] as number;
  }
  target.fill(0, a.length);
}
