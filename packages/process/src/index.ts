/**
 * @multiproc/process — Process, start methods and contexts of multiproc (Python's
 * `multiprocessing` for Node.js), and the runtime adapter that starts workers.
 */
export { Process, type ProcessOptions, type Target } from './process.js';
export {
  BaseContext,
  type ContextLike,
  type ParentProcess,
  activeChildren,
  cpuCount,
  currentProcess,
  defaultContext,
  defineContextMember,
  getContext,
  getStartMethod,
  isMainProcess,
  parentProcess,
  setStartMethod,
  startMethodOf,
} from './context.js';
export { FunctionRef, isFunctionRef, loadFunction, ref } from './function-ref.js';
export { captureCallers, resolveFunction } from './resolve.js';
export {
  LogLevel,
  Logger,
  getLogger,
  logToStderr,
  type LogHandler,
  type LogLevelName,
  type LogRecord,
} from './logger.js';
export { type WaitOptions, normalizeWait, waitFor } from './wait.js';
// The runtime adapter (layer 3), for Pool and Manager workers.
export {
  connectToParent,
  getAllStartMethods,
  getExecutable,
  setExecutable,
  getLauncher,
  isMultiprocWorker,
  registerLauncher,
  startWorker,
  type LaunchSpec,
  type Launcher,
  type ParentChannel,
  type StartMethod,
  type WorkerHandle,
} from './launchers/index.js';
export { type ChildIdentity, enterChild, prepareChild } from './identity.js';
