/** The byte view of a buffer argument (`sendBytes`, `recvBytesInto`) of every connection. */

/** A Uint8Array over the bytes of `buf`; a TypeError naming `what` for anything else. */
export function bytesOf(buf: ArrayBufferView | ArrayBufferLike, what: string): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(
    `${what} must be an ArrayBuffer, a typed array, a DataView or a Buffer, got ${typeof buf}`,
  );
}
