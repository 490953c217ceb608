/**
 * The manager's server worker: the target `manager.start()` runs in a new Process (Python's
 * `BaseManager._run_server`). It imports the registered callables, listens, reports its address
 * to the parent through a Pipe, and serves until shutdown.
 */
import type { Connection } from '@multiproc/pipe';
import { fromWire, type WireType } from './registry.js';
import { Server } from './server.js';

/** What the server worker reports on its pipe. */
export type ServeReport = { address: unknown } | { error: Error };

/** @internal Options of {@link serveManager}. */
export interface ServeOptions {
  registry: WireType[];
  address?: { host?: string; port: number } | { path: string };
  authkey: Uint8Array;
  maxMessageSize?: number;
  fastPath?: boolean;
  /** An initializer (module + export) to run first, with its args. */
  initializer?: { moduleUrl: string; exportName: string } | null;
  initargs?: unknown[];
}

/**
 * @internal The server worker's target. Exported so that a worker can import it (the
 * function-reference rule); not meant to be called directly.
 */
export async function serveManager(options: ServeOptions, writer: Connection): Promise<void> {
  let server: Server;
  try {
    if (options.initializer) {
      const { loadFunction } = await import('@multiproc/process');
      await (await loadFunction(options.initializer))(...(options.initargs ?? []));
    }
    const registry = await fromWire(options.registry);
    server = new Server(registry, options);
    await server.ready;
  } catch (err) {
    writer.send({ error: err as Error } satisfies ServeReport);
    writer.close();
    return;
  }
  writer.send({ address: server.address } satisfies ServeReport);
  writer.close();
  await server.serveForever();
}
