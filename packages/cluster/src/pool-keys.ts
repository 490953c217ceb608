/**
 * The pool's data in Redis, and the scripts that move tasks between its lists. Every key of
 * pool `name` starts with `mp:{pool:<name>}:` (one hash slot).
 *
 *   pending               list of task ids waiting for a worker (workers BLMOVE from the right)
 *   tasks                 hash id -> payload: dumps({ fn: { module, name }, star, items })
 *   meta                  hash id -> "<attempts>:<maxAttempts>"
 *   processing:<wid>      list of the ids worker <wid> is running (the reliable-queue pattern)
 *   alive:<wid>           the worker's lease: exists while it heartbeats (PX lease)
 *   workers               hash wid -> concurrency, of every worker that registered
 *   results:<client>      list of result messages for caller <client>: "<id>|ok|<dumps(values)>",
 *                         "<id>|err|<dumps(error)>", "<id>|lost|<reason>"
 *   epoch                 random token; a different one after reconnecting means Redis lost its data
 *
 * Task ids are "<client>.<seq>". A task is done when its `tasks` entry is deleted, which
 * happens once (complete/requeue are atomic scripts), so a re-run's result is never delivered
 * twice; the caller also drops a second result for an id it already has.
 */
import { Script } from './script.js';

export function poolPrefix(name: string): string {
  return `mp:{pool:${name}}:`;
}

const REQUEUE = `
local P = ARGV[1]
local function requeue(id, reason, charge)
  if redis.call('HEXISTS', P..'tasks', id) == 0 then return 0 end
  local m = redis.call('HGET', P..'meta', id) or '0:3'
  local a, mx = string.match(m, '^(%d+):(%d+)')
  a = tonumber(a) or 0
  mx = tonumber(mx) or 3
  if charge then a = a + 1 end
  if a >= mx then
    redis.call('HDEL', P..'tasks', id)
    redis.call('HDEL', P..'meta', id)
    local rk = P..'results:'..string.match(id, '^([^.]+)')
    redis.call('RPUSH', rk, id..'|lost|'..reason..' (attempt '..a..' of '..mx..')')
    redis.call('PEXPIRE', rk, 86400000)
    return 2
  end
  redis.call('HSET', P..'meta', id, a..':'..mx)
  redis.call('RPUSH', P..'pending', id)
  return 1
end
`;

/** ARGV: prefix, wid, id, msg. Records the result once; returns 1 if delivered. */
export const completeScript = new Script(`
local P = ARGV[1]
redis.call('LREM', P..'processing:'..ARGV[2], 1, ARGV[3])
if redis.call('HDEL', P..'tasks', ARGV[3]) == 0 then return 0 end
redis.call('HDEL', P..'meta', ARGV[3])
local rk = P..'results:'..string.match(ARGV[3], '^([^.]+)')
redis.call('RPUSH', rk, ARGV[4])
redis.call('PEXPIRE', rk, 86400000)
return 1
`);

/** ARGV: prefix, wid, id, reason. The worker process running `id` died: re-run it, or give up. */
export const failScript = new Script(`${REQUEUE}
redis.call('LREM', P..'processing:'..ARGV[2], 1, ARGV[3])
return requeue(ARGV[3], ARGV[4], true)
`);

/**
 * ARGV: prefix, releaseWid. With a wid: that worker stops cleanly; its tasks go back to
 * pending without charging an attempt. Without (''): re-queues the tasks of every registered
 * worker whose lease expired, charging an attempt. Returns { live workers, their slots, moved }.
 */
export const reapScript = new Script(`${REQUEUE}
local function drop(wid, reason, charge)
  local pk = P..'processing:'..wid
  local ids = redis.call('LRANGE', pk, 0, -1)
  for i = #ids, 1, -1 do requeue(ids[i], reason, charge) end
  redis.call('DEL', pk)
  redis.call('HDEL', P..'workers', wid)
  return #ids
end
if ARGV[2] ~= '' then
  redis.call('DEL', P..'alive:'..ARGV[2])
  return {0, 0, drop(ARGV[2], 'released', false)}
end
local live, slots, moved = 0, 0, 0
local all = redis.call('HGETALL', P..'workers')
for i = 1, #all, 2 do
  local wid = all[i]
  if redis.call('EXISTS', P..'alive:'..wid) == 1 then
    live = live + 1
    slots = slots + (tonumber(all[i + 1]) or 1)
  else
    moved = moved + drop(wid, 'the worker running it ('..wid..') stopped responding: killed, crashed or cut off', true)
  end
end
return {live, slots, moved}
`);

/** Splits a result message "<id>|<status>|<payload>". */
export function parseResult(msg: Buffer): { id: string; status: string; payload: Buffer } {
  const a = msg.indexOf(0x7c);
  const b = msg.indexOf(0x7c, a + 1);
  return {
    id: msg.subarray(0, a).toString(),
    status: msg.subarray(a + 1, b).toString(),
    payload: msg.subarray(b + 1),
  };
}

/** Builds a result message. */
export function resultMessage(
  id: string,
  status: 'ok' | 'err' | 'lost',
  payload: Uint8Array | string,
): Buffer {
  return Buffer.concat([
    Buffer.from(`${id}|${status}|`),
    typeof payload === 'string' ? Buffer.from(payload) : payload,
  ]);
}
