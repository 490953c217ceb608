// Shared objects sent to real worker threads (through the serialization core, as Process args or
// a Queue carry them) arrive as the same memory. Workers import the package's dist build.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loads } from '@multiproc/serialization';
import { afterAll, describe, expect, it } from 'vitest';
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
import { startChild, startChildren, wire } from './helpers.js';

const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
const dir = mkdtempSync(join(tmpdir(), 'mp-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shared objects in workers', () => {
  it('Value and RawValue: written there, read here (and back)', async () => {
    const child = await startChild();
    const v = Value('d', 0);
    await child.call('write', { obj: wire(v), value: 2.75 }); // the seed's f(n, a)
    expect(v.value).toBe(2.75);
    const big = RawValue(c_int64, 1n);
    await child.call('write', { obj: wire(big), value: 2n ** 50n });
    expect(big.value).toBe(2n ** 50n);
    const u = Value(User, ['Joe', 18]);
    await child.call('write', { obj: wire(u), value: { name: 'Nemo', age: 9 } });
    expect(toPlain(u.value)).toEqual({ name: 'Nemo', age: 9 });
    expect(await child.call('read', { obj: wire(u) })).toEqual({ name: 'Nemo', age: 9 });
    // sent back from the worker, it is still the same memory and lock
    const back = loads<typeof v>(await child.call<Uint8Array>('echo', { obj: wire(v) }));
    expect(back).toBeInstanceOf(Synchronized);
    expect(back.getLock()).toBe(v.getLock());
    back.value = 1;
    expect(v.value).toBe(1);
    await child.terminate();
  });

  it('4 workers x 10,000 locked increments of one Value(i) are exact', async () => {
    const children = await startChildren(4);
    const v = Value('i', 0);
    const obj = wire(v);
    await Promise.all(children.map((c) => c.call('increment', { obj, n: 10_000 })));
    expect(v.value).toBe(40_000);
    await Promise.all(children.map((c) => c.call('incrementAsync', { obj, n: 1_000 })));
    expect(v.value).toBe(44_000);
    await Promise.all(children.map((c) => c.terminate()));
  });

  it('a RawArray(d, n) filled by 2 workers', async () => {
    const [a, b] = await startChildren(2);
    const n = 1000;
    const xs = RawArray('d', n);
    const arr = wire(xs);
    const [ra, rb] = await Promise.all([
      a.call('fill', { arr, from: 0, to: n / 2, value: 1.5 }),
      b.call('fill', { arr, from: n / 2, to: n, value: 2.5 }),
    ]);
    expect(ra).toEqual({ ctor: 'Float64Array', length: n });
    expect(rb).toEqual({ ctor: 'Float64Array', length: n });
    expect(xs.reduce((s, x) => s + x, 0)).toBe(500 * 1.5 + 500 * 2.5);
    await Promise.all([a.terminate(), b.terminate()]);
  });

  it("a synchronized Array: the seed's a[i] = -a[i]", async () => {
    const child = await startChild();
    const arr = SharedArray(
      'i',
      Array.from({ length: 10 }, (_, i) => i),
    );
    expect(await child.call('negate', { arr: wire(arr) })).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
    expect(arr.toArray()).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
    await child.terminate();
  });

  it("struct arrays with wchar strings (the seed's RawArray(User, ...))", async () => {
    const child = await startChild();
    const users = RawArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
    expect(await child.call('users', { arr: wire(users) })).toEqual(['Joe:18', 'Nemo:9']);
    expect(toPlain(users)).toEqual([
      { name: 'Joe', age: 19 },
      { name: 'Zed', age: 9 },
    ]);
    const synced = SharedArray(User, [
      ['Ann', 1],
      ['Bo', 2],
    ]);
    expect(await child.call('users', { arr: wire(synced) })).toEqual(['Ann:1', 'Bo:2']);
    expect(synced.toArray().map((u) => `${u.name}:${u.age}`)).toEqual(['Ann:2', 'Zed:2']);
    await child.terminate();
  });

  it('SharedMemory: attach by name in a worker, or receive the handle', async () => {
    const child = await startChild();
    const shm = new SharedMemory({ create: true, size: 6 });
    expect(await child.call('shmWrite', { name: shm.name, offset: 0, bytes: [1, 2, 3] })).toBe(6);
    expect(await child.call('shmWrite', { shm: wire(shm), offset: 3, bytes: [4, 5, 6] })).toBe(6);
    expect(Array.from(shm.buf)).toEqual([1, 2, 3, 4, 5, 6]);
    // created in a worker, attached here
    const named = new SharedMemory({ name: 'test_from_main', create: true, size: 3 });
    named.buf.set([7, 8, 9]);
    expect(await child.call('shmRead', { name: 'test_from_main', length: 3 })).toEqual([7, 8, 9]);
    named.unlink();
    await expect(child.call('shmRead', { name: 'test_from_main', length: 3 })).rejects.toThrow(
      /no shared memory/,
    );
    shm.close();
    shm.unlink();
    await child.terminate();
  });

  it('SharedMemory({ path }): two workers share one mapped file, flush writes it', async () => {
    const [a, b] = await startChildren(2);
    const file = join(dir, 'shared.txt');
    writeFileSync(file, '....|....\n');
    const [seenA, seenB] = await Promise.all([
      a.call('mapWrite', { path: file, offset: 0, text: 'AAAA', waitFor: 'BBBB', at: 5 }),
      b.call('mapWrite', { path: file, offset: 5, text: 'BBBB', waitFor: 'AAAA', at: 0 }),
    ]);
    expect(seenA).toBe('AAAA|BBBB\n');
    expect(seenB).toBe('AAAA|BBBB\n');
    expect(readFileSync(file, 'utf8')).toBe('AAAA|BBBB\n');
    const here = new SharedMemory({ path: file });
    expect(new TextDecoder().decode(here.buf)).toBe('AAAA|BBBB\n');
    here.close();
    here.unlink();
    await Promise.all([a.terminate(), b.terminate()]);
  });
});
