#!/usr/bin/env node
// Runs every package's vitest suite through turbo, then totals the JSON reports that each
// run writes (test-results.json) into one plain closing line: "N passed, M failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const dirs = ['packages', 'apps'].flatMap((d) =>
  existsSync(join(root, d)) ? readdirSync(join(root, d)).map((p) => join(root, d, p)) : [],
);
for (const dir of dirs) rmSync(join(dir, 'test-results.json'), { force: true });

const args = ['turbo', 'run', 'test', '--concurrency=1', '--continue', '--force', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of dirs) {
  const file = join(dir, 'test-results.json');
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  // A file that failed to load has no failed test but still fails the run: count it as one.
  const f = r.numFailedTests + suitesFailedWithoutTests(r);
  passed += r.numPassedTests;
  failed += f;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  rows.push(`  ${dir.slice(root.length).padEnd(28)} ${r.numPassedTests} passed, ${f} failed`);
}

function suitesFailedWithoutTests(r) {
  return (r.testResults ?? []).filter(
    (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}

console.log('\nTest totals per package:');
console.log(rows.join('\n'));
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // a runner that died without a report still fails
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || code !== 0 ? 1 : 0);
