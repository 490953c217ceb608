/**
 * The entry module of a Process worker (built to dist/worker.js).
 *
 * It imports the package entry next to it rather than bundling its own copy, so that the
 * bootstrap and the user's module (which imports '@multiproc/process' too) share one
 * instance: one Process class, one logger, one currentProcess().
 */
const HOOK = Symbol.for('@multiproc/process:run-child');

import(new URL('./index.js', import.meta.url).href).then(
  () => ((globalThis as Record<symbol, unknown>)[HOOK] as () => Promise<void>)(),
  (err: unknown) => {
    process.stderr.write(
      `multiproc: cannot load the worker bootstrap: ${String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(1);
  },
);
