/**
 * The block directory thread starts only when something needs it. Each scenario runs in a fresh
 * process (fixtures/lazy-root.mjs), whose tree has not started a directory yet.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('./fixtures/lazy-root.mjs', import.meta.url));

function run(scenario: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [root, scenario], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${scenario}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim()));
    });
  });
}

describe('the block directory starts on first need', () => {
  it.runIf(existsSync('/proc/self/task'))(
    'children that look nothing up start no directory thread',
    async () => {
      expect(await run('idle')).toEqual({ extraThreads: 2 });
    },
  );
  it('a child finds a block another child exported, with the root idle', async () => {
    expect(await run('childToChild')).toEqual({ published: 'published', value: 42 });
  });
  it('a child finds a block while the root is blocked in waitSync', async () => {
    expect(await run('blockedRoot')).toEqual({ wait: 'ok', seen: 42, value: 42 });
  });
  it("a child's exit hook on a block it made is applied after it is gone", async () => {
    expect(await run('exitHook')).toEqual({ value: 5 });
  });
  it('a block exported by a child that has exited can still be looked up', async () => {
    expect(await run('exitAfterExport')).toEqual({ value: 42 });
  });
  it('named blocks work between children', async () => {
    expect(await run('named')).toEqual({ created: 'created', value: 7 });
  });
  it('a block the root sends to a child is found', async () => {
    expect(await run('rootExport')).toEqual({ value: 9 });
  });
});
