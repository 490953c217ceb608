/**
 * The client side of the shared-memory fast path (protocol.ts, "Shared-memory fast path"):
 * once the socket is authenticated, a client in the server's process tree proves it (a named
 * block holding the server's nonce), gets two `@multiproc/pipe` MessageRings and the server's
 * doorbell, and sends its frames through them. Replies are read only while calls are in flight:
 * a short synchronous doze on the reply ring first (adaptive-wait.ts), then the ring's async read.
 *
 * `MULTIPROC_MANAGER_SHM=0` in the environment keeps every connection on its socket.
 */
import { type SharedBlock, openNamedBlock, osTreeId, wake } from '@multiproc/memory';
import { EMPTY, EOF, Hold, MessageRing, type SocketConnection } from '@multiproc/pipe';
import { dumps, loads } from '@multiproc/serialization';
import {
  type AttachHandles,
  BELL_SEQ,
  BELL_SLEEPING,
  type LocalOffer,
  OP_ATTACH,
  OP_LOCAL,
  R_RETURN,
  type Reply,
} from './protocol.js';
import { AdaptiveWait } from './adaptive-wait.js';
import type { Link, Transport } from './transport.js';

/**
 * Bounds of the synchronous doze on the reply ring before sleeping on it, in microseconds.
 * Milliseconds at most: on an overcommitted machine the peer may wait that long for a core; the
 * budget halves at each doze that runs out, so a slow or idle peer soon costs nothing.
 */
/** Bounds of the adaptive spin before the doze, in microseconds (see adaptive-wait.ts). */
const SPIN_MIN_US = 2;
const SPIN_MAX_US = 100;

const DOZE_MIN_US = 4;
const DOZE_MAX_US = 5000;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
const decodeBatch = (bytes: Uint8Array) => loads<Reply[]>(bytes);

/** Whether the fast path may be used (the env switch is read at each connection). */
export function fastPathEnabled(): boolean {
  return process.env.MULTIPROC_MANAGER_SHM !== '0';
}

/**
 * @internal Asks the server on `conn` (authenticated, nothing else sent yet) for the fast path.
 * Resolves with the link, or null: not in the server's tree, an older server, or disabled.
 */
export async function tryFastPath(conn: SocketConnection, t: Transport): Promise<FastLink | null> {
  if (!fastPathEnabled()) return null;
  const offer = await ask(conn, 1, OP_LOCAL);
  if (!isOffer(offer) || !sharesMemory(offer)) return null;
  // Only now may the answer hold block ids: this thread can find them.
  const handles = await ask(conn, 2, OP_ATTACH);
  if (!isHandles(handles)) return null;
  return new FastLink(t, conn, handles);
}

async function ask(conn: SocketConnection, id: number, op: number): Promise<unknown> {
  conn.sendBytes(dumps([[id, op]]));
  const batch = loads<Reply[]>(await conn.recvBytes());
  const reply = Array.isArray(batch) ? batch.find((r) => Array.isArray(r) && r[0] === id) : undefined;
  return reply && reply[1] === R_RETURN ? reply[2] : undefined;
}

function isOffer(o: unknown): o is LocalOffer {
  const x = o as LocalOffer;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.pid === 'number' &&
    typeof x.name === 'string' &&
    x.nonce instanceof Uint8Array &&
    x.nonce.length >= 16
  );
}

function isHandles(h: unknown): h is AttachHandles {
  const x = h as AttachHandles;
  return typeof x === 'object' && x !== null && !!x.requests && !!x.replies && !!x.bell;
}

/**
 * Whether this thread shares the server's memory: same process (or the same OS-memory tree),
 * and the tree-wide name the server made holds the server's nonce here too. A block name
 * unknown to this tree fails fast (ENOENT), so a client elsewhere just stays on the socket.
 */
function sharesMemory(offer: LocalOffer): boolean {
  const sameTree = offer.osTree !== null && offer.osTree === (osTreeId() ?? null);
  if (offer.pid !== process.pid && !sameTree) return false;
  let block: SharedBlock;
  try {
    block = openNamedBlock(offer.name);
  } catch {
    return false;
  }
  if (block.byteLength < offer.nonce.length) return false;
  const here = new Uint8Array(block.buffer, 0, offer.nonce.length);
  for (let i = 0; i < here.length; i++) if (here[i] !== offer.nonce[i]) return false;
  return true;
}

/** A transport's link over the request / reply rings of one connection. */
export class FastLink implements Link {
  readonly kind = 'shared-memory' as const;
  readonly #t: Transport;
  readonly #conn: SocketConnection;
  readonly #requests: MessageRing;
  readonly #replies: MessageRing;
  readonly #bell: Int32Array;
  readonly #holds: Hold[];
  readonly #abort = new AbortController();
  /** Calls are in flight: replies are read. */
  #wanted = false;
  #reading = false;
  readonly #doze = new AdaptiveWait(DOZE_MIN_US, DOZE_MAX_US);
  readonly #spin = new AdaptiveWait(SPIN_MIN_US, SPIN_MAX_US);
  #closed = false;
  /** The server's socket ended: it no longer uses the rings, however it went. */
  #serverGone = false;

  constructor(t: Transport, conn: SocketConnection, handles: AttachHandles) {
    this.#t = t;
    this.#conn = conn;
    this.#requests = MessageRing.attach(handles.requests);
    this.#replies = MessageRing.attach(handles.replies);
    this.#bell = handles.bell.i32;
    // The server counted our sides; these arm the exit hooks that give them back if we die.
    this.#holds = [new Hold(this.#requests, 'writers', true), new Hold(this.#replies, 'readers', true)];
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new Error('the shared-memory connection is closed');
    this.#requests.tryWrite([bytes]);
    const bell = this.#bell;
    Atomics.add(bell, BELL_SEQ, 1);
    if (Atomics.load(bell, BELL_SLEEPING) !== 0) wake(bell, BELL_SEQ, 1);
    // Read (doze first) right after the frame went: the reply is likely microseconds away.
    if (this.#wanted && !this.#reading) void this.#read();
  }

  ref(): void {
    this.#wanted = true;
  }

  unref(): void {
    this.#wanted = false;
  }

  /**
   * The server's socket ended: dispatches the replies already in the ring, without waiting.
   * The server is done with the rings then: it gives its holds back before its socket closes,
   * unless it died, and a dead server's exit hooks may give them back only after we close.
   */
  ended(): void {
    this.#serverGone = true;
    if (this.#closed) return;
    try {
      for (;;) {
        const batch = this.#replies.tryRead(decodeBatch);
        if (batch === EMPTY) return;
        this.#t.receiveBatch(batch);
      }
    } catch (err) {
      this.#t.unreadable(err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    for (const h of this.#holds) h.release();
    // Whichever side lets go last releases the rings' blocks (see detach in fast-server.ts):
    // a live server may still run the requests we wrote, at our EOF.
    const force = this.#serverGone;
    this.#requests.release({ force });
    this.#replies.release({ force });
    this.#conn.close(); // the server sees EOF and releases this connection's references
  }

  async #read(): Promise<void> {
    this.#reading = true;
    try {
      const replies = this.#replies;
      while (this.#wanted && !this.#closed) {
        // Doze for the reply first (a round trip through a serving server takes a few us).
        let batch: Reply[] | typeof EMPTY | typeof EOF = EMPTY;
        if (replies.size() === 0) this.#spin.spin(() => replies.size() > 0);
        this.#doze.wait((ms) => {
          batch = replies.read(decodeBatch, { eof: true, timeout: ms });
          return batch !== EMPTY;
        });
        if (batch === EMPTY)
          batch = await replies.readAsync(decodeBatch, { eof: true, signal: this.#abort.signal });
        if (batch === EOF || batch === EMPTY) return; // the server dropped us: its socket EOF follows
        this.#t.receiveBatch(batch);
        // Let the callers' continuations run (and send their next calls) before dozing again.
        if (this.#wanted) await immediate();
      }
    } catch (err) {
      if (!this.#closed) this.#t.unreadable(err);
    } finally {
      this.#reading = false;
    }
  }
}
