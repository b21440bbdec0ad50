// The one clock the UI's services read time and timers from. Components and services never
// call Date.now, setTimeout or setInterval themselves: they are given a Clock, the real one in
// the app and a manual one in tests (`ManualClock`), so debounce, polling and idle timers are
// driven step by step without waiting or faking globals.

export type TimerId = number;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; returns an id for `clear`. */
  after(ms: number, fn: () => void): TimerId;
  /** Runs `fn` every `ms` until cleared. */
  every(ms: number, fn: () => void): TimerId;
  /** Cancels a timer made by `after` or `every` (an unknown or spent id is ignored). */
  clear(id: TimerId | undefined): void;
}

/** The browser's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => window.setTimeout(fn, ms),
  every: (ms, fn) => window.setInterval(fn, ms),
  clear: (id) => {
    if (id === undefined) return;
    window.clearTimeout(id);
    window.clearInterval(id);
  },
};

interface Pending {
  at: number;
  fn: () => void;
  /** Repeat period; 0 for a one-shot. */
  every: number;
}

/**
 * A clock that moves only when told (tests): `advance(ms)` runs every timer due in that span,
 * in time order, at its own instant (`now()` reads that instant inside the callback).
 */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<TimerId, Pending>();

  constructor(start = Date.UTC(2026, 11, 5, 1, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn, every: 0 });
    return id;
  }

  every(ms: number, fn: () => void): TimerId {
    const id = this.nextId++;
    const period = Math.max(1, ms);
    this.timers.set(id, { at: this.time + period, fn, every: period });
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id !== undefined) this.timers.delete(id);
  }

  /** How many timers are set (a stopped service leaves none). */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [TimerId, Pending] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      const [id, t] = due;
      this.time = Math.max(this.time, t.at);
      if (t.every > 0) t.at += t.every;
      else this.timers.delete(id);
      t.fn();
    }
    this.time = end;
  }
}
