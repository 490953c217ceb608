/**
 * The block directory: how a worker that receives a block id finds the SharedArrayBuffer.
 *
 * A SharedArrayBuffer reaches another thread only by message passing, and a block id may
 * arrive through shared memory (a queue's ring buffer), where no message carries it. So the
 * tree has one directory thread that holds every block that was ever sent somewhere. Each
 * worker talks to it over its own MessagePort: `export` (fire and forget) when a block is first
 * serialized, and a synchronous `lookup` (post, then `Atomics.wait` on a reply flag, then
 * `receiveMessageOnPort`) the first time an id is seen. The directory never blocks, so a lookup
 * cannot deadlock on a busy main thread. A lookup that overtakes its export (they travel on
 * different ports) is parked until the export arrives.
 *
 * The directory thread is started by the root (the thread that owns it) only once something
 * needs it, since a thread costs a worker's start-up time (a pool of trivial tasks never does):
 * - the root exports a block while it has children, or starts a child while it holds exports;
 * - the root looks up an id it does not hold, or uses a named block;
 * - a child is about to wait for an answer (lookup, named block): it summons the root over a
 *   BroadcastChannel, and the root starts the directory from its event loop;
 * - the root is about to block in `waitSync` while it has children (so a child's summons cannot
 *   wait on a blocked root);
 * - a child exits with messages still queued on its port (an export, say an exit hook's block).
 * Until then, each child's port stays with the root, its messages queued; starting the directory
 * hands the ports over with their queues, in order. A child that exits having sent nothing
 * drops its port.
 *
 * Blocks exported to the directory live as long as the tree unless released with `releaseBlock`;
 * blocks that never leave their thread are garbage-collected normally.
 */
import { directoryMain } from './directory-thread.js';
import {
  BroadcastChannel,
  MessageChannel,
  type MessagePort,
  Worker,
  receiveMessageOnPort,
  threadId,
} from 'node:worker_threads';
import { applyExitList, newExitList, setOwnExitList } from './exit-hooks.js';
import { joinTree, treeCounter, useOsMemory, workerIdent } from './ident.js';
import {
  allocateOsBuffer,
  joinOsTree,
  joinOsTreeThread,
  markOsExported,
  openOsBuffer,
  osTree,
  unlinkOsId,
} from './os-tree.js';
import { setBeforeBlock } from './wait.js';
import type { WasmMemory } from './wasm-atomics.js';

const LOOKUP_TIMEOUT_MS = 30_000;

/** What a parent hands to a child worker so that it joins the tree's memory. */
export interface MemoryBootstrap {
  port: MessagePort;
  tree: SharedArrayBuffer;
  exitList: SharedArrayBuffer;
  /** Set when the parent is in OS memory mode: the child (a thread) joins that tree. */
  osTree?: string;
  /** With osTree: the fd of the tree's resource-tracker pipe in this process. */
  trackerFd?: number;
  /** Word 0 is 1 once the directory thread runs (it starts on first need). */
  directoryState?: SharedArrayBuffer;
  /** The BroadcastChannel on which a child asks the root to start the directory. */
  directorySummons?: string;
}

/** What a parent hands to a spawned child process (plain JSON data: names, not buffers). */
export interface SpawnMemoryBootstrap {
  /** The OS-memory tree id (segments `/dev/shm/mp-<tree>-*`). */
  osTree: string;
  /** The segment holding the child's exit list. */
  exitList: string;
}

let port: MessagePort | undefined;
/** Root only: the ports of children started before the directory, with their queued messages. */
const pending = new Set<MessagePort>();
/** Word 0: 1 once the directory runs. Created with the first child, shared with the tree. */
let dirState: Int32Array | undefined;
/** The name of the root's summons channel; root: the listening channel. */
let summonsName: string | undefined;
let summons: BroadcastChannel | undefined;
let isChild = false;
/** True in a process started by the 'spawn' launcher. */
let spawned = false;
/**
 * What the directory holds for a block: its SharedArrayBuffer, or the shared WebAssembly.Memory
 * it is the buffer of (arena blocks; see block.ts).
 */
export type Shareable = SharedArrayBuffer | WasmMemory;

const exported = new WeakSet<Shareable>();
/** Root only: exports made before the directory thread existed. */
const early = new Map<string, Shareable>();
const flag = new Int32Array(new SharedArrayBuffer(4));
let requestSeq = 0;

function startDirectory(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(`(${directoryMain.toString()})(require('node:worker_threads'))`, {
    eval: true,
    workerData: { port: port2 },
    transferList: [port2],
    name: 'multiproc-directory',
    stdout: false,
    stderr: false,
  });
  worker.unref();
  port1.unref();
  if (early.size > 0) {
    port1.postMessage({ op: 'export', blocks: [...early] });
    early.clear();
  }
  // The children's ports, with the messages they queued so far (transfer keeps them, in order).
  for (const p of pending) port1.postMessage({ op: 'attach', port: p }, [p]);
  pending.clear();
  if (dirState) Atomics.store(dirState, 0, 1);
  summons?.close();
  summons = undefined;
  setBeforeBlock(undefined);
  return port1;
}

function directoryPort(): MessagePort {
  port ??= startDirectory();
  return port;
}

/** Root: from the first child on, a child's summons (or a blocking wait here) starts the directory. */
function armSummons(): void {
  dirState ??= new Int32Array(new SharedArrayBuffer(4));
  if (summons || port) return;
  summonsName ??= `@multiproc/memory:directory:${process.pid}:${threadId}:${Math.random().toString(36).slice(2)}`;
  summons = new BroadcastChannel(summonsName);
  summons.onmessage = () => {
    if (!port) directoryPort();
  };
  summons.unref();
  setBeforeBlock(() => {
    if (!port) directoryPort();
  });
}

/** Child: makes sure the directory runs before waiting for its answer. */
function summonDirectory(): void {
  if (!dirState || Atomics.load(dirState, 0) === 1 || !summonsName) return;
  const bc = new BroadcastChannel(summonsName);
  bc.postMessage('start');
  bc.close();
}

/** @internal Makes a block findable by id from every worker of the tree. */
export function exportBlock(id: string, buffer: Shareable): void {
  if (exported.has(buffer)) return;
  if (id.startsWith('~') || id.startsWith('file:')) {
    exported.add(buffer);
    markOsExported(id);
    return;
  }
  exported.add(buffer);
  if (port) port.postMessage({ op: 'export', blocks: [[id, buffer]] });
  else if (pending.size > 0) directoryPort().postMessage({ op: 'export', blocks: [[id, buffer]] });
  else early.set(id, buffer);
}

/**
 * Sends one request to the directory thread and blocks until its answer (matched by `seq`).
 * Returns undefined if no answer came in `timeoutMs`.
 */
function request(msg: Record<string, unknown>, timeoutMs: number): any {
  const p = directoryPort();
  if (isChild) summonDirectory();
  const seq = ++requestSeq;
  Atomics.store(flag, 0, 0);
  p.postMessage({ ...msg, seq, flag: flag.buffer });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = receiveMessageOnPort(p);
    if (reply) {
      if (reply.message.seq === seq) return reply.message;
      continue; // a late answer to an earlier, timed-out request
    }
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(flag, 0, 0, left) === 'timed-out') return undefined;
    Atomics.store(flag, 0, 0);
  }
}

/** @internal Forgets an exported block, from any worker: later lookups of its id fail. */
export function releaseExported(id: string, buffer: Shareable): void {
  if (id.startsWith('~')) {
    exported.delete(buffer);
    unlinkOsId(id);
    return;
  }
  // Any worker may release, not only the exporter: one that holds a block it did not export
  // looked it up, so the directory had the export before this release can reach it.
  exported.delete(buffer);
  if (port) port.postMessage({ op: 'release', id });
  else if (pending.size > 0) directoryPort().postMessage({ op: 'release', id });
  else early.delete(id);
}

/**
 * @internal Finds a block exported by any worker of the tree; blocks the thread briefly (at
 * most `timeoutMs`, while an export that is on its way arrives). A released id fails at once.
 */
export function lookupBuffer(id: string, timeoutMs = LOOKUP_TIMEOUT_MS): Shareable {
  if (id.startsWith('~') || id.startsWith('file:')) return openOsBuffer(id);
  if (!port) {
    const sab = early.get(id);
    if (sab) return sab;
  }
  if (!port && pending.size === 0) {
    if (spawned) {
      throw new Error(
        `shared block ${id} cannot reach this process: it is a SharedArrayBuffer made before the 'spawn' ` +
          `start method was chosen (only threads share those); call setStartMethod('spawn') or getContext('spawn') ` +
          'before creating the shared objects you send to spawn children',
      );
    }
    throw new Error(`shared block ${id} is unknown: no worker of this tree exported it`);
  }
  const reply = request({ op: 'lookup', id }, timeoutMs);
  if (!reply) {
    throw new Error(
      `shared block ${id} was not found in ${timeoutMs} ms: the object it belongs to was never ` +
        'sent from a worker of this tree (was it created in another program?)',
    );
  }
  if (!reply.sab) throw new Error(`shared block ${id} was released (releaseBlock): it can no longer be sent`);
  return reply.sab;
}

function nameError(code: 'EEXIST' | 'ENOENT', name: string): Error {
  const text =
    code === 'EEXIST'
      ? `shared memory '${name}' already exists: attach to it with create: false, or pick another name`
      : `no shared memory named '${name}' in this tree: create it first (create: true), or check the name`;
  return Object.assign(new Error(text), { code });
}

/** @internal Registers `buffer` under a tree-wide name; throws (code EEXIST) if the name is taken. */
export function createNamed(name: string, id: string, buffer: SharedArrayBuffer): void {
  exported.add(buffer);
  const reply = request({ op: 'create', name, id, sab: buffer }, LOOKUP_TIMEOUT_MS);
  if (!reply) throw new Error('the shared-memory directory did not answer');
  if (!reply.ok) throw nameError('EEXIST', name);
}

/** @internal The block registered under `name`; throws (code ENOENT) if there is none. */
export function openNamed(name: string): { id: string; sab: SharedArrayBuffer } {
  const reply = request({ op: 'open', name }, LOOKUP_TIMEOUT_MS);
  if (!reply) throw new Error('the shared-memory directory did not answer');
  if (!reply.sab) throw nameError('ENOENT', name);
  return { id: reply.id, sab: reply.sab };
}

/** @internal Removes a name (the memory stays valid for those who hold it); ENOENT if unknown. */
export function unlinkNamed(name: string): void {
  const reply = request({ op: 'unlink', name }, LOOKUP_TIMEOUT_MS);
  if (!reply) throw new Error('the shared-memory directory did not answer');
  if (!reply.ok) throw nameError('ENOENT', name);
}

/** What a parent keeps for each child: the data to send, and what to call once it is gone. */
export interface ChildMemory {
  /** Send to the child (e.g. in workerData) and pass to its {@link initChild}. */
  data: MemoryBootstrap;
  /** Transfer these with `data`. */
  transferList: MessagePort[];
  /** Call once when the child has exited, however it exited: applies its exit hooks. */
  onExit(): void;
}

/** Called by a parent for each child worker it starts. */
export function childBootstrap(): ChildMemory {
  const { port1, port2 } = new MessageChannel();
  armSummons();
  if (port || early.size > 0) directoryPort().postMessage({ op: 'attach', port: port1 }, [port1]);
  else pending.add(port1);
  const exitList = newExitList();
  let done = false;
  return {
    data: {
      port: port2,
      tree: treeCounter().buffer as SharedArrayBuffer,
      exitList,
      directoryState: dirState!.buffer as SharedArrayBuffer,
      directorySummons: summonsName!,
      ...(osTree() ? { osTree: osTree()!.tree, trackerFd: osTree()!.tracker } : {}),
    },
    transferList: [port2],
    onExit() {
      if (done) return;
      done = true;
      try {
        applyExitList(exitList);
      } finally {
        if (pending.has(port1)) settlePending(port1);
      }
    },
  };
}

/**
 * Root: a child exited before the directory started. If it sent nothing, its port is dropped;
 * else the directory starts and gets what it sent (its exports may still be looked up).
 */
function settlePending(p: MessagePort): void {
  const first = receiveMessageOnPort(p);
  pending.delete(p);
  if (!first) {
    p.close();
    return;
  }
  const transfer = first.message?.op === 'attach' ? [first.message.port] : [];
  directoryPort().postMessage({ op: 'attach', port: p, first: first.message }, [p, ...transfer]);
}

/** What a parent keeps for each spawned child process. */
export interface SpawnChildMemory {
  /** Send to the child (JSON-safe) and pass to its {@link initChild}. */
  data: SpawnMemoryBootstrap;
  /** What the child must hold as fd 5: the tree's resource-tracker pipe (or undefined). */
  tracker: number | undefined;
  /** Call once when the child has exited, however it exited: applies its exit hooks. */
  onExit(): void;
}

/**
 * Called by a parent for each child process it spawns (OS memory mode: call
 * {@link useOsMemory} first). The child's exit list lives in a segment the parent reads after
 * the child is gone.
 */
export function spawnChildBootstrap(): SpawnChildMemory {
  useOsMemory();
  const os = osTree()!;
  const [name, exitList] = allocateOsBuffer(os, workerIdent(), newExitList().byteLength);
  markOsExported(name);
  let done = false;
  return {
    data: { osTree: os.tree, exitList: name },
    tracker: os.tracker,
    onExit() {
      if (done) return;
      done = true;
      try {
        applyExitList(exitList);
      } finally {
        unlinkOsId(name);
      }
    },
  };
}

/** Called first thing in a child worker with what its parent's {@link childBootstrap} gave. */
export function initChild(data: MemoryBootstrap | SpawnMemoryBootstrap): void {
  if (isChild) return;
  isChild = true;
  if (typeof data.exitList === 'string') {
    const boot = data as SpawnMemoryBootstrap;
    spawned = true;
    joinTree(joinOsTree({ tree: boot.osTree }).counter);
    setOwnExitList(openOsBuffer(boot.exitList));
    return;
  }
  data = data as MemoryBootstrap;
  if (data.osTree) joinOsTreeThread(data.osTree, data.tree, data.trackerFd);
  port = data.port;
  port.unref();
  if (data.directoryState) dirState = new Int32Array(data.directoryState);
  summonsName = data.directorySummons;
  joinTree(new Int32Array(data.tree));
  setOwnExitList(data.exitList);
}
