/**
 * Pending async calls of the socket side, abortable: `recv` on a SocketConnection and `accept`
 * on a Listener park in FIFO order until their turn comes (without losing what would have been
 * handed to them on abort); `poll` watches for a change until a timeout.
 */

/** @internal A pending call, parked in a FIFO queue until its turn comes. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * @internal Parks a waiter at the end of `queue`. Aborting takes it out of the queue before
 * anything was handed to it, so an aborted `recv`/`accept` never loses a message or a client.
 */
export function park<T, E extends object = object>(
  queue: (Waiter<T> & E)[],
  signal: AbortSignal | undefined,
  extra?: E,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      reject(signal!.reason);
    };
    const waiter: Waiter<T> & E = {
      ...(extra as E),
      resolve: (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      reject: (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(waiter);
  });
}

/**
 * @internal Waits for a change: `check` runs each time the owner calls the watchers (true:
 * resolve true; false: keep waiting; a throw: reject with it). Resolves `check()` after `ms`
 * (`null`: no limit); rejects with `signal.reason` on abort.
 */
export function watch(
  watchers: Set<() => void>,
  ms: number | null,
  signal: AbortSignal | undefined,
  check: () => boolean,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const finish = () => {
      watchers.delete(wake);
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const wake = () => {
      let ready: boolean;
      try {
        ready = check();
      } catch (err) {
        finish();
        reject(err);
        return;
      }
      if (ready) {
        finish();
        resolve(true);
      }
    };
    const onAbort = () => {
      finish();
      reject(signal!.reason);
    };
    const timer =
      ms === null
        ? undefined
        : setTimeout(() => {
            finish();
            try {
              resolve(check());
            } catch (err) {
              reject(err);
            }
          }, ms);
    watchers.add(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
