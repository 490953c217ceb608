import { callerModuleUrl, recordModule } from './modules.js';
import { type Reducer, registry } from './registry.js';

export type { Reducer } from './registry.js';

/**
 * Registers how instances of `ctor` (and of its subclasses) travel: pickle's `__reduce__`.
 *
 * `dumps` finds the reducer of an object by walking its prototype chain to the nearest
 * registered class, writes `name` and `reduce(obj)` (encoded like any value, so the state may
 * itself hold shared objects). `loads` calls the `rebuild` registered under `name` in the
 * receiving thread, which registers the same reducers because it imports the same package.
 *
 * Registering the same name with the same class again is a no-op (a module may be loaded
 * twice). A different class under an existing name takes over `rebuild`; instances of the
 * earlier class still encode under that name (the ESM and CJS copies of one class).
 *
 * @example
 * ```ts
 * class Lock { constructor(readonly handle: number) {} }
 * registerReducer(Lock, {
 *   name: '@multiproc/synchronize:Lock',
 *   reduce: (lock) => lock.handle,
 *   rebuild: (handle: number) => new Lock(handle),
 * });
 * loads<Lock>(dumps(new Lock(7))).handle; // 7
 * ```
 */
export function registerReducer<T extends object>(
  ctor: abstract new (...args: any[]) => T,
  reducer: { name: string; reduce(obj: T): unknown; rebuild(state: any): T },
): void {
  if (typeof ctor !== 'function' || typeof ctor.prototype !== 'object' || ctor.prototype === null) {
    throw new TypeError('registerReducer: ctor must be a class (a function with a prototype object)');
  }
  const { name, reduce, rebuild } = reducer;
  if (typeof name !== 'string' || name === '')
    throw new TypeError('registerReducer: name must be a non-empty string');
  if (typeof reduce !== 'function' || typeof rebuild !== 'function') {
    throw new TypeError(`registerReducer(${name}): reduce and rebuild must be functions`);
  }
  const proto = ctor.prototype as object;
  recordModule(name, callerModuleUrl());
  const existing = registry.reducersByName.get(name);
  if (existing !== undefined && registry.reducersByProto.get(proto) === existing) return;
  const entry = { name, reduce, rebuild } as Reducer;
  registry.reducersByName.set(name, entry);
  registry.reducersByProto.set(proto, entry);
  // Earlier classes under this name keep encoding, but through the new entry.
  for (const [p, r] of registry.reducersByProto) if (r.name === name) registry.reducersByProto.set(p, entry);
  registry.protoCache.clear();
}

/** The reducer registered under `name` in this thread, for the decoder. */
export function reducerNamed(name: string): Reducer {
  const r = registry.reducersByName.get(name);
  if (r !== undefined) return r;
  const colon = name.lastIndexOf(':');
  const pkg = colon > 0 ? `'${name.slice(0, colon)}'` : 'the package that defines it';
  throw new Error(
    `loads: cannot rebuild a "${name}": no reducer is registered under that name in this thread; ` +
      `import ${pkg} in the receiving code before receiving this value`,
  );
}
