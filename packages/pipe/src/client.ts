import { connect, type Socket } from 'node:net';
import { type AuthKey, handshake, toAuthKey } from './auth.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './framing.js';
import { type Address, DEFAULT_AUTH_TIMEOUT } from './listener.js';
import { SocketConnection } from './socket-connection.js';

export interface ClientOptions {
  /** The key the Listener was created with; the client then answers and delivers a challenge. */
  authkey?: AuthKey;
  /** Largest message this connection accepts and sends, in bytes. Default 128 MiB. */
  maxMessageSize?: number;
  /** Time the authentication handshake may take, in ms. Default 20 s. */
  authTimeout?: number;
  /** Aborts connecting and the handshake (rejects with `signal.reason`). */
  signal?: AbortSignal;
}

/**
 * Connects to a {@link Listener} (or a Python `multiprocessing.connection.Listener`) and returns
 * the connection, like Python's `multiprocessing.connection.Client`. With `authkey`, both ends
 * prove they hold the key; a wrong key rejects with AuthenticationError. A refused or
 * unreachable address rejects with Node's error (e.g. `ECONNREFUSED`, `ENOENT`).
 *
 * @example
 * ```ts
 * const conn = await Client({ host: '127.0.0.1', port: 6000 }, { authkey: 'secret' });
 * conn.sendBytes(new TextEncoder().encode('ping'));
 * const reply = await conn.recvBytes();
 * conn.close();
 * ```
 * @example A Unix socket: `await Client({ path: '/tmp/app.sock' })`
 */
export async function Client(address: Address, options: ClientOptions = {}): Promise<SocketConnection> {
  const key = options.authkey === undefined ? undefined : toAuthKey(options.authkey);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (!(maxMessageSize > 0)) throw new RangeError(`maxMessageSize must be positive, got ${maxMessageSize}`);
  if (address === null || typeof address !== 'object' || !('path' in address || 'port' in address)) {
    throw new TypeError(
      'Client(address): address must be { host?, port } or { path }, e.g. listener.address',
    );
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const socket = await open(address, signal);
  const conn = new SocketConnection(socket, {
    maxMessageSize,
    handshakeFrames: key ? 3 : 0, // the listener's challenge, its verdict, its answer
  });
  if (key) {
    try {
      await handshake(conn, key, {
        side: 'client',
        timeout: options.authTimeout ?? DEFAULT_AUTH_TIMEOUT,
        signal,
      });
    } catch (err) {
      conn.close(); // graceful: the peer must still receive our #FAILURE# verdict
      throw err;
    }
  }
  return conn;
}

function open(address: Address, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket =
      'path' in address
        ? connect({ path: address.path })
        : connect({ host: address.host ?? '127.0.0.1', port: address.port });
    const settle = (err?: unknown) => {
      socket.off('connect', onConnect);
      socket.off('error', settle);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) return resolve(socket);
      socket.destroy();
      reject(err);
    };
    const onConnect = () => {
      if ('port' in address) socket.setNoDelay(true); // request/reply traffic: do not wait for Nagle
      settle();
    };
    const onAbort = () => settle(signal!.reason);
    socket.once('connect', onConnect);
    socket.once('error', settle);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
