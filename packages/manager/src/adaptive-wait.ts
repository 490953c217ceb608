/**
 * The adaptive wait of the shared-memory fast path, before an async sleep. A thread asleep in
 * `waitAsync` is woken through its event loop (the notifier posts it a task), while a thread
 * blocked in a synchronous wait is woken by the kernel directly; and spinning instead burns the
 * very core that the peer needs on an overcommitted machine. So a side that expects an answer
 * soon first *dozes*: a bounded synchronous wait (the ring's short spin, then `waitSync`). On a
 * loaded 2-core machine this took a one-at-a-time dict call from ~50 us (spin, then waitAsync)
 * to ~20-40 us. The budget doubles when a doze paid off and halves when it ran out, down to no
 * dozing at all (an idle peer, or a long call such as a lock acquire); then one wait in
 * PROBE_EVERY dozes the full budget again, to find out whether answers came back. The event
 * loop is blocked at most one budget at a time.
 *
 * Before the doze, a short adaptive *spin* (tens of microseconds at most): on a quiet VM whose
 * idle vCPUs sleep deeply, any kernel wake-up costs 50-150 us (CPython's own Manager then takes
 * ~130 us per call), while a peer that is already running answers within a few microseconds.
 * The spin budget adapts the same way, so on a loaded machine, where spinning steals the peer's
 * core, it soon drops to nothing and the doze does the work.
 */
const PROBE_EVERY = 32;

export class AdaptiveWait {
  readonly #min: number;
  readonly #max: number;
  #us: number;
  #skipped = 0;

  /** Bounds of the budget in microseconds (below `minUs` it drops to 0: no dozing). */
  constructor(minUs: number, maxUs: number) {
    this.#min = minUs;
    this.#max = maxUs;
    this.#us = maxUs;
  }

  /** Spins (instead of dozing: use a separate instance for the spin phase) until `ready()` or the budget runs out; adapts the budget to the outcome. */
  spin(ready: () => boolean): boolean {
    return this.wait((ms) => {
      const end = performance.now() + ms;
      do {
        for (let i = 0; i < 64; i++) if (ready()) return true;
      } while (performance.now() < end);
      return false;
    });
  }

  /** The current budget in microseconds. */
  get budget(): number {
    return this.#us;
  }

  /**
   * Runs `attempt(budgetMs)` (a bounded synchronous wait that says whether the answer came)
   * unless the budget is 0 right now; adapts the budget to the outcome.
   */
  wait(attempt: (budgetMs: number) => boolean): boolean {
    let us = this.#us;
    if (us === 0) {
      if (++this.#skipped < PROBE_EVERY) return false;
      this.#skipped = 0;
      us = this.#max;
    }
    if (attempt(us / 1000)) {
      this.#us = Math.min(this.#max, Math.max(this.#min, us * 2));
      return true;
    }
    const half = us / 2;
    this.#us = half < this.#min ? 0 : half;
    return false;
  }
}
