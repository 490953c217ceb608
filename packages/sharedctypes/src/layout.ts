/**
 * Composite types and their memory layout: `arrayOf` (Python's `type * n`), `Structure`, `offsetof`.
 *
 * ## Layout rules (CPython ctypes on x86-64 Linux, i.e. the System V / GCC rules)
 *
 * - A simple type's alignment equals its size (1, 2, 4 or 8; `c_wchar` is 4, `c_bool` 1).
 * - An array `T * n` has size `n * sizeof(T)` and the alignment of `T`; `T * 0` has size 0.
 * - A structure places its fields in declaration order; each field starts at the next offset that
 *   is a multiple of the field's alignment (the gap is padding). The structure's alignment is the
 *   largest field alignment (1 when empty) and its size is the end of the last field rounded up
 *   to that alignment (trailing padding), so that in an array every element stays aligned.
 *   An empty structure has size 0.
 *
 * Example: `{ a: c_short, s: { c: c_char, i: c_int }, arr: c_char * 3, q: c_longlong }`
 * lays out as a@0 (2 bytes), 2 bytes padding, s@4 (8 bytes, alignment 4), arr@12 (3 bytes),
 * 1 byte padding, q@16 (8 bytes): size 24, alignment 8.
 *
 * Not supported (not needed by multiprocessing): `_pack_`, bit fields, unions, pointers.
 */
import { registerType } from './codec.js';
import type { ArrayType, CType, FieldMap, StructField, StructType } from './ctype.js';
import { isCType } from './types.js';

const arrayTypes = new WeakMap<CType, Map<number, ArrayType>>();

function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function typeName(x: unknown): string {
  if (typeof x === 'string') return `the string ${JSON.stringify(x)}`;
  return x === null ? 'null' : typeof x;
}

/**
 * The array type `type * length` (Python: `c_int * 3`). Cached: `arrayOf(c_int, 3) === arrayOf(c_int, 3)`.
 *
 * @example
 * const Row = arrayOf(c_double, 4);          // sizeof(Row) === 32
 * const Matrix = arrayOf(arrayOf(c_int, 3), 2); // int[2][3]
 * const Name = arrayOf(c_wchar, 16);        // a struct field of this type reads as a string
 */
export function arrayOf<E extends CType, N extends number>(type: E, length: N): ArrayType<E, N> {
  if (!isCType(type)) {
    throw new TypeError(
      `arrayOf expects a ctypes type as its first argument (c_int, a Structure, ...), got ${typeName(type)}` +
        (typeof type === 'string' ? '; resolve a typecode first with resolveType()' : ''),
    );
  }
  if (typeof length !== 'number' || !Number.isInteger(length)) {
    throw new TypeError(`array length must be an integer, got ${String(length)}`);
  }
  if (length < 0) throw new RangeError(`array length must be >= 0, got ${length}`);
  if (length * type.size > Number.MAX_SAFE_INTEGER)
    throw new RangeError(`array of ${length} ${type.name} is too large`);
  let byLength = arrayTypes.get(type);
  if (byLength === undefined) arrayTypes.set(type, (byLength = new Map()));
  let t = byLength.get(length);
  if (t === undefined) {
    t = Object.freeze({
      kind: 'array',
      name: `${type.name}_Array_${length}`,
      element: type,
      length,
      size: type.size * length,
      alignment: type.alignment,
    }) as ArrayType;
    registerType(t);
    byLength.set(length, t);
  }
  return t as ArrayType<E, N>;
}

/** Options of {@link Structure}. */
export interface StructureOptions {
  /** A name for messages and `inspect` (Python's class name); default `'Structure'`. */
  name?: string;
}

/**
 * A C struct type (Python: `class S(ctypes.Structure): _fields_ = [...]`). Fields are laid out in
 * key order with C padding; `S.fields` lists `{ name, type, offset, size }`.
 *
 * @example
 * const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
 * sizeof(User);            // 24
 * offsetof(User, 'age');   // 20
 * const Team = Structure({ lead: User, members: arrayOf(User, 3) }); // nesting works
 */
export function Structure<F extends FieldMap>(fields: F, options: StructureOptions = {}): StructType<F> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new TypeError(
      `Structure expects an object of { fieldName: type }, got ${Array.isArray(fields) ? 'an array' : typeName(fields)}`,
    );
  }
  const name = options.name ?? 'Structure';
  const list: StructField[] = [];
  let offset = 0;
  let align = 1;
  for (const key of Object.keys(fields)) {
    if (/^(0|[1-9]\d*)$/.test(key)) {
      throw new TypeError(
        `${name}: field name ${JSON.stringify(key)} is an integer, which JavaScript moves before the ` +
          'other keys and so breaks the field order; use a name that is not a number',
      );
    }
    const type = fields[key] as CType;
    if (!isCType(type)) {
      throw new TypeError(
        `${name}: field ${JSON.stringify(key)} must be a ctypes type (c_int, arrayOf(...), a Structure), ` +
          `got ${typeName(type)}` +
          (typeof type === 'string'
            ? '; typecodes are not accepted in Structure fields, use e.g. c_int'
            : ''),
      );
    }
    offset = roundUp(offset, type.alignment);
    list.push(Object.freeze({ name: key, type, offset, size: type.size }));
    offset += type.size;
    if (type.alignment > align) align = type.alignment;
  }
  const t = Object.freeze({
    kind: 'struct',
    name,
    fields: Object.freeze(list),
    fieldTypes: Object.freeze({ ...fields }),
    size: roundUp(offset, align),
    alignment: align,
  }) as StructType<F>;
  registerType(t);
  return t;
}

/** The field descriptor `{ name, type, offset, size }` of `S.field`; TypeError for an unknown name. */
export function fieldOf<F extends FieldMap>(S: StructType<F>, field: keyof F & string): StructField {
  if (!isCType(S) || S.kind !== 'struct') throw new TypeError('offsetof expects a Structure type');
  const f = S.fields.find((x) => x.name === field);
  if (f === undefined) {
    throw new TypeError(
      `${S.name} has no field ${JSON.stringify(field)}; its fields are ${S.fields.map((x) => x.name).join(', ') || '(none)'}`,
    );
  }
  return f;
}

/**
 * The byte offset of a field (C's `offsetof`, Python's `S.field.offset`).
 *
 * @example offsetof(Structure({ c: c_char, d: c_double }), 'd') === 8
 */
export function offsetof<F extends FieldMap>(S: StructType<F>, field: keyof F & string): number {
  return fieldOf(S, field).offset;
}
