/**
 * The launcher registry: which runtime adapter serves which start method.
 *
 * 'thread' (worker_threads) and 'spawn' (child_process) are built in; {@link registerLauncher}
 * replaces one (tests, other runtimes).
 */
import { spawnLauncher } from './spawn.js';
import { threadLauncher } from './thread.js';
import type { LaunchSpec, Launcher, ParentChannel, StartMethod, WorkerHandle } from './types.js';

const ALL_METHODS: readonly StartMethod[] = ['thread', 'spawn'];
const launchers = new Map<StartMethod, Launcher>([
  ['thread', threadLauncher],
  ['spawn', spawnLauncher],
]);

/** Every start method multiproc knows, available or not (Python's `get_all_start_methods`). */
export function getAllStartMethods(): StartMethod[] {
  return [...ALL_METHODS];
}

/** @internal Throws a RangeError unless `method` is a known start method. */
export function checkStartMethod(method: unknown): asserts method is StartMethod {
  if (!ALL_METHODS.includes(method as StartMethod)) {
    throw new RangeError(
      `cannot find a context for start method ${JSON.stringify(method)}: use one of ${ALL_METHODS.map((m) => `'${m}'`).join(', ')}`,
    );
  }
}

/** Installs the runtime adapter of a start method (how 'spawn' plugs in). */
export function registerLauncher(launcher: Launcher): void {
  checkStartMethod(launcher.method);
  launchers.set(launcher.method, launcher);
}

/** The launcher of `method`; throws if that start method has no launcher yet. */
export function getLauncher(method: StartMethod): Launcher {
  checkStartMethod(method);
  const launcher = launchers.get(method);
  if (!launcher) {
    throw new Error(
      `the '${method}' start method is not available yet in this version of @multiproc/process: ` +
        `use 'thread' (the default), e.g. setStartMethod('thread', { force: true }) or getContext('thread')`,
    );
  }
  return launcher;
}

/**
 * Starts a worker with the runtime adapter of `method` (default 'thread'): the one way
 * Process and Pool start workers.
 *
 * @example
 * const w = startWorker({ entry: new URL('./worker.js', import.meta.url), data: { jobs: 4 } });
 * console.log(await w.exited); // 0
 */
export function startWorker(spec: LaunchSpec, method: StartMethod = 'thread'): WorkerHandle {
  return getLauncher(method).start(spec);
}

/** The launcher that started this worker, if it is a multiproc worker. */
function ownLauncher(): Launcher | undefined {
  for (const launcher of launchers.values()) if (launcher.isChild()) return launcher;
  return undefined;
}

/** True inside any worker (thread or process) started by a multiproc launcher. */
export function isMultiprocWorker(): boolean {
  return ownLauncher() !== undefined;
}

/**
 * In a worker's entry module: joins the tree's shared memory and returns the channel to the
 * parent (the `data` it was started with, `post`, `onMessage`). Call it before anything else.
 *
 * @example
 * // my-worker.ts, started with startWorker({ entry, data })
 * const parent = connectToParent();
 * parent.post({ got: parent.data });
 */
export function connectToParent(): ParentChannel {
  const launcher = ownLauncher();
  if (!launcher) throw new Error('connectToParent() must run in a worker started by startWorker()');
  return launcher.connect();
}

export { getExecutable, setExecutable } from './spawn.js';
export type { LaunchSpec, Launcher, ParentChannel, StartMethod, WorkerHandle } from './types.js';
