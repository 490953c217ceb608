/**
 * Connecting a {@link Transport} to its server over a socket: `Client()` with the HMAC
 * challenge, then (fast-client.ts) the move to shared-memory rings when the server is in this
 * process tree. The socket then stays open as the liveness signal of the connection; for
 * remote servers it carries every frame.
 */
import { Client, type SocketConnection } from '@multiproc/pipe';
import { ManagerError } from './errors.js';
import { type FastLink, tryFastPath } from './fast-client.js';
import { formatAddress } from './protocol.js';
import type { Transport } from './transport.js';

/** @internal Connects `t` (socket, then the fast path if possible) and reads its socket until EOF. */
export async function connect(t: Transport): Promise<void> {
  let conn: SocketConnection;
  let fast: FastLink | null;
  try {
    conn = await Client(t.address, { authkey: t.authkey });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.name === 'AuthenticationError') t.fail(e);
    else
      t.fail(
        new ManagerError(
          `cannot connect to the manager at ${formatAddress(t.address)} (${e?.code ?? e?.message}): ` +
            'its server is not running (was manager.shutdown() called?)',
          { cause: err },
        ),
      );
    return;
  }
  try {
    fast = await tryFastPath(conn, t);
  } catch (err) {
    conn.close();
    t.fail(
      new ManagerError(
        `lost the connection to the manager at ${formatAddress(t.address)} while setting it up ` +
          `(${(err as Error).message})`,
        { cause: err },
      ),
    );
    return;
  }
  if (fast) t.attach(fast);
  else {
    // `ref`/`unref` are used when the connection offers them (an idle manager connection then
    // does not keep the program alive, as in Python).
    const refable = conn as unknown as { ref?(): void; unref?(): void };
    t.attach({
      kind: 'socket',
      send: (bytes) => conn.sendBytes(bytes),
      close: () => conn.close(),
      ref: refable.ref?.bind(conn),
      unref: refable.unref?.bind(conn),
    });
  }
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await conn.recvBytes();
    } catch (err) {
      fast?.ended(); // replies the server wrote before it went away still count
      t.fail(
        new ManagerError(
          `lost the connection to the manager at ${formatAddress(t.address)}: its server shut down or ` +
            `died (${(err as Error).message})`,
          { cause: err },
        ),
      );
      return;
    }
    t.receive(bytes);
  }
}
