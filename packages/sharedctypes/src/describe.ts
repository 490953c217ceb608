/**
 * Type descriptors as plain JSON data, so a type can travel to another worker or process with the
 * memory it describes (the serialization core sends `describeType(t)` and rebuilds it with
 * `typeFromDescriptor`).
 */
import type { CType, SimpleType, StructType } from './ctype.js';
import { arrayOf, Structure } from './layout.js';
import * as simple from './types.js';

/** The JSON form of a type: a simple type's name, an array, or a structure with its fields in order. */
export type TypeDescriptor =
  | string
  | { readonly array: TypeDescriptor; readonly length: number }
  | { readonly struct: string; readonly fields: readonly (readonly [string, TypeDescriptor])[] };

const byName = new Map<string, CType>();
const structs = new Map<string, StructType>();
for (const v of Object.values(simple)) {
  if (simple.isCType(v) && v.kind === 'simple') byName.set(v.name, v);
}

/**
 * The plain-data descriptor of a type.
 *
 * @example describeType(arrayOf(c_int, 3)); // { array: 'c_int', length: 3 }
 */
export function describeType(type: CType): TypeDescriptor {
  const t = simple.resolveType(type);
  if (t.kind === 'simple') return (t as SimpleType).name;
  if (t.kind === 'array') return { array: describeType(t.element), length: t.length };
  const d = {
    struct: t.name,
    fields: (t as StructType).fields.map((f) => [f.name, describeType(f.type)] as const),
  };
  const key = JSON.stringify(d);
  if (!structs.has(key)) structs.set(key, t as StructType);
  return d;
}

/**
 * Rebuilds a type from {@link describeType}'s output. Equal descriptors give the same type object
 * within one worker (the original one where it was described), so views of memory received twice
 * share their struct classes and struct copies between them are allowed.
 */
export function typeFromDescriptor(d: TypeDescriptor): CType {
  if (typeof d === 'string') {
    const t = byName.get(d);
    if (t === undefined) throw new TypeError(`unknown simple type ${JSON.stringify(d)} in a type descriptor`);
    return t;
  }
  if (typeof d === 'object' && d !== null && 'array' in d)
    return arrayOf(typeFromDescriptor(d.array), d.length);
  if (typeof d === 'object' && d !== null && 'struct' in d && Array.isArray(d.fields)) {
    const key = JSON.stringify(d);
    let S = structs.get(key);
    if (S === undefined) {
      const fields: Record<string, CType> = {};
      for (const [name, fd] of d.fields) fields[name] = typeFromDescriptor(fd);
      S = Structure(fields, { name: d.struct });
      structs.set(key, S);
    }
    return S;
  }
  throw new TypeError(`invalid type descriptor: ${JSON.stringify(d)}`);
}
