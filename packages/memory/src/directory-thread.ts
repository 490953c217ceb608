/**
 * The block directory thread's program (see directory.ts for what the directory is and when it
 * starts). Self-contained (a type import only, no module-scope references): directory.ts evaluates
 * its source text in a worker of its own.
 *
 * Messages on a worker's port: `attach` (a child's port handed over, with the first message the
 * root took off it), `export` (blocks), `lookup`, `create`/`open`/`unlink` (named blocks),
 * `release`. Answers carry the request's `seq` and set its reply flag (Atomics.notify), because
 * the asker is blocked in Atomics.wait.
 */
/** The directory thread. Self-contained: its source is evaluated in a worker of its own. */
import type { MessagePort } from 'node:worker_threads';

export function directoryMain(wt: typeof import('node:worker_threads')): void {
  const buffers = new Map<string, SharedArrayBuffer>();
  // Released ids answer "gone" at once instead of parking the lookup until it times out.
  const released = new Set<string>();
  const names = new Map<string, { id: string; sab: SharedArrayBuffer }>();
  const parked = new Map<string, Array<[MessagePort, any]>>();
  const answer = (to: MessagePort, req: any, reply: Record<string, unknown>) => {
    to.postMessage({ ...reply, seq: req.seq });
    const f = new Int32Array(req.flag);
    Atomics.store(f, 0, 1);
    Atomics.notify(f, 0);
  };
  const remember = (id: string, sab: SharedArrayBuffer) => {
    buffers.set(id, sab);
    for (const [to, req] of parked.get(id) ?? []) answer(to, req, { sab });
    parked.delete(id);
  };
  const listen = (p: MessagePort, first?: any) => {
    const onMessage = (m: any) => {
      switch (m.op) {
        case 'attach':
          listen(m.port, m.first);
          break;
        case 'export':
          for (const [id, sab] of m.blocks as Array<[string, SharedArrayBuffer]>) {
            released.delete(id);
            remember(id, sab);
          }
          break;
        case 'lookup': {
          const sab = buffers.get(m.id);
          if (sab) answer(p, m, { sab });
          else if (released.has(m.id)) answer(p, m, { sab: null });
          else parked.set(m.id, [...(parked.get(m.id) ?? []), [p, m]]);
          break;
        }
        case 'create':
          if (names.has(m.name)) answer(p, m, { ok: false });
          else {
            names.set(m.name, { id: m.id, sab: m.sab });
            remember(m.id, m.sab);
            answer(p, m, { ok: true });
          }
          break;
        case 'open': {
          const entry = names.get(m.name);
          answer(p, m, entry ? { id: entry.id, sab: entry.sab } : { sab: null });
          break;
        }
        case 'release':
          buffers.delete(m.id);
          released.add(m.id);
          break;
        case 'unlink':
          answer(p, m, { ok: names.delete(m.name) });
          break;
      }
    };
    // A message the root took off the port of a child that had exited: it came first.
    if (first) onMessage(first);
    p.on('message', onMessage);
  };
  listen(wt.workerData.port);
}
