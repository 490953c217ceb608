/**
 * Starting a manager's server worker (`manager.start()`, Python's `BaseManager.start`): a
 * daemonic Process of the manager's context runs `serveManager` (serve.ts) and reports its
 * bound address on a one-way Pipe.
 */
import { Pipe } from '@multiproc/pipe';
import { type Process, type StartMethod, getContext, ref } from '@multiproc/process';
import { ManagerError } from './errors.js';
import type { ManagerAddress } from './protocol.js';
import type { ServeOptions, ServeReport } from './serve.js';

/** The module the server worker imports `serveManager` from: always the built file. */
const SERVE_MODULE = new URL('../dist/index.js', import.meta.url);

/**
 * @internal Starts the server worker under `method` and resolves with its address once it
 * listens. `started` sees the Process as soon as it exists (to terminate it if anything fails
 * later).
 */
export async function launchServer(
  name: string,
  serve: ServeOptions,
  method: StartMethod,
  started: (p: Process) => void,
): Promise<ManagerAddress> {
  // First: a spawn context switches this process to OS shared memory, so the pipe below (and
  // the objects made afterwards) can reach the server process.
  const ctx = getContext(method);
  const [reader, writer] = Pipe({ duplex: false });
  const p = new ctx.Process({
    target: ref(SERVE_MODULE, 'serveManager'),
    args: [serve, writer],
    name,
    daemon: true,
  });
  started(p);
  try {
    await p.start();
  } catch (err) {
    reader.close();
    throw err;
  } finally {
    writer.close();
  }
  let report: ServeReport;
  const exited = (cause?: unknown) =>
    new ManagerError(`the manager's server worker exited before listening (exitcode ${p.exitcode})`, {
      cause,
    });
  try {
    // The report, or the worker's exit, whichever comes first (a worker that dies while
    // loading never writes).
    report = await Promise.race([
      reader.recv<ServeReport>(),
      p.join().then(() => {
        throw exited();
      }),
    ]);
  } catch (err) {
    throw err instanceof ManagerError ? err : exited(err);
  } finally {
    reader.close();
  }
  if ('error' in report) throw report.error;
  return report.address as ManagerAddress;
}
