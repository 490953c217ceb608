export declare function serve(ops: Record<string, (...args: any[]) => unknown>): unknown;
export declare function emit(value: unknown): void;
export declare function settle(handle: { close(): void }, what: 'close' | 'keep' | 'exit' | string): void;
export declare const held: Array<{ close(): void }>;
