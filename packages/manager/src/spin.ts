/**
 * The adaptive spin of the shared-memory fast path: before sleeping on a shared word (waking a
 * sleeping thread through the OS costs ~20 us on these machines), spin while the answer is
 * likely to come soon. Spinning pays only while both threads have a core: on a machine that is
 * overcommitted it steals the very CPU the peer needs. So the budget doubles when a spin paid
 * off and halves when it did not, down to no spinning at all; then one wait in PROBE_EVERY spins
 * the full budget again, to find out whether the cores came back.
 */
const PROBE_EVERY = 32;

export class AdaptiveSpin {
  readonly #min: number;
  readonly #max: number;
  #us: number;
  #skipped = 0;

  /** Bounds of the budget in microseconds (below `minUs` it drops to 0: no spinning). */
  constructor(minUs: number, maxUs: number) {
    this.#min = minUs;
    this.#max = maxUs;
    this.#us = maxUs;
  }

  /** The current budget in microseconds. */
  get budget(): number {
    return this.#us;
  }

  /** Spins until `ready()` or the budget runs out; adapts the budget to the outcome. */
  spin(ready: () => boolean): boolean {
    let us = this.#us;
    if (us === 0) {
      if (++this.#skipped < PROBE_EVERY) return false;
      this.#skipped = 0;
      us = this.#max;
    }
    const end = performance.now() + us / 1000;
    do {
      for (let i = 0; i < 64; i++) {
        if (ready()) {
          this.#us = Math.min(this.#max, Math.max(this.#min, us * 2));
          return true;
        }
      }
    } while (performance.now() < end);
    const half = this.#us / 2;
    this.#us = half < this.#min ? 0 : half;
    return false;
  }
}
