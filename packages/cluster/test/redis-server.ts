/**
 * Starts a throw-away redis-server for a test file: 127.0.0.1, a free port, its own temp dir,
 * no persistence. When redis-server is not installed, `available` is false and the cluster
 * suites skip with a loud notice (CI installs it: see README).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const available = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export function warnUnavailable(suite: string): void {
  if (available) return;
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPED: ${suite}: redis-server is not installed, so the @multiproc/cluster tests\n` +
      `!! against a real Redis did not run. Install it (Debian: apt-get install -y redis-server).\n${bar}\n`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  proc: ChildProcess;
  /** Kills the server and starts an empty one on the same port (a restart without persistence). */
  restart(): Promise<void>;
  /** Stops the server (SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-redis-'));
  port ??= await freePort();
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((r) => {
    if (proc.exitCode !== null || proc.signalCode !== null) r();
    else proc.once('exit', () => r());
  });
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await server.stop();
      const next = await startRedis(port);
      Object.assign(server, { proc: next.proc, stop: next.stop, restart: next.restart });
    },
  };
  return server;
}
