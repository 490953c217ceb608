/**
 * @multiproc/pipe — Pipe and Connection over shared memory, Listener/Client over sockets, and
 * the message ring that queues and the pool's task channel stand on.
 */
export { Pipe, type PipeOptions } from './pipe.js';
export { Connection, type PollTimeout } from './connection.js';
export { BrokenPipeError, BufferTooShort, ClosedError, EOFError, MessageTooLongError } from './errors.js';
export { BUSY, EMPTY, EOF, RingBuffer, type Decoder, type RingOptions } from './ring-buffer.js';
export { MessageRing, type ReadOptions, type WaitOptions } from './ring-wait.js';
export { Hold, letGo } from './holders.js';
// Connections over sockets (Listener / Client, HMAC challenge): listener.ts, client.ts, auth.ts.
export { Listener, type Address, type BoundAddress, type ListenerOptions } from './listener.js';
export { Client, type ClientOptions } from './client.js';
export { SocketConnection, type SocketConnectionOptions } from './socket-connection.js';
export { AuthenticationError, type AuthKey } from './auth.js';
