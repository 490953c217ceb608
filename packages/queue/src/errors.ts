import { registerError } from '@multiproc/serialization';

/** `get` found the queue empty (non-blocking, or the timeout ran out). */
export class Empty extends Error {
  constructor(message = 'the queue is empty') {
    super(message);
    this.name = 'Empty';
  }
}

/** `put` found a bounded queue full (non-blocking, or the timeout ran out). */
export class Full extends Error {
  constructor(message = 'the queue is full') {
    super(message);
    this.name = 'Full';
  }
}

registerError(Empty, '@multiproc/queue:Empty');
registerError(Full, '@multiproc/queue:Full');
