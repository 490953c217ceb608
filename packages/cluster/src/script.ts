/** Lua scripts run with EVALSHA, falling back to EVAL after a Redis restart (NOSCRIPT). */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer;

export class Script {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }
  /** Runs the script with `keys` and `args`; replies with strings. */
  async run<T = unknown>(client: Redis, keys: string[], args: Arg[]): Promise<T> {
    try {
      return (await client.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (e) {
      if (!String((e as Error)?.message).includes('NOSCRIPT')) throw e;
      return (await client.eval(this.lua, keys.length, ...keys, ...args)) as T;
    }
  }
  /** Runs the script; replies with Buffers. */
  async runBuffer<T = unknown>(client: Redis, keys: string[], args: Arg[]): Promise<T> {
    try {
      return (await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args)) as T;
    } catch (e) {
      if (!String((e as Error)?.message).includes('NOSCRIPT')) throw e;
      return (await client.callBuffer('EVAL', this.lua, keys.length, ...keys, ...args)) as T;
    }
  }
}
