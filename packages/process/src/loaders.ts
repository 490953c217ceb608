/**
 * Loaders a worker must apply before it imports user code.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/**
 * Node 20 does not apply `--import tsx` in worker threads (the hooks of the main thread do
 * not reach them), so a worker of a program run with tsx registers tsx itself before it
 * imports any user module.
 */
async function applyParentLoaders(): Promise<void> {
  if (
    !/(?:^|\s)(?:--import|--loader|--experimental-loader|--require|-r)[=\s]tsx(?:\/|\s|$)/.test(
      process.execArgv.join(' '),
    )
  ) {
    return;
  }
  const spec = 'tsx/esm/api';
  let api: { register?: () => unknown } | undefined;
  try {
    api = await import(spec);
  } catch {
    // tsx is installed next to the program, not next to multiproc: resolve it from the cwd.
    const path = createRequire(pathToFileURL(`${process.cwd()}/`).href).resolve(spec);
    api = await import(pathToFileURL(path).href);
  }
  api?.register?.();
}

let applied: Promise<void> | undefined;

/** Applies the parent's loaders once per worker (memoized); called before every user import. */
export function ensureParentLoaders(): Promise<void> {
  // A process's main thread got its loaders from its own command line.
  applied ??= isMainThread ? Promise.resolve() : applyParentLoaders();
  return applied;
}
