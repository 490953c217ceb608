import type { StartMethod, WorkerHandle } from '@multiproc/process';

export declare const spawnAvailable: boolean;

export interface Child {
  readonly method: StartMethod;
  readonly pid: number;
  readonly handle: WorkerHandle;
  /** The child's tree-unique ident. */
  readonly ident: number;
  /** Resolves with the exit code (Python style: -9 after kill()). */
  readonly exited: Promise<number>;
  readonly exitcode: number | null;
  /** Runs `ops[op](...args)` in the child; resolves its result, rejects with its error. */
  call<T = any>(op: string, ...args: unknown[]): Promise<T>;
  /** The next value the child sent with `emit()`. */
  nextEvent<T = any>(): Promise<T>;
  terminate(): Promise<number>;
  kill(): Promise<number>;
}

export declare function startChild(
  fixture: URL,
  method?: StartMethod,
  options?: { data?: unknown },
): Promise<Child>;
export declare function stopChildren(): Promise<void>;

/** Marks a call that ends with the child (an endless loop, or an exit): its rejection is expected. */
export declare function endless(call: Promise<unknown>): void;
/** An item of a fixture's `flood`: its index, or `{ i, pad }` for a spilled one. */
export type FloodItem = number | { i: number; pad: Uint8Array };
/** The index of a {@link FloodItem}. */
export declare function floodIndex(x: FloodItem): number;
/** Parks a fixture's `flood` between two sends; resolves how many sends it completed. */
export declare function parkFlood(ctl: { i32: Int32Array }): Promise<number>;
/** What a lookup of a released block says: "was released" (threads) or "is gone" (OS memory). */
export declare const GONE: RegExp;
/** Per id, whether a fresh child of `fixture` (serving `lookupAll`) finds the block: 'found' or the error. */
export declare function lookups(fixture: URL, method: StartMethod, ids: string[]): Promise<string[]>;
