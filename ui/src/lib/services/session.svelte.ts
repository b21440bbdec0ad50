// Who works at the desk and the screen lock: signing in and out, 锁屏 now (Ctrl+L, the user
// menu) or after the idle time, unlocking, and the gate that keeps the window closed while
// locked or while an enrolled desk waits for a sign-in. The focus goes back after unlocking to
// where it was when the screen locked.

import { tick } from 'svelte';
import { lockScreen, logoutUser, type DeskStatus } from '../../ipc';
import { systemClock, type Clock } from '../clock';
import { InjectionToken } from '../context';
import { watchIdle } from '../idle';
import type { OpenCaseService } from './opencase.svelte';
import type { ErrorLineState, StatusService } from './status.svelte';

/** Locked, or enrolled with nobody signed in: only signing in works. */
export function isGated(s: DeskStatus | null | undefined): boolean {
  return s?.locked === true || s?.sign_in_required === true;
}

export const NOBODY_TO_LOCK = '当前没有登录的工作人员，无需锁屏；登录（F11）后可按 Ctrl+L 锁屏。';

export interface SessionDeps {
  status: StatusService;
  opencase: OpenCaseService;
  errors: ErrorLineState;
  clock?: Clock;
  /** Where the focus goes after unlocking when the element that had it is gone or inert. */
  onunlockedfocus?: () => void;
}

export class SessionService {
  /**
   * The lock screen is up: everything behind it is inert, the open case waits untouched. An
   * enrolled desk with nobody signed in shows it too, as its sign-in screen.
   */
  readonly locked = $derived.by(() => isGated(this.status.status));
  /** The lock screen asks for a sign-in (nobody signed in), not for the password of the one who locked it. */
  readonly signIn = $derived.by(() => {
    const s = this.status.status;
    return s?.sign_in_required === true && s?.locked !== true;
  });
  /** Idle time before the screen locks by itself; 0 while nobody is signed in, already locked, or never. */
  readonly idleLimitMs = $derived.by(() => {
    const s = this.status.status;
    return s?.user && !s.locked && s.idle_lock_minutes > 0 ? s.idle_lock_minutes * 60_000 : 0;
  });

  private lockBusy = false;
  private logoutBusy = false;
  /** Where the focus was when the screen locked: it goes back there after unlocking. */
  private lockOpener: HTMLElement | null = null;
  private readonly status: StatusService;
  private readonly opencase: OpenCaseService;
  private readonly errors: ErrorLineState;
  private readonly clock: Clock;
  private readonly onunlockedfocus: () => void;

  constructor(deps: SessionDeps) {
    this.status = deps.status;
    this.opencase = deps.opencase;
    this.errors = deps.errors;
    this.clock = deps.clock ?? systemClock;
    this.onunlockedfocus = deps.onunlockedfocus ?? (() => {});
    this.status.onGate(() => this.noteLockOpener());
  }

  /**
   * 锁屏 now (Ctrl+L, the user menu, or idle). What the clerk typed into the open case is saved
   * first, so it is recorded under the clerk who typed it even if another one takes over; the
   * case itself stays open behind the lock screen.
   */
  async lockNow(): Promise<void> {
    if (this.lockBusy || this.locked) return;
    this.lockBusy = true;
    try {
      if (this.status.status?.user) await this.opencase.settleDraft(); // a failure stays on the error line; the lock goes on
      const s = await lockScreen();
      this.status.accept(s);
      if (!s.locked && !s.user) this.errors.set(NOBODY_TO_LOCK);
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.lockBusy = false;
    }
  }

  /** Signed in (or switched user): only the status changes; the open case and its draft stay. */
  loggedIn(s: DeskStatus): void {
    this.status.accept(s);
  }

  /** 退出登录 from the user menu; the case stays open. */
  async logout(): Promise<void> {
    if (this.logoutBusy) return;
    this.logoutBusy = true;
    try {
      this.status.accept(await logoutUser());
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.logoutBusy = false;
    }
  }

  /** Signed in on the lock screen (the same clerk, or another taking over): back to where the focus was. */
  async unlocked(s: DeskStatus): Promise<void> {
    this.status.accept(s);
    // Refusals while locked (a poll that ran just before the lock showed) are old news now.
    this.errors.clearLockRefusal();
    await tick();
    const opener = this.lockOpener;
    this.lockOpener = null;
    if (this.locked) return;
    if (opener && opener.isConnected && !opener.closest('[inert]')) {
      opener.focus();
    } else {
      this.onunlockedfocus();
    }
  }

  /**
   * The idle lock: any key, click, wheel or pointer move on `target` counts as activity; the
   * count runs while a clerk is signed in and the screen is open. Returns the function that stops it.
   */
  watchIdle(target: EventTarget): () => void {
    const watch = watchIdle(target, () => void this.lockNow(), this.clock);
    const stopArming = $effect.root(() => {
      $effect(() => watch.arm(this.idleLimitMs));
    });
    return () => {
      stopArming();
      watch.stop();
    };
  }

  private noteLockOpener(): void {
    const at = document.activeElement;
    this.lockOpener = at instanceof HTMLElement && at !== document.body && !at.closest('#lock-screen') ? at : null;
  }
}

export const SESSION = new InjectionToken<SessionService>('SessionService');
