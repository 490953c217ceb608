// Shared objects sent to children (through the serialization core, as Process args or a Queue
// carry them) arrive as the same memory, under both start methods. Children import the package's
// dist build.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartMethod } from '@multiproc/process';
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  Array as SharedArray,
  arrayOf,
  c_int64,
  c_ushort,
  c_wchar,
  RawArray,
  RawValue,
  SharedMemory,
  Structure,
  Synchronized,
  toPlain,
  Value,
} from '../src/index.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
const startChildren = (n: number, method: StartMethod) =>
  Promise.all(Array.from({ length: n }, () => startChild(fixture, method)));

const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
const dir = mkdtempSync(join(tmpdir(), 'mp-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(stopChildren);

describeEachMethod((method) => {
  describe('shared objects in children', () => {
    it('Value and RawValue: written there, read here (and back)', async () => {
      const [child] = await startChildren(1, method);
      const v = Value('d', 0);
      await child.call('write', v, 2.75); // the seed's f(n, a)
      expect(v.value).toBe(2.75);
      const big = RawValue(c_int64, 1n);
      await child.call('write', big, 2n ** 50n);
      expect(big.value).toBe(2n ** 50n);
      const u = Value(User, ['Joe', 18]);
      await child.call('write', u, { name: 'Nemo', age: 9 });
      expect(toPlain(u.value)).toEqual({ name: 'Nemo', age: 9 });
      expect(await child.call('read', u)).toEqual({ name: 'Nemo', age: 9 });
      // sent back from the child, it is still the same memory and lock
      const back = await child.call<typeof v>('echo', v);
      expect(back).toBeInstanceOf(Synchronized);
      expect(back.getLock()).toBe(v.getLock());
      back.value = 1;
      expect(v.value).toBe(1);
    });

    it('4 children x 10,000 locked increments of one Value(i) are exact (sync and async)', async () => {
      const children = await startChildren(4, method);
      const v = Value('i', 0);
      await Promise.all(children.map((c, i) => c.call('increment', v, 10_000, i % 2 ? 'sync' : 'async')));
      expect(v.value).toBe(40_000);
    });

    it('a RawArray(d, n) filled by 2 children', async () => {
      const [a, b] = await startChildren(2, method);
      const n = 1000;
      const xs = RawArray('d', n);
      const [ra, rb] = await Promise.all([
        a.call('fill', xs, 0, n / 2, 1.5),
        b.call('fill', xs, n / 2, n, 2.5),
      ]);
      expect(ra).toEqual({ ctor: 'Float64Array', length: n });
      expect(rb).toEqual({ ctor: 'Float64Array', length: n });
      expect(xs.reduce((s, x) => s + x, 0)).toBe(500 * 1.5 + 500 * 2.5);
    });

    it("a synchronized Array (the seed's a[i] = -a[i]) and struct arrays with wchar strings", async () => {
      const [child] = await startChildren(1, method);
      const arr = SharedArray(
        'i',
        Array.from({ length: 10 }, (_, i) => i),
      );
      expect(await child.call('negate', arr)).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
      expect(arr.toArray()).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
      // the seed's RawArray(User, ...)
      const users = RawArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
      expect(await child.call('users', users)).toEqual(['Joe:18', 'Nemo:9']);
      expect(toPlain(users)).toEqual([
        { name: 'Joe', age: 19 },
        { name: 'Zed', age: 9 },
      ]);
      const synced = SharedArray(User, [
        ['Ann', 1],
        ['Bo', 2],
      ]);
      expect(await child.call('users', synced)).toEqual(['Ann:1', 'Bo:2']);
      expect(synced.toArray().map((u) => `${u.name}:${u.age}`)).toEqual(['Ann:2', 'Zed:2']);
    });

    it('SharedMemory: attach by name in a child, or receive the handle', async () => {
      const [child] = await startChildren(1, method);
      const shm = new SharedMemory({ create: true, size: 6 });
      expect(await child.call('shmWrite', shm.name, 0, [1, 2, 3])).toBe(6);
      expect(await child.call('shmWrite', shm, 3, [4, 5, 6])).toBe(6);
      expect(Array.from(shm.buf)).toEqual([1, 2, 3, 4, 5, 6]);
      // created here, attached there
      const named = new SharedMemory({ name: 'test_from_main', create: true, size: 3 });
      named.buf.set([7, 8, 9]);
      expect(await child.call('shmRead', 'test_from_main', 3)).toEqual([7, 8, 9]);
      named.close();
      named.unlink();
      // unlinked: the name is gone in every worker, also in one that attached before
      await expect(child.call('shmRead', 'test_from_main', 3)).rejects.toThrow(/no shared memory named/);
      shm.close();
      shm.unlink();
    });

    it('SharedMemory created in a child outlives it: attached here, unlinked here', async () => {
      const [child] = await startChildren(1, method);
      expect(await child.call('shmCreate', 'test_from_child', [3, 1, 4])).toBe('test_from_child');
      const here = new SharedMemory({ name: 'test_from_child' });
      expect(Array.from(here.buf)).toEqual([3, 1, 4]);
      await child.kill();
      here.buf[0] = 9;
      const again = new SharedMemory({ name: 'test_from_child' });
      expect(Array.from(again.buf)).toEqual([9, 1, 4]);
      again.close();
      here.close();
      here.unlink();
      expect(() => new SharedMemory({ name: 'test_from_child' })).toThrow(/no shared memory named/);
    });

    it('SharedMemory({ path }): two children share one mapped file, flush writes it', async () => {
      const [a, b] = await startChildren(2, method);
      const file = join(dir, `shared-${method}.txt`);
      writeFileSync(file, '....|....\n');
      const [seenA, seenB] = await Promise.all([
        a.call('mapWrite', file, 0, 'AAAA', 'BBBB', 5),
        b.call('mapWrite', file, 5, 'BBBB', 'AAAA', 0),
      ]);
      expect(seenA).toBe('AAAA|BBBB\n');
      expect(seenB).toBe('AAAA|BBBB\n');
      expect(readFileSync(file, 'utf8')).toBe('AAAA|BBBB\n');
      const here = new SharedMemory({ path: file });
      expect(new TextDecoder().decode(here.buf)).toBe('AAAA|BBBB\n');
      here.close();
      here.unlink();
      expect(() => new SharedMemory({ name: 'test_from_child' })).toThrow(/no shared memory named/);
    });
  });
});
