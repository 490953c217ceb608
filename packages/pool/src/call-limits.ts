/**
 * Per-call abort and timeout of the pool's calls (`{ signal, timeout }` of every method): an
 * aborted or timed-out call fails its job, which drops its queued chunks and asks its running
 * ones to stop (Dispatcher.finishJob). The listener and the timer go when the job ends,
 * however it ends.
 */
import { TimeoutError } from './errors.js';
import type { Job } from './job.js';
import type { CallOptions } from './pool-options.js';

/** Wires `opts.signal` and `opts.timeout` to `job`; false if the signal is already aborted (the job then failed). */
export function applyCallLimits(job: Job, opts: CallOptions | undefined, method: string): boolean {
  const signal = opts?.signal;
  const timeout = opts?.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    throw new RangeError(
      `Pool.${method}: timeout must be a number of milliseconds >= 0, got ${String(timeout)}`,
    );
  }
  if (signal?.aborted) {
    job.fail(signal.reason);
    return false;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => job.fail(signal?.reason);
  if (signal || timeout !== undefined) {
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(
        () => job.fail(new TimeoutError(`Pool.${method}: the call did not finish within ${timeout} ms`)),
        timeout,
      );
    }
    const host = job.host;
    const finish = host.finishJob.bind(host);
    // Clean up the listener and timer when the job ends, however it ends.
    (job as { host: typeof host }).host = {
      nextChunkId: () => host.nextChunkId(),
      pump: () => host.pump(),
      finishJob: (j, abort) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        finish(j, abort);
      },
    };
  }
  return true;
}
