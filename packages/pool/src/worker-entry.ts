/**
 * The entry module the runtime adapter starts for each pool worker (dist/worker-entry.js).
 * After the loop ends (told to exit, or maxTasksPerChild reached) the worker exits as soon as
 * its event loop is empty, and at the latest after a short grace (a task may have left a
 * timer or a socket open, which must not keep a retired worker alive).
 */
import { runPoolWorker } from './worker-main.js';

const EXIT_GRACE_MS = 200;

void runPoolWorker().then(() => {
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
});
