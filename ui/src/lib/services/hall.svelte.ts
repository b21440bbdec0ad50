// The hall display's (叫号屏) state: the hub's board as the backend pushes it (`hall-board`),
// asked for again every few seconds in case an event was missed, the calls new since the board
// before (highlighted for a while) and the wall clock. Timers come from the injected `Clock`.
// This window may call only `hallBoard` (and listen to `hall-board`).

import { errorMessage, hallBoard, onHallBoard, type HallBoardView, type HallCallView, type WindowState } from '../../ipc';
import { systemClock, type Clock, type TimerId } from '../clock';
import { InjectionToken } from '../context';

/** The board is asked for again this often, in case an event was missed. */
export const REFETCH_MS = 5000;
/** A new call stays highlighted this long (the animation runs inside it). */
export const HIGHLIGHT_MS = 5000;
/** The clock on the screen moves this often. */
export const CLOCK_TICK_MS = 1000;

/** What a window tile says about its state: nothing while open. */
const WINDOW_STATE_LABELS: Readonly<Record<WindowState, string | null>> = {
  open: null,
  paused: '暂停服务',
  closed: '未开放',
};

/** The label of a window's state on its tile, or null when it is open. */
export function windowStateLabel(state: WindowState): string | null {
  return WINDOW_STATE_LABELS[state];
}

/** Where to go, as the hall reads it: "3 号窗口（市场监管）", or "3 号窗口" with a bare name added. */
export function callWhere(c: HallCallView): string {
  const name = c.window_name.trim();
  if (name === '') return `${c.window} 号窗口`;
  if (name.startsWith(`${c.window} 号`) || name.startsWith(`${c.window}号`)) return name;
  return `${c.window} 号窗口（${name}）`;
}

/** HH:MM:SS in local time. */
export function clockText(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export class HallService {
  /** The board shown; null before the first. */
  board = $state.raw<HallBoardView | null>(null);
  /** The last ask for the board failed (cleared by the next good answer). */
  error = $state<string | null>(null);
  /** The clock's time, moved every second while started. */
  now = $state(0);
  /** Keys of the calls that arrived since the board before (highlighted for a while). */
  fresh = $state.raw<ReadonlySet<string>>(new Set());

  /** The calls to show: newest first, each key once (a keyed list must not repeat a key). */
  readonly calls = $derived.by(() => {
    const seen = new Set<string>();
    return (this.board?.calls ?? []).filter((c) => !seen.has(c.key) && (seen.add(c.key), true));
  });
  readonly windows = $derived(this.board?.windows ?? []);
  readonly clock = $derived(clockText(this.now));

  /** Keys of the last board shown; null before the first (nothing is new on the first board). */
  private lastKeys: Set<string> | null = null;
  /** Bumped by every board shown: an answer asked for before a newer board is dropped. */
  private version = 0;
  private fetching = false;
  private started = false;
  private destroyed = false;
  private readonly highlightTimers = new Set<TimerId>();
  private refetchTimer: TimerId | undefined;
  private tickTimer: TimerId | undefined;
  private unlisten: (() => void) | null = null;
  private subscribing = false;

  constructor(private readonly time: Clock = systemClock) {
    this.now = time.now();
  }

  /** Listens, asks for the board, and asks again every REFETCH_MS; the clock ticks. Once. */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    this.subscribe();
    void this.fetchBoard();
    this.refetchTimer = this.time.every(REFETCH_MS, () => {
      this.subscribe();
      void this.fetchBoard();
    });
    this.tickTimer = this.time.every(CLOCK_TICK_MS, () => (this.now = this.time.now()));
  }

  /** Stops listening, asking and ticking for good; an answer or a subscription still on its way is dropped. */
  stop(): void {
    this.destroyed = true;
    this.time.clear(this.refetchTimer);
    this.time.clear(this.tickTimer);
    for (const t of this.highlightTimers) this.time.clear(t);
    this.highlightTimers.clear();
    this.unlisten?.();
    this.unlisten = null;
  }

  /** Shows a board (from the event or an answer); calls not on the board before are highlighted. */
  show(next: HallBoardView): void {
    this.version++;
    const keys = new Set(next.calls.map((c) => c.key));
    const last = this.lastKeys;
    const arrived = last === null ? [] : [...keys].filter((k) => !last.has(k));
    this.lastKeys = keys;
    if (arrived.length > 0) {
      this.fresh = new Set([...this.fresh, ...arrived]);
      const timer = this.time.after(HIGHLIGHT_MS, () => {
        this.highlightTimers.delete(timer);
        this.fresh = new Set([...this.fresh].filter((k) => !arrived.includes(k)));
      });
      this.highlightTimers.add(timer);
    }
    this.board = next;
  }

  /** Asks for the board (one ask at a time); an event that came meanwhile is newer and wins. */
  async fetchBoard(): Promise<void> {
    if (this.fetching || this.destroyed) return;
    this.fetching = true;
    const asked = this.version;
    try {
      const next = await hallBoard();
      if (this.destroyed) return;
      this.error = null;
      if (asked === this.version) this.show(next);
    } catch (e) {
      if (!this.destroyed) this.error = errorMessage(e);
    } finally {
      this.fetching = false;
    }
  }

  private subscribe(): void {
    if (this.unlisten !== null || this.subscribing || this.destroyed) return;
    this.subscribing = true;
    onHallBoard((b) => {
      if (!this.destroyed) this.show(b);
    })
      .then((stop) => {
        if (this.destroyed) stop();
        else this.unlisten = stop;
      })
      .catch(() => {
        // Not listening: the next refetch tries again, and the board still comes by asking.
      })
      .finally(() => {
        this.subscribing = false;
      });
  }
}

export const HALL_SERVICE = new InjectionToken<HallService>('HallService');
