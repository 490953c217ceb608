import { Decoder, Malformed } from './decoder.js';

// One idle decoder is kept; a `rebuild` that calls loads while a decoding runs gets a fresh one.
let idle: Decoder | null = new Decoder();

/**
 * Rebuilds a value serialized by `dumps` / `dumpsChunks`. Binary payloads are copied out, so
 * `bytes` may be reused right after. Malformed or truncated input throws an `Error` saying so
 * (never a hang); an unknown reducer name throws an `Error` naming the package to import.
 *
 * Buffers come back as Buffers, other typed arrays as their own class, errors per the rules
 * of {@link registerError}, shared objects through their reducer's `rebuild`.
 *
 * @example
 * ```ts
 * const m = loads<Map<string, number>>(dumps(new Map([['a', 1]])));
 * m.get('a'); // 1
 * ```
 */
export function loads<T = unknown>(bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`loads: expected a Uint8Array (as returned by dumps), got ${describe(bytes)}`);
  }
  const dec = idle ?? new Decoder();
  idle = null;
  dec.bytes = bytes;
  dec.pos = 0;
  dec.end = bytes.length;
  try {
    const value = dec.read();
    if (dec.pos !== dec.end) dec.fail(`${dec.end - dec.pos} trailing bytes after the value`);
    return value as T;
  } catch (e) {
    if (e instanceof Malformed) throw new Error(`loads: malformed or truncated data: ${e.message}`);
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new Error('loads: malformed data: nested too deeply');
    }
    throw e;
  } finally {
    dec.bytes = EMPTY;
    if (dec.refs.length !== 0) dec.refs = [];
    if (dec.shapes.length !== 0) dec.shapes = [];
    idle = dec;
  }
}

const EMPTY = new Uint8Array(0);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}
