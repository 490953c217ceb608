/**
 * Type registries: what `BaseManager.register(typeid, callable, ...)` records (client side),
 * how it travels to the server worker (callables by module + export name, the pickle-by-
 * reference rule), and what the server makes of it.
 */
import {
  captureCallers,
  type FunctionRef,
  isFunctionRef,
  loadFunction,
  resolveFunction,
} from '@multiproc/process';
import type { Server } from './server.js';
import { ServerDict, ServerNamespace } from './server-objects/dict.js';
import { ServerList } from './server-objects/list.js';
import { ServerBoundedSemaphore, ServerLock, ServerRLock, ServerSemaphore } from './server-objects/locks.js';
import { ServerJoinableQueue, ServerQueue } from './server-objects/queue.js';
import { ServerBarrier, ServerCondition, ServerEvent } from './server-objects/sync.js';
import { ServerArray, ServerValue } from './server-objects/value.js';

type AnyFunction = (...args: any[]) => unknown;

/** Marks a built-in typeid (dict, list, Lock...): the server has its own factory for it. */
export const BUILTIN = 'builtin';

/** One registered typeid, as the manager class keeps it. */
export interface TypeSpec {
  typeid: string;
  /** A class or function (called with the create arguments), a FunctionRef, BUILTIN, or null (client side). */
  callable: AnyFunction | FunctionRef | typeof BUILTIN | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string> | null;
  /** Whether clients get an auto proxy (methods from `exposed`), i.e. no proxy class of its own. */
  auto: boolean;
  /** The modules on the stack when register() was called: where the callable is looked up. */
  callers: string[];
}

/** How a typeid travels to the server worker. */
export interface WireType {
  typeid: string;
  ref: { moduleUrl: string; exportName: string } | typeof BUILTIN | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string> | null;
  auto: boolean;
}

/** A typeid as the server serves it. */
export interface ServerType {
  create: ((args: unknown[], server: Server) => unknown) | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string> | null;
  auto: boolean;
}

/** @internal */
export function makeSpec(
  typeid: string,
  callable: TypeSpec['callable'] | undefined,
  exposed: readonly string[] | undefined,
  methodToTypeid: Record<string, string> | undefined,
  auto: boolean,
): TypeSpec {
  if (typeof typeid !== 'string' || typeid === '')
    throw new TypeError('register(typeid): typeid must be a non-empty string');
  if (
    callable !== undefined &&
    callable !== null &&
    callable !== BUILTIN &&
    typeof callable !== 'function' &&
    !isFunctionRef(callable)
  ) {
    throw new TypeError(
      `register('${typeid}', callable): callable must be a class, a function or mp.ref(...)`,
    );
  }
  if (methodToTypeid) {
    for (const [k, v] of Object.entries(methodToTypeid)) {
      if (typeof v !== 'string') throw new TypeError(`methodToTypeid['${k}'] must be a typeid string`);
    }
  }
  const exp = exposed ? [...exposed] : null;
  if (exp && methodToTypeid) for (const m of Object.keys(methodToTypeid)) if (!exp.includes(m)) exp.push(m);
  return {
    typeid,
    callable: callable ?? null,
    exposed: exp,
    methodToTypeid: methodToTypeid ?? null,
    auto,
    callers: callable && typeof callable === 'function' ? captureCallers() : [],
  };
}

/**
 * Turns the registry into what the server worker can rebuild: each callable becomes the
 * module and export it is imported by. A callable the worker cannot import fails here, in the
 * parent, with process's explanation of how to fix it.
 */
export async function toWire(specs: Iterable<TypeSpec>): Promise<WireType[]> {
  const out: WireType[] = [];
  for (const s of specs) {
    let ref: WireType['ref'] = null;
    if (s.callable === BUILTIN) ref = BUILTIN;
    else if (s.callable) {
      const r = await resolveFunction(s.callable as AnyFunction, s.callers);
      ref = { moduleUrl: r.moduleUrl, exportName: r.exportName };
    }
    out.push({ typeid: s.typeid, ref, exposed: s.exposed, methodToTypeid: s.methodToTypeid, auto: s.auto });
  }
  return out;
}

const isClass = (fn: AnyFunction) => /^class\b/.test(Function.prototype.toString.call(fn));

/** A factory calling `fn` (with `new` for a class), as Python calls the registered callable. */
function factoryOf(fn: AnyFunction): (args: unknown[]) => unknown {
  return isClass(fn) ? (args) => Reflect.construct(fn, args) : (args) => fn(...args);
}

/** In the server: the registry from its wire form (imports the user's modules). */
export async function fromWire(wire: WireType[]): Promise<Map<string, ServerType>> {
  const out = new Map<string, ServerType>();
  for (const w of wire) {
    let create: ServerType['create'] = null;
    if (w.ref === BUILTIN) create = builtinFactory(w.typeid);
    else if (w.ref) create = factoryOf(await loadFunction(w.ref));
    out.set(w.typeid, {
      create,
      exposed: w.exposed ?? builtinExposed(w.typeid),
      methodToTypeid: w.methodToTypeid,
      auto: w.auto,
    });
  }
  return out;
}

/** In the same thread (getServer()): the registry with the callables themselves. */
export async function forLocalServer(specs: Iterable<TypeSpec>): Promise<Map<string, ServerType>> {
  const out = new Map<string, ServerType>();
  for (const s of specs) {
    let create: ServerType['create'] = null;
    if (s.callable === BUILTIN) create = builtinFactory(s.typeid);
    else if (isFunctionRef(s.callable)) create = factoryOf(await loadFunction(s.callable));
    else if (s.callable) create = factoryOf(s.callable);
    out.set(s.typeid, {
      create,
      exposed: s.exposed ?? builtinExposed(s.typeid),
      methodToTypeid: s.methodToTypeid,
      auto: s.auto,
    });
  }
  return out;
}

/**
 * Python's `public_methods`: the names of the functions on `obj` and its prototype chain
 * (below Object.prototype), except the constructor and names starting with `_`.
 */
export function publicMethods(obj: object): string[] {
  const names = new Set<string>();
  for (
    let p: object | null = obj;
    p !== null && p !== Object.prototype && p !== Function.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names];
}

type Factory = (args: unknown[], server: Server) => object;

const BUILTINS: Record<string, [Factory, object]> = {
  dict: [([init]) => new ServerDict(init), ServerDict.prototype],
  list: [([init]) => new ServerList(init), ServerList.prototype],
  Namespace: [([init]) => new ServerNamespace(init), ServerNamespace.prototype],
  Lock: [() => new ServerLock(), ServerLock.prototype],
  RLock: [() => new ServerRLock(), ServerRLock.prototype],
  Semaphore: [([v]) => new ServerSemaphore(v as number | undefined), ServerSemaphore.prototype],
  BoundedSemaphore: [
    ([v]) => new ServerBoundedSemaphore(v as number | undefined),
    ServerBoundedSemaphore.prototype,
  ],
  Condition: [
    ([lock], server) => new ServerCondition(lock ? (conditionLock(lock, server) as never) : undefined),
    ServerCondition.prototype,
  ],
  Event: [() => new ServerEvent(), ServerEvent.prototype],
  Barrier: [
    ([n, o]) => new ServerBarrier(n as number, (o ?? {}) as { timeout?: number }),
    ServerBarrier.prototype,
  ],
  Queue: [([n]) => new ServerQueue((n as number | undefined) ?? 0), ServerQueue.prototype],
  JoinableQueue: [
    ([n]) => new ServerJoinableQueue((n as number | undefined) ?? 0),
    ServerJoinableQueue.prototype,
  ],
  Value: [([t, v]) => new ServerValue(t as string, v), ServerValue.prototype],
  Array: [([t, s]) => new ServerArray(t as string, s), ServerArray.prototype],
};

function conditionLock(lock: unknown, server: Server): object {
  const p = lock as { id?: number; typeid?: string; address?: unknown };
  if (typeof p?.id !== 'number' || (p.typeid !== 'Lock' && p.typeid !== 'RLock')) {
    throw new TypeError('Condition(lock): lock must be a Lock or RLock made by the same manager');
  }
  return server.referent(p as never);
}

function builtinFactory(typeid: string): Factory {
  const b = BUILTINS[typeid];
  if (!b) throw new TypeError(`no built-in shared type named '${typeid}'`);
  return b[0];
}

function builtinExposed(typeid: string): string[] | null {
  const b = BUILTINS[typeid];
  return b ? publicMethods(b[1]) : null;
}
