/**
 * Contexts and start methods (Python's `multiprocessing.context`).
 *
 * A context is the whole API bound to one start method. `getContext('thread')` and
 * `getContext('spawn')` are concrete contexts; the module functions are those of the default
 * context, whose start method is fixed on first use (`setStartMethod`, `getStartMethod`, or
 * starting a process) and can be changed afterwards only with `{ force: true }`.
 *
 * Other packages attach their factories (Queue, Lock, Pool, ...) with
 * {@link defineContextMember} and declare them by interface merging:
 * ```ts
 * declare module '@multiproc/process' { interface BaseContext { Queue: typeof Queue } }
 * defineContextMember('Queue', (ctx) => bindQueueTo(ctx));
 * ```
 */
import { availableParallelism, cpus } from 'node:os';
import './child.js'; // installs the worker bootstrap hook that dist/worker.js calls
import { osMemoryAvailable, useOsMemory } from '@multiproc/memory';
import { ref } from './function-ref.js';
import { checkStartMethod, getAllStartMethods, isMultiprocWorker } from './launchers/index.js';
import type { StartMethod } from './launchers/types.js';
import { getLogger, logToStderr } from './logger.js';
import { Process } from './process.js';
import { makeSelf } from './process-state.js';
import { BUILTIN, CONTEXT_METHOD, defaultStartMethod, threadState } from './state.js';

/** The parent of the current worker, as it sees it (Python's `parent_process()`). */
export interface ParentProcess {
  readonly name: string;
  /** The parent's tree-unique ident. */
  readonly ident: number;
  readonly pid: number;
  /** Under 'thread', a worker cannot outlive its parent: always true while we run. */
  isAlive(): boolean;
}

/**
 * The API bound to a start method. The module functions of this package are those of the
 * default context; `getContext(method)` gives a concrete one.
 *
 * @example
 * const ctx = mp.getContext('thread');
 * const p = new ctx.Process({ target: work });
 * await p.start();
 */
export class BaseContext {
  /** `null` for the default context, which follows setStartMethod(). */
  readonly #method: StartMethod | null;
  /** Process bound to this context's start method. */
  readonly Process: typeof Process;

  /** @internal use {@link getContext}. */
  constructor(method: StartMethod | null) {
    this.#method = method;
    if (method === null) this.Process = Process;
    else {
      const Bound = class extends Process {};
      Object.defineProperty(Bound, 'name', { value: 'Process' });
      Object.defineProperty(Bound, BUILTIN, { value: true });
      Object.defineProperty(Bound, CONTEXT_METHOD, { value: method });
      this.Process = Bound as unknown as typeof Process;
    }
  }

  /**
   * The start method. For the default context this fixes it to 'thread' if it was not set,
   * unless `allowNone` is true (then `null` is returned), as in Python.
   */
  getStartMethod(allowNone = false): StartMethod | null {
    if (this.#method) return this.#method;
    if (allowNone) return threadState().startMethod;
    return defaultStartMethod();
  }

  /**
   * Sets the default start method; throws if it was set already, unless `force` is true
   * (`setStartMethod(null, { force: true })` un-sets it). Concrete contexts cannot change.
   */
  setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
    if (this.#method)
      throw new Error(`cannot set the start method of the concrete '${this.#method}' context`);
    const st = threadState();
    if (st.startMethod !== null && !options.force) {
      throw new Error(
        `the start method has already been set (to '${st.startMethod}'): pass { force: true } to change it`,
      );
    }
    if (method === null) {
      if (!options.force)
        throw new TypeError('setStartMethod(null) un-sets the start method only with { force: true }');
      st.startMethod = null;
      return;
    }
    checkStartMethod(method);
    st.startMethod = method;
    if (method === 'spawn') prepareSpawn();
  }

  /** The context of `method`, or (no argument) the one of the current start method. */
  getContext(method?: StartMethod | null): BaseContext {
    return getContext(method ?? this.getStartMethod()!);
  }

  /** `['thread', 'spawn']`. */
  getAllStartMethods(): StartMethod[] {
    return getAllStartMethods();
  }

  /** Number of CPUs usable by this program (`os.availableParallelism()`). */
  cpuCount(): number {
    return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  }

  /** The Process object of the running worker; in the root, the MainProcess. */
  currentProcess(): Process {
    const st = threadState();
    st.current ??= makeSelf(Process.prototype, isMultiprocWorker() ? 'self' : 'main', {});
    return st.current as Process;
  }

  /** The parent of this worker; null in the root (MainProcess). */
  parentProcess(): ParentProcess | null {
    const parent = threadState().parent;
    if (!parent) return null;
    return { ...parent, isAlive: () => true };
  }

  /** The children of this worker that are still alive. */
  activeChildren(): Process[] {
    return [...(threadState().children as Set<Process>)].filter((p) => {
      try {
        return p.isAlive();
      } catch {
        return false; // closed
      }
    });
  }

  /**
   * False inside any worker multiproc started: the main guard of modules that start
   * processes (`if (mp.isMainProcess()) { ... }`, like `if __name__ == '__main__'`).
   */
  isMainProcess(): boolean {
    return !isMultiprocWorker();
  }

  ref = ref;
  getLogger = getLogger;
  logToStderr = logToStderr;
}

const contexts = new Map<StartMethod, BaseContext>();

/**
 * Once 'spawn' children may exist, shared objects must live in OS shared memory: choosing the
 * 'spawn' start method (setStartMethod, or a spawn context) switches this process's memory layer
 * to it, for every object made afterwards (Python: `mp.Value` follows the default context; here
 * the memory follows the tree). Without the native addon nothing changes here: starting a
 * spawn worker then fails with what is missing, and 'thread' keeps working.
 */
function prepareSpawn(): void {
  if (osMemoryAvailable()) useOsMemory();
}

/**
 * The context of a start method (Python's `get_context`): the whole API bound to it.
 * Without an argument, the context of the current default start method.
 *
 * @example
 * const ctx = mp.getContext('thread');
 * ctx.getStartMethod(); // 'thread'
 */
export function getContext(method?: StartMethod | null): BaseContext {
  const m = method ?? defaultStartMethod();
  checkStartMethod(m);
  let ctx = contexts.get(m);
  if (m === 'spawn') prepareSpawn();
  if (!ctx) {
    ctx = new BaseContext(m);
    contexts.set(m, ctx);
  }
  return ctx;
}

/**
 * Adds a member to every context (lazily built once per context from `factory(ctx)`):
 * how Queue, Lock, Pool, ... become `ctx.Queue`, `ctx.Lock`, `ctx.Pool`.
 */
export function defineContextMember<K extends string>(name: K, factory: (ctx: BaseContext) => unknown): void {
  const cache = new WeakMap<BaseContext, unknown>();
  Object.defineProperty(BaseContext.prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: BaseContext) {
      if (!cache.has(this)) cache.set(this, factory(this));
      return cache.get(this);
    },
  });
}

/** The default context: the module functions below are its methods. */
export const defaultContext = new BaseContext(null);

export const getStartMethod = defaultContext.getStartMethod.bind(defaultContext);
export const setStartMethod = defaultContext.setStartMethod.bind(defaultContext);
export const cpuCount = defaultContext.cpuCount.bind(defaultContext);
export const currentProcess = defaultContext.currentProcess.bind(defaultContext);
export const parentProcess = defaultContext.parentProcess.bind(defaultContext);
export const activeChildren = defaultContext.activeChildren.bind(defaultContext);
export const isMainProcess = defaultContext.isMainProcess.bind(defaultContext);

/** What a `context` option of Pool or Manager accepts: a start method name or a context. */
export type ContextLike = StartMethod | { getStartMethod(): StartMethod | null | undefined };

/**
 * The start method a `context` option selects (without one, the default context's: 'thread'
 * unless setStartMethod() chose otherwise). Selecting 'spawn' prepares this process for it, as
 * `getContext('spawn')` does, so objects made next can reach child processes.
 *
 * @example
 * startMethodOf('spawn');              // 'spawn'
 * startMethodOf(getContext('thread')); // 'thread'
 */
export function startMethodOf(context?: ContextLike): StartMethod {
  const method =
    context === undefined
      ? (getStartMethod() ?? 'thread')
      : typeof context === 'string'
        ? context
        : (context.getStartMethod() ?? 'thread');
  checkStartMethod(method);
  if (method === 'spawn') prepareSpawn();
  return method;
}
