// Bench task functions (imported by the pool workers and by the bare-thread baseline).
export function identity(x) {
  return x;
}
export function countPrimes(lo, hi) {
  let n = 0;
  for (let i = Math.max(2, lo); i < hi; i++) {
    let prime = true;
    for (let d = 2; d * d <= i; d++) {
      if (i % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) n++;
  }
  return n;
}
