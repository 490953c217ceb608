/**
 * The uncontended lock paths as WebAssembly functions over a shared `WebAssembly.Memory`.
 *
 * Why: on V8 11 (Node 20) every `Atomics` call from JavaScript is a call into a builtin that
 * validates the typed array (~4 ns) around the locked instruction, while TurboFan inlines a call
 * into WebAssembly and the function runs the instruction directly. An uncontended
 * `acquireSync()` + `release()` measured 25-29 ns through these functions against 31-44 ns
 * through `Atomics.exchange` on the same machine (apps/bench `locks` keeps the comparison).
 * Only memory that is a `WebAssembly.Memory` can be reached this way, so these serve the lock
 * words that arena.ts places in one (threads); everything else keeps `Atomics`.
 *
 * The module, in text form (addresses are byte offsets of a lock's words; see lock.ts and
 * rlock.ts of @multiproc/synchronize for the layouts, and mutex.ts for the state word):
 *
 *   (import "e" "m" (memory 1 1 shared))
 *   (func $lockAcquire (param $a i32) (param $me i32) (result i32) (local $old i32)
 *     (local.set $old (i32.atomic.rmw.xchg (local.get $a) (i32.const 1)))
 *     (if (i32.eqz (local.get $old)) (then (i32.store offset=4 (local.get $a) (local.get $me))))
 *     (local.get $old))
 *   (func $lockRelease (param $a i32) (result i32)
 *     (i32.store offset=4 (local.get $a) (i32.const 0))
 *     (i32.atomic.rmw.xchg (local.get $a) (i32.const 0)))
 *   (func $rlockAcquire (param $a i32) (param $me i32) (result i32) (local $old i32)
 *     (if (i32.eq (i32.load offset=4 (local.get $a)) (local.get $me)) (then
 *       (i32.store offset=8 (local.get $a) (i32.add (i32.load offset=8 (local.get $a)) (i32.const 1)))
 *       (return (i32.const 0))))
 *     (local.set $old (i32.atomic.rmw.xchg (local.get $a) (i32.const 1)))
 *     (if (i32.eqz (local.get $old)) (then
 *       (i32.store offset=4 (local.get $a) (local.get $me))
 *       (i32.store offset=8 (local.get $a) (i32.const 1))))
 *     (local.get $old))
 *   (func $rlockRelease (param $a i32) (param $me i32) (result i32) (local $depth i32)
 *     (local.set $depth (i32.load offset=8 (local.get $a)))
 *     (if (i32.or (i32.ne (i32.load offset=4 (local.get $a)) (local.get $me))
 *                 (i32.le_s (local.get $depth) (i32.const 0)))
 *       (then (return (i32.const -1))))
 *     (i32.store offset=8 (local.get $a) (i32.sub (local.get $depth) (i32.const 1)))
 *     (if (i32.ne (local.get $depth) (i32.const 1)) (then (return (i32.const 1))))
 *     (i32.store offset=4 (local.get $a) (i32.const 0))
 *     (i32.atomic.rmw.xchg (local.get $a) (i32.const 0)))
 *
 * Results: the acquires return the state word's old value (0: taken; otherwise the caller
 * finishes in JavaScript, as after a failed `Atomics.exchange`); `lockRelease` the old state (1:
 * done); `rlockRelease` -1 when the caller does not own the lock (nothing changed), 1 when done,
 * else the old state of the final release (2: wake a sleeper).
 */

/** A shared `WebAssembly.Memory` (@types/node 20 does not declare the WebAssembly API). */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
/** The WebAssembly JS API of the platform. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Pages (64 KiB) of an arena memory: the module imports a memory of exactly this size. */
export const ARENA_PAGES = 1;

/** The functions of one instance (one memory, one thread). */
export interface WasmLockOps {
  lockAcquire(address: number, me: number): number;
  lockRelease(address: number): number;
  rlockAcquire(address: number, me: number): number;
  rlockRelease(address: number, me: number): number;
}

// Opcodes used below (WebAssembly core spec 2.0 + threads proposal).
const I32 = 0x7f;
// biome-ignore format: opcode tables
const [LOCAL_GET, LOCAL_SET, I32_CONST, IF, THEN_VOID, END, RETURN] = [0x20, 0x21, 0x41, 0x04, 0x40, 0x0b, 0x0f];
// biome-ignore format: opcode tables
const [I32_EQZ, I32_EQ, I32_NE, I32_LE_S, I32_ADD, I32_SUB, I32_OR] = [0x45, 0x46, 0x47, 0x4c, 0x6a, 0x6b, 0x72];
const load = (offset: number) => [0x28, 2, offset]; // i32.load align=4
const store = (offset: number) => [0x36, 2, offset]; // i32.store align=4
const XCHG = [0xfe, 0x41, 2, 0]; // i32.atomic.rmw.xchg align=4 offset=0
const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];
const i32c = (n: number) => [I32_CONST, n & 0x7f]; // small constants: -1 (0x7f), 0, 1

// biome-ignore format: one line per step of the text form above
const lockAcquire = [
  [1, 1, I32], // one i32 local: $old (2)
  get(0), i32c(1), XCHG, set(2),
  get(2), I32_EQZ, IF, THEN_VOID, get(0), get(1), store(4), END,
  get(2), END,
];
// biome-ignore format: one line per step of the text form above
const lockRelease = [
  [0],
  get(0), i32c(0), store(4),
  get(0), i32c(0), XCHG, END,
];
// biome-ignore format: one line per step of the text form above
const rlockAcquire = [
  [1, 1, I32],
  get(0), load(4), get(1), I32_EQ, IF, THEN_VOID,
  get(0), get(0), load(8), i32c(1), I32_ADD, store(8), i32c(0), RETURN, END,
  get(0), i32c(1), XCHG, set(2),
  get(2), I32_EQZ, IF, THEN_VOID, get(0), get(1), store(4), get(0), i32c(1), store(8), END,
  get(2), END,
];
// biome-ignore format: one line per step of the text form above
const rlockRelease = [
  [1, 1, I32], // $depth (2)
  get(0), load(8), set(2),
  get(0), load(4), get(1), I32_NE, get(2), i32c(0), I32_LE_S, I32_OR,
  IF, THEN_VOID, i32c(-1), RETURN, END,
  get(0), get(2), i32c(1), I32_SUB, store(8),
  get(2), i32c(1), I32_NE, IF, THEN_VOID, i32c(1), RETURN, END,
  get(0), i32c(0), store(4),
  get(0), i32c(0), XCHG, END,
];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];

function moduleBytes(): Uint8Array {
  const funcs = { lockAcquire, lockRelease, rlockAcquire, rlockRelease };
  const bodies = Object.values(funcs).map((f) => f.flat(2) as number[]);
  const pair = [0x60, 2, I32, I32, 1, I32]; // type 0: (i32, i32) -> i32
  const one = [0x60, 1, I32, 1, I32]; // type 1: (i32) -> i32
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([pair, one])),
    ...section(
      2,
      vector([[...name('e'), ...name('m'), 0x02, 0x03, ...uleb(ARENA_PAGES), ...uleb(ARENA_PAGES)]]),
    ),
    ...section(3, vector([[0], [1], [0], [0]])),
    ...section(7, vector(Object.keys(funcs).map((n, i) => [...name(n), 0x00, i]))),
    ...section(10, vector(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

let compiled: object | undefined;
const instances = new WeakMap<WasmMemory, WasmLockOps>();

/** This thread's lock functions over `memory` (an arena memory of {@link ARENA_PAGES} pages). */
export function wasmLockOps(memory: WasmMemory): WasmLockOps {
  let ops = instances.get(memory);
  if (!ops) {
    compiled ??= new wasm.Module(moduleBytes());
    ops = new wasm.Instance(compiled, { e: { m: memory } }).exports as WasmLockOps;
    instances.set(memory, ops);
  }
  return ops;
}
