/**
 * PACKED arrays (tags.ts): a plain array whose items are all numbers travels as one typed run
 * instead of one tag per item. A pool chunk (numbers in, numbers out) is exactly this, and the
 * generic path dispatches on every item: measured on 12,500 ints, 17 -> ~2 ns per item to
 * encode and 16 -> ~4 ns per item to decode.
 *
 * ```
 * PACKED  u8 kind (P_* below), varint len, len items of the kind's width, little-endian
 * ```
 */

/** Arrays shorter than this go the generic way: the scan would cost more than it saves. */
export const PACK_MIN = 16;
export const P_I8 = 0;
export const P_I16 = 1;
export const P_I32 = 2;
export const P_F64 = 3;
/** Bytes per item of each kind (index = kind). */
export const PACKED_WIDTH = [1, 2, 4, 8] as const;

/**
 * The narrowest kind that holds every item of `a`, or -1 if an item is not a number (a hole
 * reads as `undefined`, so holey arrays stay generic). Int32 values (not -0) pack as ints;
 * any other number (fractions, -0, NaN, big values) makes the whole run f64.
 */
export function packKind(a: unknown[]): number {
  const n = a.length;
  let min = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number') return -1;
    if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return numbersFrom(a, i + 1);
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  if (min >= -0x80 && max < 0x80) return P_I8;
  if (min >= -0x8000 && max < 0x8000) return P_I16;
  return P_I32;
}

function numbersFrom(a: unknown[], from: number): number {
  for (let i = from; i < a.length; i++) if (typeof a[i] !== 'number') return -1;
  return P_F64;
}

/**
 * Writes the items of `a` as `kind` at `pos` of `view` (room already ensured). Returns the end
 * position, or -1 if an item changed under us (an index getter returning something else the
 * second time): the caller then falls back to the generic encoding.
 */
export function writePacked(
  view: DataView,
  buf: Uint8Array,
  pos: number,
  a: unknown[],
  kind: number,
): number {
  const n = a.length;
  let p = pos;
  if (kind === P_F64) {
    for (let i = 0; i < n; i++, p += 8) {
      const v = a[i];
      if (typeof v !== 'number') return -1;
      view.setFloat64(p, v, true);
    }
    return p;
  }
  // One loop per kind (a kind test per item costs more than the store). The check rejects
  // non-numbers too: `(v << 24) >> 24 !== v` for any v that is not an int of that width.
  if (kind === P_I8) {
    for (let i = 0; i < n; i++, p++) {
      const v = a[i] as number;
      if ((v << 24) >> 24 !== v) return -1;
      buf[p] = v;
    }
  } else if (kind === P_I16) {
    for (let i = 0; i < n; i++, p += 2) {
      const v = a[i] as number;
      if ((v << 16) >> 16 !== v) return -1;
      view.setInt16(p, v, true);
    }
  } else {
    for (let i = 0; i < n; i++, p += 4) {
      const v = a[i] as number;
      if ((v | 0) !== v) return -1;
      view.setInt32(p, v, true);
    }
  }
  return p;
}

/** Reads `n` items of `kind` from `pos` of `bytes` (bounds already checked). */
export function readPacked(bytes: Uint8Array, pos: number, n: number, kind: number): number[] {
  const out = new Array<number>(n);
  if (kind === P_I8) {
    for (let i = 0; i < n; i++) out[i] = (bytes[pos + i] << 24) >> 24;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = pos;
  if (kind === P_I16) for (let i = 0; i < n; i++, p += 2) out[i] = view.getInt16(p, true);
  else if (kind === P_I32) for (let i = 0; i < n; i++, p += 4) out[i] = view.getInt32(p, true);
  else for (let i = 0; i < n; i++, p += 8) out[i] = view.getFloat64(p, true);
  return out;
}
