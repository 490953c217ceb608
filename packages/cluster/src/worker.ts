/**
 * The worker service behind `multiproc worker`: takes tasks of one cluster pool from Redis
 * (BLMOVE pending -> processing:<wid>, the reliable-queue pattern), runs each on a local
 * `@multiproc/pool` Pool, and records the result with the `complete` script. Its lease
 * (`alive:<wid>`, renewed every lease/3 ms) tells the other workers and the callers it lives;
 * when it lapses, they re-queue its tasks. drain() stops taking tasks, finishes the running
 * ones and hands back anything left, then closes.
 */
import { hostname } from 'node:os';
import { Pool as LocalPool, ProcessError } from '@multiproc/pool';
import { type StartMethod, cpuCount, getContext } from '@multiproc/process';
import { dumps, loads } from '@multiproc/serialization';
import type { Redis } from 'ioredis';
import { Allowlist } from './allowlist.js';
import { type RedisSpec, connect, describeRedis, randomId, sleep, whenReady } from './connection.js';
import { RefusedError } from './errors.js';
import { completeScript, failScript, poolPrefix, reapScript, resultMessage } from './pool-keys.js';
import type { PortableRef } from './portable.js';

export interface WorkerOptions {
  redis: RedisSpec;
  /** Modules whose exported functions this worker runs (paths relative to `cwd`, or package names). */
  imports: string[];
  /** Local worker processes (default: the number of CPUs). */
  concurrency?: number;
  /** The pool served (default 'jobs'). */
  name?: string;
  /** Start method of the local pool (default 'spawn': a crashing task cannot take the worker down). */
  startMethod?: StartMethod;
  /** Lease in ms: without a heartbeat for this long, the worker counts as dead (default 10000). */
  lease?: number;
  cwd?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
  /** Ms to wait for Redis at start (default 10000). */
  connectTimeout?: number;
}

interface TaskPayload {
  fn: PortableRef;
  star: boolean;
  items: unknown[];
}

export class Worker {
  readonly id = `${hostname()}-${process.pid}-${randomId(3)}`;
  readonly concurrency: number;
  readonly #prefix: string;
  readonly #allow = new Allowlist();
  #local!: LocalPool;
  #cmd!: Redis;
  #blk!: Redis;
  #running = 0;
  #draining = false;
  #slotFree: (() => void) | null = null;
  #idle: (() => void) | null = null;
  #beat: ReturnType<typeof setInterval> | null = null;
  #loop: Promise<void> = Promise.resolve();
  readonly #log: (m: string) => void;
  #down = false;

  private constructor(readonly opts: WorkerOptions) {
    this.concurrency = opts.concurrency ?? cpuCount();
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`worker: concurrency must be an integer >= 1, got ${String(opts.concurrency)}`);
    }
    this.#prefix = poolPrefix(opts.name ?? 'jobs');
    this.#log = opts.log ?? (() => {});
  }

  /** Imports the modules, connects, starts the local pool and begins taking tasks. */
  static async start(opts: WorkerOptions): Promise<Worker> {
    const w = new Worker(opts);
    if (!opts.imports?.length)
      throw new TypeError('worker: give at least one module to serve (--import ./tasks.js)');
    for (const spec of opts.imports) await w.#allow.add(spec, opts.cwd ?? process.cwd());
    w.#cmd = connect(opts.redis, `multiproc-worker-${w.id}`);
    w.#cmd.on('error', (e) => {
      if (!w.#down) w.#log(`lost Redis at ${describeRedis(opts.redis)} (${e.message}); reconnecting`);
      w.#down = true;
    });
    w.#cmd.on('ready', () => {
      if (w.#down) w.#log('reconnected to Redis');
      w.#down = false;
      void w.#heartbeat();
    });
    await whenReady(w.#cmd, opts.redis, opts.connectTimeout ?? 10_000, 'multiproc worker');
    w.#blk = connect(opts.redis, `multiproc-worker-fetch-${w.id}`);
    w.#blk.on('error', () => {});
    w.#local = new LocalPool({ processes: w.concurrency, context: getContext(opts.startMethod ?? 'spawn') });
    await w.#heartbeat();
    const lease = opts.lease ?? 10_000;
    w.#beat = setInterval(() => void w.#heartbeat(), Math.max(50, Math.floor(lease / 3)));
    w.#loop = w.#fetchLoop();
    w.#log(
      `worker ${w.id} serves pool '${opts.name ?? 'jobs'}' on ${describeRedis(opts.redis)} with ${w.concurrency} ` +
        `processes; functions: ${w.#allow.names().join(', ')}`,
    );
    return w;
  }

  async #heartbeat(): Promise<void> {
    if (this.#draining || this.#cmd.status !== 'ready') return;
    try {
      const lease = this.opts.lease ?? 10_000;
      await this.#cmd
        .multi()
        .set(
          `${this.#prefix}alive:${this.id}`,
          JSON.stringify({ pid: process.pid, host: hostname() }),
          'PX',
          lease,
        )
        .hset(`${this.#prefix}workers`, this.id, String(this.concurrency))
        .exec();
      await reapScript.run(this.#cmd, [], [this.#prefix, '']);
    } catch {
      // Redis away: the 'ready' handler beats again.
    }
  }

  async #fetchLoop(): Promise<void> {
    while (!this.#draining) {
      if (this.#running >= this.concurrency) {
        await new Promise<void>((r) => {
          this.#slotFree = r;
        });
        this.#slotFree = null;
        continue;
      }
      let id: string | null;
      try {
        id = await this.#blk.blmove(
          `${this.#prefix}pending`,
          `${this.#prefix}processing:${this.id}`,
          'RIGHT',
          'LEFT',
          0,
        );
      } catch {
        if (this.#draining) return;
        await sleep(200);
        continue;
      }
      if (!id) continue;
      this.#running++;
      void this.#run(id).finally(() => {
        this.#running--;
        this.#slotFree?.();
        if (this.#running === 0) this.#idle?.();
      });
    }
  }

  async #run(id: string): Promise<void> {
    const payload = await this.#retry(() => this.#cmd.hgetBuffer(`${this.#prefix}tasks`, id));
    if (!payload) {
      await this.#retry(() => this.#cmd.lrem(`${this.#prefix}processing:${this.id}`, 1, id));
      return; // cancelled, or done by another worker after a re-queue
    }
    let msg: Buffer;
    try {
      const task = loads<TaskPayload>(payload);
      const fref = this.#allow.get(task.fn);
      if (!fref) {
        throw new RefusedError(
          `worker ${this.id} refused to run '${task.fn?.module}#${task.fn?.name}': it only runs functions exported by ` +
            `the modules it was started with (${this.#allow.modules.join(', ')}). Start the workers with ` +
            `--import <that module>, or export the function from one of those modules`,
        );
      }
      const n = task.items.length;
      const values = task.star
        ? await this.#local.starmap(fref, task.items as unknown[][], { chunksize: n })
        : await this.#local.map(fref, task.items, { chunksize: n });
      msg = resultMessage(id, 'ok', dumps(values, { path: 'result' }));
    } catch (e) {
      if (e instanceof ProcessError) {
        const reason = `the worker process running it died (${e.message})`;
        const r = await this.#retry(() => failScript.run(this.#cmd, [], [this.#prefix, this.id, id, reason]));
        this.#log(
          `task ${id}: ${reason}; ${Number(r) === 1 ? 're-queued' : 'attempt limit reached, reported to the caller'}`,
        );
        return;
      }
      msg = resultMessage(id, 'err', encodeError(e));
    }
    await this.#retry(() => completeScript.run(this.#cmd, [], [this.#prefix, this.id, id, msg]));
  }

  /** Retries a command across a Redis outage (up to 5 min), so a finished task's result is not dropped. */
  async #retry<T>(f: () => Promise<T>): Promise<T> {
    const until = Date.now() + 300_000;
    for (;;) {
      try {
        return await f();
      } catch (e) {
        if (Date.now() > until) throw e;
        await sleep(500);
      }
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Stops taking tasks, waits for the running ones, hands back the rest, closes everything. */
  async drain(): Promise<void> {
    if (this.#draining) return this.#loop;
    this.#draining = true;
    this.#slotFree?.();
    this.#blk.disconnect();
    if (this.#running > 0) {
      await new Promise<void>((r) => {
        this.#idle = r;
      });
    }
    await this.#loop;
    await this.stop();
  }

  /** Stops now: hands back every task of this worker (not charged), terminates the local pool. */
  async stop(): Promise<void> {
    this.#draining = true;
    if (this.#beat) clearInterval(this.#beat);
    this.#beat = null;
    this.#blk.disconnect();
    try {
      if (this.#cmd.status === 'ready') await reapScript.run(this.#cmd, [], [this.#prefix, this.id]);
    } catch {
      // the lease lapses and another worker re-queues them
    }
    this.#local.terminate();
    await this.#local.join();
    await this.#cmd.quit().catch(() => this.#cmd.disconnect());
  }
}

function encodeError(e: unknown): Uint8Array {
  try {
    return dumps(e, { path: 'error' });
  } catch (inner) {
    return dumps(
      new Error(
        `${String((e as Error)?.message ?? e)} (the original error could not be sent: ${(inner as Error)?.message})`,
      ),
    );
  }
}
