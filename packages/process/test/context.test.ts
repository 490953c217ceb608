import { execFile } from 'node:child_process';
import * as mp from '@multiproc/process';
import { afterEach, describe, expect, it } from 'vitest';
import { forever } from './fixtures/targets.mjs';
import { fixtures } from './helpers.js';

describe('start methods', () => {
  afterEach(() => mp.setStartMethod(null, { force: true }));

  it('lists thread and spawn; thread is the default', () => {
    expect(mp.getAllStartMethods()).toEqual(['thread', 'spawn']);
    expect(mp.getStartMethod(true)).toBeNull();
    expect(mp.getStartMethod()).toBe('thread');
  });

  it('setting twice without force throws (Python semantics), force changes it', () => {
    mp.setStartMethod('thread');
    expect(() => mp.setStartMethod('spawn')).toThrow(/already been set.*force/);
    mp.setStartMethod('spawn', { force: true });
    expect(mp.getStartMethod()).toBe('spawn');
  });

  it('getStartMethod() fixes the default, as in Python', () => {
    expect(mp.getStartMethod()).toBe('thread');
    expect(() => mp.setStartMethod('thread')).toThrow(/already been set/);
  });

  it('an unknown start method is a RangeError', () => {
    expect(() => mp.setStartMethod('fork' as never)).toThrow(RangeError);
    expect(() => mp.getContext('fork' as never)).toThrow(RangeError);
  });

  it("without the native addon, 'spawn' start() rejects saying what is missing; 'thread' still works", async () => {
    const r = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        ['no-addon.mjs'],
        {
          cwd: fixtures,
          timeout: 30_000,
          env: { ...process.env, MULTIPROC_SHM_ADDON: '/nonexistent/multiproc_shm.node' },
        },
        (_err, stdout) => resolve(stdout),
      );
    });
    expect(r).toMatch(/rejected: the 'spawn' start method is not available: .*could not be loaded/);
    expect(r).toContain('thread exitcode 0');
  });
});

describe('contexts', () => {
  it('getContext(m) is a singleton bound to m with the whole API', async () => {
    const ctx = mp.getContext('thread');
    expect(mp.getContext('thread')).toBe(ctx);
    expect(ctx).toBeInstanceOf(mp.BaseContext);
    expect(ctx.getStartMethod()).toBe('thread');
    expect(() => ctx.setStartMethod('spawn')).toThrow(/concrete/);
    expect(ctx.cpuCount()).toBe(mp.cpuCount());
    expect(ctx.currentProcess()).toBe(mp.currentProcess());
    expect(ctx.isMainProcess()).toBe(true);
    const p = new ctx.Process({ target: forever });
    expect(p).toBeInstanceOf(mp.Process);
    expect(p.name).toMatch(/^Process-\d+$/);
    await p.start();
    expect(ctx.activeChildren()).toContain(p);
    p.terminate();
    await p.join();
    expect(p.exitcode).toBe(-15);
  });

  it('other packages attach members to every context', () => {
    mp.defineContextMember('Answer', (ctx) => `42 via ${ctx.getStartMethod()}`);
    expect((mp.getContext('thread') as any).Answer).toBe('42 via thread');
    expect((mp.getContext('spawn') as any).Answer).toBe('42 via spawn');
  });
});

describe('module functions', () => {
  it('cpuCount() is a positive integer', () => {
    expect(Number.isInteger(mp.cpuCount())).toBe(true);
    expect(mp.cpuCount()).toBeGreaterThan(0);
  });

  it('ref() accepts URLs and absolute paths', () => {
    const r = mp.ref('/tmp/x.mjs', 'f');
    expect(r.moduleUrl).toBe('file:///tmp/x.mjs');
    expect(mp.isFunctionRef(r)).toBe(true);
    expect(mp.ref(new URL('file:///a/b.js'), 'g').toString()).toBe('file:///a/b.js#g');
  });

  it('the logger: silent by default, handlers get records at the level set', () => {
    const logger = mp.getLogger();
    const seen: string[] = [];
    const handler = (r: mp.LogRecord) => seen.push(`${r.levelName}/${r.processName} ${r.message}`);
    logger.addHandler(handler);
    try {
      logger.info('hidden at the default WARNING level');
      logger.setLevel('INFO');
      logger.info('shown');
      logger.debug('hidden');
      expect(seen).toEqual(['INFO/MainProcess shown']);
      expect(() => logger.setLevel('LOUD' as never)).toThrow(RangeError);
    } finally {
      logger.removeHandler(handler);
      logger.setLevel(0);
    }
  });
});
