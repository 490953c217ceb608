/**
 * OS shared memory for the 'spawn' start method: POSIX shared-memory segments and
 * memory-mapped files as SharedArrayBuffers, with a cross-process futex as their wait backend.
 *
 * Every buffer returned here is registered with {@link setWaitBackend}, so `waitSync`,
 * `waitAsync` and `wake` on an Int32Array over it block and wake across processes, and the
 * data-structure code above never knows which kind of memory it has. (Raw `Atomics.wait` /
 * `Atomics.notify` on such a buffer still work, but only between threads of one process.)
 *
 * The native addon (native/shm.cc, built by native/build.cjs into build/Release) is loaded on
 * first use. Without it, {@link osMemoryAvailable} is false and {@link osMemoryUnavailableReason}
 * says what is missing; the 'thread' start method does not need it.
 *
 * Each segment or file is mapped once per process, so all threads of a process see it at the
 * same address. Mapping a file that another process then truncates makes access past the new
 * end fault (SIGBUS), as with any mmap.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type WaitBackend, type WaitResult, setWaitBackend } from './wait.js';

/** The native addon's functions (native/shm.cc). */
interface ShmAddon {
  shmCreate(name: string, size: number): SharedArrayBuffer;
  shmOpen(name: string): SharedArrayBuffer;
  shmUnlink(name: string): void;
  mapFile(path: string, size?: number): SharedArrayBuffer;
  msync(sab: SharedArrayBuffer): void;
  addressOf(sab: SharedArrayBuffer): bigint;
  mappingOf(sab: SharedArrayBuffer): string | undefined;
  futexWait(sab: SharedArrayBuffer, index: number, expected: number, timeoutMs: number): WaitResult;
  futexWake(sab: SharedArrayBuffer, index: number, count: number): number;
  futexWaitAsync(
    sab: SharedArrayBuffer,
    index: number,
    expected: number,
    timeoutMs: number,
    callback: (err: Error | null, outcome?: WaitResult | 'cancelled') => void,
  ): number | WaitResult;
  futexCancel(id: number): boolean;
  pendingAsyncWaits(): number;
  setParentDeathSignal(signal: number): void;
  /** Whether the kernel has futex_waitv (Linux 5.16+), used for exact cancellation. */
  futexWaitv: boolean;
}

const ADDON_PATH = '../build/Release/multiproc_shm.node';

let addon: ShmAddon | undefined;
let loadError: string | undefined;

function load(): ShmAddon | undefined {
  if (addon || loadError !== undefined) return addon;
  if (process.platform !== 'linux') {
    loadError =
      `the 'spawn' start method needs Linux (POSIX shared memory and futexes); ` +
      `${process.platform} is not supported yet — use the 'thread' start method`;
    return undefined;
  }
  const require = createRequire(import.meta.url);
  const override = process.env.MULTIPROC_SHM_ADDON;
  let path = override ?? ADDON_PATH;
  try {
    path = override ?? require.resolve(ADDON_PATH);
  } catch {
    loadError =
      `the native shared-memory addon of @multiproc/memory is not built ` +
      `(${fileURLToPath(new URL(ADDON_PATH, import.meta.url))} is missing); run \`node native/build.cjs\` in the ` +
      `@multiproc/memory package (it needs g++, make, python3 and the Node.js headers), ` +
      `or use the 'thread' start method`;
    return undefined;
  }
  try {
    addon = require(path) as ShmAddon;
  } catch (err) {
    loadError =
      `the native shared-memory addon of @multiproc/memory (${path}) could not be loaded: ` +
      `${String((err as Error).message).split('\n')[0]}; rebuild it with \`node native/build.cjs\` in the package, ` +
      `or use the 'thread' start method`;
  }
  return addon;
}

function native(): ShmAddon {
  const a = load();
  if (!a) {
    const err = new Error(`multiproc: ${loadError}`) as NodeJS.ErrnoException;
    err.code = 'ERR_MULTIPROC_NO_OS_MEMORY';
    throw err;
  }
  return a;
}

/** Whether OS shared memory (the 'spawn' start method) can be used in this process. */
export function osMemoryAvailable(): boolean {
  return load() !== undefined;
}

/** Why OS shared memory is unavailable ('' when it is available): text to show the user. */
export function osMemoryUnavailableReason(): string {
  load();
  return addon ? '' : (loadError ?? '');
}

// ---------------------------------------------------------------------------------------------
// The futex wait backend

function wordOf(i32: Int32Array, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= i32.length) {
    throw new RangeError(`index ${index} is out of range for an Int32Array of length ${i32.length}`);
  }
  return (i32.byteOffset >>> 2) + index;
}

/**
 * Wait/wake through the kernel's futex on a shared mapping: reaches waiters in every process
 * that maps the same memory, and every thread of this one. Registered for every buffer made
 * by this module.
 */
export const futexBackend: WaitBackend = {
  wait(i32, index, expected, timeoutMs) {
    return native().futexWait(i32.buffer as SharedArrayBuffer, wordOf(i32, index), expected, timeoutMs);
  },
  waitAsync(i32, index, expected, timeoutMs, signal) {
    const a = native();
    const word = wordOf(i32, index);
    return new Promise<WaitResult>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const started = a.futexWaitAsync(
        i32.buffer as SharedArrayBuffer,
        word,
        expected,
        timeoutMs,
        (err, outcome) => {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          // A cancelled wait consumed no wake-up: report it as a timeout.
          else resolve(outcome === 'cancelled' ? 'timed-out' : (outcome as WaitResult));
        },
      );
      if (typeof started === 'string') {
        resolve(started);
        return;
      }
      if (signal) {
        // The helper thread is released at once; the callback still runs (with 'cancelled',
        // or 'ok' if a wake-up came first, which waitAsync then passes on).
        onAbort = () => a.futexCancel(started);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  },
  wake(i32, index, count) {
    return native().futexWake(i32.buffer as SharedArrayBuffer, wordOf(i32, index), count);
  },
};

// ---------------------------------------------------------------------------------------------
// Segments and mapped files

/** Where an OS buffer comes from. */
export type OsBufferInfo = { kind: 'shm'; name: string } | { kind: 'file'; path: string };

const infos = new WeakMap<SharedArrayBuffer, OsBufferInfo>();

function adopt(sab: SharedArrayBuffer, info: OsBufferInfo): SharedArrayBuffer {
  setWaitBackend(sab, futexBackend);
  infos.set(sab, info);
  return sab;
}

function shmName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

/**
 * Creates a zero-filled POSIX shared-memory segment `name` of `size` bytes (pages reserved up
 * front, so a full /dev/shm fails here with ENOSPC rather than later with SIGBUS) and maps it.
 * Throws an Error with code `EEXIST` if the name exists.
 */
export function createOsBlockBuffer(name: string, size: number): SharedArrayBuffer {
  return adopt(native().shmCreate(name, size), { kind: 'shm', name: shmName(name) });
}

/** Maps the existing segment `name` (its whole size); code `ENOENT` if there is none. */
export function openOsBlockBuffer(name: string): SharedArrayBuffer {
  return adopt(native().shmOpen(name), { kind: 'shm', name: shmName(name) });
}

/** Removes segment `name` (mappings stay valid until dropped); code `ENOENT` if unknown. */
export function unlinkOsBlock(name: string): void {
  native().shmUnlink(name);
}

/**
 * Maps a file shared (MAP_SHARED): created if missing, extended to `size` bytes if shorter;
 * maps `size` bytes, or the whole file without `size` (an empty file then is an EINVAL error).
 */
export function mapFileBuffer(path: string, size?: number): SharedArrayBuffer {
  const absolute = resolvePath(path);
  return adopt(native().mapFile(absolute, size), { kind: 'file', path: absolute });
}

/** Writes a mapped file's bytes back to the file (msync MS_SYNC). */
export function flushMapped(sab: SharedArrayBuffer): void {
  native().msync(sab);
}

/** Where a buffer made by this module comes from; undefined for any other buffer. */
export function osBufferInfo(sab: ArrayBufferLike): OsBufferInfo | undefined {
  return infos.get(sab as SharedArrayBuffer);
}

/**
 * For a SharedArrayBuffer that arrived by postMessage (a new object, with no wait backend yet):
 * if it is OS memory mapped by this process, registers the futex backend for it and returns
 * where it comes from; otherwise returns undefined and changes nothing. (Loads the addon, once
 * per thread, if it is built.)
 */
export function adoptOsBuffer(sab: ArrayBufferLike): OsBufferInfo | undefined {
  const known = infos.get(sab as SharedArrayBuffer);
  if (known || !(sab instanceof SharedArrayBuffer)) return known;
  const a = load();
  if (!a) return undefined;
  const origin = a.mappingOf(sab);
  if (origin === undefined) return undefined;
  const colon = origin.indexOf(':');
  const where = origin.slice(colon + 1);
  const info: OsBufferInfo =
    origin.slice(0, colon) === 'shm' ? { kind: 'shm', name: where } : { kind: 'file', path: where };
  adopt(sab, info);
  return info;
}

/**
 * For a spawned child: ask the kernel to send `signal` to this process when its parent dies
 * (even by SIGKILL). Linux ties this to the parent *thread* that spawned the child, so spawn
 * from a thread that lives as long as the child should. Returns false if the parent (pid
 * `expectedParentPid`) is already gone, in which case the caller should exit.
 */
export function setParentDeathSignal(
  signal: NodeJS.Signals | number = 'SIGKILL',
  expectedParentPid?: number,
): boolean {
  const signum = typeof signal === 'number' ? signal : constants.signals[signal];
  if (signum === undefined) throw new TypeError(`unknown signal ${String(signal)}`);
  native().setParentDeathSignal(signum);
  return expectedParentPid === undefined || process.ppid === expectedParentPid;
}

/** @internal For tests: the native addon (address of a mapping, pending async waits). */
export function osMemoryInternals(): Pick<
  ShmAddon,
  'addressOf' | 'mappingOf' | 'pendingAsyncWaits' | 'futexWaitv'
> {
  return native();
}
