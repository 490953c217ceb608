// Whole programs run as child processes: the honest way to test the main-module rules,
// daemon semantics at parent exit, and output ordering.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './helpers.js';

describe('the function-reference rule in real programs', () => {
  it('(a) a function exported by the module that creates the Process', async () => {
    const r = await runNode(['main-a.mjs']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'hello bob 42 from Process-1 main=false parent=MainProcess\nexitcode 0 ident=number pid=true\n',
    );
    expect(r.code).toBe(0);
  });

  it('(b) functions exported by a module it imports directly (named, renamed, namespace) and mp.ref()', async () => {
    const r = await runNode(['main-b.mjs']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'work work in Process-1',
      'exitcode 0',
      'other other in Process-2',
      'exitcode 0',
      'work work in Process-3',
      'exitcode 0',
      'other other in Process-4',
      'exitcode 0',
    ]);
  });

  it('anything else fails in the parent with a fix-it message, before any worker starts', async () => {
    const r = await runNode(['main-bad.mjs']);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^lambda: TypeError: cannot send an anonymous function to a worker.*mp\.ref\(/);
    expect(lines[2]).toMatch(/^local: TypeError: cannot send the function 'local'.*export function local/);
    expect(lines[4]).toMatch(/^notExported: TypeError: .*'notExported' is not exported by .*main-bad\.mjs/);
    for (const i of [1, 3, 5]) expect(lines[i]).toMatch(/alive=false exitcode=null children=0$/);
    expect(r.code).toBe(0);
  });

  it('TypeScript through tsx: (a), (b) with a .js specifier of a .ts file, and a subclass', async () => {
    const r = await runNode(['--import', 'tsx', 'main.ts']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'square 49 in Process-1',
      'exitcode 0',
      'work ts in Process-2',
      'exitcode 0',
      'counter from 3 in counter (true)',
      'exitcode 0',
    ]);
  });
});

describe('README', () => {
  it('the example runs as documented', async () => {
    const r = await runNode([fileURLToPath(new URL('../examples/hello.mjs', import.meta.url))]);
    expect(r.stdout).toBe('hello bob from Process-1\nexitcode 0\nexitcode 1\n');
    expect(r.stderr).toMatch(/^Process Process-2:\nRangeError: bad input\n {4}at fail /);
  });
});

describe('daemon', () => {
  it('a daemonic child is terminated when its parent exits', async () => {
    // The child runs forever: the program ends only because the daemon does not hold it.
    const r = await runNode(['daemon.mjs', 'daemon']);
    expect(r.stdout).toBe('main done, daemon alive=true\n');
    expect(r.code).toBe(0);
  });

  it('a non-daemonic child keeps its parent alive until it ends', async () => {
    const r = await runNode(['daemon.mjs', 'non-daemon']);
    expect(r.stdout).toBe('main done\nnon-daemon done\n');
    expect(r.code).toBe(0);
  });
});

describe('output', () => {
  it("workers' stdout reaches the parent in order, before what the parent prints after join()", async () => {
    const n = 2000;
    const r = await runNode(['stdout-order.mjs', String(n)]);
    const expected = [
      'main before',
      ...Array.from({ length: n }, (_, i) => `child ${i}`),
      'main middle',
      'child before',
      ...Array.from({ length: n }, (_, i) => `grandchild ${i}`),
      'child after',
      'main after 0 0',
    ];
    expect(r.stdout).toBe(`${expected.join('\n')}\n`);
    expect(r.stderr).toBe('child stderr\ngrandchild stderr\n');
  });

  it('logToStderr() reports lifecycle events like Python, in workers too', async () => {
    const r = await runNode(['logging.mjs']);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toContain('[INFO/Process-1] child process calling self.run()');
    expect(lines).toContain('[INFO/Process-1] process shutting down');
    expect(lines).toContain('[INFO/Process-1] process exiting with exitcode 0');
    expect(lines).toContain('[INFO/Process-2] process exiting with exitcode 7');
    expect(lines).toContain('[INFO/MainProcess] calling terminate() for daemon Process-3');
    expect(lines).toContain('[INFO/MainProcess] process shutting down');
    expect(lines.indexOf('[INFO/Process-1] child process calling self.run()')).toBeLessThan(
      lines.indexOf('[INFO/Process-1] process exiting with exitcode 0'),
    );
  });
});
