import type { Workload } from '../harness.js';
import { clusterWorkload } from './cluster.js';
import { locks } from './locks.js';
import { manager } from './manager.js';
import { pool } from './pool.js';
import { queue } from './queue.js';
import { serialization } from './serialization.js';

/** Every workload, in the order they run. */
export const workloads: Workload[] = [serialization, locks, queue, pool, manager, clusterWorkload];
