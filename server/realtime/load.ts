// How far behind this process runs: a timer asks to fire every TICK_MS and the lag is how much
// later it does. Past its capacity a process reads more from its sockets in each turn of the
// event loop than it can handle in time: its turns grow, and the lag with them. The chat asks new
// messages to come back in a moment while the lag is above a threshold (decision 0016), rather
// than answering everyone later and later and missing its sockets' pings.
const TICK_MS = 50;

export class LoopLag {
  #previous = 0;
  #last = 0;
  #expected = performance.now() + TICK_MS;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#previous = this.#last;
      this.#last = Math.max(0, now - this.#expected);
      this.#expected = now + TICK_MS;
    }, TICK_MS);
    this.#timer.unref();
  }

  /**
   * The lag the loop keeps: the smaller of the last two ticks' (the current one counting as soon
   * as it is late). One long pause (a collection, a big synchronous task) is not an overload; two
   * late ticks in a row are.
   */
  get ms(): number {
    const current = Math.max(this.#last, performance.now() - this.#expected);
    return Math.min(this.#previous, current);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
