/**
 * The 'spawn' runtime adapter: workers are fresh Node.js child processes (`child_process.spawn`).
 *
 * Parent side: the child runs `<executable> [...execArgv] <entry>` with
 *   fd 0 ignored, fd 1/2 pipes copied chunk by chunk to the parent's stdout/stderr (in order),
 *   fd 3 the IPC channel (advanced serialization: messages are structured clones),
 *   fd 4 a pipe carrying the launch data once (v8-serialized; see {@link encodeData}),
 *   fd 5 the tree's resource-tracker pipe (see @multiproc/memory os-tree.ts), held for life.
 * The loaders of the parent (`--import tsx`, `--loader`, `--experimental-*`) travel in execArgv;
 * inspector flags do not. The exit code is Python's: the child's code, or `-signum` when a
 * signal ended it (terminate() sends SIGTERM: -15; kill() SIGKILL: -9). The child's exit hooks
 * (an exit list in OS shared memory) are applied by the parent before the exit is reported.
 *
 * Child side: `connect()` reads the launch data from fd 4, asks the kernel to kill it when the
 * parent dies if it is daemonic (PR_SET_PDEATHSIG, plus a re-parenting check as a second
 * guard), joins the tree's OS shared memory, and reports its ident.
 *
 * Every shared object in the launch data must live in OS shared memory: the parent switches
 * to it (`useOsMemory()`) before the first spawn child, or when the start method is chosen.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type SpawnMemoryBootstrap,
  idOfSegment,
  initChild,
  lookupBlock,
  osBufferInfo,
  osMemoryUnavailableReason,
  setParentDeathSignal,
  spawnChildBootstrap,
  useOsMemory,
  workerIdent,
} from '@multiproc/memory';
import { childProcess, v8 } from '../builtins.js';
import type { LaunchSpec, Launcher, ParentChannel, WorkerHandle } from './types.js';

/** Set in a spawned child's environment (then removed from it): marks a multiproc worker. */
const ENV = 'MULTIPROC_SPAWN_CHILD';
const BOOT_FD = 4;
const READY = '@multiproc/process:ready';
const SAB_TAG = '@multiproc/spawn:sab';
const VIEW_TAG = '@multiproc/spawn:view';
const FLAG = Symbol.for('@multiproc/process:spawned');
/** How long to wait for a dead child's stdout/stderr to drain (a grandchild may hold them). */
const DRAIN_MS = 2_000;

interface SpawnBoot {
  memory: SpawnMemoryBootstrap;
  data: unknown;
  parentPid: number;
  daemon: boolean;
}

// ---------------------------------------------------------------------------------------------
// The executable

const KEY = Symbol.for('@multiproc/process:executable');
const g = globalThis as { [KEY]?: string };

/**
 * Sets the Node.js binary that the 'spawn' start method runs (Python's `set_executable`).
 * Default: `process.execPath`.
 *
 * @example
 * mp.setExecutable('/opt/node-20/bin/node');
 */
export function setExecutable(path: string): void {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`setExecutable(path): path must be a non-empty string, got ${String(path)}`);
  }
  g[KEY] = path;
}

/** The Node.js binary 'spawn' children run. */
export function getExecutable(): string {
  return g[KEY] ?? process.execPath;
}

/** The parent's node options a child needs (loaders, experimental flags), without inspector flags. */
function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(a) || a.startsWith('--input-type')) {
      if (!a.includes('=') && /^--(inspect-port|debug-port|input-type)$/.test(a)) i++;
      continue;
    }
    // The parent's own program (node -e / -p): the child runs its entry instead.
    if (/^(-e|--eval|-p|--print|-pe)$/.test(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Launch data: structured-clonable, with SharedArrayBuffers travelling by OS name

function osId(sab: SharedArrayBuffer): string {
  const info = osBufferInfo(sab);
  if (!info) {
    throw new Error(
      "cannot send a SharedArrayBuffer to a 'spawn' child: it is not OS shared memory. Allocate shared " +
        "memory with allocateBlock() after choosing the 'spawn' start method (setStartMethod('spawn') " +
        "or getContext('spawn')), so that it lives in OS shared memory",
    );
  }
  if (info.kind === 'file') return `file:${info.path}`;
  const id = idOfSegment(info.name);
  if (!id)
    throw new Error(
      `cannot send shared memory ${info.name} to a 'spawn' child: it is not a block of this tree`,
    );
  return id;
}

/** @internal Replaces OS-backed SharedArrayBuffers (and views of them) by their names. */
export function encodeData(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof SharedArrayBuffer) return { [SAB_TAG]: osId(value) };
  if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof SharedArrayBuffer)) return value;
    const length = value instanceof DataView ? value.byteLength : (value as unknown as Int8Array).length;
    return {
      [VIEW_TAG]: value.constructor.name,
      id: osId(value.buffer),
      byteOffset: value.byteOffset,
      length,
    };
  }
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(encodeData(item, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = encodeData(v, seen);
  return out;
}

/** @internal The inverse of {@link encodeData}, in the child. */
export function decodeData(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeData(value[i]);
    return value;
  }
  const rec = value as Record<string, any>;
  if (typeof rec[SAB_TAG] === 'string') return lookupBlock(rec[SAB_TAG]).buffer;
  if (typeof rec[VIEW_TAG] === 'string') {
    const buffer = lookupBlock(rec.id).buffer;
    const Ctor = (globalThis as any)[rec[VIEW_TAG]];
    return new Ctor(buffer, rec.byteOffset, rec.length);
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  for (const k of Object.keys(rec)) rec[k] = decodeData(rec[k]);
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Parent side

function drained(stream: NodeJS.ReadableStream & { readableEnded?: boolean }): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

function forward(from: Socket, to: NodeJS.WriteStream): void {
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
  });
}

function signum(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 1;
}

function startSpawn(spec: LaunchSpec): WorkerHandle {
  const reason = osMemoryUnavailableReason();
  if (reason) {
    const err = new Error(`the 'spawn' start method is not available: ${reason}`) as NodeJS.ErrnoException;
    err.code = 'ERR_MULTIPROC_NO_OS_MEMORY';
    throw err;
  }
  useOsMemory();
  const daemon = spec.daemon ?? true;
  const { serialize } = v8();
  const encoded = serialize(encodeData(spec.data)); // throws here, before anything starts
  const memory = spawnChildBootstrap();
  const boot: SpawnBoot = { memory: memory.data, data: null, parentPid: process.pid, daemon };
  const payload = Buffer.concat([serialize(boot), encoded]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length - encoded.length);
  const exe = getExecutable();
  let child: ChildProcess;
  try {
    child = childProcess().spawn(exe, [...childExecArgv(), fileURLToPath(spec.entry)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', memory.tracker ?? 'ignore'],
      env: { ...process.env, [ENV]: '1' },
      serialization: 'advanced',
      windowsHide: true,
    });
  } catch (err) {
    memory.onExit();
    throw err;
  }
  child.on('error', (err) => {
    // A failed spawn (no pid) is thrown below; later errors (a failed kill) are reported.
    if (child.pid !== undefined)
      process.stderr.write(`multiproc: spawn child ${spec.name ?? ''}: ${err.message}\n`);
  });
  if (child.pid === undefined) {
    memory.onExit();
    throw new Error(
      `cannot start a 'spawn' worker: ${exe} could not be run (check setExecutable() / process.execPath)`,
    );
  }
  const bootPipe = child.stdio[BOOT_FD] as Socket;
  bootPipe.on('error', () => {}); // the child died before reading it: its exit says why
  bootPipe.end(Buffer.concat([header, payload]));

  const stdout = child.stdout as Socket;
  const stderr = child.stderr as Socket;
  forward(stdout, process.stdout);
  forward(stderr, process.stderr);

  let exitcode: number | null = null;
  const listeners = new Set<(message: unknown) => void>();
  let resolveReady!: (ident: number | undefined) => void;
  const ready = new Promise<number | undefined>((r) => {
    resolveReady = r;
  });
  child.on('message', (message: unknown) => {
    if (message && typeof message === 'object' && READY in message) {
      resolveReady((message as Record<string, number>)[READY]);
      return;
    }
    for (const listener of listeners) listener(message);
  });

  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      resolveReady(undefined);
      const timer = setTimeout(() => {}, DRAIN_MS);
      const bounded = new Promise<void>((r) => setTimeout(r, DRAIN_MS).unref());
      void Promise.race([Promise.all([drained(stdout), drained(stderr)]), bounded]).then(() => {
        clearTimeout(timer);
        exitcode = signal ? -signum(signal) : (code ?? 1);
        try {
          memory.onExit();
        } finally {
          resolve(exitcode);
        }
      });
    });
  });

  const stop = (signal: NodeJS.Signals) => {
    if (exitcode !== null || child.exitCode !== null || child.signalCode !== null) return;
    try {
      child.kill(signal);
    } catch {}
  };
  const setRef = (on: boolean) => {
    const handles = [child, child.channel, stdout, stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    for (const h of handles) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  };

  return {
    method: 'spawn',
    pid: child.pid,
    ready,
    exited,
    get exitcode() {
      return exitcode;
    },
    post(message) {
      if (child.connected) child.send(message as never, () => {});
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    ref: () => setRef(true),
    unref: () => setRef(false),
  };
}

// ---------------------------------------------------------------------------------------------
// Child side

let channel: ParentChannel | undefined;

function readBoot(): { boot: SpawnBoot; data: unknown } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(BOOT_FD);
  } finally {
    try {
      closeSync(BOOT_FD);
    } catch {}
  }
  // Node's fs.realpathSync (the ESM resolver's) reads the last stat result of the thread; after
  // an fstat of a pipe it stops resolving symlinks, and every package would load twice.
  statSync('/');
  const head = bytes.readUInt32LE(0);
  const boot = v8().deserialize(bytes.subarray(4, 4 + head)) as SpawnBoot;
  return { boot, data: bytes.subarray(4 + head) };
}

function connectSpawn(): ParentChannel {
  if (channel) return channel;
  if (!spawnLauncher.isChild() || typeof process.send !== 'function') {
    throw new Error('this process was not started by the multiproc spawn launcher');
  }
  (globalThis as Record<symbol, unknown>)[FLAG] = true;
  delete process.env[ENV];
  const { boot, data } = readBoot();
  if (boot.daemon) {
    // Die with the parent, even if it is SIGKILLed. Second guard (a listener on 'disconnect'
    // would keep this process alive): notice that we were re-parented.
    if (!setParentDeathSignal('SIGKILL', boot.parentPid)) process.kill(process.pid, 'SIGKILL');
    setInterval(() => {
      if (process.ppid !== boot.parentPid) process.kill(process.pid, 'SIGKILL');
    }, 500).unref();
  }
  initChild(boot.memory);
  const decoded = decodeData(v8().deserialize(data as Buffer));
  const send = process.send.bind(process);
  send({ [READY]: workerIdent() });
  channel = {
    data: decoded,
    post: (message) => {
      if (process.connected) send(message, undefined, undefined, () => {});
    },
    onMessage(listener) {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
  return channel;
}

/** The child_process launcher (the 'spawn' start method). */
export const spawnLauncher: Launcher = {
  method: 'spawn',
  start: startSpawn,
  isChild: () =>
    (globalThis as Record<symbol, unknown>)[FLAG] === true ||
    (process.env[ENV] === '1' && typeof process.send === 'function'),
  connect: connectSpawn,
};
