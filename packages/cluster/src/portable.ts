/**
 * Portable function references: how a function travels to workers on other machines. A
 * local `FunctionRef` holds an absolute `file:` URL, which differs between machines; on the
 * wire a function is `{ module, name }` where `module` is the file's path inside its package,
 * prefixed by the package's name (`my-app/dist/tasks.js`, `@acme/jobs/src/tasks.js`) or by
 * `.` when the nearest package.json has no name. The caller and the workers derive it from
 * their own copy of the same project, so it matches wherever the project is installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FunctionRef, captureCallers, resolveFunction } from '@multiproc/process';

/** A function named portably: module id (see above) and export name. */
export interface PortableRef {
  module: string;
  name: string;
}

const roots = new Map<string, { root: string; name: string } | null>();
function packageRootOf(dir: string): { root: string; name: string } | null {
  const hit = roots.get(dir);
  if (hit !== undefined) return hit;
  let found: { root: string; name: string } | null;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    found = { root: dir, name: typeof pkg.name === 'string' && pkg.name ? pkg.name : '.' };
  } catch {
    const up = dirname(dir);
    found = up === dir ? null : packageRootOf(up);
  }
  roots.set(dir, found);
  return found;
}

/** The portable module id of a `file:` URL (see the file comment). */
export function moduleIdOf(url: string): string {
  if (!url.startsWith('file:')) {
    throw new TypeError(
      `cluster: cannot send functions from ${url} to other machines: only modules in files (file: URLs) have a portable name`,
    );
  }
  const path = fileURLToPath(url);
  const pkg = packageRootOf(dirname(path));
  if (!pkg) {
    throw new TypeError(
      `cluster: ${path} is not inside a package (no package.json above it), so it has no portable name; ` +
        'add a package.json at the root of your project',
    );
  }
  return `${pkg.name}/${relative(pkg.root, path).split(sep).join('/')}`;
}

/** `module#name`, the key of the workers' allowlist. */
export function refKey(r: PortableRef): string {
  return `${r.module}#${r.name}`;
}

const cache = new WeakMap<object, PortableRef>();

/**
 * Resolves `func` (an exported function or `ref(url, name)`) to its portable reference.
 * `callers` comes from `captureCallers()`, taken synchronously in the public call.
 */
export async function toPortable(func: unknown, callers: readonly string[]): Promise<PortableRef> {
  if (typeof func === 'object' || typeof func === 'function') {
    const hit = func && cache.get(func);
    if (hit) return hit;
  }
  const fref: FunctionRef = await resolveFunction(func as (...a: unknown[]) => unknown, callers);
  const out = { module: moduleIdOf(fref.moduleUrl), name: fref.exportName };
  if (func) cache.set(func as object, out);
  return out;
}

export { captureCallers };
