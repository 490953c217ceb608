import { describe, expect, it } from 'vitest';
import { dumps, loads, registerReducer } from '../src/index.js';

class Lock {
  constructor(readonly handle: number) {}
}
class Value {
  constructor(
    readonly handle: number,
    readonly lock: Lock,
  ) {}
}
class Queue {
  constructor(
    readonly id: string,
    readonly parts: { lock: Lock; values: Value[] },
  ) {}
}
registerReducer(Lock, { name: 'test:Lock', reduce: (l) => l.handle, rebuild: (h: number) => new Lock(h) });
registerReducer(Value, {
  name: 'test:Value',
  reduce: (v) => [v.handle, v.lock],
  rebuild: ([h, lock]: [number, Lock]) => new Value(h, lock),
});
registerReducer(Queue, {
  name: 'test:Queue',
  reduce: (q) => ({ id: q.id, parts: q.parts }),
  rebuild: (s: { id: string; parts: Queue['parts'] }) => new Queue(s.id, s.parts),
});

describe('reducers', () => {
  it('rebuilds a registered object', () => {
    const back = loads<Lock>(dumps(new Lock(7)));
    expect(back).toBeInstanceOf(Lock);
    expect(back.handle).toBe(7);
  });

  it('nested reducers inside reducer state, shared objects stay shared', () => {
    const lock = new Lock(1);
    const q = new Queue('q1', { lock, values: [new Value(2, lock), new Value(3, lock)] });
    const back = loads<{ q: Queue; lock: Lock }>(dumps({ q, lock }));
    expect(back.q).toBeInstanceOf(Queue);
    expect(back.q.parts.values[0]).toBeInstanceOf(Value);
    expect(back.q.parts.values[1].lock).toBe(back.q.parts.lock);
    expect(back.lock).toBe(back.q.parts.lock);
    expect(back.q.parts.values[1].handle).toBe(3);
  });

  it('the same object twice is rebuilt once', () => {
    let rebuilt = 0;
    class Once {}
    registerReducer(Once, {
      name: 'test:Once',
      reduce: () => 0,
      rebuild: () => {
        rebuilt++;
        return new Once();
      },
    });
    const o = new Once();
    const back = loads<Once[]>(dumps([o, o, o]));
    expect(rebuilt).toBe(1);
    expect(back[0]).toBe(back[2]);
  });

  it('subclasses use the nearest registered ancestor', () => {
    class RLock extends Lock {}
    const back = loads<Lock>(dumps(new RLock(9)));
    expect(back).toBeInstanceOf(Lock);
    expect(back.handle).toBe(9);
  });

  it('a reducer may call dumps/loads itself (re-entrancy)', () => {
    class Packed {
      constructor(readonly inner: unknown) {}
    }
    registerReducer(Packed, {
      name: 'test:Packed',
      reduce: (p) => dumps(p.inner),
      rebuild: (bytes: Uint8Array) => new Packed(loads(bytes)),
    });
    const back = loads<{ p: Packed; after: string }>(dumps({ p: new Packed({ deep: [1, 2] }), after: 'ok' }));
    expect(back.p.inner).toEqual({ deep: [1, 2] });
    expect(back.after).toBe('ok');
  });

  it('same name + same class is a no-op; a new class under a name takes over rebuild', () => {
    const r = { name: 'test:Swap', reduce: () => 1, rebuild: () => new A() };
    class A {}
    class B {}
    registerReducer(A, r);
    registerReducer(A, r);
    expect(loads(dumps(new A()))).toBeInstanceOf(A);
    registerReducer(B, { name: 'test:Swap', reduce: () => 2, rebuild: () => new B() });
    expect(loads(dumps(new B()))).toBeInstanceOf(B);
    // an instance of the earlier class (think: the CJS copy of the same class) still encodes
    expect(loads(dumps(new A()))).toBeInstanceOf(B);
  });

  it('an unknown reducer name at loads says which package to import', () => {
    class Remote {}
    registerReducer(Remote, {
      name: '@multiproc/nowhere:Remote',
      reduce: () => 1,
      rebuild: () => new Remote(),
    });
    const bytes = dumps({ r: new Remote() });
    // what a receiver that never imported the package sees: a name nobody registered here
    const tampered = Buffer.from(bytes);
    tampered.write('@multiproc/elsewhr', tampered.indexOf('@multiproc/nowhere'), 'latin1');
    expect(() => loads(tampered)).toThrow(
      /cannot rebuild a "@multiproc\/elsewhr:Remote".*import '@multiproc\/elsewhr'/,
    );
  });

  it('rejects bad registrations', () => {
    expect(() => registerReducer(Lock, { name: '', reduce: () => 0, rebuild: () => new Lock(0) })).toThrow(
      TypeError,
    );
    expect(() =>
      registerReducer(Lock, { name: 'x', reduce: 1 as never, rebuild: () => new Lock(0) }),
    ).toThrow(/must be functions/);
  });
});
