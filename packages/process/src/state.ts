/**
 * Per-worker state: who this worker is, its children, its name counter, the tree's authkey.
 *
 * Kept on `globalThis` under a registered symbol, so that the ESM and CJS builds of this
 * package (a dual-package hazard: the worker bootstrap is ESM, a user module may `require`
 * the package) see the same state in one thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crypto } from './builtins.js';
import type { StartMethod } from './launchers/types.js';

/** What a worker knows about itself; the root's is the MainProcess. */
export interface SelfInfo {
  name: string;
  /** Python's `_identity`: the counters from the root down, `[]` for the root. */
  identity: number[];
  daemon: boolean;
  authkey: Uint8Array;
}

/** What a child is told about its parent. */
export interface ParentInfo {
  name: string;
  ident: number;
  pid: number;
}

export interface ThreadState {
  self: SelfInfo;
  parent: ParentInfo | null;
  /** Process objects started by this worker and not yet seen exiting. */
  children: Set<object>;
  /** Python's `_process_counter`: numbers the children of this worker. */
  counter: number;
  /** The start method fixed for the default context (null until fixed). */
  startMethod: StartMethod | null;
  /** The object currentProcess() returns, created lazily. */
  current: object | undefined;
}

const KEY = Symbol.for('@multiproc/process:state');

/** 32 random bytes: from the kernel's CSPRNG directly where there is one (no `node:crypto` to load). */
function randomKey(): Uint8Array {
  const key = new Uint8Array(32);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, key, 0, key.length, null) === key.length) return key;
    } finally {
      closeSync(fd);
    }
  } catch {}
  return new Uint8Array(crypto().randomBytes(32));
}

/** The root's self: its authkey is made on first use (a worker's self is replaced by enterChild). */
function rootSelf(): SelfInfo {
  let authkey: Uint8Array | undefined;
  return {
    name: 'MainProcess',
    identity: [],
    daemon: false,
    get authkey() {
      authkey ??= randomKey();
      return authkey;
    },
    set authkey(value: Uint8Array) {
      authkey = value;
    },
  };
}

/** This thread's state. */
export function threadState(): ThreadState {
  const g = globalThis as { [KEY]?: ThreadState };
  g[KEY] ??= {
    self: rootSelf(),
    parent: null,
    children: new Set(),
    counter: 0,
    startMethod: null,
    current: undefined,
  };
  return g[KEY];
}

/** The default context's start method, fixed to 'thread' on first use (Python semantics). */
export function defaultStartMethod(): StartMethod {
  const st = threadState();
  st.startMethod ??= 'thread';
  return st.startMethod;
}

/** Static own property of the Process classes multiproc defines (Process, per-context ones). */
export const BUILTIN: unique symbol = Symbol.for('@multiproc/process:builtin') as never;
/** Static own property of a per-context Process class: its start method. */
export const CONTEXT_METHOD: unique symbol = Symbol.for('@multiproc/process:context-method') as never;

/** True for Process and the per-context Process classes, false for user subclasses. */
export function isBuiltinClass(ctor: Function): boolean {
  return Object.hasOwn(ctor, BUILTIN);
}
