import { Encoder } from './encoder.js';
import { publicError } from './unsendable.js';

/** Options of {@link dumps}. */
export interface DumpsOptions {
  /** Name of the root in error paths (default `'value'`), e.g. `'args'` gives `args[1].cb`. */
  path?: string;
}

/** The whole message as one right-sized Uint8Array with its own ArrayBuffer. */
export function finish(enc: Encoder): Uint8Array {
  if (enc.bigs.length === 0) return enc.buf.slice(0, enc.pos);
  let total = enc.pos;
  for (const b of enc.bigs) total += b.length;
  const out = new Uint8Array(total);
  let from = 0;
  let at = 0;
  for (let i = 0; i < enc.bigs.length; i++) {
    out.set(enc.buf.subarray(from, enc.bigAt[i]), at);
    at += enc.bigAt[i] - from;
    out.set(enc.bigs[i], at);
    at += enc.bigs[i].length;
    from = enc.bigAt[i];
  }
  out.set(enc.buf.subarray(from, enc.pos), at);
  return out;
}

/** The message as chunks: copies of the scratch segments, big payloads by reference. */
export function chunks(enc: Encoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < enc.bigs.length; i++) {
    if (enc.bigAt[i] > from) out.push(enc.buf.slice(from, enc.bigAt[i]));
    out.push(enc.bigs[i]);
    from = enc.bigAt[i];
  }
  if (enc.pos > from || out.length === 0) out.push(enc.buf.slice(from, enc.pos));
  return out;
}

// One idle encoder is kept; a reducer that calls dumps while an encoding runs gets a fresh one.
let idle: Encoder | null = new Encoder();

function run<R>(value: unknown, options: DumpsOptions | undefined, out: (enc: Encoder) => R): R {
  const enc = idle ?? new Encoder();
  idle = null;
  try {
    enc.write(value);
    return out(enc);
  } catch (e) {
    throw publicError(e, options?.path ?? 'value');
  } finally {
    enc.reset();
    idle = enc;
  }
}

/**
 * Serializes `value` into a new, right-sized `Uint8Array` (wire format: see tags.ts).
 *
 * Throws a {@link SerializationError} (a TypeError) naming the path of an unsendable value.
 *
 * @example
 * ```ts
 * const bytes = dumps({ id: 1, tags: ['a'], when: new Date() });
 * const copy = loads<{ id: number }>(bytes);
 * ```
 */
export function dumps(value: unknown, options?: DumpsOptions): Uint8Array {
  return run(value, options, finish);
}

/**
 * Serializes `value` as a list of chunks whose concatenation is `dumps(value)`. Binary payloads
 * of 4 KiB or more (ArrayBuffers, typed arrays, DataViews, Buffers) are their own chunk, a view
 * on the caller's memory (no copy), so a writer can gather-copy them straight into a ring
 * buffer. Those chunks alias the original value: copy them before the value is mutated.
 *
 * @example
 * ```ts
 * const parts = dumpsChunks({ pixels: new Float64Array(1 << 17) });
 * // parts[1].buffer === pixels.buffer
 * ```
 */
export function dumpsChunks(value: unknown, options?: DumpsOptions): Uint8Array[] {
  return run(value, options, chunks);
}
