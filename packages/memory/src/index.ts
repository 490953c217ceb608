export { ARENA_BYTES, SLOT_BYTES, type Slot, allocateSlot, keepSlot, lockOpsOf } from './arena.js';
export type { WasmLockOps } from './wasm-atomics.js';
export {
  SharedBlock,
  allocateBlock,
  createNamedBlock,
  lookupBlock,
  mapFileBlock,
  openNamedBlock,
  releaseBlock,
  unlinkNamedBlock,
} from './block.js';
export {
  childBootstrap,
  initChild,
  spawnChildBootstrap,
  type SpawnChildMemory,
  type SpawnMemoryBootstrap,
  type ChildMemory,
  type MemoryBootstrap,
} from './directory.js';
export { useOsMemory, workerIdent } from './ident.js';
export { type ExitSlot, afterExitHooks, atExit, exitSlot } from './exit-hooks.js';
export {
  TRACKER_FD,
  idOfSegment,
  isOsBlockId,
  osMemoryMode,
  osTreeId,
  sweepTree,
  type OsTreeBootstrap,
} from './os-tree.js';
export { setWaitBackend, waitAsync, waitSync, wake, type WaitBackend, type WaitResult } from './wait.js';
// The futex mutex (mutex.ts) and the timeout / signal / deadline conventions of blocking calls.
export {
  ABANDONED_DELTA,
  BUSY,
  CONTENDED,
  LOCKED,
  UNLOCKED,
  isHeld,
  lockAsync,
  lockSlowAsync,
  lockSlowSync,
  lockSync,
  setSpinCount,
  tryLock,
  tryLockSpin,
  unlock,
  withLock,
  withLockAsync,
  withLockIfFree,
} from './mutex.js';
export {
  type BlockingOptions,
  deadlineOf,
  parseBlockingOptions,
  parseSignal,
  parseTimeout,
  remaining,
} from './timeout.js';
export {
  adoptOsBuffer,
  createOsBlockBuffer,
  flushMapped,
  futexBackend,
  mapFileBuffer,
  openOsBlockBuffer,
  osBufferInfo,
  osMemoryAvailable,
  osMemoryInternals,
  osMemoryUnavailableReason,
  setParentDeathSignal,
  unlinkOsBlock,
  type OsBufferInfo,
} from './os-memory.js';
/** @internal Node builtins loaded on first use, for the packages above (start-up time). */
export * as lazyBuiltins from './builtins.js';
