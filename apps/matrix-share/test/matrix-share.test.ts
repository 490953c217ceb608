import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { matrix, multiplyRows } from '../src/matrix.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('matrix', () => {
  it('wraps the RawArray without copying it', () => {
    const data = new Float64Array(new SharedArrayBuffer(6 * 8));
    const m = matrix(data, 2, 3);
    m.set(1, 2, 7);
    expect(m.data).toBe(data);
    expect(data[5]).toBe(7);
  });

  it('multiplyRows computes a row block of the product', () => {
    const a = Float64Array.from([1, 2, 3, 4]); // [[1, 2], [3, 4]]
    const b = Float64Array.from([5, 6, 7, 8]); // [[5, 6], [7, 8]]
    const c = new Float64Array(4);
    multiplyRows(a, b, c, 2, 1, 2);
    expect([...c]).toEqual([0, 0, 43, 50]);
    multiplyRows(a, b, c, 2, 0, 1);
    expect([...c]).toEqual([19, 22, 43, 50]);
  });
});

describe('the demo at size 64', () => {
  it('fills each row with a worker ident and multiplies in shared memory exactly', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', main, '--size', '64', '--processes', '2', '--json'],
      { timeout: 120_000 },
    );
    const report = JSON.parse(stdout);
    // (a) row i holds the ident of the worker that ran task i, in every column
    expect(report.fill.table).toHaveLength(4);
    report.fill.table.forEach((row: number[], i: number) => {
      expect(row).toEqual(new Array(10).fill(report.fill.idents[i]));
    });
    expect(report.fill.idents.every((id: number) => id > 0)).toBe(true);
    // (b) the parallel product is the single-thread one, computed in the shared C
    expect(report.multiply.n).toBe(64);
    expect(report.multiply.rowsComputed).toBe(64);
    expect(report.multiply.sharedInWorkers).toBe(true);
    expect(report.multiply.maxAbsDiff).toBe(0);
  });
});
