/**
 * Where reducers come from, so a worker can load them before it decodes.
 *
 * `loads` is synchronous and can only rebuild shared objects whose package the receiving
 * thread has imported. A worker whose target module only `import type`s multiproc would then
 * fail to rebuild, say, a Queue passed as an argument. So every registration records the URL
 * of the module that registered it; a parent hands that table to its workers
 * (`knownModules()` -> `learnModules()`), and `loadsAsync` imports whatever a message needs
 * before decoding it. To find what it needs without side effects, it first scans the message
 * in a mode that rebuilds nothing — only when the message can contain a reducer at all.
 */
import { Decoder, Malformed } from './decoder.js';
import { loads } from './loads.js';
import { registry } from './registry.js';
import { holdsReduced } from './scan.js';

/**
 * @internal The URL of the module that called the function calling this one. Read from V8's
 * raw call sites, not from `stack` text: with source maps on (tsx, --enable-source-maps) the
 * text names the original `src/*.ts` files, which a worker cannot import in place of `dist/`.
 */
export function callerModuleUrl(): string | undefined {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 12;
    Error.prepareStackTrace = (_err, callSites) => callSites;
    sites = (new Error().stack as unknown as NodeJS.CallSite[]) ?? [];
  } finally {
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = savedLimit;
  }
  const own = sites[0]?.getFileName();
  for (const site of sites.slice(1)) {
    const file = site.getFileName();
    if (!file || file === own || file.startsWith('node:')) continue;
    return file.startsWith('file://') ? file : `file://${file}`;
  }
  return undefined;
}

/** @internal Records which module registered `name`. */
export function recordModule(name: string, url: string | undefined): void {
  if (url && !registry.modules.has(name)) registry.modules.set(name, url);
}

/** Reducer and error-class names registered in this thread, with the module that registered each. */
export function knownModules(): Record<string, string> {
  return Object.fromEntries(registry.modules);
}

/** Adds a parent's {@link knownModules} table, for {@link loadsAsync} to import from. */
export function learnModules(table: Record<string, string>): void {
  for (const [name, url] of Object.entries(table))
    if (!registry.modules.has(name)) registry.modules.set(name, url);
}

/** The names in `bytes` of reducers and error classes this thread has not registered. */
export function unknownNames(bytes: Uint8Array): Set<string> {
  const dec = new Decoder();
  dec.bytes = bytes;
  dec.pos = 0;
  dec.end = bytes.length;
  dec.unknown = new Set();
  try {
    dec.read();
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    // loads() will report the malformed data with its usual message.
  }
  return dec.unknown;
}

/**
 * Cheap pre-check: false means `bytes` holds no shared object, so `loads` needs no import.
 * A byte search first, then a walk that builds nothing (scan.ts), so a 0x16 byte inside a
 * number or a string does not count.
 */
export function mayHoldReducers(bytes: Uint8Array): boolean {
  return holdsReduced(bytes);
}

/**
 * `loads`, after importing the modules that register the reducers and error classes the
 * message needs (from the {@link learnModules} table). Use it where a worker receives values
 * from code that may have imported more packages than it did: Process args, Pool tasks.
 *
 * @example
 * ```ts
 * learnModules(parentTable);
 * const args = await loadsAsync<unknown[]>(bytes); // a Queue in args works without importing it
 * ```
 */
export async function loadsAsync<T = unknown>(bytes: Uint8Array): Promise<T> {
  if (bytes instanceof Uint8Array && mayHoldReducers(bytes)) {
    const urls = new Set<string>();
    for (const name of unknownNames(bytes)) {
      const url = registry.modules.get(name);
      if (url) urls.add(url);
    }
    for (const url of urls) {
      try {
        await import(url);
      } catch {
        // Not importable here (e.g. a source file under a test runner): loads() names the package.
      }
    }
  }
  return loads<T>(bytes);
}
