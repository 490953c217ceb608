/**
 * The prime-counter demo: counts the primes below N the four ways the seed does and prints
 * time, speedup and parallel efficiency for each.
 *
 *   node --import tsx src/main.ts [--n 10000000] [--processes <cpus>] [--start-method thread] [--json]
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import * as mp from 'multiproc';
import { countIntoQueue, countPair, countRange, divideRange } from './primes.ts';

/** Known counts, to check every way's answer. */
const KNOWN: Record<number, number> = { 1000000: 78_498, 5000000: 348_513, 10000000: 664_579 };

/** Results each Process puts on the Queue (one per slice of its range). */
const SLICES = 25;

interface WayResult {
  way: string;
  primes: number;
  seconds: number;
  speedup: number;
  efficiency: number;
}

function options() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000000' },
      processes: { type: 'string', default: String(mp.cpuCount()) },
      'start-method': { type: 'string', default: 'thread' },
      json: { type: 'boolean', default: false },
    },
  });
  const n = Number(values.n);
  const processes = Number(values.processes);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`--n must be an integer >= 2, got ${values.n}`);
  if (!Number.isInteger(processes) || processes < 1) throw new RangeError(`--processes must be >= 1`);
  const method = values['start-method'] as mp.StartMethod;
  if (!mp.getAllStartMethods().includes(method))
    throw new RangeError(
      `--start-method must be one of ${mp.getAllStartMethods().join(', ')}, got ${method}`,
    );
  return { n, processes, method, json: values.json };
}

async function timed(fn: () => Promise<number>): Promise<{ primes: number; seconds: number }> {
  const t = performance.now();
  const primes = await fn();
  return { primes, seconds: (performance.now() - t) / 1000 };
}

/** One way of counting: `run` reports progress through `tick(done, total)`. */
type Way = [label: string, run: (tick: (done: number, total: number) => void) => Promise<number>];

async function main(): Promise<void> {
  const { n, processes, method, json } = options();
  const ctx = mp.getContext(method);
  const bar = json
    ? undefined
    : new cliProgress.SingleBar(
        {
          format: '  {way} |{bar}| {percentage}% | {value}/{total} sub-ranges | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
  const ways: Way[] = [
    [
      'one thread',
      async (tick) => {
        const ranges = divideRange(2, n, 100);
        let total = 0;
        for (const [i, [lo, hi]] of ranges.entries()) {
          total += countRange(lo, hi);
          tick(i + 1, ranges.length);
        }
        return total;
      },
    ],
    [
      `${processes} x Process + Queue`,
      async (tick) => {
        // The seed's way: one Process per sub-range, results back through a Queue. Each worker
        // puts one count per slice of its range, so the bar moves while they run.
        const results = new ctx.Queue<number>();
        const procs = divideRange(2, n, processes).map(
          ([lo, hi]) => new ctx.Process({ target: countIntoQueue, args: [lo, hi, SLICES, results] }),
        );
        for (const p of procs) await p.start();
        let total = 0;
        const expected = procs.length * SLICES;
        for (let i = 0; i < expected; i++) {
          total += await results.get();
          tick(i + 1, expected);
        }
        for (const p of procs) await p.join();
        results.close();
        return total;
      },
    ],
    [
      `Pool(${processes}).map`,
      async (tick) => {
        await using pool = new ctx.Pool({ processes });
        const ranges = divideRange(2, n, 100);
        const counts = await pool.map(countPair, ranges, {
          onProgress: ({ completed }) => tick(completed, ranges.length),
        });
        return counts.reduce((a, b) => a + b, 0);
      },
    ],
    [
      `Pool(${processes}).imapUnordered`,
      async (tick) => {
        await using pool = new ctx.Pool({ processes });
        const ranges = divideRange(2, n, 200);
        let total = 0;
        let done = 0;
        for await (const count of pool.imapUnordered(countPair, ranges, { chunksize: 2 })) {
          total += count;
          tick(++done, ranges.length);
        }
        return total;
      },
    ],
  ];

  const rows: WayResult[] = [];
  for (const [way, run] of ways) {
    bar?.start(1, 0, { way: way.padEnd(26) });
    const { primes, seconds } = await timed(() =>
      run((done, total) => {
        bar?.setTotal(total);
        bar?.update(done);
      }),
    );
    bar?.stop();
    if (!json)
      console.log(`  ${way.padEnd(26)} ${primes.toLocaleString('en-US')} primes in ${seconds.toFixed(2)} s`);
    const base = rows[0]?.seconds ?? seconds;
    const workers = rows.length === 0 ? 1 : processes;
    rows.push({ way, primes, seconds, speedup: base / seconds, efficiency: base / seconds / workers });
    const expected = KNOWN[n] ?? rows[0].primes;
    if (primes !== expected)
      throw new Error(`${way} counted ${primes} primes below ${n}, expected ${expected}`);
  }

  if (json) {
    console.log(JSON.stringify({ n, processes, startMethod: method, cpus: mp.cpuCount(), rows }, null, 2));
    return;
  }
  console.log(
    `\n${rows[0].primes.toLocaleString('en-US')} primes below ${n.toLocaleString('en-US')} (${method} start method)\n`,
  );
  console.log('| way | time | speedup | efficiency |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.way} | ${r.seconds.toFixed(2)} s | ${r.speedup.toFixed(2)}x | ${(r.efficiency * 100).toFixed(0)}% |`,
    );
  }
}

if (mp.isMainProcess()) await main();
