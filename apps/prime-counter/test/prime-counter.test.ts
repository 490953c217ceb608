import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { countRange, divideRange, isPrime } from '../src/primes.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('primes', () => {
  it('isPrime agrees with a sieve below 10,000', () => {
    const sieve = new Uint8Array(10_000).fill(1);
    sieve[0] = sieve[1] = 0;
    for (let i = 2; i * i < 10_000; i++) if (sieve[i]) for (let j = i * i; j < 10_000; j += i) sieve[j] = 0;
    for (let n = 0; n < 10_000; n++) expect(isPrime(n)).toBe(sieve[n] === 1);
  });

  it('divideRange covers the range exactly once', () => {
    for (const parts of [1, 3, 7, 200]) {
      const ranges = divideRange(2, 100_001, parts);
      expect(ranges[0][0]).toBe(2);
      expect(ranges.at(-1)?.[1]).toBe(100_001);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
      expect(ranges.reduce((a, [lo, hi]) => a + countRange(lo, hi), 0)).toBe(9_592);
    }
  });

  it('the demo counts the 78,498 primes below 1,000,000 all four ways', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', main, '--n', '1000000', '--processes', '2', '--json'],
      { timeout: 180_000 },
    );
    const report = JSON.parse(stdout);
    expect(report.rows.map((r: { primes: number }) => r.primes)).toEqual([78_498, 78_498, 78_498, 78_498]);
    expect(report.rows).toHaveLength(4);
  });
});
