import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumps, loads } from '@multiproc/serialization';
import { afterAll, describe, expect, it } from 'vitest';
import { SharedMemory } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-shm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SharedMemory by name', () => {
  it('creates with a generated psm_ name, attaches by name, exact size', () => {
    const shm = new SharedMemory({ create: true, size: 10 });
    expect(shm.name).toMatch(/^psm_[0-9a-f]{8}$/);
    expect(shm.size).toBe(10);
    expect(shm.buf).toBeInstanceOf(Uint8Array);
    expect(shm.buf.length).toBe(10);
    expect(shm.buf.buffer).toBeInstanceOf(SharedArrayBuffer);
    shm.buf.set([1, 2, 3]);
    const other = new SharedMemory({ name: shm.name, size: 999 }); // size ignored when attaching
    expect(other.size).toBe(10);
    expect(Array.from(other.buf.subarray(0, 3))).toEqual([1, 2, 3]);
    other.buf[9] = 7;
    expect(shm.buf[9]).toBe(7);
    expect(String(shm)).toBe(`SharedMemory('${shm.name}', size=10)`);
    shm.close();
    other.close();
    shm.unlink();
  });

  it('EEXIST for a taken name, ENOENT for an unknown one', () => {
    const shm = new SharedMemory({ name: 'test_eexist', create: true, size: 4 });
    let err: any;
    try {
      new SharedMemory({ name: 'test_eexist', create: true, size: 4 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EEXIST');
    expect(err.message).toMatch(/already exists/);
    expect(() => new SharedMemory({ name: 'test_nope' })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    shm.unlink();
  });

  it('close and unlink follow Python', () => {
    const shm = new SharedMemory({ create: true, size: 8 });
    const held = new SharedMemory({ name: shm.name });
    const view = held.buf;
    shm.close();
    expect(shm.closed).toBe(true);
    expect(() => shm.buf).toThrow(/closed/);
    shm.close(); // twice is fine
    expect(held.buf[0]).toBe(0); // other handles are not affected
    shm.unlink(); // a closed handle may still unlink
    expect(() => new SharedMemory({ name: shm.name })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => shm.unlink()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    view[0] = 5; // the memory stays for holders
    expect(held.buf[0]).toBe(5);
    // the name can be reused once unlinked
    const again = new SharedMemory({ name: shm.name, create: true, size: 8 });
    expect(again.buf[0]).toBe(0);
    again.unlink();
  });

  it('Symbol.dispose closes', () => {
    let outer: SharedMemory;
    {
      using shm = new SharedMemory({ create: true, size: 8 });
      outer = shm;
      expect(shm.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);
    outer.unlink();
  });

  it('bad input', () => {
    expect(() => new SharedMemory({ create: true })).toThrow(RangeError);
    expect(() => new SharedMemory({ create: true, size: 0 })).toThrow(/positive/);
    expect(() => new SharedMemory({ create: true, size: -1 })).toThrow(RangeError);
    expect(() => new SharedMemory({ create: true, size: 1.5 })).toThrow(RangeError);
    expect(() => new SharedMemory({ create: true, size: '8' as never })).toThrow(TypeError);
    expect(() => new SharedMemory({})).toThrow(/name is required/);
    expect(() => new SharedMemory({ name: '', create: true, size: 1 })).toThrow(TypeError);
    expect(() => new SharedMemory({ name: 'file:/x', create: true, size: 1 })).toThrow(/reserved/);
    expect(() => new SharedMemory(undefined as never)).toThrow(TypeError);
  });

  it('travels as the same memory, and so does its buf', () => {
    const shm = new SharedMemory({ create: true, size: 16 });
    const got = loads<SharedMemory>(dumps(shm));
    expect(got).toBeInstanceOf(SharedMemory);
    expect(got.name).toBe(shm.name);
    expect(got.size).toBe(16);
    got.buf[3] = 33;
    expect(shm.buf[3]).toBe(33);
    const buf = loads<Uint8Array>(dumps(shm.buf));
    buf[4] = 44;
    expect(shm.buf[4]).toBe(44);
    shm.unlink();
    expect(loads<SharedMemory>(dumps(shm)).buf[3]).toBe(33); // still travels after unlink
  });
});

describe('SharedMemory({ path }) in one thread', () => {
  it("maps a file (the seed's mmap example), flush writes it back", () => {
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'Hello Python!\n');
    const mm = new SharedMemory({ path: file });
    expect(mm.size).toBe(14);
    expect(mm.path).toBe(file);
    expect(mm.name).toBe(`file:${file}`);
    const text = () => new TextDecoder().decode(mm.buf);
    expect(text()).toBe('Hello Python!\n');
    expect(text().slice(0, 5)).toBe('Hello');
    mm.buf.set(new TextEncoder().encode(' world!\n'), 6);
    expect(text()).toBe('Hello  world!\n');
    const again = new SharedMemory({ path: join(dir, '.', 'hello.txt') }); // same file, other spelling
    expect(new TextDecoder().decode(again.buf)).toBe('Hello  world!\n');
    expect(readFileSync(file, 'utf8')).toBe('Hello Python!\n');
    mm.flush();
    expect(readFileSync(file, 'utf8')).toBe('Hello  world!\n');
    mm.buf[0] = 'J'.charCodeAt(0);
    mm.flush(0, 1);
    expect(readFileSync(file, 'utf8')).toBe('Jello  world!\n');
    expect(() => mm.flush(10, 10)).toThrow(RangeError);
    again.buf[1] = 'E'.charCodeAt(0);
    again.close(); // close flushes, as the kernel writes back a mapping
    expect(readFileSync(file, 'utf8')).toBe('JEllo  world!\n');
    mm.close();
    expect(() => mm.flush()).toThrow(/closed/);
    mm.unlink(); // forget the tree's mapping; the file stays
    expect(readFileSync(file, 'utf8')).toBe('JEllo  world!\n');
  });

  it('size creates or extends the file; errors are clear', () => {
    const fresh = join(dir, 'fresh.bin');
    const mm = new SharedMemory({ path: fresh, size: 32 });
    expect(mm.size).toBe(32);
    expect(readFileSync(fresh).length).toBe(32);
    mm.buf[31] = 9;
    mm.close();
    expect(readFileSync(fresh)[31]).toBe(9);
    const small = new SharedMemory({ path: fresh, size: 8 }); // a smaller window of the same mapping
    expect(small.size).toBe(8);
    expect(() => new SharedMemory({ path: fresh, size: 64 })).toThrow(/cannot grow/);
    small.close();
    expect(() => new SharedMemory({ path: join(dir, 'missing.bin') })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(() => new SharedMemory({ path: empty })).toThrow(/empty file/);
    const grown = new SharedMemory({ path: empty, size: 4 });
    expect(readFileSync(empty).length).toBe(4);
    grown.close();
    expect(() => new SharedMemory({ path: '' })).toThrow(TypeError);
  });
});
