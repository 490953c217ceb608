import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dumps, loads, registerError } from '../src/index.js';

const rt = <T>(v: T): T => loads<T>(dumps(v));

describe('errors', () => {
  it.each([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError])(
    '%o comes back as its class with message and verbatim stack',
    (C) => {
      const e = new C('boom');
      const back = rt(e);
      expect(back).toBeInstanceOf(C);
      expect(Object.getPrototypeOf(back)).toBe(C.prototype);
      expect(back.message).toBe('boom');
      expect(back.name).toBe(C.name);
      expect(back.stack).toBe(e.stack);
      expect(types.isNativeError(back)).toBe(true);
    },
  );

  it('own enumerable properties (code, errno) and a cause chain', () => {
    const root = Object.assign(new Error('disk'), { code: 'ENOSPC', errno: -28 });
    const mid = new TypeError('mid', { cause: root });
    const top = new Error('top', { cause: mid });
    const back = rt(top);
    expect(back.message).toBe('top');
    const m = back.cause as TypeError;
    expect(m).toBeInstanceOf(TypeError);
    expect(m.message).toBe('mid');
    const r = m.cause as Error & { code: string; errno: number };
    expect(r.code).toBe('ENOSPC');
    expect(r.errno).toBe(-28);
    expect(r.stack).toBe(root.stack);
    expect(Object.getOwnPropertyDescriptor(back, 'cause')!.enumerable).toBe(false);
    expect(Object.keys(r).sort()).toEqual(['code', 'errno']);
  });

  it('non-error causes and a cycle through cause', () => {
    expect(rt(new Error('x', { cause: { why: 1 } })).cause).toEqual({ why: 1 });
    const e = new Error('loop');
    (e as Error & { cause: unknown }).cause = e;
    const back = rt(e);
    expect(back.cause).toBe(back);
  });

  it('AggregateError keeps its errors', () => {
    const agg = new AggregateError([new RangeError('a'), new Error('b')], 'many');
    const back = rt(agg);
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.message).toBe('many');
    expect(back.errors).toHaveLength(2);
    expect(back.errors[0]).toBeInstanceOf(RangeError);
    expect(back.errors[1].message).toBe('b');
  });

  it('registered subclasses come back as the class, without running the constructor', () => {
    let constructed = 0;
    class HttpError extends Error {
      status: number;
      constructor(message: string, status: number) {
        super(message);
        constructed++;
        this.name = 'HttpError';
        this.status = status;
      }
      describe() {
        return `${this.status} ${this.message}`;
      }
    }
    registerError(HttpError);
    registerError(HttpError); // twice is fine
    const e = new HttpError('not found', 404);
    constructed = 0;
    const back = rt(e);
    expect(constructed).toBe(0);
    expect(back).toBeInstanceOf(HttpError);
    expect(back).toBeInstanceOf(Error);
    expect(back.describe()).toBe('404 not found');
    expect(back.name).toBe('HttpError');
    expect(back.stack).toBe(e.stack);
  });

  it('registered subclass of a built-in subclass keeps both', () => {
    class BadInput extends TypeError {}
    registerError(BadInput, 'test:BadInput');
    const back = rt(new BadInput('bad'));
    expect(back).toBeInstanceOf(BadInput);
    expect(back).toBeInstanceOf(TypeError);
  });

  it('unregistered classes come back as the nearest built-in base with the original name', () => {
    class NotRegistered extends Error {
      override name = 'NotRegistered';
      extra = 1;
    }
    const back = rt(new NotRegistered('x')) as Error & { extra: number };
    expect(Object.getPrototypeOf(back)).toBe(Error.prototype);
    expect(back.name).toBe('NotRegistered');
    expect(back.extra).toBe(1);
    class WeirdRange extends RangeError {}
    const wr = rt(new WeirdRange('r'));
    expect(Object.getPrototypeOf(wr)).toBe(RangeError.prototype);
  });

  it('errors inside data and without a stack', () => {
    const e = new Error('nostack');
    delete (e as { stack?: string }).stack;
    const back = rt({ list: [e], e });
    expect(back.list[0]).toBe(back.e);
    expect(back.e.stack).toBeUndefined();
  });
});
