/**
 * The multiproc wire format, documented once, here.
 *
 * A message is exactly one `value`; trailing bytes are an error. There is no header: the
 * smallest message (a small int, `true`, `null`) is one byte, which matters at a million
 * messages per second. All multi-byte numbers are little-endian. `varint` is unsigned LEB128
 * (at most 5 bytes, values < 2^32).
 *
 * ```
 * value := tag payload
 *   0x80..0xFF  FIXINT        -                      the integer (tag & 0x7f), 0..127
 *   0x00        UNDEFINED     -
 *   0x01        NULL          -
 *   0x02        FALSE         -
 *   0x03        TRUE          -
 *   0x04        INT8          i8
 *   0x05        INT16         i16
 *   0x06        INT32         i32
 *   0x07        FLOAT64       f64                    everything else: -0, NaN, 2^53, 0.5 ...
 *   0x08        BIGINT        u8 sign(0|1), varint n, n ASCII hex digits of |value|
 *   0x09        STR_LATIN1    varint n, n bytes      every char code < 256, one byte each
 *   0x0A        STR_UTF8      u32 n, n bytes         well-formed UTF-16 written as UTF-8
 *   0x0B        STR_UTF16     varint n, 2n bytes     strings with lone surrogates, verbatim
 *   0x0C  ref   ARRAY         varint len, len items  an item may be HOLE (a missing index)
 *   0x0D        HOLE          -                      only inside ARRAY, and as "absent" in ERROR
 *   0x0E  ref   OBJECT        varint n, n (key, value)  key is a string value
 *   0x0F  ref   MAP           varint n, n (key, value)
 *   0x10  ref   SET           varint n, n values
 *   0x11  ref   DATE          f64 time value
 *   0x12  ref   REGEXP        string source, string flags
 *   0x13  ref   ARRAY_BUFFER  varint n, n bytes
 *   0x14  ref   VIEW          u8 view kind (VIEW_* below), varint byteLength, bytes
 *   0x15  ref   ERROR         string classKey, string baseKey, string name, string message,
 *                             (string | UNDEFINED) stack, (value | HOLE) cause,
 *                             (ARRAY | HOLE) errors, varint n, n (key, value) own props
 *   0x16  ref   REDUCED       string reducer name, value state
 *   0x17        REF           varint id              an object already seen in this message
 *   0x18  ref   BOXED         value (a primitive: new Number(1), new String('a') ...)
 *   0x19  ref   PACKED        u8 kind, varint len, len numbers of the kind, little-endian:
 *                             kind 0 i8, 1 i16, 2 i32, 3 f64 (see packed.ts). A plain array
 *                             (>= 16 items, no holes) whose items are all numbers; decodes
 *                             to the same array as ARRAY would.
 *   0x1A  ref   SHAPE_NEW     varint n (1..32), n keys (string values), n values: an object,
 *                             and the definition of shape #k (the next shape id, from 0)
 *   0x1B  ref   SHAPE         varint k, then one value per key of shape #k: an object with
 *                             those keys in that order (see shapes.ts)
 * ```
 *
 * References: every tag marked `ref` gets the next id (0, 1, 2 ...) at the moment its tag is
 * written, before its children, so cycles and shared objects are both a REF to that id. The
 * decoder assigns ids in the same order.
 *
 * Large binary payloads (ARRAY_BUFFER / VIEW of >= {@link BIG_PAYLOAD} bytes) are laid out
 * exactly like small ones; the encoder just keeps them out of its scratch buffer so that
 * `dumpsChunks` can hand them out by reference.
 */

export const UNDEFINED = 0x00;
export const NULL = 0x01;
export const FALSE = 0x02;
export const TRUE = 0x03;
export const INT8 = 0x04;
export const INT16 = 0x05;
export const INT32 = 0x06;
export const FLOAT64 = 0x07;
export const BIGINT = 0x08;
export const STR_LATIN1 = 0x09;
export const STR_UTF8 = 0x0a;
export const STR_UTF16 = 0x0b;
export const ARRAY = 0x0c;
export const HOLE = 0x0d;
export const OBJECT = 0x0e;
export const MAP = 0x0f;
export const SET = 0x10;
export const DATE = 0x11;
export const REGEXP = 0x12;
export const ARRAY_BUFFER = 0x13;
export const VIEW = 0x14;
export const ERROR = 0x15;
export const REDUCED = 0x16;
export const REF = 0x17;
export const BOXED = 0x18;
export const PACKED = 0x19;
export const SHAPE_NEW = 0x1a;
export const SHAPE = 0x1b;
export const FIXINT = 0x80;

/** Binary payloads at least this big become their own chunk in `dumpsChunks` (no copy). */
export const BIG_PAYLOAD = 4096;

/** View kinds of the VIEW tag. The index is the wire value; keep the order forever. */
export const VIEW_CTORS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
  Buffer,
] as const;
export const VIEW_DATAVIEW = 11;
export const VIEW_BUFFER = 12;
