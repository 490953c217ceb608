// The README's shared-objects examples, as written.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
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
  Value,
} from '../src/index.js';

it('the README shared-object examples run as documented', async () => {
  const n = RawValue('i', 7);
  n.value += 1;
  expect(n.value).toBe(8);
  const big = RawValue(c_int64, 2n ** 40n);
  expect(big.value).toBe(2n ** 40n);

  const counter = Value('i', 0);
  counter.acquireSync();
  try {
    counter.value += 1;
  } finally {
    counter.release();
  }
  {
    using _ = counter.holdSync();
    counter.value += 1;
  }
  await counter.acquire();
  counter.release();
  expect(counter.value).toBe(2);
  expect(Value('d', 0, { lock: false }).value).toBe(0);

  const xs = RawArray('d', 4);
  xs[0] = 1.5;
  expect(xs).toEqual(new Float64Array([1.5, 0, 0, 0]));

  const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
  const users = RawArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
  const lines: string[] = [];
  for (const u of users) lines.push(`${u.name} ${u.age}`);
  expect(lines).toEqual(['Joe 18', 'Nemo 9']);

  const arr = SharedArray('i', [1, 2, 3]);
  arr[0] += 10;
  expect(arr.get(-1)).toBe(3);
  expect(arr.toArray()).toEqual([11, 2, 3]);
  const raw: Int32Array = arr.getObj();
  expect(raw[0]).toBe(11);

  const shm = new SharedMemory({ create: true, size: 16 });
  shm.buf[0] = 42;
  const other = new SharedMemory({ name: shm.name });
  expect(other.buf[0]).toBe(42);
  other.close();
  expect(() => other.buf).toThrow();
  shm.close();
  shm.unlink();

  const file = join(tmpdir(), `hello-${process.pid}.txt`);
  try {
    writeFileSync(file, 'Hello Python!\n');
    const mm = new SharedMemory({ path: file });
    expect(new TextDecoder().decode(mm.buf.subarray(0, 5))).toBe('Hello');
    mm.buf.set(new TextEncoder().encode(' world!\n'), 6);
    mm.flush();
    expect(readFileSync(file, 'utf8')).toBe('Hello  world!\n');
    mm.close();
    mm.unlink();
  } finally {
    rmSync(file, { force: true });
  }
});
