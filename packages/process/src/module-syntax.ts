/**
 * A small lexer for the static `import` / `export` statements of an ES module (JavaScript or
 * TypeScript source), used to find where a target function comes from without running code.
 *
 * Why not import the caller module and compare exports? The caller is usually the module
 * that is still evaluating (top-level `await p.start()`), and `import()` of a module that is
 * evaluating waits for its evaluation to finish: a deadlock. Its source text, though, is on
 * disk. Only top-level statements matter: the tokens (`tokenize.ts`) carry their bracket
 * depth, and `import`/`export` statements are read at depth 0. Type-only imports and
 * exports (`import type`, `export type`, `export interface`) are skipped.
 */
import { type Token, tokenize } from './tokenize.js';

/** One binding of an import or re-export: `imported` is the exporting module's name. */
export interface ImportedName {
  imported: string; // 'default', '*' for a namespace import or `export *`
  local: string;
}

/** A static `import ... from 'x'` or `export ... from 'x'`. */
export interface ImportDecl {
  specifier: string;
  names: ImportedName[];
  reexport: boolean;
}

/** A name this module exports, and the local binding behind it (when it has one). */
export interface ExportDecl {
  exported: string;
  local: string | undefined;
}

export interface ModuleSyntax {
  imports: ImportDecl[];
  exports: ExportDecl[];
}

/** Reads `{ a, b as c, type d, 'str' as e }` starting at the `{`; returns the next index. */
function readBraceList(t: Token[], k: number, into: Array<{ left: string; right: string }>): number {
  k++; // past '{'
  while (k < t.length && t[k].value !== '}') {
    let typeOnly = false;
    if (
      t[k].value === 'type' &&
      t[k + 1] &&
      t[k + 1].value !== ',' &&
      t[k + 1].value !== '}' &&
      t[k + 1].value !== 'as'
    ) {
      typeOnly = true;
      k++;
    }
    const left = t[k].value;
    let right = left;
    k++;
    if (t[k]?.value === 'as') {
      right = t[k + 1]?.value ?? left;
      k += 2;
    }
    if (!typeOnly) into.push({ left, right });
    if (t[k]?.value === ',') k++;
  }
  return k + 1;
}

/** Finds the end of the statement starting at k (a `;` at the same depth, or a new line). */
function skipStatement(t: Token[], k: number, depth: number): number {
  k++;
  while (k < t.length) {
    if (t[k].depth === depth && t[k].value === ';') return k + 1;
    if (t[k].depth === depth && t[k].nl && STATEMENT_START.has(t[k].value)) return k;
    k++;
  }
  return k;
}
const STATEMENT_START = new Set([
  'import',
  'export',
  'function',
  'async',
  'class',
  'const',
  'let',
  'var',
  'if',
  'for',
  'while',
  'do',
  'switch',
  'try',
  'return',
  'throw',
  'interface',
  'type',
  'enum',
  'declare',
  'abstract',
]);

/** Reads the names bound by `const a = 1, { b, c: d } = o, [e] = f`. */
function readDeclarators(t: Token[], k: number, names: string[]): number {
  const depth = t[k]?.depth ?? 0;
  for (;;) {
    const tok = t[k];
    if (!tok) return k;
    if (tok.kind === 'id') names.push(tok.value);
    else if (tok.value === '{' || tok.value === '[') {
      // Destructuring: a binding is an identifier followed by , } ] or = (not by :).
      const start = k;
      k++;
      while (k < t.length && t[k].depth > depth) {
        const next = t[k + 1];
        if (
          t[k].kind === 'id' &&
          t[k - 1].value !== '.' &&
          next &&
          (next.value === ',' || next.value === '}' || next.value === ']' || next.value === '=') &&
          (t[k - 1].value !== '=' || k - 1 === start)
        ) {
          names.push(t[k].value);
        }
        k++;
      }
    }
    // Skip the type annotation and initializer, up to a ',' or the statement end at this depth.
    k++;
    // Inside a type annotation, `Map<string, number>` has commas that are not declarator ends.
    let angle = 0;
    let inInit = false;
    while (k < t.length) {
      const x = t[k];
      if (x.depth === depth && !inInit) {
        if (x.value === '<') angle++;
        else if (x.value === '>' && angle > 0) angle--;
        else if (x.value === '=' && angle === 0) inInit = true;
      }
      if (x.depth === depth && angle === 0 && (x.value === ',' || x.value === ';')) break;
      if (x.depth === depth && x.nl && STATEMENT_START.has(x.value)) return k;
      if (x.depth < depth) return k;
      k++;
    }
    if (t[k]?.value !== ',') return k;
    k++;
  }
}

/**
 * Lists the static imports (with their bindings) and the exports of a module's source.
 *
 * @example
 * scanModule("import { f as g } from './f.js'; export function h() {}")
 * // { imports: [{ specifier: './f.js', names: [{ imported: 'f', local: 'g' }], reexport: false }],
 * //   exports: [{ exported: 'h', local: 'h' }] }
 */
export function scanModule(source: string): ModuleSyntax {
  const t = tokenize(source);
  const imports: ImportDecl[] = [];
  const exports: ExportDecl[] = [];
  let k = 0;
  while (k < t.length) {
    const tok = t[k];
    const prev = t[k - 1];
    const atStatementStart =
      tok.depth === 0 && tok.kind === 'id' && (!prev || prev.value === ';' || prev.value === '}' || tok.nl);
    if (!atStatementStart || (tok.value !== 'import' && tok.value !== 'export')) {
      k++;
      continue;
    }
    const next = t[k + 1];
    if (!next) break;
    if (tok.value === 'import') {
      if (next.value === '(' || next.value === '.') {
        k++; // import() or import.meta
        continue;
      }
      k = readImport(t, k + 1, imports);
    } else {
      k = readExport(t, k + 1, imports, exports);
    }
  }
  return { imports, exports };
}

function readImport(t: Token[], k: number, imports: ImportDecl[]): number {
  if (t[k].kind === 'str') {
    imports.push({ specifier: t[k].value, names: [], reexport: false }); // side-effect import
    return k + 1;
  }
  if (
    t[k].value === 'type' &&
    t[k + 1] &&
    (t[k + 1].value === '{' || t[k + 1].value === '*' || t[k + 2]?.value === 'from')
  ) {
    return skipStatement(t, k, 0); // import type ...
  }
  const names: ImportedName[] = [];
  while (k < t.length && t[k].value !== 'from') {
    const tok = t[k];
    if (tok.value === '{') {
      const list: Array<{ left: string; right: string }> = [];
      k = readBraceList(t, k, list);
      for (const { left, right } of list) names.push({ imported: left, local: right });
      continue;
    }
    if (tok.value === '*' && t[k + 1]?.value === 'as') {
      names.push({ imported: '*', local: t[k + 2]?.value ?? '' });
      k += 3;
      continue;
    }
    if (tok.kind === 'id') {
      if (t[k + 1]?.value === '=') return skipStatement(t, k, 0); // TS `import x = require(...)`
      names.push({ imported: 'default', local: tok.value });
    } else if (tok.value !== ',') {
      return skipStatement(t, k, 0);
    }
    k++;
  }
  const spec = t[k + 1];
  if (spec?.kind === 'str') imports.push({ specifier: spec.value, names, reexport: false });
  return k + 2;
}

function readExport(t: Token[], k: number, imports: ImportDecl[], exports: ExportDecl[]): number {
  const tok = t[k];
  if (tok.value === 'type' && t[k + 1]?.value !== '{' && t[k + 1]?.value !== '*')
    return skipStatement(t, k, 0);
  if (tok.value === 'type') k++; // export type { ... } — still skip below as type-only
  const typeOnly = t[k - 1].value === 'type';
  if (t[k].value === '*') {
    // export * from 'x' | export * as ns from 'x'
    let local = '*';
    let j = k + 1;
    if (t[j]?.value === 'as') {
      local = t[j + 1]?.value ?? '*';
      j += 2;
    }
    if (t[j]?.value === 'from' && t[j + 1]?.kind === 'str') {
      if (!typeOnly) {
        imports.push({ specifier: t[j + 1].value, names: [{ imported: '*', local }], reexport: true });
        if (local !== '*') exports.push({ exported: local, local: undefined });
      }
      return j + 2;
    }
    return skipStatement(t, k, 0);
  }
  if (t[k].value === '{') {
    const list: Array<{ left: string; right: string }> = [];
    const j = readBraceList(t, k, list);
    if (t[j]?.value === 'from' && t[j + 1]?.kind === 'str') {
      if (!typeOnly) {
        imports.push({
          specifier: t[j + 1].value,
          names: list.map(({ left, right }) => ({ imported: left, local: right })),
          reexport: true,
        });
        for (const { right } of list) exports.push({ exported: right, local: undefined });
      }
      return j + 2;
    }
    if (!typeOnly) for (const { left, right } of list) exports.push({ exported: right, local: left });
    return j;
  }
  if (t[k].value === 'default') {
    let j = k + 1;
    if (t[j]?.value === 'async') j++;
    if (t[j]?.value === 'abstract') j++;
    if (t[j]?.value === 'function' || t[j]?.value === 'class') {
      j++;
      if (t[j]?.value === '*') j++;
      const name = t[j]?.kind === 'id' && t[j].value !== 'extends' ? t[j].value : undefined;
      exports.push({ exported: 'default', local: name });
      return j;
    }
    // export default expr; — a lone identifier names its local binding.
    const local =
      t[j]?.kind === 'id' && (t[j + 1]?.value === ';' || !t[j + 1] || t[j + 1].nl) ? t[j].value : undefined;
    exports.push({ exported: 'default', local });
    return skipStatement(t, k, 0);
  }
  let j = k;
  while (t[j] && (t[j].value === 'declare' || t[j].value === 'async' || t[j].value === 'abstract')) j++;
  const kw = t[j]?.value;
  if (kw === 'function' || kw === 'class' || kw === 'enum') {
    j++;
    if (t[j]?.value === '*') j++;
    if (t[j]?.kind === 'id') exports.push({ exported: t[j].value, local: t[j].value });
    return j + 1;
  }
  if (kw === 'const' && t[j + 1]?.value === 'enum') {
    exports.push({ exported: t[j + 2].value, local: t[j + 2].value });
    return j + 3;
  }
  if (kw === 'const' || kw === 'let' || kw === 'var' || kw === 'using') {
    const names: string[] = [];
    const end = readDeclarators(t, j + 1, names);
    for (const name of names) exports.push({ exported: name, local: name });
    return end;
  }
  // export interface / namespace / = ... : nothing a worker can import by name.
  return skipStatement(t, k, 0);
}
