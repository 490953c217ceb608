/**
 * Node builtins that only some paths need (the OS-memory tree's tracker and segment names here;
 * the 'spawn' launcher, the authkey and error reports in @multiproc/process), loaded on first use
 * rather than at import: every worker imports these packages, and loading `node:child_process`,
 * `node:crypto` and `node:v8` is a measurable part of a worker's start-up.
 */
import { createRequire } from 'node:module';

type GetBuiltin = (id: string) => unknown;
let req: ((id: string) => unknown) | undefined;

function builtin<T>(id: string): T {
  const get = (process as { getBuiltinModule?: GetBuiltin }).getBuiltinModule; // Node >= 20.16
  if (get) return get(id) as T;
  req ??= createRequire(import.meta.url);
  return req(id) as T;
}

export const childProcess = (): typeof import('node:child_process') => builtin('node:child_process');
export const crypto = (): typeof import('node:crypto') => builtin('node:crypto');
export const v8 = (): typeof import('node:v8') => builtin('node:v8');
export const util = (): typeof import('node:util') => builtin('node:util');
