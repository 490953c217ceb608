/**
 * Exit slots (exit-hooks.ts): re-armable exit hooks. A child reserves a slot, arms or disarms
 * it (after many cycles), and is then terminated / SIGKILLed: its parent applies the slot only
 * if it was armed. Under both kinds of child: a worker thread (childBootstrap) and a process
 * (spawnChildBootstrap, OS shared memory; skipped without the native addon).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { dumps } from '@multiproc/serialization';
import { afterAll, describe, expect, it } from 'vitest';
import {
  allocateBlock,
  childBootstrap,
  exitSlot,
  lookupBlock,
  osMemoryAvailable,
  spawnChildBootstrap,
  waitAsync,
} from '../src/index.js';

const fixture = new URL('./fixtures/slot-child.mjs', import.meta.url);
const running: Array<() => void> = [];
afterAll(() => {
  for (const stop of running) stop();
});

interface Order {
  index: number;
  delta: number;
  cycles?: number;
  armed?: boolean;
  hook?: { index: number; delta: number };
}

interface Child {
  /** Sends an order; resolves with the child's answer. */
  order(o: Order & { id: string }): Promise<{ same: boolean }>;
  /** Ends the child the hard way (terminate / SIGKILL) and applies its exit list. */
  kill(): Promise<void>;
}

async function threadChild(): Promise<Child> {
  const { data, transferList, onExit } = childBootstrap();
  const w = new Worker(fixture, { workerData: { memory: data }, transferList });
  w.on('exit', onExit);
  running.push(() => void w.terminate());
  expect((await once(w, 'message'))[0]).toBe('ready');
  return {
    async order(o) {
      dumps(lookupBlock(o.id)); // exports it: the child finds it by id
      w.postMessage(o);
      return (await once(w, 'message'))[0];
    },
    async kill() {
      await w.terminate();
      onExit();
    },
  };
}

async function processChild(): Promise<Child> {
  const memory = spawnChildBootstrap();
  const proc: ChildProcess = fork(fixture, [JSON.stringify(memory.data)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'ignore', memory.tracker ?? 'ignore'],
  });
  const gone = once(proc, 'exit');
  running.push(() => proc.kill('SIGKILL'));
  expect((await once(proc, 'message'))[0]).toBe('ready');
  return {
    async order(o) {
      proc.send(o);
      return (await once(proc, 'message'))[0];
    },
    async kill() {
      proc.kill('SIGKILL');
      await gone;
      memory.onExit();
    },
  };
}

const kinds: Array<[string, () => Promise<Child>, boolean]> = [
  ['thread', threadChild, true],
  ['process', processChild, osMemoryAvailable()],
];

for (const [kind, start, can] of kinds) {
  describe.skipIf(!can)(`exit slots (${kind} child)`, () => {
    it('an armed slot is applied when the child is killed, and wakes the waiters', async () => {
      const child = await start();
      const b = allocateBlock(16);
      Atomics.store(b.i32, 1, 1);
      expect(await child.order({ id: b.id, index: 1, delta: 4, cycles: 1000, armed: true })).toEqual({
        same: true,
      });
      const woken = waitAsync(b.i32, 1, 1, 60_000);
      await child.kill();
      expect(await woken).toBe('ok');
      expect(Atomics.load(b.i32, 1)).toBe(5); // applied once, whatever the cycles before
    });

    it('a disarmed slot is not applied; a one-shot hook beside it is', async () => {
      const child = await start();
      const b = allocateBlock(16);
      await child.order({ id: b.id, index: 1, delta: 4, cycles: 1000, hook: { index: 2, delta: -1 } });
      await child.kill();
      expect([...b.i32]).toEqual([0, 0, -1, 0]);
    });

    it('slots of two words of one block are separate', async () => {
      const child = await start();
      const b = allocateBlock(16);
      await child.order({ id: b.id, index: 0, delta: 4, armed: true });
      await child.order({ id: b.id, index: 3, delta: 7, cycles: 10 });
      await child.kill();
      expect([...b.i32]).toEqual([4, 0, 0, 0]);
    });
  });
}

describe('exit slots (root thread)', () => {
  it('do nothing: there is no parent to apply them', () => {
    const b = allocateBlock(8);
    const slot = exitSlot(b, 0, 4);
    slot.arm();
    slot.disarm();
    slot.arm();
    expect(Atomics.load(b.i32, 0)).toBe(0);
  });
});
