/**
 * The server side of the shared-memory fast path (protocol.ts, "Shared-memory fast path"):
 * the tree-identity token (OP_LOCAL), a request ring and a reply ring per attached connection
 * (OP_ATTACH), and one loop that serves every attached connection without blocking the event
 * loop: it drains the request rings, dozes briefly on the doorbell word (a bounded synchronous
 * wait, adaptive-wait.ts), then `waitAsync`s on it.
 */
import { randomBytes } from 'node:crypto';
import {
  type SharedBlock,
  allocateBlock,
  createNamedBlock,
  osTreeId,
  releaseBlock,
  unlinkNamedBlock,
  waitAsync,
  waitSync,
} from '@multiproc/memory';
import { EMPTY, Hold, MessageRing } from '@multiproc/pipe';
import { loads } from '@multiproc/serialization';
import { ManagerError } from './errors.js';
import { type AttachHandles, BELL_SEQ, BELL_SLEEPING, type LocalOffer } from './protocol.js';
import type { Session } from './session.js';
import { AdaptiveWait } from './adaptive-wait.js';

/**
 * First segment of each ring (frames over a quarter of it go through spill blocks, reused).
 * Released with the segments and spill blocks when the connection closes (see detach).
 */
const RING_BYTES = 16 * 1024;
/** Frames taken from one connection per pass, so that a busy client cannot starve the others. */
const PER_PASS = 64;
/** Bounds of the adaptive spin before the doze, in microseconds (see adaptive-wait.ts). */
const SPIN_MIN_US = 2;
const SPIN_MAX_US = 60;

/**
 * Bounds of the synchronous doze on the doorbell before sleeping on it, in microseconds.
 * Milliseconds at most: on an overcommitted machine the peer may wait that long for a core; the
 * budget halves at each doze that runs out, so a slow or idle peer soon costs nothing.
 */
const DOZE_MIN_US = 4;
const DOZE_MAX_US = 2000;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Attached {
  session: Session;
  requests: MessageRing;
  replies: MessageRing;
  holds: Hold[];
  /** The client's socket ended: it no longer uses the rings, however it went. */
  clientGone: boolean;
}

/** What OP_ATTACH gives the session: the answer, and where its replies go from now on. */
export interface Attachment {
  handles: AttachHandles;
  sink: (bytes: Uint8Array) => void;
}

/** The fast path of one {@link Server}. */
export class FastPath {
  readonly #maxMessageSize: number;
  readonly #enabled: boolean;
  #token: { name: string; nonce: Uint8Array; block: SharedBlock } | undefined;
  #bell: SharedBlock | undefined;
  readonly #attached = new Map<Session, Attached>();
  #list: Attached[] = [];
  #running = false;
  #closed = false;
  readonly #doze = new AdaptiveWait(DOZE_MIN_US, DOZE_MAX_US);
  readonly #spin = new AdaptiveWait(SPIN_MIN_US, SPIN_MAX_US);
  readonly #abort = new AbortController();

  /** `enabled` false: {@link offer} offers nothing, so every client stays on its socket. */
  constructor(maxMessageSize: number, enabled = true) {
    this.#maxMessageSize = maxMessageSize;
    this.#enabled = enabled;
  }

  /** Connections on the fast path now. */
  get size(): number {
    return this.#list.length;
  }

  /** OP_LOCAL: what a client checks to know that it shares this server's memory (null: no). */
  offer(): LocalOffer | null {
    if (this.#closed) throw new ManagerError('the manager is shutting down');
    if (!this.#enabled) return null;
    if (!this.#token) {
      const nonce = new Uint8Array(randomBytes(16));
      const name = `multiproc-manager-${randomBytes(8).toString('hex')}`;
      const block = createNamedBlock(name, 64);
      new Uint8Array(block.buffer, 0, nonce.length).set(nonce);
      this.#token = { name, nonce, block };
    }
    const { name, nonce } = this.#token;
    return { pid: process.pid, osTree: osTreeId() ?? null, name, nonce };
  }

  /** OP_ATTACH: rings for `session` (an authenticated socket connection). */
  attach(session: Session): Attachment {
    if (this.#closed) throw new ManagerError('the manager is shutting down');
    if (!this.#token) throw new TypeError('OP_ATTACH must follow OP_LOCAL');
    if (this.#attached.has(session)) throw new TypeError('this connection already uses shared memory');
    const requests = MessageRing.create({ capacity: RING_BYTES });
    const replies = MessageRing.create({ capacity: RING_BYTES });
    // The client's sides are counted now; its rebuild arms the exit hooks that undo them.
    requests.addWriters(1);
    replies.addReaders(1);
    const holds = [new Hold(requests, 'readers'), new Hold(replies, 'writers')];
    this.#bell ??= allocateBlock(64);
    const entry: Attached = { session, requests, replies, holds, clientGone: false };
    this.#attached.set(session, entry);
    this.#list = [...this.#attached.values()];
    if (!this.#running) void this.#run(this.#bell.i32);
    return {
      handles: { requests: requests.block, replies: replies.block, bell: this.#bell },
      sink: (bytes) => {
        if (replies.readers() === 0) throw new Error('the client is gone');
        replies.tryWrite([bytes]);
      },
    };
  }

  /**
   * `session`'s socket ended: runs what the client wrote before (a proxy's hold, decrefs...).
   * The client is done with the rings then: it closes its socket only after giving its holds
   * back (fast-client.ts), unless it died, and a dead client's exit hooks may give them back
   * only after we detach it.
   */
  ended(session: Session): void {
    const entry = this.#attached.get(session);
    if (!entry) return;
    entry.clientGone = true;
    this.#take(entry, Number.POSITIVE_INFINITY);
  }

  /** `session` is closed: forget its rings. */
  detach(session: Session): void {
    const entry = this.#attached.get(session);
    if (!entry) return;
    this.#attached.delete(session);
    this.#list = [...this.#attached.values()];
    for (const h of entry.holds) h.release(); // the client's reads see EOF
    // Drop the rings from the tree (directory entries, or /dev/shm names), segments and spill
    // blocks included, once both sides are done: a live client may still read the replies we
    // wrote (it drains them at our EOF), so unless its socket ended, the client's own close
    // (fast-client.ts) releases them. It keeps what it mapped, and its exit hooks, which name
    // the rings, skip a released block.
    const force = entry.clientGone;
    entry.requests.release({ force });
    entry.replies.release({ force });
  }

  /** Stops the loop and withdraws the token (at server shutdown). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    for (const session of [...this.#attached.keys()]) this.detach(session);
    if (this.#bell) releaseBlock(this.#bell);
    if (this.#token) {
      try {
        unlinkNamedBlock(this.#token.name);
      } catch {
        // already gone with the tree
      }
    }
  }

  async #run(bell: Int32Array): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed) {
        const seen = Atomics.load(bell, BELL_SEQ);
        if (this.#drainAll()) {
          await immediate(); // replies flush, sockets and timers get their turn
          continue;
        }
        const rang = () => Atomics.load(bell, BELL_SEQ) !== seen;
        if (this.#spin.spin(rang)) continue; // before the sleeping flag: no wake calls meanwhile
        Atomics.store(bell, BELL_SLEEPING, 1); // from now on a client's send wakes us
        try {
          if (rang()) continue;
          const woken = (ms: number) => waitSync(bell, BELL_SEQ, seen, ms) !== 'timed-out' || rang();
          if (this.#doze.wait(woken)) continue;
          if (!rang()) await waitAsync(bell, BELL_SEQ, seen, undefined, this.#abort.signal);
        } finally {
          Atomics.store(bell, BELL_SLEEPING, 0);
        }
      }
    } catch {
      // aborted: the server shut down
    } finally {
      this.#running = false;
    }
  }

  #drainAll(): boolean {
    let any = false;
    for (const entry of this.#list) if (this.#take(entry, PER_PASS)) any = true;
    return any;
  }

  /** Serves up to `max` request frames of one connection; true if there was one. */
  #take(entry: Attached, max: number): boolean {
    const { session, requests } = entry;
    const limit = this.#maxMessageSize;
    const accept = (n: number) => {
      if (n > limit) throw new RangeError(`a frame of ${n} bytes is over the limit of ${limit} bytes`);
    };
    let any = false;
    for (let n = 0; n < max && !session.closed && requests.size() > 0; n++) {
      let batch: unknown;
      try {
        batch = requests.tryRead(loads, accept);
      } catch (err) {
        session.fault(`malformed request: ${(err as Error).message}`);
        return true;
      }
      if (batch === EMPTY) break;
      any = true;
      session.receiveBatch(batch);
    }
    return any;
  }
}
