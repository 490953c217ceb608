import { expect, it } from 'vitest';
import {
  alignment,
  arrayOf,
  assign,
  c_double,
  c_int,
  c_int64,
  c_ushort,
  c_wchar,
  createArrayView,
  createStructView,
  offsetof,
  readValue,
  Structure,
  sizeof,
  toPlain,
  writeValue,
} from '../src/index.js';

it('the README example runs as documented', () => {
  const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
  expect([sizeof(User), alignment(User), offsetof(User, 'age')]).toEqual([24, 4, 20]);
  const buf = new SharedArrayBuffer(256);
  writeValue(arrayOf(User, 2), buf, 0, [['Joe', 18], { name: 'Nemo', age: 9 }]);
  const users = createArrayView(User, buf, 0, 2);
  expect(users[1].name).toBe('Nemo');
  users[0].age += 1;
  expect([...users].map((u) => u.age)).toEqual([19, 9]);
  const xs = createArrayView('d', buf, 64, 4);
  xs[0] = 3.5;
  expect(xs).toBeInstanceOf(Float64Array);
  writeValue(c_int64, buf, 96, 2n ** 40n);
  const big: bigint = readValue(c_int64, buf, 96);
  expect(big).toBe(2n ** 40n);
  const Point = Structure({ x: c_double, y: c_double });
  const Shape = Structure({ origin: Point, corners: arrayOf(Point, 4), tags: arrayOf(c_int, 3) });
  expect(128 + sizeof(Shape)).toBeLessThanOrEqual(256);
  const s = createStructView(Shape, buf, 128);
  s.origin.x = 1;
  s.tags[2] = 7;
  assign(s, { origin: [1, 2], tags: [4, 5] });
  expect(toPlain(s.origin)).toEqual({ x: 1, y: 2 });
  expect(Array.from(s.tags)).toEqual([4, 5, 0]);
});
