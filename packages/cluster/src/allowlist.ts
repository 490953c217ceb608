/**
 * The worker's allowlist: the functions exported by the modules it was started with
 * (`--import`), by portable reference. A job naming anything else is refused; functions
 * never travel as code, so Redis access does not give code execution on the workers.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FunctionRef, ref } from '@multiproc/process';
import { type PortableRef, moduleIdOf, refKey } from './portable.js';

export class Allowlist {
  readonly #refs = new Map<string, FunctionRef>();
  readonly modules: string[] = [];

  /** Imports `specifier` (a path relative to `cwd`, an absolute path, a file: URL or a package name). */
  async add(specifier: string, cwd: string): Promise<void> {
    const url = resolveSpecifier(specifier, cwd);
    const mod = (await import(url)) as Record<string, unknown>;
    const id = moduleIdOf(url);
    const names = new Set<string>();
    for (const [k, v] of Object.entries(mod)) if (typeof v === 'function') names.add(k);
    const dflt = mod.default;
    if (dflt && typeof dflt === 'object') {
      for (const [k, v] of Object.entries(dflt)) if (typeof v === 'function') names.add(k);
    }
    if (names.size === 0) throw new TypeError(`--import ${specifier}: ${url} exports no functions`);
    for (const name of names) this.#refs.set(refKey({ module: id, name }), ref(url, name));
    this.modules.push(id);
  }

  /** The local reference of `r`, or undefined when it is not allowed. */
  get(r: PortableRef): FunctionRef | undefined {
    if (!r || typeof r.module !== 'string' || typeof r.name !== 'string') return undefined;
    return this.#refs.get(refKey(r));
  }

  /** Every allowed `module#name`. */
  names(): string[] {
    return [...this.#refs.keys()];
  }
}

function resolveSpecifier(specifier: string, cwd: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isAbsolute(specifier) || /^\.{1,2}([\\/]|$)/.test(specifier)) {
    return pathToFileURL(resolve(cwd, specifier)).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(specifier)).href;
  } catch (e) {
    throw new TypeError(
      `--import ${specifier}: cannot resolve it from ${cwd}; give a path (./tasks.js) or an installed package name`,
      { cause: e },
    );
  }
}
