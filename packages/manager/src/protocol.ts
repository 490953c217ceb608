/**
 * The manager wire protocol: what a client and a manager's server say to each other.
 *
 * ## Transport
 *
 * One socket connection per (client thread, server address), made with `@multiproc/pipe`'s
 * `Client` / `Listener`: CPython's framing and its mutual HMAC challenge run before any request.
 * Every proxy of that thread shares the connection, and many calls may be in flight on it at
 * once (pipelining); replies are matched to requests by id, and may come back out of order
 * (a `lock.acquire()` that waits does not hold up a `dict.get()` behind it).
 *
 * ## Frames
 *
 * Each frame is the `dumps` (serialization core) of a **batch**: an array of messages. Messages
 * queued in the same tick travel in one frame, which makes pipelined calls cheap in syscalls.
 *
 * Requests (client -> server), `id` > 0 expects a reply, `id` 0 expects none:
 * ```
 * [id, OP_CALL,    objId, method, args[]]   call a method of a shared object
 * [id, OP_CREATE,  typeid, args[]]          create a shared object -> reply R_PROXY
 * [id, OP_PING]                             round trip (connect() checks the server with it)
 * [id, OP_INFO]                             -> { objects, refs } (debugging, tests)
 * [id, OP_SHUTDOWN]                         stop the server (replies first)
 * [0,  OP_DECREF,  objId]                   a proxy of this connection was closed / collected
 * [0,  OP_HOLD,    transferId, objId]       a proxy is being sent somewhere: keep it alive
 * [0,  OP_CLAIM,   transferId, objId]       a sent proxy arrived here: take over its hold
 * [0,  OP_CANCEL,  requestId]               the caller aborted request `requestId`
 * [id, OP_LOCAL]                            -> a {@link LocalOffer} (see "Shared-memory fast path")
 * [id, OP_ATTACH]                           -> {@link AttachHandles}; the connection moves to them
 * ```
 * Replies (server -> client):
 * ```
 * [id, R_RETURN,    value]                  the method's result
 * [id, R_ERROR,     error]                  the method threw: the error (class, message, stack)
 * [id, R_PROXY,     [typeid, objId, exposed]]  result is a new shared object (owned by this connection)
 * [id, R_CANCELLED, null]                   the request was cancelled before it completed
 * [0,  R_FAULT,     message]                the connection broke the protocol; the server drops it
 * ```
 *
 * ## Shared-memory fast path (clients in the server's process tree)
 *
 * Right after the HMAC challenge, a client asks for the fast path over the socket (so only an
 * authenticated client gets it). OP_LOCAL answers with the server's pid, OS-memory tree id and
 * the name of a tree-wide named shared block holding a random nonce; the client proves it is in
 * the server's tree by opening that name and reading the same nonce (a client elsewhere gets
 * ENOENT, or a different pid, and stays on the socket). It then sends OP_ATTACH: the server
 * makes two `@multiproc/pipe` MessageRings for this connection (requests, replies) and answers
 * with them and the server's doorbell block. From then on both sides send the same frames
 * through the rings, and the socket carries nothing: it stays open as the liveness signal (a
 * client that exits or is terminated closes it, and the server releases its references).
 *
 * Doorbell block (Int32 words): after writing a request frame, a client adds 1 to BELL_SEQ and
 * wakes it if BELL_SLEEPING is set. The server reads every client's request ring, spins on
 * BELL_SEQ briefly, then sets BELL_SLEEPING and `waitAsync`s on BELL_SEQ (its event loop keeps
 * turning). A client waits for replies with the reply ring's own spin-then-wait read.
 *
 * ## Reference counting
 *
 * Every proxy holds one reference, owned by the connection it was made on; when a connection
 * drops, the server releases everything it owned. A proxy that travels (Process args, a
 * Queue...) is reduced to a {@link ProxyState} with a fresh transfer id, and the sender sends
 * OP_HOLD: one reference held on behalf of the copy in flight. The receiver's rebuild sends
 * OP_CLAIM, turning that hold into a reference of its own connection. Holds and claims travel on
 * different connections, so either may reach the server first; the server handles both orders.
 */
import type { SharedBlock } from '@multiproc/memory';

/** A server address: TCP `{ host, port }` or a Unix socket `{ path }`. */
export type ManagerAddress = { host: string; port: number } | { path: string };

export const OP_CALL = 0;
export const OP_CREATE = 1;
export const OP_PING = 2;
export const OP_INFO = 3;
export const OP_SHUTDOWN = 4;
export const OP_DECREF = 5;
export const OP_HOLD = 6;
export const OP_CLAIM = 7;
export const OP_CANCEL = 8;
export const OP_LOCAL = 9;
export const OP_ATTACH = 10;

export const R_RETURN = 0;
export const R_ERROR = 1;
export const R_PROXY = 2;
export const R_CANCELLED = 3;
export const R_FAULT = 4;

export type Request = [id: number, op: number, a?: unknown, b?: unknown, c?: unknown];
export type Reply = [id: number, kind: number, value: unknown];

/** A new shared object, as R_PROXY describes it. */
export type ProxyInfo = [typeid: string, objId: number, exposed: string[] | null];

/** What a proxy is reduced to when it travels (Python's Token, plus the transfer id). */
export interface ProxyState {
  typeid: string;
  address: ManagerAddress;
  id: number;
  /** Methods of an auto proxy (registered classes); null for the built-in proxy types. */
  exposed: string[] | null;
  /** The transfer this copy belongs to (see OP_HOLD / OP_CLAIM). */
  tid: string;
  /** Only when it is not this tree's default key (`currentProcess().authkey`). */
  authkey?: Uint8Array;
}

/** OP_LOCAL's answer: how a client checks that it shares the server's memory. */
export interface LocalOffer {
  pid: number;
  /** The server's OS shared-memory tree ('spawn' start method), if any. */
  osTree: string | null;
  /** A tree-wide named block whose first bytes are `nonce`. */
  name: string;
  nonce: Uint8Array;
}

/** OP_ATTACH's answer (SharedBlocks travel as their ids: only a client of the tree can load it). */
export interface AttachHandles {
  /** First block of the ring the client writes requests to. */
  requests: SharedBlock;
  /** First block of the ring the server writes replies to. */
  replies: SharedBlock;
  /** The server's doorbell block. */
  bell: SharedBlock;
}

/** Doorbell words (see "Shared-memory fast path"). */
export const BELL_SEQ = 0;
export const BELL_SLEEPING = 1;

/** Server statistics returned by OP_INFO. */
export interface ServerInfo {
  /** Number of live shared objects. */
  objects: number;
  /** Live connections. */
  connections: number;
  /** Transfers held (proxies in flight, not claimed yet). */
  holds: number;
  /** Connections that moved to the shared-memory fast path (a subset of `connections`). */
  sharedMemory: number;
}

/** A stable string for an address, used as a map key. */
export function addressKey(address: ManagerAddress): string {
  return 'path' in address ? `unix:${address.path}` : `tcp:${address.host}:${address.port}`;
}

/** `127.0.0.1:50123` or the socket path, for messages. */
export function formatAddress(address: ManagerAddress): string {
  return 'path' in address ? address.path : `${address.host}:${address.port}`;
}
