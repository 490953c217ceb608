/**
 * The error classes of @multiproc/pipe. Each is registered with the serialization core, so it
 * keeps its class when it travels to another worker (e.g. as a Pool task's failure).
 */
import { registerError } from '@multiproc/serialization';

/** Reading from a Connection whose other end every holder closed (or exited), once drained. */
export class EOFError extends Error {
  constructor(message = 'end of file: every holder of the other end of the pipe closed it or exited') {
    super(message);
    this.name = 'EOFError';
  }
}

/** `recvBytesInto` got a message bigger than the room left in the buffer; `data` is the message. */
export class BufferTooShort extends Error {
  /** The whole message that did not fit (it was consumed: it is only here now). */
  readonly data: Uint8Array;
  /** Same signature as socket-connection.ts's class, so both kinds of Connection share this one. */
  constructor(message: string, data: Uint8Array) {
    super(message);
    this.name = 'BufferTooShort';
    this.data = data;
  }
}

/** `recvBytes(maxlength)` met a longer message (Python's OSError 'bad message length'). */
export class MessageTooLongError extends Error {
  readonly length: number;
  readonly maxlength: number;
  constructor(length: number, maxlength: number) {
    super(
      `the next message is ${length} bytes, more than maxlength ${maxlength}; it is still there: ` +
        'call recvBytes() with a larger maxlength (or none) to read it',
    );
    this.name = 'MessageTooLongError';
    this.length = length;
    this.maxlength = maxlength;
  }
}

/** Sending on a Connection whose other end every holder closed (Python's BrokenPipeError). */
export class BrokenPipeError extends Error {
  constructor(message = 'broken pipe: every holder of the other end of the pipe closed it or exited') {
    super(message);
    this.name = 'BrokenPipeError';
  }
}

/** Using a Connection or queue after `close()` (Python's OSError 'handle is closed' / ValueError). */
export class ClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClosedError';
  }
}

for (const ctor of [EOFError, BufferTooShort, MessageTooLongError, BrokenPipeError, ClosedError]) {
  registerError(ctor, `@multiproc/pipe:${ctor.name}`);
}
