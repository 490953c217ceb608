import { Connection } from './connection.js';
import { MessageRing } from './ring-wait.js';

export interface PipeOptions {
  /** true (default): both ends send and receive. false: `[receiver, sender]`. */
  duplex?: boolean;
  /** Initial bytes of each direction's ring (default 64 KiB); it grows as needed. */
  bufferSize?: number;
}

/**
 * A pair of connected {@link Connection}s over shared memory, as Python's `Pipe()`.
 *
 * @example
 * const [a, b] = Pipe();
 * a.send({ hello: 'world' });
 * await b.recv(); // { hello: 'world' }
 */
export function Pipe(options: PipeOptions = {}): [Connection, Connection] {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('Pipe(options): options must be an object like { duplex: false }');
  }
  const { duplex = true, bufferSize } = options;
  const ab = MessageRing.create({ capacity: bufferSize });
  if (!duplex) return [new Connection(null, ab), new Connection(ab, null)];
  const ba = MessageRing.create({ capacity: bufferSize });
  return [new Connection(ab, ba), new Connection(ba, ab)];
}
