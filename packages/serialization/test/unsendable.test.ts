import { EventEmitter } from 'node:events';
import net from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { dumps, dumpsChunks, loads, SerializationError } from '../src/index.js';

function errorOf(f: () => unknown): SerializationError {
  try {
    f();
  } catch (e) {
    return e as SerializationError;
  }
  throw new Error('did not throw');
}

describe('unsendable values', () => {
  it('a function: exact path and the fix in the message', () => {
    const e = errorOf(() => dumps({ a: [0, 1, 2, { b: () => 1 }] }));
    expect(e).toBeInstanceOf(SerializationError);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(
      'cannot send a function at value.a[3].b: export it and pass mp.ref(...) or send data instead',
    );
    expect(e.path).toBe('value.a[3].b');
  });

  it('root name is configurable (args[1].cb) and works for dumpsChunks', () => {
    const e = errorOf(() => dumpsChunks([1, { cb() {} }], { path: 'args' }));
    expect(e.message).toMatch(/^cannot send a function at args\[1\]\.cb: /);
  });

  it.each<[string, () => unknown, string, RegExp]>([
    ['top-level function', () => dumps(() => 1), 'value', /a function/],
    ['symbol', () => dumps({ s: Symbol('x') }), 'value.s', /a symbol/],
    ['odd key', () => dumps({ 'a-b': { c: Symbol() } }), 'value["a-b"].c', /a symbol/],
    ['WeakMap', () => dumps([new WeakMap()]), 'value[0]', /a WeakMap/],
    ['WeakSet', () => dumps({ w: new WeakSet() }), 'value.w', /a WeakSet/],
    ['WeakRef', () => dumps({ w: new WeakRef({}) }), 'value.w', /a WeakRef/],
    ['Promise', () => dumps({ p: Promise.resolve(1) }), 'value.p', /a Promise.*await it/],
    ['Blob', () => dumps({ b: new Blob(['x']) }), 'value.b', /a Blob.*arrayBuffer/],
    ['ReadableStream', () => dumps([new ReadableStream()]), 'value[0]', /a ReadableStream/],
    ['WritableStream', () => dumps({ w: new WritableStream() }), 'value.w', /a WritableStream/],
    [
      'ReadableStream subclass',
      // The cast only quiets TS (ReadableStream's overloads); at run time it is a real subclass.
      () => dumps({ s: new (class Mine extends (ReadableStream as unknown as new () => object) {})() }),
      'value.s',
      /a ReadableStream/,
    ],
    ['Map key', () => dumps(new Map([[() => 1, 1]])), 'value.<Map key #0>', /a function/],
    [
      'Map value',
      () =>
        dumps(
          new Map<unknown, unknown>([
            ['k', 1],
            ['f', () => 1],
          ]),
        ),
      'value.get("f")',
      /function/,
    ],
    ['Map value, number key', () => dumps({ m: new Map([[3, Symbol()]]) }), 'value.m.get(3)', /symbol/],
    ['Set item', () => dumps(new Set([1, 2, () => 1])), 'value.<Set item #2>', /function/],
    ['error prop', () => dumps(Object.assign(new Error('x'), { fn: () => 1 })), 'value.fn', /function/],
    ['error cause', () => dumps(new Error('x', { cause: { f: () => 1 } })), 'value.cause.f', /function/],
    ['aggregate errors', () => dumps(new AggregateError([1, () => 1])), 'value.errors[1]', /function/],
    [
      'EventEmitter',
      () => dumps({ ee: new EventEmitter() }),
      'value.ee',
      /EventEmitter \(it holds a handle\)/,
    ],
    ['net.Socket', () => dumps({ s: new net.Socket() }), 'value.s', /Socket \(it holds a handle\)/],
    [
      'SharedArrayBuffer',
      () => dumps({ sab: new SharedArrayBuffer(8) }),
      'value.sab',
      /SharedArrayBuffer.*RawArray/,
    ],
    [
      'view on SAB',
      () => dumps([new Int32Array(new SharedArrayBuffer(8))]),
      'value[0]',
      /Int32Array on a Shared/,
    ],
  ])('%s', (_name, f, path, message) => {
    const e = errorOf(f);
    expect(e).toBeInstanceOf(SerializationError);
    expect(e.path).toBe(path);
    expect(e.message).toContain(`at ${path}: `);
    expect(e.message).toMatch(message);
  });

  it('MessagePort (an EventTarget) is unsendable', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      expect(errorOf(() => dumps({ port: port1 })).message).toMatch(/MessagePort.*at value\.port/);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('reducer state path names the reducer', async () => {
    const { registerReducer } = await import('../src/index.js');
    class Holder {
      constructor(readonly f: unknown) {}
    }
    registerReducer(Holder, {
      name: 'test:Holder',
      reduce: (h) => ({ f: h.f }),
      rebuild: () => new Holder(0),
    });
    expect(errorOf(() => dumps({ h: new Holder(() => 1) })).path).toBe('value.h.<test:Holder state>.f');
  });

  it('errors thrown by getters pass through unchanged, and dumps still works afterwards', () => {
    const boom = new Error('getter failed');
    const o = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw boom;
      },
    });
    expect(errorOf(() => dumps({ o }))).toBe(boom);
    expect(loads(dumps({ ok: [1, 2] }))).toEqual({ ok: [1, 2] });
  });

  it('very deep nesting is a SerializationError, not a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(errorOf(() => dumps(deep)).message).toMatch(/nested too deeply/);
  });
});

describe('web classes Node loads lazily', () => {
  it('a class instance merely tagged like one is sent as a plain object', () => {
    const obj = Object.assign(Object.create({ [Symbol.toStringTag]: 'Blob' }), { b: 2 });
    expect(loads(dumps(obj))).toEqual({ b: 2 });
    class Tagged {
      get [Symbol.toStringTag]() {
        throw new Error('never read');
      }
      a = 1;
    }
    expect(loads(dumps(new Tagged()))).toEqual({ a: 1 });
  });
});
