export type {
  ArrayType,
  ArrayViewOf,
  CArray,
  CType,
  FieldMap,
  InitOf,
  PlainOf,
  SimpleCode,
  SimpleType,
  StructField,
  StructInit,
  StructType,
  StructUpdate,
  StructView,
  TypeCode,
  TypeLike,
  ValueOf,
  WCharArray,
} from './ctype.js';
export {
  alignment,
  c_bool,
  c_byte,
  c_char,
  c_double,
  c_float,
  c_int,
  c_int8,
  c_int16,
  c_int32,
  c_int64,
  c_long,
  c_longlong,
  c_short,
  c_size_t,
  c_ssize_t,
  c_ubyte,
  c_uint,
  c_uint8,
  c_uint16,
  c_uint32,
  c_uint64,
  c_ulong,
  c_ulonglong,
  c_ushort,
  c_wchar,
  isCType,
  resolveType,
  sizeof,
  typecodes,
} from './types.js';
export type { ResolveType } from './types.js';
export { arrayOf, fieldOf, offsetof, Structure } from './layout.js';
export type { StructureOptions } from './layout.js';
export {
  createArrayView,
  createStructView,
  planArray,
  readValue,
  valueAccessor,
  writeValue,
} from './views.js';
export type { ArrayPlan, BufferLike, ValueAccessor } from './views.js';
export { toPlain } from './plain.js';
export { assign } from './struct-view.js';
export { codePointLength, readCString } from './strings.js';
export { describeType, typeFromDescriptor } from './describe.js';
export type { TypeDescriptor } from './describe.js';
export { RawValue, CValue } from './value.js';
export { RawArray } from './array.js';
export type { SizeOrInit } from './array.js';
export { Value, Synchronized } from './synchronized.js';
export type { Guarded, SyncLock, SynchronizedOptions } from './guarded.js';
export { Array, SynchronizedArray } from './synchronized-array.js';
export { SharedMemory } from './shared-memory.js';
export type { SharedMemoryOptions } from './shared-memory.js';
