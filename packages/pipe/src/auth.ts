/**
 * The mutual HMAC challenge of CPython's `multiprocessing.connection`, wire-compatible with
 * Python 3.12+ (digest-prefixed, HMAC-SHA256 by default) and with Python <= 3.11 (HMAC-MD5,
 * no prefix), exactly as Python 3.12 negotiates it.
 *
 * One challenge, as frames (see framing.ts):
 * ```
 * challenger -> answerer   "#CHALLENGE#" + M       M = "{sha256}" + 40 random bytes (we send)
 *                                                  M = 20 random bytes (a Python <= 3.11 peer)
 * answerer   -> challenger R                       R = "{name}" + HMAC-name(key, M), or a bare
 *                                                  16-byte HMAC-MD5 when M is 20 bytes (legacy)
 * challenger -> answerer   "#WELCOME#" | "#FAILURE#"
 * ```
 * The MAC covers all of M, its `{digest}` prefix included, so a peer cannot downgrade it. The
 * listener challenges first, then the client challenges the listener: both prove the key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The peer failed the HMAC challenge (wrong authkey), or broke the handshake protocol. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** An authentication key: bytes, or a string taken as UTF-8. */
export type AuthKey = Uint8Array | string;

/** The two operations the handshake needs from a connection. */
export interface HandshakeChannel {
  sendBytes(buf: Uint8Array): void;
  recvBytes(maxlength?: number): Promise<Uint8Array>;
}

const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
/** Random bytes in our challenge (Python 3.12's MESSAGE_LENGTH). */
const MESSAGE_LENGTH = 40;
/** A Python <= 3.11 challenge is exactly this long (and shorter ones are refused). */
const MD5ONLY_MESSAGE_LENGTH = 20;
const MD5_DIGEST_LENGTH = 16;
/** Python digest names allowed in a `{name}` prefix, with Node's name for each. */
const DIGESTS: Record<string, string> = {
  md5: 'md5',
  sha256: 'sha256',
  sha384: 'sha384',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
};
const MAX_DIGEST_NAME = 8; // 'sha3_256'.length

/** Normalizes an authkey to bytes. An empty key is refused: omit it to turn auth off. */
export function toAuthKey(key: AuthKey): Buffer {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new TypeError(`authkey must be a Uint8Array or a string, not ${typeof key}`);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length === 0) {
    throw new RangeError(
      'authkey must not be empty; omit the authkey option to connect without authentication',
    );
  }
  return bytes;
}

/**
 * Splits a challenge or response into its digest name ('' = legacy md5 without prefix) and
 * payload. Legacy messages are recognized by length: no prefixed message is 16 or 20 bytes.
 */
function splitDigest(message: Buffer): [string, Buffer] {
  if (message.length === MD5ONLY_MESSAGE_LENGTH || message.length === MD5_DIGEST_LENGTH) return ['', message];
  if (message[0] === 0x7b /* { */) {
    const close = message.indexOf(0x7d /* } */, 1);
    if (close > 0 && close <= MAX_DIGEST_NAME + 1) {
      const name = message.subarray(1, close).toString('latin1');
      if (Object.hasOwn(DIGESTS, name)) return [name, message.subarray(close + 1)];
    }
  }
  throw new AuthenticationError(
    `unsupported handshake message (${message.length} bytes): wrong length, missing {digest} prefix ` +
      'or unsupported digest',
  );
}

function hmac(key: Buffer, message: Buffer, pythonName: string): Buffer {
  return createHmac(DIGESTS[pythonName]!, key).update(message).digest();
}

async function recvSmall(conn: HandshakeChannel): Promise<Buffer> {
  const bytes = await conn.recvBytes(256);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Challenges the peer to prove it holds `key`; sends `#WELCOME#` or `#FAILURE#`. */
export async function deliverChallenge(
  conn: HandshakeChannel,
  key: Buffer,
  digest = 'sha256',
): Promise<void> {
  const message = Buffer.concat([Buffer.from(`{${digest}}`), randomBytes(MESSAGE_LENGTH)]);
  conn.sendBytes(Buffer.concat([CHALLENGE, message]));
  const response = await recvSmall(conn);
  try {
    const [name, mac] = splitDigest(response);
    // A bare 16-byte answer is a Python <= 3.11 peer: HMAC-MD5 over our whole message, as
    // Python 3.12 accepts it.
    const expected = hmac(key, message, name || 'md5');
    // Length first: timingSafeEqual throws on unequal lengths, and the length is not secret.
    if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
      throw new AuthenticationError(
        'the peer answered the challenge with a wrong digest: the two ends use different authkeys',
      );
    }
  } catch (err) {
    conn.sendBytes(FAILURE);
    throw err;
  }
  conn.sendBytes(WELCOME);
}

/** Answers the peer's challenge with the HMAC of `key`; rejects unless welcomed. */
export async function answerChallenge(conn: HandshakeChannel, key: Buffer): Promise<void> {
  const frame = await recvSmall(conn);
  if (!frame.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw new AuthenticationError(
      'protocol error: expected an authentication challenge from the peer; does the other end use an authkey?',
    );
  }
  const message = frame.subarray(CHALLENGE.length);
  if (message.length < MD5ONLY_MESSAGE_LENGTH) {
    throw new AuthenticationError(`the peer's challenge is too short (${message.length} bytes)`);
  }
  const [name] = splitDigest(message);
  const response = name
    ? Buffer.concat([Buffer.from(`{${name}}`), hmac(key, message, name)])
    : hmac(key, message, 'md5'); // legacy peer: bare HMAC-MD5
  conn.sendBytes(response);
  const verdict = await recvSmall(conn);
  if (!verdict.equals(WELCOME)) {
    throw new AuthenticationError('the peer rejected our digest: the two ends use different authkeys');
  }
}

/** Options of {@link handshake}. */
export interface HandshakeOptions {
  /** Which end: the listener challenges first, the client answers first. */
  side: 'listener' | 'client';
  /** Rejects with AuthenticationError if the handshake takes longer, in ms. */
  timeout: number;
  signal?: AbortSignal;
}

/**
 * Runs the mutual challenge on a fresh connection. Every failure (wrong key, protocol error,
 * peer gone, oversized frame, timeout) rejects with AuthenticationError, the cause attached;
 * an abort rejects with `signal.reason`. The caller closes the connection on failure.
 */
export async function handshake(
  conn: HandshakeChannel,
  key: Buffer,
  options: HandshakeOptions,
): Promise<void> {
  const { side, timeout, signal } = options;
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AuthenticationError(
            `the peer did not complete the authentication handshake within ${timeout} ms; ` +
              'is it a multiprocessing endpoint with an authkey?',
          ),
        ),
      timeout,
    );
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const run = async () => {
    if (side === 'listener') {
      await deliverChallenge(conn, key);
      await answerChallenge(conn, key);
    } else {
      await answerChallenge(conn, key);
      await deliverChallenge(conn, key);
    }
  };
  const work = run();
  work.catch(() => {}); // the race below reports it; this keeps a late failure from going unhandled
  try {
    await Promise.race([work, stop]);
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    if (err instanceof AuthenticationError) throw err;
    throw new AuthenticationError(
      `authentication handshake failed: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
