/**
 * The per-thread table of {@link Transport}s: one per (server address, authkey), opened on first
 * use and shared by every proxy of the thread. A server running in this very thread is reached
 * without a socket; any other server through socket-client.ts (which moves to shared memory
 * when the server is in this process tree).
 */
import { currentProcess } from '@multiproc/process';
import { addressKey, type ManagerAddress } from './protocol.js';
import { connect } from './socket-client.js';
import { type Link, Transport } from './transport.js';

/** The tree's default authkey: what a proxy uses when its state carries none. */
export function defaultAuthkey(): Uint8Array {
  return currentProcess().authkey;
}

const hex = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');

/** Per thread: the transports to servers, by address and key. */
const transports = new Map<string, Transport>();
/** Per thread: servers running in this thread (their proxies here skip the socket). */
const localServers = new Map<string, (t: Transport) => Link>();

/** @internal A server in this thread announces itself (and withdraws with the returned function). */
export function registerLocalServer(address: ManagerAddress, open: (t: Transport) => Link): () => void {
  const key = addressKey(address);
  localServers.set(key, open);
  return () => {
    if (localServers.get(key) === open) localServers.delete(key);
  };
}

/**
 * The transport of this thread to the server at `address`, opened on first use. A connection
 * failure rejects every request made on it (AuthenticationError for a wrong key); the next
 * call to this function then tries again.
 */
export function getTransport(address: ManagerAddress, authkey: Uint8Array = defaultAuthkey()): Transport {
  const key = `${addressKey(address)}|${hex(authkey)}`;
  let t = transports.get(key);
  if (t && !t.dead) return t;
  const transport = new Transport(address, authkey, () => {
    if (transports.get(key) === transport) transports.delete(key);
  });
  t = transport;
  transports.set(key, t);
  const local = localServers.get(addressKey(address));
  if (local) t.attach(local(t));
  else void connect(t);
  return t;
}

/** Closes this thread's transports to `address` (all keys). */
export function closeTransports(address: ManagerAddress): void {
  const prefix = `${addressKey(address)}|`;
  for (const [key, t] of [...transports]) if (key.startsWith(prefix)) t.close();
}
