/**
 * The 'thread' runtime adapter: workers are `worker_threads` Workers of this process.
 *
 * Everything worker_threads-specific lives here, parent side and child side:
 * - the child joins the tree's shared memory (`initChild`) before any user code runs, and
 *   reports its tree-unique ident;
 * - the child's stdout/stderr reach the parent's own streams (Node pipes them), and the exit is
 *   reported only after both streams ended, so a parent that prints after `join()` prints
 *   after every line of the child;
 * - the memory layer's exit hooks of the child run before the exit is reported, so pipes and
 *   queues already see a dead writer when `join()` resolves.
 * A worker thread has no signals: terminate() and kill() both stop the thread at once; the
 * exit code records which one was asked for (-15 / -9), as under a real process.
 */
import { type TransferListItem, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type MemoryBootstrap, childBootstrap, initChild, workerIdent } from '@multiproc/memory';
import { util } from '../builtins.js';
import type { LaunchSpec, Launcher, ParentChannel, WorkerHandle } from './types.js';

/** Key of our part of `workerData`: its presence is what makes a thread a multiproc worker. */
const MARK = '@multiproc/process:thread';
/** The message a child sends once connected (never shown to onMessage listeners). */
const READY = '@multiproc/process:ready';

interface ThreadBoot {
  memory: MemoryBootstrap;
  data: unknown;
}

function ended(stream: NodeJS.ReadableStream & { readableEnded?: boolean }): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

function startThread(spec: LaunchSpec): WorkerHandle {
  const memory = childBootstrap();
  let worker: Worker;
  try {
    worker = new Worker(spec.entry, {
      workerData: { [MARK]: { memory: memory.data, data: spec.data } satisfies ThreadBoot },
      transferList: memory.transferList,
      name: spec.name,
      // Node copies the worker's output to ours as each chunk arrives (before 'exit', in
      // order). Reading the streams ourselves would keep an unref'd (daemonic) worker's
      // parent alive: a user-side reader refs the worker's port.
      stdout: false,
      stderr: false,
    });
  } catch (err) {
    memory.onExit();
    throw err;
  }

  let requested = 0; // signal number asked for by terminate()/kill()
  let exitcode: number | null = null;
  const listeners = new Set<(message: unknown) => void>();
  let resolveReady!: (ident: number | undefined) => void;
  const ready = new Promise<number | undefined>((r) => {
    resolveReady = r;
  });

  worker.on('message', (message: unknown) => {
    if (message && typeof message === 'object' && READY in message) {
      resolveReady((message as Record<string, number>)[READY]);
      return;
    }
    for (const listener of listeners) listener(message);
  });
  // A worker's uncaught error would otherwise be rethrown in the parent and crash it.
  worker.on('error', (err) => {
    process.stderr.write(`Exception in worker ${spec.name ?? worker.threadId}:\n${util().inspect(err)}\n`);
  });

  const exited = new Promise<number>((resolve) => {
    worker.once('exit', (code) => {
      resolveReady(undefined);
      void Promise.all([ended(worker.stdout), ended(worker.stderr)]).then(() => {
        exitcode = requested ? -requested : code;
        try {
          memory.onExit();
        } finally {
          resolve(exitcode);
        }
      });
    });
  });

  const stop = (signal: number) => {
    if (exitcode !== null || requested) return;
    requested = signal;
    void worker.terminate();
  };

  return {
    method: 'thread',
    pid: process.pid,
    ready,
    exited,
    get exitcode() {
      return exitcode;
    },
    post: (message, transfer) => worker.postMessage(message, transfer as TransferListItem[] | undefined),
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate: () => stop(15),
    kill: () => stop(9),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}

let channel: ParentChannel | undefined;

function connectThread(): ParentChannel {
  if (channel) return channel;
  const boot = (workerData as Record<string, ThreadBoot> | undefined)?.[MARK];
  if (!boot || !parentPort) throw new Error('this thread was not started by a multiproc launcher');
  initChild(boot.memory);
  const port = parentPort;
  port.postMessage({ [READY]: workerIdent() });
  channel = {
    data: boot.data,
    post: (message, transfer) => port.postMessage(message, transfer as TransferListItem[] | undefined),
    onMessage(listener) {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
  };
  return channel;
}

/** The worker_threads launcher. */
export const threadLauncher: Launcher = {
  method: 'thread',
  start: startThread,
  isChild: () =>
    !isMainThread && typeof workerData === 'object' && workerData !== null && MARK in (workerData as object),
  connect: connectThread,
};
