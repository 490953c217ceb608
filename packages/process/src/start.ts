/**
 * Starting a Process (parent side) and shutting down a worker's children (Python's
 * `util._exit_function`): the lifecycle steps that are not the Process object's own state.
 */
import { dumps } from '@multiproc/serialization';
import type { FunctionRef } from './function-ref.js';
import { prepareChild, type ChildIdentity } from './identity.js';
import { getLauncher, isMultiprocWorker } from './launchers/index.js';
import type { StartMethod } from './launchers/types.js';
import { getLogger } from './logger.js';
import type { ProcessState } from './process-state.js';
import type { Process } from './process.js';
import { resolveFunction } from './resolve.js';
import { CONTEXT_METHOD, defaultStartMethod, isBuiltinClass, threadState } from './state.js';

/**
 * The worker bootstrap, always the built file: from `dist/index.*` and from `src/*.ts`
 * (vitest imports the sources) alike, `../dist/worker.js` is the same file.
 */
const WORKER_ENTRY = new URL('../dist/worker.js', import.meta.url);

type PlainRef = { moduleUrl: string; exportName: string };

/** @internal The launch data of a Process worker. */
export interface ProcessBoot {
  who: ChildIdentity;
  /** The user's Process subclass, or null for Process itself. */
  cls: PlainRef | null;
  target: PlainRef | null;
  /** `dumps(args)` */
  args: Uint8Array;
  /** `dumps(own enumerable fields)`: what pickle would send as `__dict__`. */
  fields: Uint8Array;
}

const log = getLogger();
const plain = (r: FunctionRef | null): PlainRef | null =>
  r ? { moduleUrl: r.moduleUrl, exportName: r.exportName } : null;

function startMethodOf(p: Process): StartMethod {
  for (let c: any = p.constructor; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c, CONTEXT_METHOD)) return c[CONTEXT_METHOD];
  }
  return defaultStartMethod();
}

let exitHookInstalled = false;
/** Daemonic children do not outlive their parent: stop them when this thread exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (!isMultiprocWorker()) log.info('process shutting down'); // a worker logged it in finish()
    for (const child of threadState().children as Set<Process>) {
      if (child.daemon && child.isAlive()) {
        log.info(`calling terminate() for daemon ${child.name}`);
        child.terminate();
      }
    }
  });
}

/**
 * @internal Sends `p` to a new worker. The args and fields are serialized before the first
 * await, as Python pickles in start(): changes made after start() do not travel.
 */
export async function launchProcess(p: Process, s: ProcessState): Promise<void> {
  const args = dumps(s.args, { path: 'args' });
  const fields = dumps({ ...p }, { path: 'this' });
  // Resolving the target may only await promises; keep the parent alive meanwhile.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const ctor = p.constructor as Function;
    const cls = isBuiltinClass(ctor) ? null : await resolveFunction(ctor as never, s.callers);
    const target = s.target === undefined ? null : await resolveFunction(s.target, s.callers);
    const launcher = getLauncher(startMethodOf(p));
    if (s.requested) {
      s.exitcode = -s.requested; // terminate() came first: the worker never starts
      threadState().children.delete(p);
      return;
    }
    const who = prepareChild({ name: s.name, daemon: s.daemon, identity: s.identity, authkey: s.authkey });
    const boot: ProcessBoot = { who, cls: plain(cls), target: plain(target), args, fields };
    const handle = launcher.start({ entry: WORKER_ENTRY, data: boot, name: s.name, daemon: s.daemon });
    s.handle = handle;
    s.status = 'started';
    s.pid = handle.pid;
    log.debug(`started ${s.name}`);
    installExitHook();
    void handle.exited.then((code) => {
      s.exitcode = code;
      threadState().children.delete(p);
      log.debug(`${s.name} exited with exitcode ${code}`);
    });
    s.ident = await handle.ready;
    if (s.daemon && s.joiners === 0 && s.exitcode === null) handle.unref();
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * @internal Python's `_exit_function`: terminates daemonic children, then joins the others.
 * Runs in a worker once its target returned.
 */
export async function shutdownChildren(): Promise<void> {
  log.info('process shutting down');
  const children = [...(threadState().children as Set<Process>)];
  for (const child of children) {
    if (child.daemon && child.isAlive()) {
      log.info(`calling terminate() for daemon ${child.name}`);
      child.terminate();
    }
  }
  for (const child of children) {
    log.info(`calling join() for process ${child.name}`);
    await child.join().catch(() => {});
  }
}
