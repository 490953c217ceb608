#!/usr/bin/env node
/**
 * `multiproc worker --redis URL --import ./tasks.js [--import ...] [--concurrency N]`
 * Serves a cluster pool with a local Pool of N processes. Ctrl-C (SIGINT) or SIGTERM drains:
 * running tasks finish, then the worker exits; a second signal stops at once (its tasks go
 * back to the queue).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RedisOptions } from 'ioredis';
import { Worker } from './worker.js';

const USAGE = `Usage: multiproc worker --redis <url> --import <module> [--import <module> ...] [options]

Serves a @multiproc/cluster pool: runs, on a local pool of processes, the tasks that callers
submit with cluster.Pool, for the functions exported by the imported modules only.

  --redis <url>           redis://[user:password@]host:port[/db], rediss:// for TLS
                          (default: $MULTIPROC_REDIS or $REDIS_URL)
  --import <module>       a module whose exported functions this worker runs (repeatable):
                          a path relative to the current directory, or a package name
  --concurrency <n>       local worker processes (default: the number of CPUs)
  --name <pool>           the pool to serve (default: jobs)
  --start-method <m>      spawn (default) or thread
  --lease <ms>            the worker counts as dead after this long without a heartbeat (default 10000)
  --tls-ca <file>         CA certificate (PEM) to verify the Redis server with (implies TLS)
  --password-env <VAR>    read the Redis password from this environment variable
  -q, --quiet             no progress messages
  -h, --help`;

function fail(msg: string): never {
  process.stderr.write(`multiproc: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command !== 'worker') fail(`unknown command '${command}'`);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        redis: { type: 'string' },
        import: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        name: { type: 'string' },
        'start-method': { type: 'string' },
        lease: { type: 'string' },
        'tls-ca': { type: 'string' },
        'password-env': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const url = (values.redis as string | undefined) ?? process.env.MULTIPROC_REDIS ?? process.env.REDIS_URL;
  if (!url) fail('give the Redis URL with --redis');
  const imports = (values.import as string[] | undefined) ?? [];
  if (imports.length === 0) fail('give at least one module to serve with --import');
  const num = (k: string): number | undefined => {
    const v = values[k] as string | undefined;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) fail(`--${k} must be an integer >= 1, got '${v}'`);
    return n;
  };
  const startMethod = values['start-method'] as string | undefined;
  if (startMethod !== undefined && startMethod !== 'spawn' && startMethod !== 'thread') {
    fail(`--start-method must be spawn or thread, got '${startMethod}'`);
  }
  const extra: RedisOptions = {};
  if (values['tls-ca']) extra.tls = { ca: readFileSync(values['tls-ca'] as string) };
  if (values['password-env']) {
    const pw = process.env[values['password-env'] as string];
    if (pw === undefined) fail(`the environment variable ${String(values['password-env'])} is not set`);
    extra.password = pw;
  }
  const redis: string | RedisOptions = Object.keys(extra).length ? parseUrl(url, extra) : url;
  const log = values.quiet ? () => {} : (m: string) => process.stderr.write(`[multiproc worker] ${m}\n`);

  const worker = await Worker.start({
    redis,
    imports,
    concurrency: num('concurrency'),
    name: values.name as string | undefined,
    startMethod: startMethod as 'spawn' | 'thread' | undefined,
    lease: num('lease'),
    log,
  });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`${sig}: draining ${worker.running} running task(s); send it again to stop now`);
      worker.drain().then(
        () => process.exit(0),
        (e: unknown) => {
          log(`drain failed: ${(e as Error)?.message}`);
          process.exit(1);
        },
      );
    } else {
      log(`${sig}: stopping now; unfinished tasks go back to the queue`);
      worker.stop().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** URL + extra options -> ioredis options (ioredis parses the URL). */
function parseUrl(url: string, extra: RedisOptions): RedisOptions {
  const u = new URL(url);
  const opts: RedisOptions = {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
  };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') opts.tls = {};
  return { ...opts, ...extra };
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`multiproc: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
