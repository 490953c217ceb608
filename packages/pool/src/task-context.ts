/**
 * What a task can ask about itself, inside a pool worker: whether the caller aborted it.
 *
 * The state lives on `globalThis` (under a `Symbol.for` key) because the worker's entry module
 * and the user's task module may load this package through different files (ESM and CJS, or
 * the index and the worker entry): they must see the same running chunk.
 *
 * A chunk is aborted when the caller's `signal` fires (or its `timeout` passes) while the
 * chunk runs. The parent writes the chunk's id into the channel's CANCEL word; a task that
 * polls {@link isTaskAborted} / {@link throwIfTaskAborted}, or listens on {@link taskSignal},
 * can stop early and its worker is kept. A task that ignores it has its worker replaced after
 * the pool's `abortGrace` (default 1000 ms).
 */
import { waitAsync, wake } from '@multiproc/memory';
import { CANCEL } from './task-channel.js';

interface TaskState {
  ctrl: Int32Array | null;
  chunk: number;
  controller: AbortController | null;
}

const KEY = Symbol.for('@multiproc/pool/task-state@1');
const holder = globalThis as unknown as Record<symbol, TaskState | undefined>;

/** @internal This thread's running-chunk state. */
export const taskState: TaskState = holder[KEY] ?? (holder[KEY] = { ctrl: null, chunk: 0, controller: null });

/**
 * Whether the call that submitted the running task was aborted (its `signal` fired or its
 * `timeout` passed). Cheap enough to poll in a hot loop. Always `false` outside a pool worker.
 *
 * @example
 * ```ts
 * export function countPrimes(lo: number, hi: number) {
 *   let n = 0;
 *   for (let i = lo; i < hi; i++) {
 *     if ((i & 0xffff) === 0 && isTaskAborted()) throw new Error('aborted');
 *     if (isPrime(i)) n++;
 *   }
 *   return n;
 * }
 * ```
 */
export function isTaskAborted(): boolean {
  const { ctrl, chunk } = taskState;
  return ctrl !== null && chunk !== 0 && Atomics.load(ctrl, CANCEL) === chunk;
}

/** Throws an `AbortError` (a DOMException) if the running task was aborted. */
export function throwIfTaskAborted(): void {
  if (isTaskAborted()) throw new DOMException('the pool call running this task was aborted', 'AbortError');
}

/**
 * An AbortSignal that fires when the running task is aborted, for async tasks (pass it to
 * `fetch`, timers, streams). Outside a pool worker it never fires.
 *
 * @example
 * ```ts
 * export async function download(url: string) {
 *   const res = await fetch(url, { signal: taskSignal() });
 *   return res.text();
 * }
 * ```
 */
export function taskSignal(): AbortSignal {
  const state = taskState;
  if (state.controller) return state.controller.signal;
  const controller = new AbortController();
  const { ctrl, chunk } = state;
  if (ctrl === null || chunk === 0) return controller.signal;
  state.controller = controller;
  if (isTaskAborted()) {
    controller.abort(new DOMException('the pool call running this task was aborted', 'AbortError'));
    return controller.signal;
  }
  const watch = (seen: number): void => {
    void waitAsync(ctrl, CANCEL, seen).then(() => {
      if (state.chunk !== chunk) return; // the chunk finished: endTask woke us to let go
      if (isTaskAborted())
        controller.abort(new DOMException('the pool call running this task was aborted', 'AbortError'));
      else watch(Atomics.load(ctrl, CANCEL));
    });
  };
  watch(Atomics.load(ctrl, CANCEL));
  return controller.signal;
}

/** @internal The worker loop marks the chunk it starts. */
export function beginTask(ctrl: Int32Array, chunk: number): void {
  taskState.ctrl = ctrl;
  taskState.chunk = chunk;
}

/** @internal The worker loop marks the chunk finished (and releases a taskSignal watcher). */
export function endTask(): void {
  const hadWatcher = taskState.controller !== null;
  taskState.chunk = 0;
  taskState.controller = null;
  if (hadWatcher && taskState.ctrl) wake(taskState.ctrl, CANCEL);
}
