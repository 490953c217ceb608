// The runtime adapter (layer 3) used directly, as the Pool package does.
import { type WorkerHandle, prepareChild, startWorker } from '@multiproc/process';
import { afterEach, describe, expect, it } from 'vitest';

const entry = new URL('./fixtures/adapter-child.mjs', import.meta.url);
const handles: WorkerHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) {
    h.kill();
    await h.exited;
  }
});

function start(extra: unknown): WorkerHandle {
  const who = prepareChild({ name: 'PoolWorker-1', daemon: true });
  const h = startWorker({ entry, data: { who, extra }, name: who.name });
  handles.push(h);
  return h;
}

function nextMessage(h: WorkerHandle): Promise<any> {
  return new Promise((resolve) => {
    const off = h.onMessage((m) => {
      off();
      resolve(m);
    });
  });
}

describe('startWorker / connectToParent', () => {
  it('starts a worker that reports ready with its ident and exchanges messages', async () => {
    const h = start({ n: 1 });
    expect(h.method).toBe('thread');
    expect(h.pid).toBe(process.pid);
    expect(h.exitcode).toBeNull();
    const ident = await h.ready;
    expect(typeof ident).toBe('number');
    const reply = nextMessage(h);
    h.post('hi');
    expect(await reply).toEqual({ echo: 'hi', name: 'PoolWorker-1', isMain: false, extra: { n: 1 } });
    h.terminate();
    expect(await h.exited).toBe(-15);
    expect(h.exitcode).toBe(-15);
  });

  it('reports process.exit(n) and kill()', async () => {
    const a = start(null);
    const b = start(null);
    await a.ready;
    await b.ready;
    a.post('exit');
    b.kill();
    expect(await a.exited).toBe(4);
    expect(await b.exited).toBe(-9);
  });

  it('ready resolves undefined when the worker dies before connecting', async () => {
    const h = startWorker({ entry: new URL('data:text/javascript,process.exit(2)'), data: null });
    handles.push(h);
    expect(await h.ready).toBeUndefined();
    expect(await h.exited).toBe(2);
  });

  it('connectToParent() outside a multiproc worker throws', async () => {
    const { connectToParent } = await import('@multiproc/process');
    expect(() => connectToParent()).toThrow(/startWorker/);
  });
});
