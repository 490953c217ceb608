import { describe, expectTypeOf, it } from 'vitest';
import {
  arrayOf,
  c_bool,
  c_char,
  c_double,
  c_int,
  c_int64,
  c_uint64,
  c_ushort,
  c_wchar,
  type CArray,
  createArrayView,
  createStructView,
  type InitOf,
  type PlainOf,
  readValue,
  Structure,
  type StructView,
  toPlain,
  valueAccessor,
  type ValueOf,
  type WCharArray,
} from '../src/index.js';

// Compile-time checks (tsc -p tsconfig.json covers test/); the runtime part is trivial.
const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort, tags: arrayOf(c_int, 2), ok: c_bool });
const Team = Structure({ lead: User, members: arrayOf(User, 3), grid: arrayOf(arrayOf(c_double, 2), 2) });
const buf = new SharedArrayBuffer(4096);

describe('static types', () => {
  it('simple types map to number / bigint / boolean / string', () => {
    expectTypeOf(readValue(c_int, buf, 0)).toEqualTypeOf<number>();
    expectTypeOf(readValue(c_int64, buf, 0)).toEqualTypeOf<bigint>();
    expectTypeOf(readValue('q', buf, 0)).toEqualTypeOf<bigint>();
    expectTypeOf(readValue('d', buf, 0)).toEqualTypeOf<number>();
    expectTypeOf(readValue(c_bool, buf, 0)).toEqualTypeOf<boolean>();
    expectTypeOf(readValue(c_char, buf, 0)).toEqualTypeOf<number>();
    expectTypeOf(readValue('u', buf, 0)).toEqualTypeOf<string>();
    expectTypeOf(valueAccessor(c_uint64, buf, 0).get()).toEqualTypeOf<bigint>();
    expectTypeOf<InitOf<typeof c_int64>>().toEqualTypeOf<bigint | number>();
  });

  it('structures map to views with typed fields', () => {
    const t = createStructView(Team, buf, 0);
    expectTypeOf(t.lead.name).toEqualTypeOf<string>();
    expectTypeOf(t.lead.age).toEqualTypeOf<number>();
    expectTypeOf(t.lead.tags).toEqualTypeOf<Int32Array>();
    expectTypeOf(t.lead.ok).toEqualTypeOf<boolean>();
    expectTypeOf(t.members[0].name).toEqualTypeOf<string>();
    expectTypeOf(t.grid[1]).toEqualTypeOf<Float64Array>();
    expectTypeOf<ValueOf<typeof User>>().toEqualTypeOf<StructView<typeof User.fieldTypes>>();
    expectTypeOf(toPlain<typeof User>(t.lead)).toEqualTypeOf<PlainOf<typeof User>>();
    expectTypeOf<PlainOf<typeof User>>().toEqualTypeOf<{
      name: string;
      age: number;
      tags: number[];
      ok: boolean;
    }>();
  });

  it('array views are typed arrays or CArrays', () => {
    expectTypeOf(createArrayView('i', buf, 0, 4)).toEqualTypeOf<Int32Array>();
    expectTypeOf(createArrayView(c_int64, buf, 0, 4)).toEqualTypeOf<BigInt64Array>();
    expectTypeOf(createArrayView('c', buf, 0, 4)).toEqualTypeOf<Uint8Array>();
    expectTypeOf(createArrayView('u', buf, 0, 4)).toEqualTypeOf<WCharArray>();
    expectTypeOf(createArrayView(c_bool, buf, 0, 4)).toEqualTypeOf<CArray<boolean, boolean | number>>();
    const users = createArrayView(User, buf, 0, 2);
    expectTypeOf(users[0].age).toEqualTypeOf<number>();
    for (const u of users) expectTypeOf(u.name).toEqualTypeOf<string>();
  });

  it('rejects wrong inputs at compile time', () => {
    // @ts-expect-error unknown typecode
    expectTypeOf(() => readValue('x', buf, 0)).toBeFunction();
    // @ts-expect-error not a field
    expectTypeOf(() => createStructView(User, buf, 0).nope).toBeFunction();
    const u = createStructView(User, buf, 0);
    // @ts-expect-error a string into a number field
    expectTypeOf(() => (u.age = 'x')).toBeFunction();
  });
});
