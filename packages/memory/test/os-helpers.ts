/**
 * Helpers of the OS shared-memory tests: forked children speaking the os-child.mjs protocol,
 * fixture scripts run to completion, per-test segments that are always unlinked.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  createOsBlockBuffer,
  osMemoryAvailable,
  osMemoryUnavailableReason,
  unlinkOsBlock,
  wake,
} from '../src/index.js';

export const pkgDir = fileURLToPath(new URL('..', import.meta.url));
export const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const prefix = `mp-ostest-${process.pid}-`;
let counter = 0;
export const newName = () => `${prefix}${++counter}`;
export const ourSegments = () =>
  (existsSync('/dev/shm') ? readdirSync('/dev/shm') : []).filter((f) => f.startsWith(prefix));

export const available = osMemoryAvailable();
if (!available) {
  const line = '!'.repeat(100);
  console.warn(
    `\n${line}\n!!! SKIPPING the OS shared-memory tests: ${osMemoryUnavailableReason()}\n` +
      `!!! build it with: cd packages/memory && npx tsup && node native/build.cjs\n${line}\n`,
  );
}

// ---- helpers: forked children speaking the os-child.mjs protocol

export interface Child {
  proc: ChildProcess;
  ask<T = Record<string, unknown>>(msg: Record<string, unknown>, onWaiting?: () => void): Promise<T>;
}

export const children: ChildProcess[] = [];

export async function startChild(): Promise<Child> {
  const proc = fork(fixture('os-child.mjs'), [], {
    cwd: pkgDir,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(proc);
  const [first] = await once(proc, 'message');
  expect(first).toEqual({ ready: true });
  return {
    proc,
    ask(msg, onWaiting) {
      return new Promise((resolve, reject) => {
        const onMessage = (m: { reply?: unknown; error?: { message: string }; waiting?: boolean }) => {
          if (m.waiting) return onWaiting?.();
          proc.off('message', onMessage);
          proc.off('exit', onExit);
          if (m.error) reject(new Error(`child: ${m.error.message}`));
          else resolve(m.reply as never);
        };
        const onExit = (code: number) => reject(new Error(`child exited with ${code}`));
        proc.on('message', onMessage);
        proc.once('exit', onExit);
        proc.send(msg);
      });
    },
  };
}

/** Runs a fixture script to completion; kills it (and fails) if it does not end in time. */
export async function runScript(
  file: string,
  args: string[],
  limitMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [fixture(file), ...args], {
    cwd: pkgDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), limitMs);
  const [code, signal] = await once(proc, 'exit');
  clearTimeout(timer);
  return { code: signal ? -1 : code, out };
}

const nap = new Int32Array(new SharedArrayBuffer(4));
/** Calls wake until it woke one waiter that was really asleep (bounded: throws after 30 s). */
export function wakeOneBlocked(i32: Int32Array, index: number): void {
  const deadline = Date.now() + 30_000;
  while (wake(i32, index, 1) !== 1) {
    if (Date.now() > deadline) throw new Error(`nobody came to wait on word ${index}`);
    Atomics.wait(nap, 0, 0, 1);
  }
}

/** A segment for one test, unlinked when the test ends. */
export function withSegment<T>(
  size: number,
  fn: (name: string, i32: Int32Array) => Promise<T> | T,
): Promise<T> {
  const name = newName();
  const i32 = new Int32Array(createOsBlockBuffer(name, size));
  return Promise.resolve()
    .then(() => fn(name, i32))
    .finally(() => {
      try {
        unlinkOsBlock(name);
      } catch {}
    });
}
