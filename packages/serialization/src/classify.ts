import { EventEmitter } from 'node:events';
import { builtinBaseOf } from './errors.js';
import { type ProtoInfo, registry } from './registry.js';
import { VIEW_CTORS } from './tags.js';

/**
 * What the encoder does with an object whose prototype is not `Object.prototype` and that is
 * not an array. Decided once per prototype by walking the chain to the nearest known class
 * (registered reducer, registered error class, built-in type, handle-holding class) and cached,
 * so class instances cost one Map lookup.
 */
export const K_PLAIN = 0; // unregistered class instance / null prototype: own enumerable props
export const K_ARRAY = 1;
export const K_MAP = 2;
export const K_SET = 3;
export const K_DATE = 4;
export const K_REGEXP = 5;
export const K_ARRAY_BUFFER = 6;
export const K_VIEW = 7;
export const K_ERROR = 8;
export const K_REDUCER = 9;
export const K_BOXED = 10;
export const K_UNSENDABLE = 11;

const HANDLE_HINT =
  'objects holding OS or engine handles cannot be copied; send plain data instead, or a multiproc ' +
  'shared object (Queue, Pipe, Value, SharedMemory...), which travels by handle';
const WEAK_HINT = 'weak references cannot be copied; send the target or a Map/Set instead';

function unsendable(label: string, hint: string): ProtoInfo {
  return { kind: K_UNSENDABLE, label, hint };
}

const BUILTIN_KINDS = new Map<object, ProtoInfo>([
  [Array.prototype, { kind: K_ARRAY }],
  [Map.prototype, { kind: K_MAP }],
  [Set.prototype, { kind: K_SET }],
  [Date.prototype, { kind: K_DATE }],
  [RegExp.prototype, { kind: K_REGEXP }],
  [ArrayBuffer.prototype, { kind: K_ARRAY_BUFFER }],
  [Number.prototype, { kind: K_BOXED }],
  [String.prototype, { kind: K_BOXED }],
  [Boolean.prototype, { kind: K_BOXED }],
  [BigInt.prototype, { kind: K_BOXED }],
  [
    SharedArrayBuffer.prototype,
    unsendable(
      'a SharedArrayBuffer',
      'copying it would silently stop the sharing; use mp.RawArray, mp.Value or SharedMemory, ' +
        'which travel by handle, or send a copy (new Uint8Array(sab).slice())',
    ),
  ],
  [Promise.prototype, unsendable('a Promise', 'await it and send the result instead')],
  [WeakMap.prototype, unsendable('a WeakMap', WEAK_HINT)],
  [WeakSet.prototype, unsendable('a WeakSet', WEAK_HINT)],
  [WeakRef.prototype, unsendable('a WeakRef', WEAK_HINT)],
  [FinalizationRegistry.prototype, unsendable('a FinalizationRegistry', WEAK_HINT)],
]);

/**
 * Web classes whose globals Node loads on first access: reading `ReadableStream.prototype` at
 * import time loaded web streams in every worker (measured: 4 ms of a 5 ms import). They are
 * recognized by the `Symbol.toStringTag` their prototypes carry, confirmed by identity.
 */
const LAZY_KINDS: Record<string, ProtoInfo> = {
  Blob: unsendable('a Blob', 'send await blob.arrayBuffer() instead'),
  ReadableStream: unsendable('a ReadableStream', 'streams hold handles; send the data instead'),
  WritableStream: unsendable('a WritableStream', 'streams hold handles; send the data instead'),
};

function lazyKind(p: object): ProtoInfo | undefined {
  const d = Object.getOwnPropertyDescriptor(p, Symbol.toStringTag);
  const tag: unknown = d && 'value' in d ? d.value : undefined; // never runs a getter
  if (typeof tag !== 'string' || !Object.hasOwn(LAZY_KINDS, tag)) return undefined;
  const ctor = (globalThis as Record<string, { prototype?: unknown } | undefined>)[tag];
  return ctor?.prototype === p ? LAZY_KINDS[tag] : undefined;
}
VIEW_CTORS.forEach((ctor, view) => {
  BUILTIN_KINDS.set(ctor.prototype, { kind: K_VIEW, view });
});

/** Classification of objects with prototype `proto` (not Object.prototype). */
export function classify(proto: object | null): ProtoInfo {
  if (proto === null) return PLAIN;
  let info = registry.protoCache.get(proto);
  if (info === undefined) {
    info = walk(proto);
    registry.protoCache.set(proto, info);
  }
  return info;
}

const PLAIN: ProtoInfo = { kind: K_PLAIN };

function walk(proto: object): ProtoInfo {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const reducer = registry.reducersByProto.get(p);
    if (reducer !== undefined) return { kind: K_REDUCER, reducer };
    const key = registry.errorsByProto.get(p);
    if (key !== undefined) return { kind: K_ERROR, key, base: builtinBaseOf(p) };
    const builtin = BUILTIN_KINDS.get(p) ?? lazyKind(p);
    if (builtin !== undefined) return builtin;
    // Node handles (sockets, workers, child processes, servers, streams, MessagePort...) are
    // EventEmitters or EventTargets; their fields are meaningless in another thread.
    if (p === EventEmitter.prototype || p === EventTarget.prototype) {
      return unsendable(`a ${className(proto)} (it holds a handle)`, HANDLE_HINT);
    }
  }
  return PLAIN;
}

function className(proto: object): string {
  const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
}
