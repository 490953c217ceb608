// The test-side entry: children.js plus vitest helpers (children.js alone runs outside vitest).
import { osMemoryUnavailableReason, useOsMemory } from '@multiproc/memory';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe } from 'vitest';
import { spawnAvailable } from './children.js';

export * from './children.js';

let warned = false;

/**
 * Declares `suite` once per start method, as `describe('[thread]')` and `describe('[spawn]')`.
 * The spawn block switches this test file to OS shared memory before its first test, so that
 * every object its tests make can reach a child process; it is skipped, loudly, when the addon
 * is missing. Keep the thread block first (vitest runs blocks in order): objects made before
 * the switch are plain SharedArrayBuffers, which threads share but processes cannot.
 */
export function describeEachMethod(suite) {
  for (const method of ['thread', 'spawn']) {
    const skip = method === 'spawn' && !spawnAvailable;
    if (skip && !warned) {
      warned = true;
      console.error(`\n!!! SKIPPING the 'spawn' start method tests: ${osMemoryUnavailableReason()}\n`);
    }
    describe.skipIf(skip)(`[${method}]`, () => {
      if (method === 'spawn') beforeAll(() => useOsMemory());
      suite(method);
    });
  }
}

setFlagsFromString('--expose-gc');
/** A full garbage collection now (V8's `gc()`, exposed for the tests of what finalizers free). */
export const gc = runInNewContext('gc');
