// The idle lock: nothing touched in the main window for the set time → `onidle` (锁屏).

import { systemClock, type Clock, type TimerId } from './clock';

/** What counts as the clerk being at the desk (seen in the capture phase: dialogs that keep their keys still count). */
export const ACTIVITY_EVENTS = ['keydown', 'mousedown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;

export interface IdleWatch {
  /** Idle time (ms) after which `onidle` runs; 0 disarms. Arming or changing it starts the count afresh. */
  arm(ms: number): void;
  /** Something happened now (the listeners call it too). */
  poke(): void;
  /** Remove the listeners and the timer. */
  stop(): void;
}

/**
 * Watch `target` for activity. When armed and nothing happened for the set time, `onidle` runs
 * once; the count then starts again (so a lock that failed is tried again one period later).
 * Time and the timer come from `clock` (a `ManualClock` in tests).
 */
export function watchIdle(target: EventTarget, onidle: () => void, clock: Clock = systemClock): IdleWatch {
  let limit = 0;
  let last = clock.now();
  let timer: TimerId | undefined;

  function schedule() {
    clock.clear(timer);
    timer = undefined;
    if (limit <= 0) return;
    timer = clock.after(Math.max(0, last + limit - clock.now()), check);
  }

  function check() {
    timer = undefined;
    if (limit <= 0) return;
    if (clock.now() - last >= limit) {
      last = clock.now();
      schedule();
      onidle();
    } else {
      schedule(); // there was activity meanwhile: wait for the rest
    }
  }

  // Cheap on purpose (pointermove fires often): only the time is noted; `check` does the rest.
  function poke() {
    last = clock.now();
  }

  const options: AddEventListenerOptions = { capture: true, passive: true };
  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, poke, options);

  return {
    arm(ms: number) {
      const next = Number.isFinite(ms) && ms > 0 ? ms : 0;
      if (next === limit) return;
      limit = next;
      last = clock.now();
      schedule();
    },
    poke,
    stop() {
      limit = 0;
      clock.clear(timer);
      timer = undefined;
      for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, poke, options);
    },
  };
}
