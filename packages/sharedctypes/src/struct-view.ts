/**
 * Struct views: one class per Structure type, with a getter/setter per field on its prototype,
 * so a view is a two-slot object (buffer view + offset) and creating one is cheap.
 *
 * Field kinds: a simple field reads/writes its value; a nested Structure field reads as a nested
 * view; `arrayOf(numeric)` as a typed array over the same memory; `arrayOf(c_wchar, n)` as a
 * string; `arrayOf(c_char, n)` as a Uint8Array. Assigning to a composite field copies the value
 * in (an initializer, a string, or another view of the same type).
 *
 * Views have no own enumerable keys (`{...view}` copies nothing); use `toPlain(view)` or
 * `JSON.stringify(view)` for a plain copy. `for..in` lists the fields.
 */
import type { Codec } from './codec.js';
import { codecOf, dataViewOf } from './codec.js';
import type { FieldMap, StructType, StructUpdate, StructView } from './ctype.js';
import { describeValue } from './convert.js';
import { rethrow } from './c-array.js';
import { toPlain } from './plain.js';

const DV = Symbol('dv');
const OFF = Symbol('byteOffset');
/** On each view class prototype: the Structure type it views. */
export const STRUCT_TYPE = Symbol('structType');

interface ViewSlots {
  [DV]: DataView;
  [OFF]: number;
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** The Structure type of a struct view, or undefined for anything else. */
export function structTypeOf(v: unknown): StructType | undefined {
  return typeof v === 'object' && v !== null
    ? ((v as any)[STRUCT_TYPE] as StructType | undefined)
    : undefined;
}

/** Where a struct view points: its DataView (byteOffset 0) and offset. */
export function structLocation(v: object): { dv: DataView; byteOffset: number } {
  return { dv: (v as ViewSlots)[DV], byteOffset: (v as ViewSlots)[OFF] };
}

/**
 * The common base of every struct view class (its prototype sits between the view class's and
 * `Object.prototype`, with no properties of its own): one place to register how views travel.
 */
export class StructViewBase {}

function makeViewClass(S: StructType): new (dv: DataView, off: number) => object {
  const View = function (this: ViewSlots, dv: DataView, off: number) {
    this[DV] = dv;
    this[OFF] = off;
  } as unknown as new (
    dv: DataView,
    off: number,
  ) => object;
  Object.defineProperty(View, 'name', { value: S.name });
  const proto = View.prototype as Record<PropertyKey, unknown>;
  Object.setPrototypeOf(proto, StructViewBase.prototype);
  for (const f of S.fields) {
    const codec = codecOf(f.type);
    const o = f.offset;
    const path = `${S.name}.${f.name}`;
    Object.defineProperty(proto, f.name, {
      get(this: ViewSlots) {
        return codec.get(this[DV], this[OFF] + o);
      },
      set(this: ViewSlots, v: unknown) {
        try {
          codec.set(this[DV], this[OFF] + o, v);
        } catch (e) {
          throw rethrow(e, path);
        }
      },
      enumerable: true,
    });
  }
  Object.defineProperty(proto, STRUCT_TYPE, { value: S });
  const names = new Set(S.fields.map((f) => f.name));
  if (!names.has('toJSON')) {
    Object.defineProperty(proto, 'toJSON', {
      value(this: object) {
        return toPlain(this);
      },
    });
  }
  Object.defineProperty(proto, inspectSymbol, {
    value(this: object, _d: number, options: object, inspect: (v: unknown, o: object) => string) {
      return `${S.name} ${inspect(toPlain(this), options)}`;
    },
  });
  return View;
}

/**
 * Writes a Structure initializer at `(dv, off)`: a view of the same type (byte copy), an array in
 * field order (fewer values leave the rest zero; more is a TypeError, as ctypes' "too many
 * initializers"), or an object by field name (an unknown name is a TypeError). The struct is
 * first built in a zeroed scratch buffer, so a failed write leaves memory untouched.
 */
export function writeStruct(S: StructType, dv: DataView, off: number, v: unknown): void {
  const target = new Uint8Array(dv.buffer, off, S.size);
  const srcType = structTypeOf(v);
  if (srcType !== undefined) {
    if (srcType !== S) {
      throw new TypeError(`incompatible types: cannot assign a ${srcType.name} view to a ${S.name}`);
    }
    const { dv: sdv, byteOffset } = structLocation(v as object);
    target.set(new Uint8Array(sdv.buffer, byteOffset, S.size));
    return;
  }
  const scratch = dataViewOf(new ArrayBuffer(S.size));
  const put = (i: number, value: unknown) => {
    const f = S.fields[i];
    try {
      codecOf(f.type).set(scratch, f.offset, value);
    } catch (e) {
      throw rethrow(e, `${S.name}.${f.name}`);
    }
  };
  if (Array.isArray(v)) {
    if (v.length > S.fields.length) {
      throw new TypeError(
        `too many initializers for ${S.name}: got ${v.length} values, it has ${S.fields.length} fields (${fieldList(S)})`,
      );
    }
    for (let i = 0; i < v.length; i++) put(i, v[i]);
  } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    for (const key of Object.keys(v)) {
      const i = S.fields.findIndex((f) => f.name === key);
      if (i < 0)
        throw new TypeError(`${S.name} has no field ${JSON.stringify(key)}; its fields are ${fieldList(S)}`);
      const value = (v as Record<string, unknown>)[key];
      if (value !== undefined) put(i, value);
    }
  } else {
    throw new TypeError(
      `${S.name} expects an array of values in field order (${fieldList(S)}) or an object by field name, got ${describeValue(v)}`,
    );
  }
  target.set(new Uint8Array(scratch.buffer));
}

/**
 * Updates some fields of a struct view, with the full initializer types (a latin1 string or bytes
 * for `c_char * n`, arrays for array fields, objects for nested structs). Other fields keep their
 * values. All-or-nothing: if any value is rejected, nothing is written.
 *
 * @example
 * assign(rec, { tag: 'ab', pos: { x: 1 }, hist: [1, 2, 3] });
 */
export function assign<F extends FieldMap>(view: StructView<F>, values: StructUpdate<F>): void {
  const S = structTypeOf(view);
  if (S === undefined)
    throw new TypeError(
      'assign expects a struct view (from createStructView, readValue or an array element)',
    );
  if (typeof values !== 'object' || values === null)
    throw new TypeError(`assign expects an object of ${S.name} fields`);
  const { dv, byteOffset } = structLocation(view);
  const target = new Uint8Array(dv.buffer, byteOffset, S.size);
  const scratch = dataViewOf(new Uint8Array(target).buffer);
  for (const key of Object.keys(values)) {
    const f = S.fields.find((x) => x.name === key);
    if (f === undefined)
      throw new TypeError(`${S.name} has no field ${JSON.stringify(key)}; its fields are ${fieldList(S)}`);
    const value = (values as Record<string, unknown>)[key];
    if (value === undefined) continue;
    try {
      codecOf(f.type).set(scratch, f.offset, value);
    } catch (e) {
      throw rethrow(e, `${S.name}.${f.name}`);
    }
  }
  target.set(new Uint8Array(scratch.buffer));
}

function fieldList(S: StructType): string {
  return S.fields.map((f) => f.name).join(', ') || 'none';
}

/** The codec of a Structure type: reads a live view, writes an initializer. */
export function structCodec(S: StructType): Codec {
  const View = makeViewClass(S);
  return {
    get: (dv, off) => new View(dv, off),
    set: (dv, off, v) => writeStruct(S, dv, off, v),
  };
}
