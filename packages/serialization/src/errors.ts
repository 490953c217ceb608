import { callerModuleUrl, recordModule } from './modules.js';
import { registry } from './registry.js';

type ErrorCtor = new (...args: any[]) => Error;

/**
 * Thrown by `dumps` for a value that cannot be sent. `path` says where it sits in the value
 * (`value.a[3].b`, `args[1].cb`), so the caller can point at the offending argument.
 *
 * @example
 * ```ts
 * try { dumps({ cb: () => 1 }); } catch (e) {
 *   (e as SerializationError).path; // 'value.cb'
 * }
 * ```
 */
export class SerializationError extends TypeError {
  /** Where the unsendable value sits, e.g. `value.a[3].b`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(message);
    this.name = 'SerializationError';
    this.path = path;
  }
}

/** Built-in error classes by name: the bases a rebuilt error can always fall back to. */
const BUILTINS = new Map<string, ErrorCtor>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError].map(
    (c) => [c.name, c],
  ),
);
const BUILTIN_PROTOS = new Map<object, string>([...BUILTINS].map(([name, c]) => [c.prototype, name]));

/**
 * Makes errors of class `ctor` come back as instances of `ctor` (built-in error classes
 * always do). The receiving thread must register the class too, under the same name;
 * otherwise it gets the nearest built-in base class (`Error`, `TypeError`...) with `.name`
 * set to the original name. The constructor is never called on the receiving side.
 *
 * @example
 * ```ts
 * class HttpError extends Error { status = 0; }
 * registerError(HttpError);
 * const e = loads<HttpError>(dumps(Object.assign(new HttpError('nope'), { status: 404 })));
 * e instanceof HttpError; // true, e.status === 404
 * ```
 */
export function registerError(ctor: ErrorCtor, name: string = ctor.name): void {
  if (typeof ctor !== 'function' || !(ctor.prototype instanceof Error || ctor === Error)) {
    throw new TypeError('registerError: ctor must be a class extending Error');
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('registerError: the class has no name; pass one: registerError(ctor, "MyError")');
  }
  if (registry.errorsByName.get(name) === ctor) return;
  recordModule(name, callerModuleUrl());
  registry.errorsByName.set(name, ctor);
  registry.errorsByProto.set(ctor.prototype, name);
  registry.protoCache.clear();
}

/** Name of the nearest built-in error class on `proto`'s chain ('Error' at worst). */
export function builtinBaseOf(proto: object | null): string {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const name = BUILTIN_PROTOS.get(p);
    if (name !== undefined) return name;
  }
  return 'Error';
}

/**
 * Creates the error shell on the receiving side: a real native error (so `util.types.isNativeError`
 * and `util.inspect` treat it as one) whose prototype is the registered class, made with
 * `Reflect.construct(base, [message], ctor)` so the class's constructor does not run.
 */
export function rebuildError(
  key: string,
  base: string,
  name: string,
  message: string,
  stack: string | undefined,
): Error {
  const ctor = registry.errorsByName.get(key) ?? BUILTINS.get(base) ?? Error;
  const baseCtor = BUILTINS.get(builtinBaseOf(ctor.prototype)) ?? Error;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // the stack is replaced below: do not pay for capturing one
  let err: Error;
  try {
    err =
      baseCtor === AggregateError
        ? Reflect.construct(AggregateError, [[], message], ctor)
        : Reflect.construct(baseCtor, [message], ctor);
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (stack === undefined) delete err.stack;
  else
    Object.defineProperty(err, 'stack', {
      value: stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  if (err.name !== name) {
    Object.defineProperty(err, 'name', {
      value: name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return err;
}

/** Sets a hidden own property the way the engine does for `cause` / `errors`. */
export function defineHidden(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}
