import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as mp from '../src/index.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the umbrella', () => {
  it('exports the names of API.md', () => {
    const names = [
      'Process',
      'cpuCount',
      'currentProcess',
      'parentProcess',
      'activeChildren',
      'isMainProcess',
      'ref',
      'getLogger',
      'logToStderr',
      'getAllStartMethods',
      'getStartMethod',
      'setStartMethod',
      'getContext',
      'RawValue',
      'Value',
      'RawArray',
      'Array',
      'SharedMemory',
      'Structure',
      'arrayOf',
      'sizeof',
      'alignment',
      'offsetof',
      'c_int',
      'c_double',
      'c_wchar',
      'c_int64',
      'Lock',
      'RLock',
      'Semaphore',
      'BoundedSemaphore',
      'Condition',
      'Event',
      'Barrier',
      'Pipe',
      'Connection',
      'Listener',
      'Client',
      'Queue',
      'SimpleQueue',
      'JoinableQueue',
      'Pool',
      'AsyncResult',
      'Manager',
      'BaseManager',
      'TimeoutError',
      'Empty',
      'Full',
      'EOFError',
      'BrokenBarrierError',
      'AuthenticationError',
      'ProcessError',
      'BufferTooShort',
      'RemoteError',
    ];
    const missing = names.filter((n) => !(n in mp) || (mp as Record<string, unknown>)[n] === undefined);
    expect(missing).toEqual([]);
  });

  it('gives every context the shared objects, and binds Pool to its start method', () => {
    const ctx = mp.getContext('thread');
    expect(ctx.Queue).toBe(mp.Queue);
    expect(ctx.Lock).toBe(mp.Lock);
    expect(ctx.Value).toBe(mp.Value);
    expect(ctx.Array).toBe(mp.Array);
    expect(ctx.Process).toBeTypeOf('function');
    expect(ctx.Pool.name).toBe('Pool');
    expect(ctx.Pool.prototype).toBeInstanceOf(mp.Pool);
    expect(mp.getContext('spawn').Pool).not.toBe(ctx.Pool);
  });

  it('runs the README example: Processes, a shared Value and a Queue', async () => {
    const { stdout } = await run(process.execPath, [fixture('readme-example.mjs')], { timeout: 120_000 });
    expect(stdout).toContain('primes below 1,000,000: 78498');
    expect(stdout.match(/Process-\d: \d+ primes/g)).toHaveLength(4);
  });

  it("runs the seed's Pool.map and a Manager dict + Lock shared with pool tasks", async () => {
    const { stdout } = await run(process.execPath, [fixture('pool-seed.mjs')], { timeout: 120_000 });
    expect(stdout).toContain('pool.map: 78498');
    expect(stdout).toContain('manager dict: 10');
  });
});
