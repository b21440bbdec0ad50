// The calling bar (叫号栏): the window's queue as the backend last answered, the calling
// commands (叫号, 重呼, 到号, 过号, 转移, 暂停/恢复, 现场取号 — the offline queue included, the
// backend answers for it), 请评价, the poll that keeps the waiting count current, the busy flag,
// the last action's flash or error, and the state of the bar's two dialogs (转移, 现场取号).
// Components render it and dispatch to it; focus and keys stay in the components.

import {
  errorMessage,
  inviteRating,
  queueCallNext,
  queueSetWindow,
  queueStatus,
  queueStep,
  queueTransfer,
  queueWalkIn,
  type Flash,
  type QueueTarget,
  type QueueView,
  type TicketView,
  type WindowState,
} from '../../ipc';
import { systemClock, type Clock, type TimerId } from '../clock';
import { InjectionToken } from '../context';

/** The waiting count is refreshed this often (the backend asks the hub for this window). */
export const QUEUE_POLL_MS = 5000;

/** What `queueStep` does to the current ticket (the command takes it as a plain string). */
export type QueueStep = 'recall' | 'serve' | 'no_show';

/** The view's window state, or null before the first answer. */
export function windowStateOf(view: QueueView | null): WindowState | null {
  return view?.window_state ?? null;
}

/** The transfer list's option value for a window (`w:<number>`) or a business (`d:<code>`). */
export const TRANSFER_TO_WINDOW = 'w:';
export const TRANSFER_TO_DOMAIN = 'd:';

export interface QueueServiceOptions {
  /** Timers of the poll (default: the browser's). */
  clock?: Clock;
  /** The screen is locked: no polling (the backend refuses the queue until someone signs in). */
  locked?: () => boolean;
}

export class QueueService {
  view = $state.raw<QueueView | null>(null);
  /** The last action's result; polls answer without one, so it stays until the next action. */
  flash = $state.raw<Flash | null>(null);
  error = $state<string | null>(null);
  /** A command is running: no second one. */
  busy = $state(false);

  // ---- 转移 dialog
  transferOpen = $state(false);
  /** `w:<window number>` or `d:<domain code>`; '' until the clerk chooses. */
  transferTarget = $state('');
  transferError = $state<string | null>(null);

  // ---- 现场取号 dialog (only when the window serves several businesses)
  walkInOpen = $state(false);
  /** A domain code; '' until the clerk chooses. */
  walkInDomain = $state('');
  walkInError = $state<string | null>(null);

  /** A dialog of the bar is on screen: the bar and the calling keys wait. */
  readonly dialogOpen = $derived(this.transferOpen || this.walkInOpen);
  readonly ready = $derived(this.view !== null && this.view.reason === null);
  readonly disabled = $derived(!this.ready || this.busy);
  readonly current = $derived<TicketView | null>(this.view?.current ?? null);
  readonly windowState = $derived(windowStateOf(this.view));
  readonly paused = $derived(this.windowState === 'paused' || this.windowState === 'closed');
  /** A ticket is not transferred to the business it is already in. */
  readonly transferDomains = $derived<QueueTarget[]>(
    (this.view?.transfer_domains ?? []).filter((d) => this.current === null || d.code !== this.current.domain),
  );
  readonly transferWindows = $derived<QueueTarget[]>(this.view?.transfer_windows ?? []);
  /** Rows of the list: every target and the two group headings, 4 to 12. */
  readonly transferSize = $derived(
    Math.min(12, Math.max(4, this.transferWindows.length + this.transferDomains.length + 2)),
  );
  /** The businesses this window serves: a walk-in ticket is one of them. */
  readonly walkInDomains = $derived<QueueTarget[]>(this.view?.window_domains ?? []);
  /** Several businesses: 现场取号 asks which one first. */
  readonly walkInAsks = $derived(this.walkInDomains.length > 1);
  readonly walkInSize = $derived(Math.min(12, Math.max(4, this.walkInDomains.length)));

  /** Whether the screen is locked now (the bar sets it from its prop). */
  locked: () => boolean;

  private readonly clock: Clock;
  private timer: TimerId | undefined;
  /** The error on screen came from a poll (the next good poll clears it, an action's error stays). */
  private errorFromPoll = false;
  private polling = false;
  /** Answers are applied in the order the requests were made: a slow poll never undoes an action. */
  private seq = 0;
  private applied = 0;

  constructor(options: QueueServiceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.locked = options.locked ?? (() => false);
  }

  /** Reads the queue now and then every `QUEUE_POLL_MS` until `stop`. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.poll();
    this.timer = this.clock.every(QUEUE_POLL_MS, () => void this.poll());
  }

  stop(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
  }

  private accept(next: QueueView, at: number): void {
    if (at < this.applied) return;
    this.applied = at;
    this.view = next;
  }

  /** One read of the queue; skipped while another runs, a command runs or the screen is locked. */
  async poll(): Promise<void> {
    if (this.polling || this.busy || this.locked()) return;
    this.polling = true;
    const at = ++this.seq;
    try {
      this.accept(await queueStatus(), at);
      if (this.errorFromPoll) {
        this.error = null;
        this.errorFromPoll = false;
      }
    } catch (e) {
      if (this.error === null || this.errorFromPoll) {
        this.error = `叫号状态读取失败：${errorMessage(e)}`;
        this.errorFromPoll = true;
      }
    } finally {
      this.polling = false;
    }
  }

  /** Starts an action: clears the last flash and error; false when one is running or calling is not possible. */
  private begin(): boolean {
    if (this.busy || !this.ready) return false;
    this.busy = true;
    this.error = null;
    this.errorFromPoll = false;
    this.flash = null;
    return true;
  }

  /** Runs one calling command; `onfail` takes its error instead of the bar (a dialog's). */
  private async run(call: () => Promise<QueueView>, onfail?: (message: string) => void): Promise<boolean> {
    if (!this.begin()) return false;
    const at = ++this.seq;
    try {
      const next = await call();
      this.accept(next, at);
      this.flash = next.flash;
      return true;
    } catch (e) {
      const message = errorMessage(e);
      if (onfail) onfail(message);
      else this.error = message;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** 叫号: the current ticket is done, the next is called. */
  callNext(): Promise<boolean> {
    return this.run(queueCallNext);
  }

  /** 重呼, 到号 or 过号 on the current ticket. */
  step(action: QueueStep): Promise<boolean> {
    return this.run(() => queueStep(action));
  }

  /** 暂停 an open window, 恢复 a paused or closed one. */
  togglePause(): Promise<boolean> {
    const next: WindowState = this.paused ? 'open' : 'paused';
    return this.run(() => queueSetWindow(next));
  }

  /** 请评价: the applicant's screen asks for a rating of the service; the answer is a flash. */
  async invite(): Promise<void> {
    if (!this.begin()) return;
    try {
      this.flash = await inviteRating();
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.busy = false;
    }
  }

  // ---------------------------------------------------------------- 转移

  /** Opens the 转移 dialog afresh; false when it cannot open now. */
  openTransfer(): boolean {
    if (this.disabled || this.dialogOpen) return false;
    this.transferTarget = '';
    this.transferError = null;
    this.transferOpen = true;
    return true;
  }

  closeTransfer(): void {
    this.transferOpen = false;
    this.transferError = null;
  }

  /**
   * Transfers the current ticket to `target` (an option value of the list). True: done, the
   * dialog closed; false: it stays open with the reason; null: a command is running, nothing done.
   */
  async confirmTransfer(target: string): Promise<boolean | null> {
    if (this.busy) return null;
    if (target === '') {
      this.transferError = '请选择转到哪个窗口，或哪个业务';
      return false;
    }
    const call = target.startsWith(TRANSFER_TO_WINDOW)
      ? () => queueTransfer(Number(target.slice(TRANSFER_TO_WINDOW.length)), null)
      : () => queueTransfer(null, target.slice(TRANSFER_TO_DOMAIN.length));
    this.transferError = null;
    const done = await this.run(call, (message) => (this.transferError = message));
    if (done) {
      this.closeTransfer();
      return true;
    }
    if (this.transferError === null) this.transferError = '叫号暂不可用，未能转移';
    return false;
  }

  // ---------------------------------------------------------------- 现场取号

  /**
   * 现场取号: one business takes the ticket at once. True when the window serves several and
   * the clerk must choose (the caller opens the dialog).
   */
  walkIn(): boolean {
    if (this.disabled || this.dialogOpen) return false;
    if (this.walkInDomains.length === 0) {
      this.error = '叫号配置中本窗口没有办理的业务，不能现场取号';
      this.errorFromPoll = false;
      this.flash = null;
      return false;
    }
    if (this.walkInAsks) return true;
    const code = this.walkInDomains[0].code;
    void this.run(() => queueWalkIn(code));
    return false;
  }

  /** Opens the 现场取号 dialog afresh; false when it cannot open now. */
  openWalkIn(): boolean {
    if (this.disabled || this.dialogOpen) return false;
    this.walkInDomain = '';
    this.walkInError = null;
    this.walkInOpen = true;
    return true;
  }

  closeWalkIn(): void {
    this.walkInOpen = false;
    this.walkInError = null;
  }

  /** Takes a ticket of the business `code`; the answer is as `confirmTransfer`'s. */
  async confirmWalkIn(code: string): Promise<boolean | null> {
    if (this.busy) return null;
    if (code === '') {
      this.walkInError = '请选择办理哪个业务';
      return false;
    }
    this.walkInError = null;
    const done = await this.run(
      () => queueWalkIn(code),
      (message) => (this.walkInError = message),
    );
    if (done) {
      this.closeWalkIn();
      return true;
    }
    if (this.walkInError === null) this.walkInError = '叫号暂不可用，未能取号';
    return false;
  }
}

export const QUEUE_SERVICE = new InjectionToken<QueueService>('QueueService');
