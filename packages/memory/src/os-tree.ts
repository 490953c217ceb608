/**
 * OS memory mode: the tree's shared blocks in POSIX shared memory, for the 'spawn' start method.
 *
 * Once a process may have 'spawn' children (`useOsMemory()`, called by @multiproc/process when
 * the start method is set to 'spawn' or a spawn context is first used), every new block is a
 * POSIX shared-memory segment, so that it can be opened in any process of the tree by name:
 *
 *   segment                          block id       what
 *   /dev/shm/mp-<tree>-t             -              the tree's ident counter (word 0: the next ident)
 *   /dev/shm/mp-<tree>-<ident>.<n>   ~<ident>.<n>   block n of worker <ident> (base 36)
 *   /dev/shm/mp-<tree>-n<hash>       ~n<hash>       the named block <name> (SharedMemory({ name }))
 *   (the file itself)                file:<path>    a memory-mapped file
 * Ids stay short (at most 16 characters: rings and exit lists store them in fixed slots); every
 * process of the tree knows the tree id, so it turns an id into its segment name.
 *
 * A block whose id travelled nowhere (never serialized) is unlinked when its buffer is
 * garbage-collected in the process that made it; the others live until `releaseBlock` or the end
 * of the tree, as under 'thread'. The end of the tree is watched by the **resource tracker**: a
 * small detached process started with the first segment, reading a pipe that the root and every
 * spawn child of the tree hold (fd 5 of a spawn child). When the last holder is gone — however
 * it went, SIGKILL included — the tracker reads EOF and unlinks every `/dev/shm/mp-<tree>-*`.
 *
 * The mode is process-wide (kept on `globalThis`, shared by the ESM and CJS builds) and
 * inherited by every child, thread or process. Blocks made before the switch stay
 * SharedArrayBuffers: they still work between threads, but cannot reach another process.
 */
import { fstatSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { childProcess, crypto } from './builtins.js';
import {
  createOsBlockBuffer,
  mapFileBuffer,
  openOsBlockBuffer,
  osMemoryUnavailableReason,
  unlinkOsBlock,
} from './os-memory.js';

/** The fd on which a spawn child holds the tracker's pipe. */
export const TRACKER_FD = 5;

/** What a spawned child needs to join an OS-memory tree (plain, JSON-safe data). */
export interface OsTreeBootstrap {
  tree: string;
}

interface OsTree {
  tree: string;
  counter: Int32Array;
  /** Per-thread sequence of block names (the ident tells threads apart). */
  seq: number;
  /** The fd of the tracker's pipe in this process (a spawn child passes it on as its fd 5). */
  tracker: number | undefined;
  exported: Set<string>;
  gc: FinalizationRegistry<string>;
}

const KEY = Symbol.for('@multiproc/memory:os-tree');
const g = globalThis as { [KEY]?: OsTree };

/** The tree in OS memory mode, or undefined under plain SharedArrayBuffers. */
export function osTree(): OsTree | undefined {
  return g[KEY];
}

/** The OS-memory tree id (`/dev/shm/mp-<id>-*`), or undefined outside OS memory mode. */
export function osTreeId(): string | undefined {
  return g[KEY]?.tree;
}

/** Whether new blocks of this process are OS shared memory. */
export function osMemoryMode(): boolean {
  return g[KEY] !== undefined;
}

function install(tree: string, counter: Int32Array, tracker: OsTree['tracker']): OsTree {
  const exported = new Set<string>();
  const state: OsTree = {
    tree,
    counter,
    seq: 0,
    tracker,
    exported,
    gc: new FinalizationRegistry<string>((id) => {
      if (exported.has(id)) return;
      try {
        unlinkOsBlock(`mp-${tree}-${id.slice(1)}`);
      } catch {}
    }),
  };
  g[KEY] = state;
  return state;
}

function noOsMemory(): Error {
  const err = new Error(`multiproc: ${osMemoryUnavailableReason()}`) as NodeJS.ErrnoException;
  err.code = 'ERR_MULTIPROC_NO_OS_MEMORY';
  return err;
}

const TRACKER_SOURCE = `
const fs = require('node:fs');
const prefix = 'mp-' + process.argv[1] + '-';
for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGQUIT']) process.on(s, () => {});
let done = false;
const sweep = () => {
  if (done) return;
  done = true;
  let names = [];
  try { names = fs.readdirSync('/dev/shm'); } catch {}
  for (const n of names) if (n.startsWith(prefix)) { try { fs.unlinkSync('/dev/shm/' + n); } catch {} }
  process.exit(0);
};
process.stdin.on('end', sweep);
process.stdin.on('close', sweep);
process.stdin.on('error', sweep);
process.stdin.resume();
`;

/** Pipes to trackers, kept referenced so that their fds stay open. */
const trackerPipes: unknown[] = [];

/** Starts the tree's resource tracker; returns the fd of the write end of its pipe. */
function startTracker(tree: string): number | undefined {
  try {
    const child = childProcess().spawn(process.execPath, ['-e', TRACKER_SOURCE, tree], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    child.unref();
    const pipe = child.stdin as unknown as import('node:net').Socket & { _handle?: { fd?: number } };
    pipe.on('error', () => {});
    pipe.unref();
    trackerPipes.push(pipe);
    const fd = pipe._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? fd : undefined;
  } catch {
    return undefined; // no tracker: segments are still removed by the root's exit handler
  }
}

/**
 * @internal Switches this process (the root of a tree, or a thread of it) to OS memory: every
 * block allocated from now on is a POSIX shared-memory segment. Idempotent. Throws (code
 * ERR_MULTIPROC_NO_OS_MEMORY, with what is missing) if the native addon is unavailable.
 * `currentIdent` is the tree counter's current value (idents already given to threads).
 */
export function enableOsTree(currentNext: number): OsTree {
  const existing = g[KEY];
  if (existing) return existing;
  if (osMemoryUnavailableReason()) throw noOsMemory();
  const tree = crypto().randomBytes(4).toString('hex');
  const counter = new Int32Array(createOsBlockBuffer(`mp-${tree}-t`, 8));
  // Threads started before the switch keep counting on the old counter: give them room.
  counter[0] = currentNext > 2 ? currentNext + 0x10000 : 2;
  const tracker = startTracker(tree);
  const state = install(tree, counter, tracker);
  if (!tracker) {
    process.once('exit', () => sweepTree(tree));
  }
  return state;
}

/** @internal In a spawned child: joins the OS-memory tree of its parent. */
export function joinOsTree(boot: OsTreeBootstrap): OsTree {
  const existing = g[KEY];
  if (existing?.tree === boot.tree) return existing;
  const counter = new Int32Array(openOsBlockBuffer(`mp-${boot.tree}-t`));
  let fd: number | undefined = TRACKER_FD;
  try {
    fstatSync(TRACKER_FD);
  } catch {
    fd = undefined;
  }
  // Leave a regular file's stat behind: Node's realpathSync (ESM resolution) misreads the last
  // stat of the thread, and after an fstat of a pipe stops resolving symlinks.
  statSync('/');
  return install(boot.tree, counter, fd);
}

/** @internal In a thread child of an OS-memory process: the same tree, same counter. */
export function joinOsTreeThread(tree: string, counter: SharedArrayBuffer, tracker?: number): void {
  if (g[KEY]) return;
  install(tree, new Int32Array(counter), tracker);
}

/** Unlinks every segment of `tree` (what the tracker does at the end of the tree). */
export function sweepTree(tree: string): void {
  let names: string[] = [];
  try {
    names = readdirSync('/dev/shm');
  } catch {}
  for (const n of names) {
    if (n.startsWith(`mp-${tree}-`)) {
      try {
        unlinkSync(`/dev/shm/${n}`);
      } catch {}
    }
  }
}

/** Whether `id` names an OS block (segment or mapped file) rather than a thread block. */
export function isOsBlockId(id: string): boolean {
  return id.startsWith('~') || id.startsWith('file:');
}

/** The segment name of an OS block id (`~x` -> `mp-<tree>-x`). */
export function segmentOf(id: string): string {
  const state = g[KEY];
  if (!state) {
    throw new Error(
      `shared block ${id} lives in OS shared memory, but this worker is not part of an OS-memory tree`,
    );
  }
  return `mp-${state.tree}-${id.slice(1)}`;
}

/** The block id of a segment name of this tree (`mp-<tree>-x` -> `~x`), or undefined. */
export function idOfSegment(name: string): string | undefined {
  const state = g[KEY];
  const prefix = `mp-${state?.tree}-`;
  const bare = name.startsWith('/') ? name.slice(1) : name;
  return state && bare.startsWith(prefix) ? `~${bare.slice(prefix.length)}` : undefined;
}

/** @internal A new zero-filled segment for a block of this worker; returns [id, buffer]. */
export function allocateOsBuffer(
  state: OsTree,
  ident: number,
  byteLength: number,
): [string, SharedArrayBuffer] {
  const id = `~${ident.toString(36)}.${(++state.seq).toString(36)}`;
  const sab = createOsBlockBuffer(segmentOf(id), byteLength);
  state.gc.register(sab, id);
  return [id, sab];
}

/** @internal Marks an OS block as sent somewhere: it lives until released or the tree ends. */
export function markOsExported(id: string): void {
  g[KEY]?.exported.add(id);
}

/** @internal Opens an OS block by id in this process (a segment by name, or a file by path). */
export function openOsBuffer(id: string): SharedArrayBuffer {
  if (id.startsWith('file:')) return mapFileBuffer(id.slice(5));
  try {
    return openOsBlockBuffer(segmentOf(id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw Object.assign(
        new Error(
          `shared block ${id} is gone: every holder released it (or its tree ended) before it was opened here`,
        ),
        { code: 'ENOENT' },
      );
    }
    throw e;
  }
}

/** @internal Removes an OS block's name (releaseBlock). */
export function unlinkOsId(id: string): void {
  if (!id.startsWith('~')) return;
  g[KEY]?.exported.delete(id);
  try {
    unlinkOsBlock(segmentOf(id));
  } catch {}
}

/** @internal The block id of the tree-wide named block `name` (`~n` + 14 hex digits of its hash). */
export function namedId(name: string): string {
  return `~n${crypto().createHash('sha256').update(name).digest('hex').slice(0, 14)}`;
}
