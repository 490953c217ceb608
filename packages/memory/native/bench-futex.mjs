#!/usr/bin/env node
// Ping-pong round trips on two 32-bit words: the cross-process futex of the native addon vs
// Atomics.wait/notify between two threads. Run from packages/memory after building:
//   node native/bench-futex.mjs [rounds=20000]
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import {
  createOsBlockBuffer,
  openOsBlockBuffer,
  unlinkOsBlock,
  waitAsync,
  waitSync,
  wake,
} from '@multiproc/memory';

const rounds = Number(process.argv[3] ?? process.argv[2] ?? 20000) || 20000;

// Word 0: pings sent, word 1: pongs sent. ping(i) waits for pong i, pong waits for ping i.
function pinger(i32, n) {
  for (let i = 1; i <= n; i++) {
    Atomics.store(i32, 0, i);
    wake(i32, 0, 1);
    while (Atomics.load(i32, 1) !== i) waitSync(i32, 1, i - 1);
  }
}
function ponger(i32, n) {
  for (let i = 1; i <= n; i++) {
    while (Atomics.load(i32, 0) !== i) waitSync(i32, 0, i - 1);
    Atomics.store(i32, 1, i);
    wake(i32, 1, 1);
  }
}
async function asyncPinger(i32, n) {
  for (let i = 1; i <= n; i++) {
    Atomics.store(i32, 0, i);
    wake(i32, 0, 1);
    while (Atomics.load(i32, 1) !== i) await waitAsync(i32, 1, i - 1);
  }
}

if (process.argv[2] === 'pong') {
  ponger(new Int32Array(openOsBlockBuffer(process.argv[3])), Number(process.argv[4]));
  process.exit(0);
}

const us = (t0, n) => (Number(process.hrtime.bigint() - t0) / 1e3 / n).toFixed(1);

async function processes(async) {
  const name = `mp-bench-${process.pid}`;
  const i32 = new Int32Array(createOsBlockBuffer(name, 64));
  try {
    const child = fork(new URL(import.meta.url), ['pong', name, String(rounds)]);
    await new Promise((r) => child.once('spawn', r));
    const t0 = process.hrtime.bigint();
    if (async) await asyncPinger(i32, rounds);
    else pinger(i32, rounds);
    const result = us(t0, rounds);
    await new Promise((r) => child.once('exit', r));
    return result;
  } finally {
    unlinkOsBlock(name);
  }
}

async function threads(os, async = false) {
  const name = `mp-bench-t-${process.pid}`;
  const sab = os ? createOsBlockBuffer(name, 64) : new SharedArrayBuffer(64);
  try {
    const w = new Worker(
      `const { workerData: d } = require('node:worker_threads');
       const m = require('@multiproc/memory');
       const sab = d.name ? m.openOsBlockBuffer(d.name) : d.sab;
       const i32 = new Int32Array(sab);
       for (let i = 1; i <= d.rounds; i++) {
         while (Atomics.load(i32, 0) !== i) m.waitSync(i32, 0, i - 1);
         Atomics.store(i32, 1, i);
         m.wake(i32, 1, 1);
       }`,
      { eval: true, workerData: { sab: os ? undefined : sab, name: os ? name : undefined, rounds } },
    );
    await new Promise((r) => w.once('online', r));
    const t0 = process.hrtime.bigint();
    if (async) await asyncPinger(new Int32Array(sab), rounds);
    else pinger(new Int32Array(sab), rounds);
    const result = us(t0, rounds);
    await new Promise((r) => w.once('exit', r));
    return result;
  } finally {
    if (os) unlinkOsBlock(name);
  }
}

console.log(`${rounds} round trips, us per round trip (lower is better):`);
console.log(`  Atomics.wait/notify, 2 threads of one process : ${await threads(false)}`);
console.log(`  futex (addon), 2 threads of one process       : ${await threads(true)}`);
console.log(`  futex (addon), 2 processes                    : ${await processes(false)}`);
console.log(`  Atomics.waitAsync pinger, 2 threads           : ${await threads(false, true)}`);
console.log(`  futex, 2 processes, pinger uses waitAsync     : ${await processes(true)}`);
