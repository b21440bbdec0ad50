// The applicant-facing screen's state (办事人确认与评价屏): the view the backend sends whenever
// it changes (`applicant-screen`), a read every SAFETY_POLL_MS as the safety net (timers from the
// injected `Clock`), and the rating the applicant is choosing and sending.
// This window may call only `applicantScreen` and `applicantRate`.

import {
  applicantRate,
  applicantScreen,
  errorMessage,
  onApplicantScreen,
  type ApplicantScreenView,
  type RatingLevel,
  type ScreenMode,
} from '../../ipc';
import { systemClock, type Clock, type TimerId } from '../clock';
import { InjectionToken } from '../context';

/**
 * The backend sends the view whenever it changes (`applicant-screen`); asking this often as
 * well is only the safety net.
 */
export const SAFETY_POLL_MS = 30_000;
/** The backend refuses longer comments (counted in characters). */
export const COMMENT_MAX = 200;

/** The screen's mode: the backend's (`ScreenMode`), or `loading` before the first view. */
export type ShownMode = ScreenMode | 'loading';

export class ApplicantScreenService {
  /** The view shown; null before the first. */
  view = $state.raw<ApplicantScreenView | null>(null);
  /** The last read failed: the screen keeps what it showed and says it is not current. */
  pollFailed = $state(false);

  // ---- the rating being chosen
  chosen = $state<number | null>(null);
  reasons = $state<string[]>([]);
  comment = $state('');
  submitting = $state(false);
  rateError = $state<string | null>(null);

  readonly mode = $derived<ShownMode>(this.view?.mode ?? 'loading');
  readonly applicantCase = $derived(this.view?.case ?? null);
  /** Anything but a rating, a thank-you or a case to check is the welcome. */
  readonly idle = $derived(
    !(
      this.mode === 'rate' ||
      this.mode === 'thanks' ||
      (this.mode === 'case' && this.applicantCase !== null)
    ),
  );
  readonly levels = $derived(this.view?.levels ?? []);
  readonly chosenLevel = $derived<RatingLevel | null>(this.levels.find((l) => l.level === this.chosen) ?? null);
  readonly needsReason = $derived(this.chosenLevel?.needs_reason ?? false);
  readonly commentLength = $derived([...this.comment].length);
  readonly canSubmit = $derived(
    this.chosenLevel !== null &&
      !this.submitting &&
      (!this.needsReason || this.reasons.length > 0) &&
      (!this.needsReason || this.commentLength <= COMMENT_MAX),
  );

  private polling = false;
  /** Answers are applied in the order the requests were made: a slow poll never undoes a rating. */
  private seq = 0;
  private applied = 0;
  private started = false;
  private stopped = false;
  private timer: TimerId | undefined;
  private stopFeed: (() => void) | undefined;

  constructor(private readonly time: Clock = systemClock) {}

  /** Listens first, then reads (a change between the two is not missed); reads again every SAFETY_POLL_MS. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    onApplicantScreen((next) => {
      // A rating being sent answers with the screen after it; a view from before must not win.
      if (this.submitting) return;
      this.accept(next, ++this.seq);
      this.pollFailed = false;
    })
      .then((stop) => (this.stopped ? stop() : (this.stopFeed = stop)))
      .catch(() => (this.pollFailed = true));
    void this.poll();
    this.timer = this.time.every(SAFETY_POLL_MS, () => void this.poll());
  }

  /** Stops listening and reading, for good. */
  stop(): void {
    this.stopped = true;
    this.stopFeed?.();
    this.stopFeed = undefined;
    this.time.clear(this.timer);
    this.timer = undefined;
  }

  /** Reads the view (one read at a time, none while a rating is on its way). */
  async poll(): Promise<void> {
    if (this.polling || this.submitting) return;
    this.polling = true;
    const at = ++this.seq;
    try {
      this.accept(await applicantScreen(), at);
      this.pollFailed = false;
    } catch {
      this.pollFailed = true;
    } finally {
      this.polling = false;
    }
  }

  choose(level: RatingLevel): void {
    if (this.submitting) return;
    this.chosen = level.level;
    this.rateError = null;
  }

  toggleReason(reason: string): void {
    if (this.submitting) return;
    this.reasons = this.reasons.includes(reason) ? this.reasons.filter((r) => r !== reason) : [...this.reasons, reason];
    this.rateError = null;
  }

  /** Sends the rating; the answer is the screen after it. A refusal is shown and the choice kept. */
  async submit(): Promise<void> {
    const chosenLevel = this.chosenLevel;
    if (!this.canSubmit || chosenLevel === null) return;
    const level = chosenLevel.level;
    // Reasons and the comment belong to the two lowest levels only; keep the bad list's order.
    const sent = this.needsReason ? (this.view?.bad_reasons ?? []).filter((r) => this.reasons.includes(r)) : [];
    const text = this.needsReason ? this.comment.trim() : '';
    this.submitting = true;
    this.rateError = null;
    const at = ++this.seq;
    try {
      this.accept(await applicantRate(level, sent, text), at);
    } catch (e) {
      this.rateError = errorMessage(e);
    } finally {
      this.submitting = false;
    }
  }

  private resetRating(): void {
    this.chosen = null;
    this.reasons = [];
    this.comment = '';
    this.rateError = null;
  }

  private accept(next: ApplicantScreenView, at: number): void {
    if (at < this.applied) return;
    this.applied = at;
    // A new screen (the rating invited, thanked, or a case opened) starts the rating afresh.
    if (this.view === null || this.view.mode !== next.mode) this.resetRating();
    this.view = next;
  }
}

export const APPLICANT_SCREEN_SERVICE = new InjectionToken<ApplicantScreenService>('ApplicantScreenService');
