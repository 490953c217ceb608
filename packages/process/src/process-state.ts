/**
 * The state of a Process object, kept under a registered symbol, non-enumerable: the user's
 * own enumerable fields are then exactly what travels to the worker (pickle's `__dict__`),
 * and an object made with `Object.create(Subclass.prototype)` in the worker — no constructor
 * runs there, as with unpickling — gets its state installed from outside.
 */
import { workerIdent } from '@multiproc/memory';
import type { WorkerHandle } from './launchers/types.js';
import type { Process, Target } from './process.js';
import { threadState } from './state.js';

/** @internal */
export const STATE: unique symbol = Symbol.for('@multiproc/process:process') as never;

/** @internal */
export interface ProcessState {
  role: 'child' | 'self' | 'main';
  name: string;
  daemon: boolean;
  identity: number[];
  authkey: Uint8Array;
  target: Target | undefined;
  args: unknown[];
  callers: string[];
  status: 'initial' | 'starting' | 'started' | 'failed';
  closed: boolean;
  handle: WorkerHandle | undefined;
  ident: number | undefined;
  pid: number | undefined;
  exitcode: number | null;
  /** Signal asked for before a worker existed (terminate() during start()). */
  requested: 0 | 9 | 15;
  /** Settles once the child exited and was accounted for; rejects with a start error. */
  done: Promise<void> | undefined;
  joiners: number;
}

/** @internal Installs the state of a Process object (also on one made by Object.create). */
export function setState(obj: object, state: ProcessState): void {
  Object.defineProperty(obj, STATE, { value: state, enumerable: false, writable: true, configurable: true });
}

/** @internal */
export function stateOf(p: Process): ProcessState {
  const state = p[STATE];
  if (!state) throw new TypeError('not a multiproc Process object (was its constructor skipped?)');
  return state;
}

/** @internal Makes the MainProcess object of this thread. */
export function makeSelf(proto: object, role: 'self' | 'main', fields: Partial<ProcessState>): Process {
  const st = threadState();
  const obj = Object.create(proto) as Process;
  setState(obj, {
    role,
    name: st.self.name,
    daemon: st.self.daemon,
    identity: st.self.identity,
    authkey: st.self.authkey,
    target: undefined,
    args: [],
    callers: [],
    status: 'started',
    closed: false,
    handle: undefined,
    ident: workerIdent(),
    pid: process.pid,
    exitcode: null,
    requested: 0,
    done: undefined,
    joiners: 0,
    ...fields,
  });
  return obj;
}
