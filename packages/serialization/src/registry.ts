/**
 * The process-wide (per thread) registry of reducers and error classes.
 *
 * It lives on `globalThis` under a `Symbol.for` key, not in a module variable: a thread may
 * load this package twice (its ESM and its CJS build, the dual-package hazard), and a Lock
 * registered through one copy must still be found by a Queue that serializes through the
 * other.
 */

/** How a class of shared object travels: see {@link registerReducer}. */
export interface Reducer<T extends object = object> {
  /** Wire name, unique per class. Convention: `'<package>:<Class>'`, e.g. `'@multiproc/synchronize:Lock'`. */
  name: string;
  /** Turns the object into sendable state (small: a handle, not the data). */
  reduce(obj: T): unknown;
  /** Rebuilds the object from that state in the receiving thread. */
  rebuild(state: any): T;
}

/** Classification of a prototype, computed once and cached (see classify.ts). */
export interface ProtoInfo {
  kind: number;
  /** REDUCER: the reducer. */
  reducer?: Reducer;
  /** ERROR: registered class key and nearest built-in base name. VIEW: view kind. */
  key?: string;
  base?: string;
  view?: number;
  /** UNSENDABLE: what it is, and what to do instead. */
  label?: string;
  hint?: string;
}

export interface Registry {
  reducersByName: Map<string, Reducer>;
  reducersByProto: Map<object, Reducer>;
  errorsByName: Map<string, new (...args: any[]) => Error>;
  errorsByProto: Map<object, string>;
  /** prototype -> classification; cleared on every registration. */
  protoCache: Map<object, ProtoInfo>;
  /** Reducer or error-class name -> URL of the module that registered it (see modules.ts). */
  modules: Map<string, string>;
}

const KEY = Symbol.for('@multiproc/serialization/registry@2');
const holder = globalThis as unknown as Record<symbol, Registry | undefined>;

function createRegistry(): Registry {
  const reg: Registry = {
    reducersByName: new Map(),
    reducersByProto: new Map(),
    errorsByName: new Map(),
    errorsByProto: new Map(),
    protoCache: new Map(),
    modules: new Map(),
  };
  for (const ctor of [
    Error,
    TypeError,
    RangeError,
    SyntaxError,
    ReferenceError,
    EvalError,
    URIError,
    AggregateError,
  ]) {
    reg.errorsByName.set(ctor.name, ctor);
    reg.errorsByProto.set(ctor.prototype, ctor.name);
  }
  return reg;
}

/** The registry shared by every copy of this package in the current thread. */
export const registry: Registry = holder[KEY] ?? (holder[KEY] = createRegistry());
