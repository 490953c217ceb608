/**
 * The caller's side of a cluster pool: submits tasks, reads their results (one blocking
 * connection, BLPOP on `results:<client>`), and watches the cluster while tasks are out:
 * it re-queues the tasks of dead workers (the `reap` script), fails the calls when no worker
 * has been alive for `workerTimeout` ms or Redis has been unreachable for `reconnectTimeout`
 * ms, and re-submits its tasks when Redis came back empty (a restart without persistence).
 */
import { ProcessError } from '@multiproc/pool';
import { dumps, loads } from '@multiproc/serialization';
import type { Redis } from 'ioredis';
import { Health, type RedisSpec, connect, describeRedis, randomId } from './connection.js';
import { ConnectionError } from './errors.js';
import { parseResult, poolPrefix, reapScript } from './pool-keys.js';
import type { PortableRef } from './portable.js';

/** Receives a task's outcome: the chunk's values, or its error. */
export type Sink = (ok: boolean, value: unknown) => void;

export interface EngineOptions {
  redis: RedisSpec;
  name: string;
  maxAttempts: number;
  workerTimeout: number;
  reconnectTimeout: number;
  heartbeat: number;
}

interface Pending {
  payload: Buffer;
  sink: Sink;
}

export class Engine {
  readonly prefix: string;
  readonly client = randomId();
  readonly cmd: Redis;
  #blk: Redis | null = null;
  readonly #health: Health;
  readonly #tasks = new Map<string, Pending>();
  #seq = 0;
  #epoch: string | null = null;
  #closed = false;
  #watchdog: ReturnType<typeof setInterval> | null = null;
  #noWorkersSince: number | null = null;
  #slots: { value: number; at: number } | null = null;
  #ticking = false;
  #wake: (() => void) | null = null;

  constructor(readonly opts: EngineOptions) {
    this.prefix = poolPrefix(opts.name);
    this.cmd = connect(opts.redis, `multiproc-pool-${this.client}`);
    this.#health = new Health(this.cmd);
    let first = true;
    this.cmd.on('ready', () => {
      if (first) {
        first = false;
        void this.#checkEpoch(false);
      } else void this.#checkEpoch(true);
    });
  }

  get where(): string {
    return `cluster pool '${this.opts.name}' on ${describeRedis(this.opts.redis)}`;
  }

  /** Workers' total concurrency right now (>= 1), cached for a second. */
  async slots(): Promise<number> {
    if (this.#slots && Date.now() - this.#slots.at < 1000) return this.#slots.value;
    const [, slots] = await this.#reap();
    this.#slots = { value: Math.max(1, slots), at: Date.now() };
    return this.#slots.value;
  }

  async #reap(): Promise<[number, number, number]> {
    const r = await reapScript.run<[number, number, number]>(this.cmd, [], [this.prefix, '']);
    return [Number(r[0]), Number(r[1]), Number(r[2])];
  }

  /** Sends tasks; each sink receives its task's outcome once. Returns their ids. */
  submit(fn: PortableRef, star: boolean, chunks: unknown[][], sinks: Sink[]): string[] {
    if (this.#closed) throw new Error(`${this.where}: the pool is closed`);
    const ids: string[] = [];
    const multi = this.cmd.multi();
    for (let i = 0; i < chunks.length; i++) {
      const id = `${this.client}.${++this.#seq}`;
      const payload = Buffer.from(dumps({ fn, star, items: chunks[i] }, { path: 'args' }));
      this.#tasks.set(id, { payload, sink: sinks[i] });
      multi.hset(`${this.prefix}tasks`, id, payload);
      multi.hset(`${this.prefix}meta`, id, `0:${this.opts.maxAttempts}`);
      multi.lpush(`${this.prefix}pending`, id);
      ids.push(id);
    }
    multi.exec().catch((e: unknown) => this.#failIds(ids, this.#connectionError(e)));
    this.#startLoop();
    this.#startWatchdog();
    this.#wake?.();
    return ids;
  }

  /** Forgets tasks (the call ended); removes them from Redis so no worker starts them. */
  cancel(ids: string[]): void {
    const live = ids.filter((id) => this.#tasks.delete(id));
    if (live.length === 0 || this.#closed) return;
    const multi = this.cmd.multi();
    multi.hdel(`${this.prefix}tasks`, ...live);
    multi.hdel(`${this.prefix}meta`, ...live);
    for (const id of live) multi.lrem(`${this.prefix}pending`, 1, id);
    multi.exec().catch(() => {});
  }

  #failIds(ids: string[], err: unknown): void {
    for (const id of ids) {
      const t = this.#tasks.get(id);
      if (t) {
        this.#tasks.delete(id);
        t.sink(false, err);
      }
    }
  }

  /** Fails every outstanding task with `err`. */
  failAll(err: unknown): void {
    this.#failIds([...this.#tasks.keys()], err);
  }

  #connectionError(cause: unknown): ConnectionError {
    return new ConnectionError(
      `${this.where}: Redis has been unreachable for more than ${this.opts.reconnectTimeout} ms ` +
        `(${(cause as Error)?.message ?? 'connection lost'}); the call's results are lost. ` +
        'Check the Redis server, then retry the call (raise the reconnectTimeout option to wait longer)',
      { cause },
    );
  }

  #startLoop(): void {
    if (this.#blk) return;
    const blk = connect(this.opts.redis, `multiproc-pool-results-${this.client}`);
    blk.on('error', () => {});
    this.#blk = blk;
    void this.#loop(blk);
  }

  async #loop(blk: Redis): Promise<void> {
    const key = `${this.prefix}results:${this.client}`;
    while (!this.#closed) {
      if (this.#tasks.size === 0) {
        await new Promise<void>((r) => {
          this.#wake = r;
        });
        this.#wake = null;
        continue;
      }
      let msgs: Buffer[];
      try {
        const r = await blk.blpopBuffer(key, 0);
        if (!r) continue;
        msgs = [r[1]];
        const more = await blk.lpopBuffer(key, 1000);
        if (more) msgs.push(...(Array.isArray(more) ? more : [more]));
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (const msg of msgs) this.#deliver(msg);
    }
  }

  #deliver(msg: Buffer): void {
    const { id, status, payload } = parseResult(msg);
    const t = this.#tasks.get(id);
    if (!t) return; // a duplicate, or a call that already ended
    this.#tasks.delete(id);
    let ok = status === 'ok';
    let value: unknown;
    try {
      if (status === 'lost') {
        value = new ProcessError(`${this.where}: a task was not completed: ${payload.toString()}`);
      } else value = loads(payload);
    } catch (e) {
      ok = false;
      value = e;
    }
    t.sink(ok, value);
  }

  #startWatchdog(): void {
    if (this.#watchdog || this.#closed) return;
    this.#watchdog = setInterval(() => void this.#tick(), this.opts.heartbeat);
  }

  async #tick(): Promise<void> {
    if (this.#tasks.size === 0) {
      if (this.#watchdog) clearInterval(this.#watchdog);
      this.#watchdog = null;
      this.#noWorkersSince = null;
      return;
    }
    if (this.cmd.status !== 'ready') {
      if (this.#health.downFor() > this.opts.reconnectTimeout) {
        this.failAll(this.#connectionError(this.#health.lastError));
      }
      return;
    }
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const [live] = await this.#reap();
      if (live > 0) this.#noWorkersSince = null;
      else {
        this.#noWorkersSince ??= Date.now();
        if (Date.now() - this.#noWorkersSince > this.opts.workerTimeout) {
          this.failAll(
            new ProcessError(
              `${this.where}: no worker has been serving this pool for ${this.opts.workerTimeout} ms, so the ` +
                "call's tasks cannot run. Start workers with `npx multiproc worker --redis <url> --import " +
                `<module> --name ${this.opts.name}\`, or raise the workerTimeout option`,
            ),
          );
          this.#noWorkersSince = null;
        }
      }
    } catch {
      // Redis went away during the tick: the next tick sees it.
    } finally {
      this.#ticking = false;
    }
  }

  /** Reads the epoch token; if Redis came back without it, re-submits every outstanding task. */
  async #checkEpoch(reconnected: boolean): Promise<void> {
    try {
      const key = `${this.prefix}epoch`;
      await this.cmd.set(key, randomId(), 'NX');
      const epoch = await this.cmd.get(key);
      if (reconnected && this.#epoch !== null && epoch !== this.#epoch && this.#tasks.size > 0) {
        const multi = this.cmd.multi();
        for (const [id, t] of this.#tasks) {
          multi.hset(`${this.prefix}tasks`, id, t.payload);
          multi.hset(`${this.prefix}meta`, id, `0:${this.opts.maxAttempts}`);
          multi.lpush(`${this.prefix}pending`, id);
        }
        await multi.exec();
      }
      this.#epoch = epoch;
    } catch {
      // not ready after all; the next 'ready' retries
    }
  }

  /** Closes the connections; outstanding tasks are cancelled. */
  close(): void {
    if (this.#closed) return;
    this.cancel([...this.#tasks.keys()]);
    this.#closed = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#wake?.();
    this.#blk?.disconnect();
    void this.cmd.quit().catch(() => this.cmd.disconnect());
  }
}
