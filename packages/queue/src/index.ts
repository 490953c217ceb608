/**
 * @multiproc/queue — Queue, SimpleQueue and JoinableQueue on shared memory: many producers and
 * many consumers in any workers, no feeder thread.
 */
export { Queue, JoinableQueue } from './queue.js';
export { SimpleQueue } from './simple-queue.js';
export { Empty, Full } from './errors.js';
export type { QueueWaitOptions } from './options.js';
export type { QueueOptions } from './queue-base.js';
export { ClosedError } from '@multiproc/pipe';
