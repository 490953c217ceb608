/**
 * Function references: how a function reaches a worker. Like pickle, a function travels by
 * name — the URL of the module that exports it and the export's name — and the worker
 * imports it. See `resolve.ts` for how a plain function is turned into one.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerReducer } from '@multiproc/serialization';
import { ensureParentLoaders } from './loaders.js';

type AnyFunction = (...args: any[]) => unknown;

/** A function named by module and export, which any worker can import. Make one with {@link ref}. */
export class FunctionRef<F extends AnyFunction = AnyFunction> {
  /** Absolute URL of the module (`file:` for files). */
  readonly moduleUrl: string;
  /** Name of the export (`'default'` for a default export). */
  readonly exportName: string;
  /** @internal Type-only: the function type this refers to. */
  declare readonly __type?: F;

  /** @internal use {@link ref}. */
  constructor(moduleUrl: string, exportName: string) {
    this.moduleUrl = moduleUrl;
    this.exportName = exportName;
  }

  toString(): string {
    return `${this.moduleUrl}#${this.exportName}`;
  }
}

/**
 * Names a function explicitly by module and export, for when it cannot be found on its own
 * (it is exported from a module the caller does not import directly, or created by a factory).
 *
 * `moduleUrl` is an absolute URL or path: use `import.meta.url` or `new URL(..., import.meta.url)`.
 * The module is imported in the worker only; a wrong name fails there (exit code 1).
 *
 * @example
 * const p = new mp.Process({ target: mp.ref(new URL('./tasks.js', import.meta.url), 'work') });
 */
export function ref<F extends AnyFunction = AnyFunction>(
  moduleUrl: string | URL,
  exportName: string,
): FunctionRef<F> {
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`ref(): exportName must be a non-empty string, got ${String(exportName)}`);
  }
  let url: string;
  if (moduleUrl instanceof URL) url = moduleUrl.href;
  else if (typeof moduleUrl === 'string' && isAbsolute(moduleUrl)) url = pathToFileURL(moduleUrl).href;
  else if (typeof moduleUrl === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) url = moduleUrl;
  else {
    throw new TypeError(
      `ref(): moduleUrl must be an absolute URL or path, got ${JSON.stringify(moduleUrl)}; ` +
        `write new URL(${JSON.stringify(moduleUrl)}, import.meta.url) to name a module next to yours`,
    );
  }
  return new FunctionRef<F>(url, exportName);
}

/** True for a {@link FunctionRef}. */
export function isFunctionRef(value: unknown): value is FunctionRef {
  return value instanceof FunctionRef;
}

/**
 * Imports the function a reference names (in the worker). A CommonJS module's exports are
 * looked up on its default export too.
 */
export async function loadFunction(fref: { moduleUrl: string; exportName: string }): Promise<AnyFunction> {
  await ensureParentLoaders();
  const mod = (await import(fref.moduleUrl)) as Record<string, unknown>;
  let value = mod[fref.exportName];
  const dflt = mod.default as Record<string, unknown> | undefined;
  if (value === undefined && dflt && (typeof dflt === 'object' || typeof dflt === 'function')) {
    value = dflt[fref.exportName];
  }
  if (typeof value !== 'function') {
    throw new TypeError(
      `${fref.moduleUrl} has no exported function named '${fref.exportName}' (found ${value === undefined ? 'nothing' : typeof value}): ` +
        'export it from that module, or pass mp.ref(moduleUrl, exportName)',
    );
  }
  return value as AnyFunction;
}

registerReducer(FunctionRef, {
  name: 'multiproc.FunctionRef',
  reduce: (r: FunctionRef) => [r.moduleUrl, r.exportName],
  rebuild: ([url, name]: [string, string]) => new FunctionRef(url, name),
});
