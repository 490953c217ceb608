export {
  SharedBlock,
  allocateBlock,
  createNamedBlock,
  lookupBlock,
  openNamedBlock,
  releaseBlock,
  unlinkNamedBlock,
} from './block.js';
export {
  childBootstrap,
  initChild,
  workerIdent,
  type ChildMemory,
  type MemoryBootstrap,
} from './directory.js';
export { atExit } from './exit-hooks.js';
export { setWaitBackend, waitAsync, waitSync, wake, type WaitBackend, type WaitResult } from './wait.js';
