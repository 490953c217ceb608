export declare function serve(ops: Record<string, (...args: any[]) => unknown>): unknown;
export declare function emit(value: unknown): void;
