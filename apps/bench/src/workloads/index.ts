import type { Workload } from '../harness.js';

/** Every workload, in the order they run. */
export const workloads: Workload[] = [];
