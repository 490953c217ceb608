import type { StartMethod } from '@multiproc/process';

export * from './children.js';
/** Declares `suite` once per start method: `describe('[thread]')`, then `describe('[spawn]')`. */
export declare function describeEachMethod(suite: (method: StartMethod) => void): void;
/** A full garbage collection now (V8's `gc()`, exposed for the tests of what finalizers free). */
export declare const gc: () => void;
