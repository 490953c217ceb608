import { describe, expect, it } from 'vitest';
import { scanModule } from '../src/module-syntax.js';

describe('scanModule', () => {
  it('reads every form of static import, skipping type-only and dynamic ones', () => {
    const { imports } = scanModule(`
      import * as mp from '@multiproc/process';
      import def, { a as b, type T, c } from "./x.js";
      import type { Q } from './q.js';
      import './side.js';
      const later = await import('./dyn.js');
      console.log(import.meta.url);
      export { s } from './s.js';
      export * from './all.js';
      export * as ns from './ns.js';
    `);
    expect(imports).toEqual([
      { specifier: '@multiproc/process', names: [{ imported: '*', local: 'mp' }], reexport: false },
      {
        specifier: './x.js',
        names: [
          { imported: 'default', local: 'def' },
          { imported: 'a', local: 'b' },
          { imported: 'c', local: 'c' },
        ],
        reexport: false,
      },
      { specifier: './side.js', names: [], reexport: false },
      { specifier: './s.js', names: [{ imported: 's', local: 's' }], reexport: true },
      { specifier: './all.js', names: [{ imported: '*', local: '*' }], reexport: true },
      { specifier: './ns.js', names: [{ imported: '*', local: 'ns' }], reexport: true },
    ]);
  });

  it('reads exports of declarations, lists and defaults (JS and TS)', () => {
    const { exports } = scanModule(`
      export function f(x: number): number { return x / 2; }
      export async function g() { if (x) { return 1; } }
      export function* gen() {}
      export const h = () => 1, { i, j: k } = obj, [l] = arr;
      export let m: Map<string, number> = new Map();
      export class C extends Base<T, U> {}
      export abstract class Abs {}
      export enum E { A }
      export default function d() {}
      export { p as q, r };
      export type Foo = { a: string };
      export interface Bar { x: number }
    `);
    expect(exports.map((e) => [e.exported, e.local])).toEqual([
      ['f', 'f'],
      ['g', 'g'],
      ['gen', 'gen'],
      ['h', 'h'],
      ['i', 'i'],
      ['k', 'k'],
      ['l', 'l'],
      ['m', 'm'],
      ['C', 'C'],
      ['Abs', 'Abs'],
      ['E', 'E'],
      ['default', 'd'],
      ['q', 'p'],
      ['r', 'r'],
    ]);
  });

  it('is not fooled by strings, comments, templates and regular expressions', () => {
    const { imports, exports } = scanModule(`
      // import { a } from 'comment';
      /* export function b() {} */
      const s1 = "import { c } from 'string'";
      const s2 = \`export function d() {} \${ \`nested \${1 + { e: 2 }.e}\` } import x from 'tpl'\`;
      const re = /export function f() {}'/g;
      const div = a / b / c; export function real() {}
      function inner() { const x = { y: 1 }; return x.y / 2; }
      export { inner };
    `);
    expect(imports).toEqual([]);
    expect(exports.map((e) => e.exported)).toEqual(['real', 'inner']);
  });

  it('ignores import/export words inside blocks', () => {
    const { exports } = scanModule(`
      if (x) { const o = { export: 1, import: 2 }; }
      export const ok = 1;
    `);
    expect(exports.map((e) => e.exported)).toEqual(['ok']);
  });
});
