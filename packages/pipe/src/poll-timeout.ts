/**
 * The argument of `poll` on every connection: a timeout in ms, `null`, or
 * `{ timeout?, signal? }`. As in Python, no argument (or no `timeout` in the object) polls once.
 */

/** A timeout in ms, or `{ timeout?, signal? }` (API.md's convention for a bare Python timeout). */
export type PollTimeout = number | null | { timeout?: number | null; signal?: AbortSignal };

/** `ms`: milliseconds to wait, `null` for no limit (`null` or Infinity given). */
export function parsePollTimeout(timeout: PollTimeout | undefined): {
  ms: number | null;
  signal?: AbortSignal;
} {
  const t =
    typeof timeout === 'object' && timeout !== null
      ? timeout.timeout === undefined
        ? 0
        : timeout.timeout
      : timeout === undefined
        ? 0
        : timeout;
  if (t !== null && typeof t !== 'number') {
    throw new TypeError(
      `poll: timeout must be a number of ms, null or { timeout?, signal? }, got ${typeof t}`,
    );
  }
  const ms = t === null || t === Number.POSITIVE_INFINITY ? null : t;
  return { ms, signal: typeof timeout === 'object' && timeout !== null ? timeout.signal : undefined };
}
