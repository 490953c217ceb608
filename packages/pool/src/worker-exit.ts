/**
 * What a pool worker's exit means for the chunks it held (`slot.inflight`, in ring order): the
 * one it had started fails with a ProcessError naming the exit code and the uncaught error,
 * when there was one; the others go back to the queue, unless MAX_BOUNCES workers in a row died
 * holding them before starting them (then they fail too: a poison chunk must not kill workers
 * forever). An initializer that failed breaks the pool.
 */
import { ProcessError } from './errors.js';
import type { Chunk } from './job.js';
import type { WorkerSlot } from './worker-slot.js';

const MAX_BOUNCES = 3;

/** The error that breaks the pool if this worker's initializer failed, else null. */
export function initializerFailure(slot: WorkerSlot, code: number): ProcessError | null {
  if (!slot.initFailed) return null;
  const cause = slot.fatal?.error ?? slot.initFailed.error;
  return new ProcessError(
    `the pool's initializer failed in ${slot.name}: ${describe(slot.initFailed.error)}; the pool cannot start workers`,
    { cause, exitCode: code },
  );
}

/**
 * Settles the chunks an exited worker held that cannot run again (with a ProcessError), and
 * returns the ones to send to another worker. Empties `slot.inflight`.
 */
export function settleHeldChunks(slot: WorkerSlot, code: number): Chunk[] {
  const started = slot.startedHeld();
  const held = slot.inflight.splice(0);
  const cause = slot.fatal?.error ?? slot.initFailed?.error;
  const retry: Chunk[] = [];
  for (let i = 0; i < held.length; i++) {
    const chunk = held[i];
    chunk.bounced = (chunk.bounced ?? 0) + (i < started ? 0 : 1);
    if (i < started || chunk.bounced >= MAX_BOUNCES) {
      const why =
        i >= started
          ? `exited with code ${code} before it could run this task (${chunk.bounced} workers in a row did)${cause !== undefined ? `: ${describe(cause)}` : ''}`
          : code === -15 || code === -9
            ? `was terminated (exit code ${code})`
            : `exited with code ${code}${cause !== undefined ? ` after an uncaught error: ${describe(cause)}` : ''}`;
      const err = new ProcessError(
        `pool worker ${slot.name} (ident ${slot.ident}) ${why} while running this task`,
        {
          cause,
          exitCode: code,
        },
      );
      chunk.job.settleChunk(chunk, [err], [0]);
    } else if (!chunk.job.finished) retry.push(chunk);
  }
  return retry;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
