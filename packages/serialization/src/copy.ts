/**
 * Binary payloads (ARRAY_BUFFER, VIEW) out of a message that may live in shared memory (a ring
 * buffer).
 *
 * V8 copies from a SharedArrayBuffer with relaxed atomic loads: 8 bytes at a time when source
 * and target sit at the same address modulo 8, one byte at a time otherwise (measured, 1 MiB:
 * 0.25 ms misaligned vs 0.04 ms aligned). A payload rarely starts 8-aligned (it follows its
 * tag and length), while a fresh target always does. So a misaligned shared source is staged
 * through a small scratch buffer placed at the source's alignment: a fast relaxed copy, then
 * a plain memcpy from cache (0.07 ms per MiB).
 */
import type { Decoder } from './decoder.js';
import * as T from './tags.js';

const PIECE = 64 * 1024;
/** Payloads from this size on are copied into memory that is not zero-filled first. */
const UNZEROED_MIN = 16 * 1024;
/** Below this the byte-wise copy costs less than a second call. */
const STAGE_MIN = 2048;
let scratch: Uint8Array | null = null;

/** Copies `n` bytes of `src` from `at` to the start of `out` (8-aligned, not shared). */
export function copyOut(src: Uint8Array, at: number, n: number, out: Uint8Array): void {
  const skew = (src.byteOffset + at) & 7;
  if (skew === 0 || n < STAGE_MIN || !(src.buffer instanceof SharedArrayBuffer)) {
    out.set(src.subarray(at, at + n));
    return;
  }
  scratch ??= new Uint8Array(PIECE + 8);
  for (let done = 0; done < n; done += PIECE) {
    const len = Math.min(PIECE, n - done);
    scratch.set(src.subarray(at + done, at + done + len), skew);
    out.set(scratch.subarray(skew, skew + len), done);
  }
}

/**
 * ARRAY_BUFFER payload (varint length + bytes) as a fresh, non-shared ArrayBuffer of exactly n
 * bytes. Big ones skip the zero-fill (`allocUnsafeSlow` is never pooled): every byte is
 * overwritten before anyone sees it.
 */
export function readArrayBuffer(dec: Decoder): ArrayBuffer {
  const n = dec.varint();
  const p = dec.need(n);
  const ab = n < UNZEROED_MIN ? new ArrayBuffer(n) : (Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer);
  copyOut(dec.bytes, p, n, new Uint8Array(ab));
  return ab;
}

/** VIEW payload (u8 view kind, then as ARRAY_BUFFER): a view of its own class on its own buffer. */
export function readView(dec: Decoder): ArrayBufferView {
  const kind = dec.bytes[dec.need(1)];
  if (kind >= T.VIEW_CTORS.length) dec.fail(`unknown view kind ${kind}`);
  const ab = readArrayBuffer(dec);
  let v: ArrayBufferView;
  if (kind === T.VIEW_BUFFER) v = Buffer.from(ab);
  else if (kind === T.VIEW_DATAVIEW) v = new DataView(ab);
  else {
    const ctor = T.VIEW_CTORS[kind] as Float64ArrayConstructor;
    if (ab.byteLength % ctor.BYTES_PER_ELEMENT !== 0)
      dec.fail(`byte length not a multiple of ${ctor.name} elements`);
    v = new ctor(ab);
  }
  dec.refs.push(v);
  return v;
}
