/**
 * The task channel: per worker, two single-producer single-consumer byte rings in one shared
 * block (tasks parent -> worker, results worker -> parent), plus one pool-wide doorbell the
 * parent waits on. No postMessage per task: a record is written into shared memory and the
 * reader is woken only if it sleeps.
 *
 * Why per-worker rings rather than one shared queue: the parent then knows exactly which
 * chunks each worker holds, so a worker that dies fails exactly the chunk it was running and
 * the ones queued behind it are re-sent to others; and SPSC needs no lock.
 *
 * ## Channel block layout (Int32 words, then bytes)
 * ```
 * word 0  T_HEAD   task ring read position (bytes mod 2^32)      written by the worker
 * word 1  T_TAIL   task ring write position                       written by the parent; the idle worker waits on it
 * word 2  T_SLEEP  1 while the worker is (about to be) waiting on T_TAIL
 * word 3  R_HEAD   result ring read position                      written by the parent
 * word 4  R_TAIL   result ring write position                     written by the worker
 * word 5  R_SLEEP  1 while the worker waits for room in the result ring (waits on R_HEAD)
 * word 6  STARTED  chunks the worker has started (a dead worker's chunk counts as held once started)
 * word 7  CANCEL   id of the running chunk the parent asks the task to give up (0: none)
 * words 8..15      reserved
 * bytes 64 ..             task ring   (capacity bytes, a power of two)
 * bytes 64 + capacity ..  result ring (capacity bytes)
 * ```
 * ## Doorbell block (Int32 words), shared by the pool's workers
 * ```
 * word 0  RING     bumped by a worker after each result record; the parent waits on it
 * word 1  WAITING  1 while the parent is (about to be) waiting on RING
 * ```
 * ## Record (in a ring; positions and lengths are multiples of 8, so that a payload starts
 * 8-aligned: V8 copies to and from shared memory byte by byte unless both sides share the
 * same alignment modulo 8, 6x slower)
 * ```
 * u32 length (header + payload, unpadded; the next record starts at the next multiple of 8;
 *     0xffffffff = wrap to offset 0)
 * u8 kind, u8 flags, u16 0, i32 a, i32 b          (the message header: see protocol.ts)
 * payload (length - 16 bytes; serialized by @multiproc/serialization)
 * ```
 */
import { allocateBlock, wake } from '@multiproc/memory';

export const T_HEAD = 0;
export const T_TAIL = 1;
export const T_SLEEP = 2;
export const R_HEAD = 3;
export const R_TAIL = 4;
export const R_SLEEP = 5;
export const STARTED = 6;
export const CANCEL = 7;
const CONTROL_BYTES = 64;

export const DOORBELL = 0;
export const PARENT_WAITING = 1;

const HEADER = 16;
const WRAP = 0xffffffff;

/** One direction of a channel: an SPSC ring of framed records. */
export class ByteRing {
  readonly #ctrl: Int32Array;
  readonly #head: number;
  readonly #tail: number;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #mask: number;
  readonly capacity: number;
  /** Fields of the record last returned by {@link next}. */
  kind = 0;
  flags = 0;
  a = 0;
  b = 0;
  #pending = 0;

  constructor(ctrl: Int32Array, head: number, tail: number, data: Uint8Array) {
    this.#ctrl = ctrl;
    this.#head = head;
    this.#tail = tail;
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.capacity = data.byteLength;
    this.#mask = data.byteLength - 1;
  }

  /** Largest payload a single record can carry (bigger payloads travel on the side port). */
  get maxPayload(): number {
    return (this.capacity >>> 1) - HEADER;
  }

  /** Bytes written and not yet consumed. */
  used(): number {
    return (Atomics.load(this.#ctrl, this.#tail) - Atomics.load(this.#ctrl, this.#head)) >>> 0;
  }

  /** Producer: whether a record with a payload of `len` bytes fits now. */
  canWrite(len: number): boolean {
    const size = (HEADER + len + 7) & ~7;
    const tail = Atomics.load(this.#ctrl, this.#tail) >>> 0;
    const head = Atomics.load(this.#ctrl, this.#head) >>> 0;
    const toEnd = this.capacity - (tail & this.#mask);
    return ((tail - head) >>> 0) + (toEnd < size ? toEnd + size : size) <= this.capacity;
  }

  /** Producer: writes one record; false if the ring has no room for it now. */
  tryWrite(kind: number, flags: number, a: number, b: number, payload: Uint8Array | undefined): boolean {
    const len = payload === undefined ? 0 : payload.byteLength;
    const size = (HEADER + len + 7) & ~7;
    const tail = Atomics.load(this.#ctrl, this.#tail) >>> 0;
    const head = Atomics.load(this.#ctrl, this.#head) >>> 0;
    const idx = tail & this.#mask;
    const toEnd = this.capacity - idx;
    const need = toEnd < size ? toEnd + size : size;
    if (((tail - head) >>> 0) + need > this.capacity) return false;
    let at = idx;
    if (toEnd < size) {
      this.#view.setUint32(idx, WRAP, true);
      at = 0;
    }
    const v = this.#view;
    v.setUint32(at, HEADER + len, true);
    v.setUint32(at + 4, kind | (flags << 8), true);
    v.setInt32(at + 8, a, true);
    v.setInt32(at + 12, b, true);
    if (len > 0) this.#data.set(payload as Uint8Array, at + HEADER);
    Atomics.store(this.#ctrl, this.#tail, (tail + need) | 0);
    return true;
  }

  /**
   * Consumer: the payload of the next record (a view on shared memory, valid until
   * {@link consume}), with its header in `kind`/`flags`/`a`/`b`; `null` if the ring is empty.
   */
  next(): Uint8Array | null {
    const tail = Atomics.load(this.#ctrl, this.#tail) >>> 0;
    let head = Atomics.load(this.#ctrl, this.#head) >>> 0;
    if (tail === head) return null;
    let idx = head & this.#mask;
    let size = this.#view.getUint32(idx, true);
    let skip = 0;
    if (size === WRAP) {
      skip = this.capacity - idx;
      head = (head + skip) >>> 0;
      idx = 0;
      size = this.#view.getUint32(0, true);
    }
    const word = this.#view.getUint32(idx + 4, true);
    this.kind = word & 0xff;
    this.flags = (word >>> 8) & 0xff;
    this.a = this.#view.getInt32(idx + 8, true);
    this.b = this.#view.getInt32(idx + 12, true);
    this.#pending = skip + ((size + 7) & ~7);
    const payloadLen = size - HEADER;
    return this.#data.subarray(idx + HEADER, idx + HEADER + payloadLen);
  }

  /** Consumer: frees the record returned by the last {@link next}. */
  consume(): void {
    const head = Atomics.load(this.#ctrl, this.#head);
    Atomics.store(this.#ctrl, this.#head, (head + this.#pending) | 0);
    this.#pending = 0;
  }
}

/** The shared memory of one worker's channel, and its two rings. */
export class Channel {
  readonly ctrl: Int32Array;
  readonly tasks: ByteRing;
  readonly results: ByteRing;
  constructor(readonly buffer: SharedArrayBuffer) {
    const capacity = (buffer.byteLength - CONTROL_BYTES) / 2;
    this.ctrl = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.tasks = new ByteRing(this.ctrl, T_HEAD, T_TAIL, new Uint8Array(buffer, CONTROL_BYTES, capacity));
    this.results = new ByteRing(
      this.ctrl,
      R_HEAD,
      R_TAIL,
      new Uint8Array(buffer, CONTROL_BYTES + capacity, capacity),
    );
  }

  /** A fresh channel whose rings hold `capacity` bytes each (rounded up to a power of two). */
  static create(capacity: number): Channel {
    let cap = 1024;
    while (cap < capacity) cap *= 2;
    // allocateBlock: OS shared memory under 'spawn', so that the rings reach child processes.
    return new Channel(allocateBlock(CONTROL_BYTES + 2 * cap).buffer);
  }

  /**
   * Parent: wakes the worker if it sleeps waiting for tasks. Every record written while it
   * sleeps notifies again (T_SLEEP is not cleared here): measured on Node 20, a notify to an
   * `Atomics.waitAsync` waiter is occasionally never delivered, and a single one then left
   * the worker asleep on a full ring (its idle wait also re-checks: worker-main.ts).
   */
  wakeWorker(): void {
    if (Atomics.load(this.ctrl, T_SLEEP) !== 0) wake(this.ctrl, T_TAIL, 1);
  }

  /** Parent: wakes the worker if it waits for room in the result ring. */
  wakeWriter(): void {
    if (Atomics.load(this.ctrl, R_SLEEP) !== 0) wake(this.ctrl, R_HEAD, 1);
  }
}

/** Worker: rings the pool's doorbell after writing a result record. */
export function ringDoorbell(bell: Int32Array): void {
  Atomics.add(bell, DOORBELL, 1);
  if (Atomics.load(bell, PARENT_WAITING) !== 0) wake(bell, DOORBELL, 1);
}
