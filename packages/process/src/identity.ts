/**
 * Who a child is: its name, Python-style identity (`Process-1:2` is the 2nd child of the 1st
 * child of the root), daemon flag, the tree's authkey, its parent, and the settings it
 * inherits (start method, logging). The parent makes one with {@link prepareChild} and sends
 * it in the launch data; the child installs it with {@link enterChild} before user code runs.
 * Pool and Manager workers use the same pair, so `currentProcess()` works in them too.
 */
import { workerIdent } from '@multiproc/memory';
import { knownModules, learnModules } from '@multiproc/serialization';
import { type LogConfig, applyLogConfig, getLogger, logConfig } from './logger.js';
import type { StartMethod } from './launchers/types.js';
import { type ParentInfo, threadState } from './state.js';

/** The identity a parent gives a child (plain data, sent in the launch data). */
export interface ChildIdentity {
  name: string;
  identity: number[];
  daemon: boolean;
  authkey: Uint8Array;
  parent: ParentInfo;
  startMethod: StartMethod | null;
  log: LogConfig;
  /** Which module registers each reducer, so the child can import what its arguments need. */
  modules: Record<string, string>;
}

/** @internal The next `[...parentIdentity, n]` of this worker's children. */
export function nextIdentity(): number[] {
  const st = threadState();
  return [...st.self.identity, ++st.counter];
}

/**
 * Parent side: the identity of a new child. `name` defaults to `Process-<identity>`; pass
 * `identity` when it was taken already (a Process numbers itself when constructed).
 *
 * @example
 * const who = prepareChild({ name: 'PoolWorker-1', daemon: true });
 * startWorker({ entry, data: { who, ... } });
 */
export function prepareChild(options: {
  name?: string;
  daemon?: boolean;
  identity?: number[];
  authkey?: Uint8Array;
}): ChildIdentity {
  const st = threadState();
  const identity = options.identity ?? nextIdentity();
  return {
    name: options.name ?? `Process-${identity.join(':')}`,
    identity,
    daemon: options.daemon ?? false,
    authkey: options.authkey ?? st.self.authkey,
    parent: { name: st.self.name, ident: workerIdent(), pid: process.pid },
    startMethod: st.startMethod,
    log: logConfig(),
    modules: knownModules(),
  };
}

/**
 * Child side: makes this worker the process `who` describes (for currentProcess(),
 * parentProcess(), the logger, and the names of its own children). Call it after
 * connectToParent() and before importing user code.
 */
export function enterChild(who: ChildIdentity): void {
  const st = threadState();
  st.self = { name: who.name, identity: who.identity, daemon: who.daemon, authkey: who.authkey };
  st.parent = who.parent;
  st.counter = 0;
  st.startMethod = who.startMethod;
  st.current = undefined;
  applyLogConfig(who.log);
  learnModules(who.modules);
}

// Log records carry the name of the process that logged them.
getLogger().processName = () => threadState().self.name;
