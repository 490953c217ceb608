/**
 * The work of the matrix-share demo. Pool workers import these functions by reference, so they
 * are exported; the matrices arrive as the very RawArrays the main thread made (the same shared
 * memory, not a copy), and `ndarray` wraps them zero-copy as 2-D views.
 */
import ndarray from 'ndarray';
import * as mp from 'multiproc';

/** A `rows x cols` row-major 2-D view over `data` (no copy: `view.data === data`). */
export function matrix(data: Float64Array, rows: number, cols: number): ndarray.NdArray<Float64Array> {
  return ndarray(data, [rows, cols]);
}

/** Part (a), the seed's task: fills row `row` of the shared matrix with this worker's ident. */
export function fillRow(data: Float64Array, rows: number, cols: number, row: number): number {
  const ident = mp.currentProcess().ident ?? 0;
  const r = matrix(data, rows, cols).pick(row, null);
  for (let j = 0; j < cols; j++) r.set(j, ident);
  return ident;
}

/**
 * Part (b): C[r0:r1, :] = A[r0:r1, :] x B for n x n matrices, by ndarray row-block views. The
 * inner loops run over each view's data/offset/stride (i-k-j order, so B and C are read and
 * written along rows), the way numpy hands a view to its BLAS kernel.
 */
export function multiplyRows(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  n: number,
  r0: number,
  r1: number,
): { rows: number; shared: boolean } {
  const A = matrix(a, n, n).hi(r1, n).lo(r0, 0);
  const B = matrix(b, n, n);
  const C = matrix(c, n, n).hi(r1, n).lo(r0, 0);
  const [as0, as1] = A.stride;
  const [bs0, bs1] = B.stride;
  const [cs0, cs1] = C.stride;
  const ad = A.data;
  const bd = B.data;
  const cd = C.data;
  for (let i = 0; i < A.shape[0]; i++) {
    const ci = C.offset + i * cs0;
    for (let j = 0; j < n; j++) cd[ci + j * cs1] = 0;
    for (let k = 0; k < n; k++) {
      const aik = ad[A.offset + i * as0 + k * as1];
      const bk = B.offset + k * bs0;
      for (let j = 0; j < n; j++) cd[ci + j * cs1] += aik * bd[bk + j * bs1];
    }
  }
  return { rows: r1 - r0, shared: c.buffer instanceof SharedArrayBuffer };
}
