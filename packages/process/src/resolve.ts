/**
 * The function-reference rule: turning a plain function into `{ moduleUrl, exportName }`
 * in the parent, before any worker starts.
 *
 * 1. The caller module is found from the stack (the first frames outside multiproc's own
 *    packages), when the Process (or Pool call) is created.
 * 2. (a) Exported by the caller: the caller's source is scanned (`module-syntax.ts`) for an
 *    export whose binding has the function's name. We do not `import()` the caller to compare
 *    identities: it is usually still evaluating (top-level `await p.start()`), and importing
 *    an evaluating module waits for it — a deadlock. A CommonJS caller is compared by identity
 *    through `require.cache`, which has its (partial) exports at once.
 * 3. (b) Exported by a module the caller imports directly: each import specifier is resolved
 *    against the caller (with the TypeScript extension fallbacks tsx applies), imported — it
 *    is loaded already, so this is the same instance — and its exports compared by identity,
 *    which also finds renamed imports. Where the loader that ran the caller differs from
 *    Node's (vitest's vite-node gives a different instance of the same file), identity fails,
 *    so an export of the imported name that is a function is accepted by name, as pickle does.
 * Anything else is a TypeError saying how to fix it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FunctionRef, isFunctionRef } from './function-ref.js';
import { type ImportDecl, type ModuleSyntax, scanModule } from './module-syntax.js';

type AnyFunction = (...args: any[]) => unknown;

/** multiproc's own packages: frames in their `src/` or `dist/` are never the caller. */
const OWN_PACKAGES = new Set([
  'multiproc',
  '@multiproc/memory',
  '@multiproc/serialization',
  '@multiproc/process',
  '@multiproc/sharedctypes',
  '@multiproc/synchronize',
  '@multiproc/pipe',
  '@multiproc/queue',
  '@multiproc/pool',
  '@multiproc/manager',
  '@multiproc/cluster',
]);
/** Test runners and loaders whose frames sit between user modules. */
const TOOL_FRAME =
  /[\\/]node_modules[\\/](?:\.pnpm[\\/][^\\/]+[\\/]node_modules[\\/])?(?:vitest|@vitest|vite-node|vite|tsx|tinypool)[\\/]/;
const MAX_CALLERS = 3;

const packageRoots = new Map<string, { name: string; root: string } | null>();
function packageOf(dir: string): { name: string; root: string } | null {
  const cached = packageRoots.get(dir);
  if (cached !== undefined) return cached;
  let found: { name: string; root: string } | null = null;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
    found = { name: pkg.name ?? '', root: dir };
  } catch {
    const up = dirname(dir);
    found = up === dir ? null : packageOf(up);
  }
  packageRoots.set(dir, found);
  return found;
}

function isOwnFile(path: string): boolean {
  const pkg = packageOf(dirname(path));
  if (!pkg || !OWN_PACKAGES.has(pkg.name)) return false;
  const rel = relative(pkg.root, path);
  return rel.startsWith(`dist${sep}`) || rel.startsWith(`src${sep}`);
}

/**
 * The URLs of the user modules on the current stack, innermost first (at most 3): where a
 * function passed to multiproc may come from. Call it synchronously in the public API call.
 */
export function captureCallers(): string[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 64;
    Error.prepareStackTrace = (_err, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, captureCallers);
    sites = (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const urls: string[] = [];
  for (const site of sites) {
    const file = site.getFileName();
    if (!file || file.startsWith('node:') || file.startsWith('internal/')) continue;
    let path: string;
    try {
      path = file.startsWith('file:') ? fileURLToPath(file) : file;
    } catch {
      continue;
    }
    if (!path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path)) continue; // eval, data:, ...
    if (TOOL_FRAME.test(path) || isOwnFile(path)) continue;
    const url = pathToFileURL(path).href;
    if (!urls.includes(url)) urls.push(url);
    if (urls.length === MAX_CALLERS) break;
  }
  return urls;
}

const syntaxCache = new Map<string, ModuleSyntax | null>();
function syntaxOf(url: string): ModuleSyntax | null {
  let syntax = syntaxCache.get(url);
  if (syntax === undefined) {
    try {
      syntax = scanModule(readFileSync(fileURLToPath(url), 'utf8'));
    } catch {
      syntax = null;
    }
    syntaxCache.set(url, syntax);
  }
  return syntax;
}

const TS_FALLBACKS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
  '': ['.ts', '.tsx', '.mts', '.js', '.mjs', '/index.ts', '/index.js'],
};

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Resolves an import specifier of `parentUrl` to a file URL, as tsx or Node would. */
function resolveSpecifier(specifier: string, parentUrl: string, bareAllowed: boolean): string | undefined {
  if (specifier.startsWith('node:')) return undefined;
  let url: URL;
  if (/^\.{0,2}\//.test(specifier) || specifier.startsWith('file:')) url = new URL(specifier, parentUrl);
  else if (!bareAllowed) return undefined;
  else {
    try {
      return pathToFileURL(createRequire(parentUrl).resolve(specifier)).href;
    } catch {
      return undefined; // an ESM-only package, or a builtin
    }
  }
  const path = fileURLToPath(url);
  if (isFile(path)) return url.href;
  const ext = /\.[cm]?[jt]sx?$/.exec(path)?.[0] ?? '';
  for (const alt of TS_FALLBACKS[ext] ?? []) {
    const candidate = ext && !alt.startsWith('/') ? path.slice(0, -ext.length) + alt : path + alt;
    if (existsSync(candidate) && isFile(candidate)) return pathToFileURL(candidate).href;
  }
  return undefined;
}

function exportsOf(mod: Record<string, unknown>): Array<[string, unknown]> {
  const entries = Object.entries(mod);
  const dflt = mod.default;
  if (dflt && (typeof dflt === 'object' || typeof dflt === 'function')) {
    for (const [k, v] of Object.entries(dflt)) if (!(k in mod)) entries.push([k, v]);
  }
  return entries;
}

function byIdentity(mod: Record<string, unknown>, fn: AnyFunction): string | undefined {
  for (const [name, value] of exportsOf(mod)) if (value === fn) return name;
  return undefined;
}

/** (a) The caller module exports `fn`. */
function fromCaller(fn: AnyFunction, url: string, syntax: ModuleSyntax | null): FunctionRef | undefined {
  // A CommonJS module is in require.cache while it runs, with the exports assigned so far.
  try {
    const cjs = createRequire(import.meta.url).cache[fileURLToPath(url)];
    if (cjs) {
      const name = byIdentity({ default: cjs.exports, ...(cjs.exports as object) }, fn);
      if (name) return new FunctionRef(url, name);
    }
  } catch {
    // not a file URL
  }
  if (!syntax || !fn.name) return undefined;
  const match =
    syntax.exports.find((e) => e.local === fn.name && e.exported === fn.name) ??
    syntax.exports.find((e) => e.local === fn.name);
  return match ? new FunctionRef(url, match.exported) : undefined;
}

async function importQuietly(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** (b) A module the caller imports directly exports `fn`. */
async function fromImports(
  fn: AnyFunction,
  callerUrl: string,
  syntax: ModuleSyntax,
): Promise<FunctionRef | undefined> {
  const names = (d: ImportDecl) => d.names.some((n) => n.imported === fn.name || n.local === fn.name);
  const withBindings = syntax.imports.filter((d) => d.names.length > 0);
  // Declarations that name the function first: most lookups import a single module.
  const ordered = [...withBindings.filter(names), ...withBindings.filter((d) => !names(d))];
  const fallback: FunctionRef[] = [];
  for (const decl of ordered) {
    const named = names(decl);
    const star = decl.names.some((n) => n.imported === '*');
    const url = resolveSpecifier(decl.specifier, callerUrl, named);
    if (!url || (!named && !star && !/^\.{0,2}\//.test(decl.specifier))) continue;
    const mod = await importQuietly(url);
    if (mod) {
      const name = byIdentity(mod, fn);
      if (name) return new FunctionRef(url, name);
    }
    if (!fn.name) continue;
    // Not the same instance (another loader ran the caller): match by the imported name.
    const importedAs = decl.names.find((n) => n.imported === fn.name || n.local === fn.name);
    const exportName =
      importedAs && importedAs.imported !== '*' && importedAs.imported !== 'default'
        ? importedAs.imported
        : fn.name;
    if (mod ? typeof mod[exportName] === 'function' : importedAs !== undefined) {
      fallback.push(new FunctionRef(url, exportName));
    }
  }
  return fallback[0];
}

const resolved = new WeakMap<AnyFunction, FunctionRef>();

function describe(fn: AnyFunction): string {
  if (!fn.name) return 'an anonymous function';
  return /^class\b/.test(Function.prototype.toString.call(fn))
    ? `the class '${fn.name}'`
    : `the function '${fn.name}'`;
}

/**
 * Resolves `fn` (a function, a class, or a {@link FunctionRef}) to the module and export a
 * worker imports it by, searching the caller modules `callers` (from {@link captureCallers}).
 * Rejects with a TypeError that says how to fix it when `fn` cannot be found.
 *
 * @example
 * const callers = captureCallers();            // synchronously, in the public call
 * const fref = await resolveFunction(task, callers);
 */
export async function resolveFunction(
  fn: AnyFunction | FunctionRef,
  callers: readonly string[],
): Promise<FunctionRef> {
  if (isFunctionRef(fn)) return fn;
  if (typeof fn !== 'function') {
    throw new TypeError(
      `expected a function or mp.ref(moduleUrl, exportName), got ${fn === null ? 'null' : typeof fn}`,
    );
  }
  const known = resolved.get(fn);
  if (known) return known;
  for (const url of callers) {
    const syntax = syntaxOf(url);
    let found = fromCaller(fn, url, syntax);
    if (!found && syntax) found = await fromImports(fn, url, syntax);
    if (found) {
      resolved.set(fn, found);
      return found;
    }
  }
  const where = callers[0] ?? 'the calling module';
  const file = callers[0] ? basename(fileURLToPath(callers[0])) : 'your module';
  const what = describe(fn);
  const hint = fn.name
    ? `export it (\`export function ${fn.name}\`) from ${file} — keep the code that starts workers behind ` +
      `\`if (mp.isMainProcess())\` — or from a module that ${file} imports directly, or name it explicitly ` +
      `with mp.ref(new URL('./module.js', import.meta.url), '${fn.name}')`
    : 'define it as a named, exported function of a module (lambdas and local functions cannot be imported), ' +
      `or name it explicitly with mp.ref(new URL('./module.js', import.meta.url), 'exportName')`;
  throw new TypeError(
    `cannot send ${what} to a worker: a worker imports the functions it runs, and ${what} is not exported by ` +
      `${where} or by a module it imports directly. Fix: ${hint}.`,
  );
}
