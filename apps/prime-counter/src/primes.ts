/**
 * The work itself: trial division, as in the seed. The functions a worker runs are exported,
 * so that multiproc can send them by reference (module URL + export name).
 */
import type * as mp from 'multiproc';

/** Trial division up to sqrt(n): deliberately CPU-bound. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** How many primes lie in [lo, hi). */
export function countRange(lo: number, hi: number): number {
  let total = 0;
  for (let n = lo; n < hi; n++) if (isPrime(n)) total++;
  return total;
}

/** `countRange` for a `[lo, hi)` pair: what Pool.map and imapUnordered call. */
export function countPair([lo, hi]: [number, number]): number {
  return countRange(lo, hi);
}

/**
 * A Process target (the seed's worker): counts [lo, hi) in `slices` slices and puts each
 * slice's count on the queue, so the parent can show progress; the counts add up to the range's.
 */
export async function countIntoQueue(
  lo: number,
  hi: number,
  slices: number,
  results: mp.Queue<number>,
): Promise<void> {
  const ranges = divideRange(lo, hi, slices);
  for (const [a, b] of ranges) await results.put(countRange(a, b));
  for (let i = ranges.length; i < slices; i++) await results.put(0); // a range shorter than `slices`
}

/** Splits [lo, hi) into `parts` contiguous ranges of nearly equal length. */
export function divideRange(lo: number, hi: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const step = Math.ceil((hi - lo) / parts);
  for (let a = lo; a < hi; a += step) out.push([a, Math.min(hi, a + step)]);
  return out;
}
