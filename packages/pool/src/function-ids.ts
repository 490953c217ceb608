/**
 * The ids of the functions a pool's calls run. A function is resolved once (to the module and
 * export a worker imports it from, which may take a moment) and defined once in the dispatcher;
 * a `ref(moduleUrl, exportName)` and the function it names share one id.
 */
import { captureCallers, isFunctionRef, resolveFunction } from '@multiproc/process';
import type { AnyFn } from './pool-options.js';
import type { FuncRef } from './protocol.js';

export class FunctionIds {
  readonly #ids = new Map<unknown, number | Promise<number>>();
  readonly #define: (ref: FuncRef) => number;

  /** `define`: registers a resolved function with the dispatcher, returning its id. */
  constructor(define: (ref: FuncRef) => number) {
    this.#define = define;
  }

  /** The function's id, now if it is known, else once resolved. */
  idOf(func: unknown, method: string): number | Promise<number> {
    const known = this.#ids.get(func);
    if (known !== undefined) return known;
    if (isFunctionRef(func)) {
      const key = `${func.moduleUrl}#${func.exportName}`;
      let fid = this.#ids.get(key);
      if (fid === undefined) {
        fid = this.#define(func);
        this.#ids.set(key, fid);
      }
      this.#ids.set(func, fid);
      return fid;
    }
    if (typeof func !== 'function') {
      throw new TypeError(
        `Pool.${method}: func must be an exported function or ref(moduleUrl, exportName), got ${typeof func}`,
      );
    }
    const callers = captureCallers();
    const p = resolveFunction(func as AnyFn, callers).then((r) => {
      const fid = this.idOf(r, method) as number;
      this.#ids.set(func, fid);
      return fid;
    });
    this.#ids.set(func, p);
    p.catch(() => this.#ids.delete(func));
    return p;
  }
}
