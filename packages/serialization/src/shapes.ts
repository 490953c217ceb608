/**
 * Object shapes (SHAPE_NEW / SHAPE in tags.ts). Messages repeat key lists: an array of records,
 * or the same small object sent a million times. The encoder writes a key list once per message
 * and then only a shape id; the decoder turns a key list it keeps seeing into a compiled maker,
 * `{k1: undefined, ...}` then plain stores, so V8 allocates each object with its final hidden
 * class instead of walking a property transition per key (measured in the README).
 */
import type { Decoder } from './decoder.js';
import * as T from './tags.js';

/** Objects with more keys (or none) stay OBJECT: long key lists rarely repeat, and cost to compare. */
export const SHAPE_MAX_KEYS = 32;
/** How many recent shapes the encoder compares a key list with before defining a new one. */
const SEARCH = 8;

/** Encoder side: the key lists defined so far in this message; a shape's id is its index. */
export class ShapeTable {
  private lists: string[][] = [];
  private last = -1;

  /** The id of a shape with exactly `keys`, or -1 after defining `keys` as the next id. */
  find(keys: string[]): number {
    const lists = this.lists;
    const last = this.last;
    if (last >= 0 && sameKeys(lists[last], keys)) return last;
    const stop = Math.max(0, lists.length - SEARCH);
    for (let i = lists.length - 1; i >= stop; i--) {
      if (i !== last && sameKeys(lists[i], keys)) return (this.last = i);
    }
    this.last = lists.push(keys) - 1;
    return -1;
  }

  /**
   * The last shape, if `o` has exactly its keys. `for-in` walks V8's enum cache without the
   * array `Object.keys` allocates (measured: 55 -> 21 us per 1000 objects). It also yields
   * inherited enumerable keys, but only after the own ones: if the last key is own, all are.
   */
  matchLast(o: object): string[] | null {
    if (this.last < 0) return null;
    const keys = this.lists[this.last];
    const n = keys.length;
    let i = 0;
    for (const k in o) {
      if (i === n || k !== keys[i]) return null;
      i++;
    }
    return i === n && Object.hasOwn(o, keys[n - 1]) ? keys : null;
  }

  /** Id of the shape {@link matchLast} returned. */
  get lastId(): number {
    return this.last;
  }

  reset(): void {
    if (this.lists.length !== 0) this.lists = []; // see Decoder.refs
    this.last = -1;
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Decoder side: one key list, shared by every message whose key bytes are the same. */
export interface Shape {
  readonly keys: string[];
  /** Objects built with it, over all messages; the maker is compiled at the second. */
  uses: number;
  make: ((d: Decoder) => object) | null;
  /** False once compiling is known to be impossible (a `__proto__` key, eval disallowed). */
  compilable: boolean;
}

/**
 * Shapes by a hash of their key bytes, across messages: a known key list costs a hash and a
 * byte compare, not a string per key. A slot holds one shape; a collision replaces it.
 */
const SLOTS = 1024;
const MAX_KEY_BYTES = 256;
const slotShapes: Array<Shape | null> = new Array<Shape | null>(SLOTS).fill(null);
const slotBytes: Array<Uint8Array | null> = new Array<Uint8Array | null>(SLOTS).fill(null);

/** SHAPE_NEW body after the tag: varint n, n keys, n values. */
export function readNewShape(d: Decoder): object {
  const n = d.count(3);
  if (n > SHAPE_MAX_KEYS) d.fail(`shape with ${n} keys`);
  const bytes = d.bytes;
  const start = d.pos;
  for (let i = 0; i < n; i++) skipString(d);
  const end = d.pos;
  let shape: Shape | null = null;
  let slot = -1;
  if (end - start <= MAX_KEY_BYTES) {
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const known = slotBytes[slot];
    if (known !== null && known.length === end - start) {
      let i = 0;
      while (i < known.length && known[i] === bytes[start + i]) i++;
      if (i === known.length) shape = slotShapes[slot];
    }
  }
  if (shape === null) {
    d.pos = start;
    const keys = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = d.key();
    shape = { keys, uses: 0, make: null, compilable: true };
    if (slot >= 0) {
      slotShapes[slot] = shape;
      slotBytes[slot] = bytes.slice(start, end);
    }
  }
  d.shapes.push(shape);
  return build(d, shape);
}

/** SHAPE body after the tag: varint id, the shape's values. */
export function readShape(d: Decoder): object {
  const id = d.varint();
  if (id >= d.shapes.length) d.fail(`unknown shape #${id}`);
  return build(d, d.shapes[id]);
}

function build(d: Decoder, shape: Shape): object {
  if (shape.make !== null) return shape.make(d);
  if (++shape.uses >= 2 && shape.compilable) {
    shape.make = compile(shape.keys);
    if (shape.make !== null) return shape.make(d);
    shape.compilable = false;
  }
  const o: Record<string, unknown> = {};
  d.refs.push(o);
  const keys = shape.keys;
  for (let i = 0; i < keys.length; i++) d.assign(o, keys[i], d.read());
  return o;
}

/**
 * A maker for objects with `keys`: the literal gives V8 the final hidden class at once, and
 * the object is in `refs` before its values are read (a value may refer back to it). Keys go
 * in as JSON string literals, so no key can inject code; `__proto__` would set the prototype
 * in a literal, so such shapes stay on the generic path.
 */
function compile(keys: string[]): ((d: Decoder) => object) | null {
  if (keys.includes('__proto__')) return null;
  const quoted = keys.map((k) => JSON.stringify(k));
  const body =
    `const o = {${quoted.map((q) => `${q}: undefined`).join(', ')}};\n` +
    'd.refs.push(o);\n' +
    quoted.map((q) => `o[${q}] = d.read();\n`).join('') +
    'return o;';
  try {
    return new Function('d', body) as (d: Decoder) => object;
  } catch {
    return null; // --disallow-code-generation-from-strings
  }
}

function skipString(d: Decoder): void {
  const tag = d.bytes[d.need(1)];
  if (tag === T.STR_LATIN1) d.need(d.varint());
  else if (tag === T.STR_UTF16) d.need(2 * d.varint());
  else if (tag === T.STR_UTF8) {
    const b = d.bytes;
    const q = d.need(4);
    d.need((b[q] | (b[q + 1] << 8) | (b[q + 2] << 16) | (b[q + 3] << 24)) >>> 0);
  } else {
    d.pos--;
    d.fail(`expected a string, found tag 0x${tag.toString(16)}`);
  }
}
