/**
 * Process: Python's `multiprocessing.Process` on a runtime adapter.
 *
 * One class plays three roles, as in Python: a child as its parent sees it ('child'), the
 * current worker as it sees itself inside the worker ('self': what currentProcess() returns
 * there, the subclass instance whose run() is running), and the root ('main': MainProcess).
 * State lives under a registered symbol, non-enumerable, so that (1) the user's own
 * enumerable fields are exactly what travels to the worker, as pickle sends `__dict__`, and
 * (2) an instance rebuilt in the worker with `Object.create(Subclass.prototype)` — no
 * constructor runs there, as with unpickling — gets its state installed from outside.
 */
import type { FunctionRef } from './function-ref.js';
import { loadFunction } from './function-ref.js';
import { nextIdentity } from './identity.js';
import { type ProcessState, STATE, setState, stateOf } from './process-state.js';
import { captureCallers } from './resolve.js';
import { launchProcess } from './start.js';
import { BUILTIN, isBuiltinClass, threadState } from './state.js';
import { type WaitOptions, normalizeWait, waitFor } from './wait.js';

/** What a Process runs: an importable function, or an explicit {@link FunctionRef}. */
export type Target<A extends unknown[] = any[]> =
  | ((...args: A) => unknown)
  | FunctionRef<(...args: A) => unknown>;

/** Options of `new Process(...)` (Python's keyword arguments). */
export interface ProcessOptions<A extends unknown[] = any[]> {
  /** The function to run in the worker: exported by the calling module or a module it imports. */
  target?: Target<A>;
  /** Arguments for `target` (sent with the serialization core; shared objects stay shared). */
  args?: A;
  /** Defaults to `Process-N` (`Process-1:2` for the 2nd child of `Process-1`). */
  name?: string;
  /** Daemonic children are terminated when their parent exits. */
  daemon?: boolean;
}

/** The name of a Process class: multiproc's own per-context subclasses are all 'Process'. */
function className(ctor: Function): string {
  return isBuiltinClass(ctor) ? 'Process' : ctor.name || 'Process';
}

/**
 * A worker running `target(...args)` (or an overridden `run()`), with Python's lifecycle.
 *
 * @example
 * // main.ts
 * import * as mp from '@multiproc/process';
 * export function greet(who: string) { console.log(`hello ${who} from ${mp.currentProcess().name}`); }
 * if (mp.isMainProcess()) {
 *   const p = new mp.Process({ target: greet, args: ['bob'] });
 *   await p.start();
 *   await p.join();
 *   console.log(p.exitcode); // 0
 * }
 */
export class Process {
  /** @internal */
  declare [STATE]: ProcessState;
  /** @internal Marks multiproc's own Process classes (not sent by reference). */
  static readonly [BUILTIN] = true;

  constructor(options: ProcessOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        'new Process(options): options must be an object like { target, args, name, daemon }',
      );
    }
    const { target, args = [], name, daemon } = options;
    if (
      target !== undefined &&
      typeof target !== 'function' &&
      !(target && typeof target === 'object' && 'exportName' in target)
    ) {
      throw new TypeError(`target must be a function or mp.ref(moduleUrl, exportName), got ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError(`args must be an array, got ${typeof args}`);
    if (name !== undefined && typeof name !== 'string') throw new TypeError('name must be a string');
    const st = threadState();
    const identity = nextIdentity();
    setState(this, {
      role: 'child',
      name: name ?? `${className(new.target)}-${identity.join(':')}`,
      daemon: daemon === undefined ? false : Boolean(daemon),
      identity,
      authkey: st.self.authkey,
      target,
      args: [...args],
      callers: captureCallers(),
      status: 'initial',
      closed: false,
      handle: undefined,
      ident: undefined,
      pid: undefined,
      exitcode: null,
      requested: 0,
      done: undefined,
      joiners: 0,
    });
  }

  /** The process's name ('Process-1', 'MainProcess', or the one given). */
  get name(): string {
    return stateOf(this).name;
  }
  set name(value: string) {
    if (typeof value !== 'string') throw new TypeError('name must be a string');
    const s = stateOf(this);
    s.name = value;
    if (s.role !== 'child') threadState().self.name = value;
  }

  /** Daemonic children are terminated when their parent exits; set it before start(). */
  get daemon(): boolean {
    return stateOf(this).daemon;
  }
  set daemon(value: boolean) {
    const s = stateOf(this);
    if (s.status !== 'initial') throw new Error('cannot change daemon: the process has already started');
    s.daemon = Boolean(value);
  }

  /** The tree's authentication key (32 random bytes, inherited from the root). */
  get authkey(): Uint8Array {
    return stateOf(this).authkey;
  }
  set authkey(value: Uint8Array) {
    if (!(value instanceof Uint8Array)) throw new TypeError('authkey must be a Uint8Array');
    const s = stateOf(this);
    s.authkey = value;
    if (s.role !== 'child') threadState().self.authkey = value; // children inherit it
  }

  /** OS process id: the parent's own pid under 'thread'; undefined before start(). */
  get pid(): number | undefined {
    return stateOf(this).pid;
  }

  /**
   * Tree-unique worker ident (the memory layer's `workerIdent()` of the child, 1 for the
   * root): known once start() resolved.
   */
  get ident(): number | undefined {
    return stateOf(this).ident;
  }

  /** null while running (or never started); 0; 1 if the target threw; -15/-9 after terminate/kill. */
  get exitcode(): number | null {
    return stateOf(this).exitcode;
  }

  /** True from start() until the child exited. */
  isAlive(): boolean {
    const s = stateOf(this);
    if (s.role !== 'child') return true;
    checkClosed(s);
    return (s.status === 'starting' || s.status === 'started') && s.exitcode === null;
  }

  /**
   * What the worker runs: calls `target(...args)` and returns its result (awaited when
   * async). Override it in a subclass instead of passing `target`.
   */
  run(): unknown {
    const s = stateOf(this);
    const target = s.target;
    if (target === undefined) return undefined;
    if (typeof target === 'function') return target(...s.args);
    return loadFunction(target).then((fn) => fn(...s.args));
  }

  /**
   * Starts the worker. Resolves once it runs; rejects (and no worker starts) if the target
   * or args cannot be sent — not awaiting it is safe, join() then rethrows that error.
   * Throws at once if the process was started before.
   */
  start(): Promise<void> {
    const s = stateOf(this);
    checkClosed(s);
    if (s.role !== 'child') throw new Error('can only start a process object created by the current process');
    if (s.status !== 'initial')
      throw new Error(`cannot start a process twice (${s.name} was started already)`);
    if (threadState().self.daemon) throw new Error('daemonic processes are not allowed to have children');
    s.status = 'starting';
    threadState().children.add(this);
    const started = launchProcess(this, s);
    s.done = started.then(
      () => exitOf(s),
      (err) => {
        s.status = 'failed';
        threadState().children.delete(this);
        throw err;
      },
    );
    // Both are handled here, so an un-awaited failed start() does not crash the program:
    // join() rethrows the error.
    s.done.catch(() => {});
    started.catch(() => {});
    return started;
  }

  /**
   * Waits until the child exits, or until `timeout` ms pass (then it returns with the child
   * still running: check isAlive() or exitcode), or until `signal` aborts (rejects with its
   * reason). Rethrows the error of a failed start().
   */
  join(timeout?: WaitOptions): Promise<void> {
    const s = stateOf(this);
    checkClosed(s);
    if (s.role !== 'child') throw new Error('can only join a child process');
    if (s.status === 'initial')
      throw new Error(`can only join a started process: call ${s.name}.start() first`);
    const wait = normalizeWait(timeout);
    return joinProcess(s, wait);
  }

  /** Stops the child (Python: SIGTERM); its exitcode becomes -15. No effect once it exited. */
  terminate(): void {
    signalProcess(this, 15);
  }

  /** Stops the child at once (Python: SIGKILL); its exitcode becomes -9. */
  kill(): void {
    signalProcess(this, 9);
  }

  /** Releases the worker's resources; throws if it is still running. Most methods throw afterwards. */
  close(): void {
    const s = stateOf(this);
    if (s.role !== 'child') throw new Error('can only close a child process');
    if (s.closed) return;
    if (this.isAlive()) {
      throw new Error(`cannot close ${s.name} while it is still running: call join() or terminate() first`);
    }
    s.closed = true;
    s.handle = undefined;
    threadState().children.delete(this);
  }

  toString(): string {
    const s = stateOf(this);
    let status: string;
    if (s.role !== 'child') status = 'started';
    else if (s.closed) status = 'closed';
    else if (s.status === 'initial') status = 'initial';
    else if (s.exitcode !== null)
      status =
        s.exitcode < 0
          ? `stopped[${-s.exitcode === 9 ? 'SIGKILL' : 'SIGTERM'}]`
          : `stopped exitcode=${s.exitcode}`;
    else status = 'started';
    return `<${className(this.constructor)} name='${s.name}' ${status}${s.daemon ? ' daemon' : ''}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// Module functions, not private methods: the process object of a worker is made with
// Object.create (no constructor ran), and private methods would refuse it.

function checkClosed(s: ProcessState): void {
  if (s.closed) throw new Error(`process object ${s.name} is closed`);
}

async function joinProcess(s: ProcessState, wait: ReturnType<typeof normalizeWait>): Promise<void> {
  // An unref'd (daemonic) worker must not let the parent exit while someone joins it.
  s.joiners++;
  s.handle?.ref();
  try {
    await waitFor(s.done!, wait);
  } finally {
    s.joiners--;
    if (s.joiners === 0 && s.daemon && s.exitcode === null) s.handle?.unref();
  }
}

function signalProcess(p: Process, sig: 9 | 15): void {
  const s = stateOf(p);
  checkClosed(s);
  if (s.role !== 'child') throw new Error(`can only ${sig === 9 ? 'kill' : 'terminate'} a child process`);
  if (s.status === 'initial')
    throw new Error(`cannot ${sig === 9 ? 'kill' : 'terminate'} ${s.name}: it was not started`);
  if (s.exitcode !== null || s.status === 'failed') return;
  if (s.handle) {
    if (sig === 9) s.handle.kill();
    else s.handle.terminate();
  } else s.requested ||= sig; // still resolving its target: it will not start
}

/** Resolves once the started worker is gone and accounted for (after its memory exit hooks). */
function exitOf(s: ProcessState): Promise<void> | void {
  if (!s.handle) return; // terminated before a worker existed
  return s.handle.exited.then(() => undefined);
}
