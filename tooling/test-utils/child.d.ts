export declare function serve(ops: Record<string, (...args: any[]) => unknown>): unknown;
export declare function emit(value: unknown): void;
export declare function settle(handle: { close(): void }, what: 'close' | 'keep' | 'exit' | string): void;
export declare const held: Array<{ close(): void }>;
/** Sends 0, 1, 2, ... (every 1000th as `{ i, pad }`) until killed or parked through `ctl`. */
export declare function flood(
  ctl: { i32: Int32Array },
  send: (item: number | { i: number; pad: Uint8Array }) => void,
): never;
/** Per block id: 'found', or why the tree cannot find the block (a released one is not found). */
export declare function lookupAll(ids: string[]): string[];
