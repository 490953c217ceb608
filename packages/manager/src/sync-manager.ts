/**
 * SyncManager and `Manager()` (Python's `multiprocessing.Manager()`): a manager with the
 * built-in shared types registered.
 */
import { BaseManager } from './base-manager.js';
import type { ManagerOptions } from './manager-options.js';
import type { ArrayProxy, DictProxy, ListProxy, NamespaceProxy, ValueProxy } from './proxies/collections.js';
import type {
  AcquirerProxy,
  BarrierProxy,
  ConditionProxy,
  EventProxy,
  LockProxy,
  QueueProxy,
  SemaphoreProxy,
} from './proxies/sync.js';
import type { DictKey } from './server-objects/dict.js';

/** A typecode (`'i'`, `'d'`...) or a ctypes type (`c_int`, ...), as sharedctypes takes it. */
export type TypeLike = string | { readonly name: string; readonly kind?: string };

function typeName(type: TypeLike): string {
  if (typeof type === 'string') return type;
  if (type && typeof type === 'object' && typeof type.name === 'string') {
    if (type.kind && type.kind !== 'simple') {
      throw new TypeError(
        `manager.Value/Array take a typecode or a simple ctypes type, got the ${type.kind} type ${type.name}`,
      );
    }
    return type.name;
  }
  throw new TypeError(`expected a typecode ('i', 'd', ...) or a ctypes type, got ${typeof type}`);
}

const BUILTINS = [
  'dict',
  'list',
  'Namespace',
  'Lock',
  'RLock',
  'Semaphore',
  'BoundedSemaphore',
  'Condition',
  'Event',
  'Barrier',
  'Queue',
  'JoinableQueue',
  'Value',
  'Array',
] as const;

/**
 * A manager whose server holds dicts, lists, namespaces, locks, queues... Each factory resolves
 * with a proxy; every proxy method is async.
 *
 * @example
 * ```ts
 * await using manager = await Manager();
 * const d = await manager.dict({ count: 20 });
 * const lock = await manager.Lock();
 * // pass d and lock to workers: new Process({ target: work, args: [d, lock] })
 * ```
 */
export class SyncManager extends BaseManager {
  static {
    for (const typeid of BUILTINS) SyncManager.registerBuiltin(typeid);
  }

  /** A shared dict, optionally filled from an object, a Map or [key, value] pairs. */
  dict<K extends DictKey = string, V = any>(
    init?: Record<string, V> | Map<K, V> | Iterable<[K, V]>,
  ): Promise<DictProxy<K, V>> {
    return this.create('dict', init);
  }

  /** A shared list, optionally filled from an iterable. */
  list<T = any>(init?: Iterable<T>): Promise<ListProxy<T>> {
    return this.create('list', init === undefined ? undefined : [...init]);
  }

  /** A shared namespace (named attributes). */
  Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return this.create('Namespace', init);
  }

  Lock(): Promise<LockProxy> {
    return this.create('Lock');
  }

  RLock(): Promise<AcquirerProxy> {
    return this.create('RLock');
  }

  Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('Semaphore', value);
  }

  BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('BoundedSemaphore', value);
  }

  /** A condition over `lock` (a Lock or RLock of this manager; default a new RLock). */
  Condition(lock?: LockProxy | AcquirerProxy): Promise<ConditionProxy> {
    return lock === undefined ? this.create('Condition') : this.create('Condition', lock);
  }

  Event(): Promise<EventProxy> {
    return this.create('Event');
  }

  Barrier(parties: number, options: { timeout?: number } = {}): Promise<BarrierProxy> {
    return this.create('Barrier', parties, options);
  }

  Queue<T = any>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create('Queue', maxsize);
  }

  JoinableQueue<T = any>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create('JoinableQueue', maxsize);
  }

  /** A value of a C type in the server (Python's `manager.Value(typecode, value)`). */
  Value<T = any>(type: TypeLike, value?: T): Promise<ValueProxy<T>> {
    return this.create('Value', typeName(type), value);
  }

  /** An array of a C type in the server, from a size or a sequence. */
  Array<T = any>(type: TypeLike, sizeOrSequence: number | Iterable<T>): Promise<ArrayProxy<T>> {
    const init = typeof sizeOrSequence === 'number' ? sizeOrSequence : [...sizeOrSequence];
    return this.create('Array', typeName(type), init);
  }
}

/**
 * Starts a SyncManager's server in a new worker and resolves once it serves (Python's
 * `multiprocessing.Manager()`). Shut it down with `await manager.shutdown()` or `await using`.
 *
 * @example
 * ```ts
 * await using manager = await Manager();
 * const l = await manager.list([1, 2, 3]);
 * await l.append(4);
 * console.log(await l.copy()); // [1, 2, 3, 4]
 * ```
 */
export async function Manager(options?: ManagerOptions): Promise<SyncManager> {
  const m = new SyncManager(options);
  await m.start();
  return m;
}
