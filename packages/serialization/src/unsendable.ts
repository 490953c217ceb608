import { SerializationError } from './errors.js';

/**
 * Internal: thrown for an unsendable value. Each container on the way up adds its path segment
 * in a catch block, so the path costs nothing unless something is unsendable.
 */
export class Unsendable {
  readonly segments: string[] = [];
  constructor(
    readonly label: string,
    readonly hint: string,
  ) {}
}

export function addSegment(e: unknown, segment: string): unknown {
  if (e instanceof Unsendable) e.segments.push(segment);
  return e;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
export const keySegment = (k: string) => (IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
export function mapValueSegment(k: unknown, i: number): string {
  if (typeof k === 'string') return `.get(${JSON.stringify(k)})`;
  if (typeof k === 'bigint') return `.get(${k}n)`;
  if (k === null || (typeof k !== 'object' && typeof k !== 'function')) return `.get(${String(k)})`;
  return `.<Map value #${i}>`;
}

/** Turns what an encoding threw into what dumps throws (user errors pass unchanged). */
export function publicError(e: unknown, root: string): unknown {
  if (e instanceof Unsendable) {
    const path = root + e.segments.reverse().join('');
    return new SerializationError(`cannot send ${e.label} at ${path}: ${e.hint}`, path);
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new SerializationError(`cannot send ${root}: it is nested too deeply`, root);
  }
  return e;
}
