import * as mp from '@multiproc/process';
import { allocateBlock, waitAsync } from '@multiproc/memory';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as targets from './fixtures/targets.mjs';
import {
  CustomError,
  Recorder,
  armExitHook,
  asyncFail,
  asyncWrite,
  bump,
  describeSelf,
  exitWith,
  fail,
  forever,
  nested,
  ok,
} from './fixtures/targets.mjs';
import { scratch, tracker } from './helpers.js';

const t = tracker();
const tmp = scratch();
afterEach(() => t.cleanup());
afterAll(() => tmp.cleanup());

function proc(options: mp.ProcessOptions): mp.Process {
  return t.track(new mp.Process(options));
}

describe('exit codes', () => {
  it('is null before and while running, 0 after a target that returns', async () => {
    const p = proc({ target: ok });
    expect(p.exitcode).toBeNull();
    await p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(p.isAlive()).toBe(false);
  });

  it('is 1 when the target throws, with its stack on stderr after a Python-style header', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const p = proc({ target: fail, args: ['it broke'] });
      await p.start();
      await p.join();
      expect(p.exitcode).toBe(1);
      const err = writes.join('');
      expect(err).toContain(`Process ${p.name}:\n`);
      expect(err).toContain('CustomError: it broke');
      expect(err).toMatch(/at fail \(.*targets\.mjs/);
      expect(err).toContain('the root cause');
      expect(err).toContain("code: 'E_CUSTOM'");
      expect(CustomError).toBeTypeOf('function');
    } finally {
      spy.mockRestore();
    }
  });

  it('is n after process.exit(n) in the target', async () => {
    const p = proc({ target: exitWith, args: [3] });
    await p.start();
    await p.join();
    expect(p.exitcode).toBe(3);
  });

  it('is -15 after terminate() and -9 after kill()', async () => {
    const a = proc({ target: forever });
    const b = proc({ target: forever });
    await a.start();
    await b.start();
    expect(a.isAlive()).toBe(true);
    a.terminate();
    b.kill();
    await a.join();
    await b.join();
    expect(a.exitcode).toBe(-15);
    expect(b.exitcode).toBe(-9);
    expect(String(a)).toContain('stopped[SIGTERM]');
  });

  it('terminate() after the process exited changes nothing', async () => {
    const p = proc({ target: ok });
    await p.start();
    await p.join();
    p.terminate();
    expect(p.exitcode).toBe(0);
  });

  it('an async target is awaited; an async throw gives exitcode 1', async () => {
    const p = proc({ target: asyncWrite, args: [tmp.file('async.json'), { v: [1, 2] }] });
    const q = proc({ target: asyncFail });
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await p.start();
      await q.start();
      await p.join();
      await q.join();
    } finally {
      spy.mockRestore();
    }
    expect(p.exitcode).toBe(0);
    expect(tmp.read('async.json')).toEqual({ v: [1, 2] });
    expect(q.exitcode).toBe(1);
  });
});

describe('join', () => {
  it('returns after the timeout with the process still alive', async () => {
    const p = proc({ target: forever });
    await p.start();
    await p.join(10);
    expect(p.isAlive()).toBe(true);
    expect(p.exitcode).toBeNull();
    await p.join({ timeout: 0 });
    expect(p.isAlive()).toBe(true);
    p.terminate();
    await p.join();
    expect(p.isAlive()).toBe(false);
  });

  it('rejects with the reason when its AbortSignal aborts; the process keeps running', async () => {
    const p = proc({ target: forever });
    await p.start();
    const ac = new AbortController();
    const joined = p.join({ signal: ac.signal });
    ac.abort(new Error('stop waiting'));
    await expect(joined).rejects.toThrow('stop waiting');
    await expect(p.join({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(p.isAlive()).toBe(true);
    p.kill();
    await p.join();
  });

  it('rejects a bad timeout', async () => {
    const p = proc({ target: ok });
    await p.start();
    expect(() => p.join(Number.NaN)).toThrow(TypeError);
    expect(() => p.join('1' as never)).toThrow(TypeError);
    await p.join();
  });
});

describe('identity', () => {
  it('names children Process-N in creation order and keeps a given name', () => {
    const a = new mp.Process({ target: ok });
    const b = new mp.Process({ target: ok });
    const n = Number(a.name.split('-')[1]);
    expect(a.name).toMatch(/^Process-\d+$/);
    expect(b.name).toBe(`Process-${n + 1}`);
    expect(new mp.Process({ target: ok, name: 'custom' }).name).toBe('custom');
  });

  it('currentProcess() inside a worker: name, ident, pid, daemon, authkey, parent', async () => {
    const file = tmp.file('self.json');
    const p = proc({ target: describeSelf, args: [file, 'x', 2], daemon: true });
    expect(p.pid).toBeUndefined();
    await p.start();
    expect(p.pid).toBe(process.pid);
    expect(typeof p.ident).toBe('number');
    await p.join();
    const seen = tmp.read('self.json');
    const main = mp.currentProcess();
    expect(seen).toMatchObject({
      name: p.name,
      ident: p.ident,
      pid: process.pid,
      daemon: true,
      isMain: false,
      isAlive: true,
      rest: ['x', 2],
      authkey: Buffer.from(main.authkey).toString('hex'),
      parent: { name: 'MainProcess', ident: main.ident, pid: process.pid },
    });
    expect(seen.ident).not.toBe(main.ident);
  });

  it('the main thread is MainProcess, with a 32-byte authkey and no parent', () => {
    const main = mp.currentProcess();
    expect(main.name).toBe('MainProcess');
    expect(main.authkey).toBeInstanceOf(Uint8Array);
    expect(main.authkey.length).toBe(32);
    expect(main.isAlive()).toBe(true);
    expect(mp.isMainProcess()).toBe(true);
    expect(mp.parentProcess()).toBeNull();
    expect(() => main.start()).toThrow(/created by the current process/);
  });

  it('activeChildren() lists running children only', async () => {
    const p = proc({ target: forever });
    await p.start();
    expect(mp.activeChildren()).toContain(p);
    p.terminate();
    await p.join();
    expect(mp.activeChildren()).not.toContain(p);
  });
});

describe('targets', () => {
  it('a target imported through a namespace import works', async () => {
    const file = tmp.file('ns.json');
    const p = proc({ target: targets.describeSelf, args: [file] });
    await p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(tmp.read('ns.json').name).toBe(p.name);
  });

  it('mp.ref() names a function explicitly', async () => {
    const file = tmp.file('ref.json');
    const p = proc({
      target: mp.ref(new URL('./fixtures/targets.mjs', import.meta.url), 'describeSelf'),
      args: [file],
    });
    await p.start();
    await p.join();
    expect(tmp.read('ref.json').name).toBe(p.name);
  });

  it('a subclass overriding run(): its fields travel and it is the current process there', async () => {
    const file = tmp.file('sub.json');
    const r = t.track(new Recorder(file, { deep: [1, { two: 2n }], when: new Date(0) }));
    expect(r.name).toBe('recorder');
    await r.start();
    await r.join();
    expect(r.exitcode).toBe(0);
    expect(tmp.read('sub.json')).toEqual({
      payload: { deep: [1, { two: '2n' }], when: '1970-01-01T00:00:00.000Z' },
      name: 'recorder',
      isRecorder: true,
      current: true,
    });
  });

  it('a worker starts its own child, named after it (Process-N:1)', async () => {
    const file = tmp.file('nested.json');
    const p = proc({ target: nested, args: [file] });
    await p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(tmp.read('nested.json')).toEqual({ me: p.name, child: `${p.name}:1`, exitcode: 0 });
    expect(tmp.read('nested.json.inner')).toMatchObject({
      name: `${p.name}:1`,
      parent: { name: p.name, ident: p.ident },
    });
  });
});

describe('bad input', () => {
  it('start() twice throws', async () => {
    const p = proc({ target: ok });
    await p.start();
    expect(() => p.start()).toThrow(/cannot start a process twice/);
    await p.join();
  });

  it('join() before start() throws', () => {
    const p = proc({ target: ok });
    expect(() => p.join()).toThrow(/call .*start\(\) first/);
  });

  it('close() while alive throws; after close, methods throw', async () => {
    const p = proc({ target: forever });
    await p.start();
    expect(() => p.close()).toThrow(/still running/);
    p.terminate();
    await p.join();
    p.close();
    expect(() => p.isAlive()).toThrow(/closed/);
    expect(() => p.join()).toThrow(/closed/);
    expect(p.exitcode).toBe(-15);
  });

  it('a target that is not exported fails in the parent; no worker starts', async () => {
    const local = () => {};
    function helper() {}
    for (const target of [local, helper, () => {}]) {
      const p = proc({ target });
      await expect(p.start()).rejects.toThrow(/cannot send .* to a worker.*Fix: /s);
      expect(p.isAlive()).toBe(false);
      expect(p.exitcode).toBeNull();
      expect(p.ident).toBeUndefined();
      expect(mp.activeChildren()).not.toContain(p);
    }
    const p = proc({ target: helper });
    await expect(p.start()).rejects.toThrow(/export it \(`export function helper`\).*mp\.ref\(/s);
  });

  it('unsendable args reject start() with a TypeError naming the path; join() rethrows it', async () => {
    const p = proc({ target: ok, args: [1, { cb: () => {} }] });
    const started = p.start();
    await expect(started).rejects.toThrow(TypeError);
    await expect(started).rejects.toThrow(/args\[1\]\.cb/);
    await expect(p.join()).rejects.toThrow(/args\[1\]\.cb/);
    expect(p.isAlive()).toBe(false);
  });

  it('not awaiting a failed start() is safe: join() rethrows', async () => {
    const p = proc({ target: ok, args: [Symbol('no')] });
    void p.start();
    await expect(p.join()).rejects.toThrow(/args\[0\]/);
  });

  it('rejects bad options synchronously', () => {
    expect(() => new mp.Process({ target: 42 as never })).toThrow(TypeError);
    expect(() => new mp.Process({ target: ok, args: 'x' as never })).toThrow(TypeError);
    expect(() => mp.ref('./relative.js', 'f')).toThrow(/absolute/);
  });

  it('a ref to a missing export fails in the worker with exitcode 1', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const p = proc({ target: mp.ref(new URL('./fixtures/targets.mjs', import.meta.url), 'nope') });
      await p.start();
      await p.join();
      expect(p.exitcode).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('terminate() before start() throws; during start() it prevents the worker', async () => {
    const p = proc({ target: forever });
    expect(() => p.terminate()).toThrow(/not started/);
    const started = p.start();
    p.terminate();
    await started;
    await p.join();
    expect(p.exitcode).toBe(-15);
  });

  it('daemon cannot change after start()', async () => {
    const p = proc({ target: ok });
    await p.start();
    expect(() => {
      p.daemon = true;
    }).toThrow(/already started/);
    await p.join();
  });
});

describe('shared memory', () => {
  it('a shared block passed in args is the same memory in the worker', async () => {
    const block = allocateBlock(16);
    const p = proc({ target: bump, args: [block, 1000] });
    const q = proc({ target: bump, args: [block, 1000] });
    await p.start();
    await q.start();
    await p.join();
    await q.join();
    expect(Atomics.load(block.i32, 0)).toBe(2000);
  });

  it("the child's exit hooks have run when join() resolves, however it exited", async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const how of ['exit', 'throw', 'terminate', 'kill'] as const) {
        const block = allocateBlock(16);
        const p = proc({
          target: armExitHook,
          args: [block, how === 'exit' || how === 'throw' ? how : 'wait'],
        });
        await p.start();
        if (how === 'terminate' || how === 'kill') {
          await waitAsync(block.i32, 2, 0); // until the target armed its hook
          p[how]();
        }
        await p.join();
        expect(Atomics.load(block.i32, 1), how).toBe(5);
      }
    } finally {
      spy.mockRestore();
    }
  });
});
