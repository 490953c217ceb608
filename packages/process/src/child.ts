/**
 * The worker side of a Process (Python's `BaseProcess._bootstrap`): join the tree, become
 * the process the parent described, import the target (and the subclass), rebuild the
 * process object, run it, report a failure like Python's traceback, shut down children, exit.
 *
 * `dist/worker.js` imports the package entry and calls the hook installed here, so that the
 * bootstrap and the user's `import '@multiproc/process'` share one module instance.
 */
import { loadsAsync } from '@multiproc/serialization';
import { util } from './builtins.js';
import { loadFunction } from './function-ref.js';
import { enterChild } from './identity.js';
import { connectToParent } from './launchers/index.js';
import { getLogger } from './logger.js';
import { Process } from './process.js';
import { makeSelf } from './process-state.js';
import { type ProcessBoot, shutdownChildren } from './start.js';
import { threadState } from './state.js';

const log = getLogger();

/** Prints an error the way Python prints a child's traceback: `Process Process-1:` first. */
function report(name: string, err: unknown): void {
  const text = err instanceof Error ? util().inspect(err) : `Uncaught ${util().inspect(err)}`;
  process.stderr.write(`Process ${name}:\n${text}\n`);
}

/** Resolves once everything written to a stream so far has been handed to the parent. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

let finishing = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await shutdownChildren();
    log.info(`process exiting with exitcode ${code}`);
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  }
  return new Promise<never>(() => {});
}

async function runProcessChild(): Promise<void> {
  const channel = connectToParent();
  const boot = channel.data as ProcessBoot;
  enterChild(boot.who);
  const name = boot.who.name;
  // An error thrown later (a timer, an unawaited promise) ends the process like a throw in run().
  process.on('uncaughtException', (err) => {
    report(threadState().self.name, err);
    void finish(1);
  });
  // process.exit(n) in user code skips finish(): still say so, as Python logs SystemExit.
  process.on('exit', (exitCode) => {
    if (!finishing) log.info(`process exiting with exitcode ${exitCode}`);
  });
  let code = 0;
  try {
    // Import first: loading the modules registers the reducers the arguments may need; the
    // rest (e.g. a Queue passed to a target whose module only imports types) loadsAsync imports.
    const cls = boot.cls ? ((await loadFunction(boot.cls)) as unknown as typeof Process) : Process;
    const target = boot.target ? await loadFunction(boot.target) : undefined;
    const args = await loadsAsync<unknown[]>(boot.args);
    const fields = await loadsAsync<Record<string, unknown>>(boot.fields);
    if (typeof cls !== 'function' || !(cls.prototype instanceof Process || cls === Process)) {
      throw new TypeError(`${boot.cls?.exportName} is not a subclass of Process`);
    }
    const self = makeSelf(cls.prototype, 'self', { target, args, name, daemon: boot.who.daemon });
    Object.assign(self, fields);
    threadState().current = self;
    log.info('child process calling self.run()');
    await self.run();
  } catch (err) {
    code = 1;
    report(name, err);
  }
  await finish(code);
}

(globalThis as Record<symbol, unknown>)[Symbol.for('@multiproc/process:run-child')] = runProcessChild;
