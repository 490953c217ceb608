/**
 * `pnpm bench`: runs every workload side by side and writes results/latest.{json,md,svg}.
 * `pnpm bench <name>...` runs only the workloads whose names contain one of the words.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Row, Workload } from './harness.js';
import { python } from './harness.js';
import { markdown, writeReport } from './report.js';
import { workloads } from './workloads/index.js';

const filters = process.argv.slice(2);
const chosen: Workload[] = workloads.filter(
  (w) => filters.length === 0 || filters.some((f) => w.name.includes(f)),
);
const rows: Row[] = [];
const started = Date.now();
if (!python()) console.warn('python3 not found: the CPython rows are skipped');
for (const w of chosen) {
  console.log(`\n== ${w.name} (${w.sizes})`);
  const t = performance.now();
  const got = await w.run();
  rows.push(...got);
  for (const r of got)
    console.log(`  ${r.impl.padEnd(34)} ${r.metric.padEnd(28)} ${r.value.toPrecision(4)} ${r.unit}`);
  console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
const dir = fileURLToPath(new URL('../results', import.meta.url));
// A partial run (`pnpm bench pool`) replaces only its own workloads' rows in latest.*.
const previous = filters.length > 0 ? readPrevious(`${dir}/latest.json`) : undefined;
const ran = new Set(chosen.map((w) => w.name));
const kept = previous?.rows.filter((r) => !ran.has(r.workload)) ?? [];
writeReport(dir, [...kept, ...rows], {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  seconds: Math.round((Date.now() - started) / 1000),
  workloads: [
    ...(previous?.workloads.filter((w) => !ran.has(w.name)) ?? []),
    ...chosen.map((w) => ({ name: w.name, sizes: w.sizes, date: new Date().toISOString() })),
  ],
});
console.log(`\n${markdown(rows)}\n\nwritten to ${dir}/latest.{json,md,svg}`);
process.exit(0);

function readPrevious(file: string): { rows: Row[]; workloads: Array<{ name: string }> } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
