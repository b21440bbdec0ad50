// 查看完整信息, the case screen's reveal: its own small service, owned by CaseScreenService.
import { tick } from 'svelte';
import { errorMessage, revealApplicant, type CaseView, type RevealView } from '../../ipc';
import { type Clock, type TimerId } from '../clock';
import { FocusReturn, focusId } from '../focus';

// ---- 查看完整信息: past the draft the backend masks the applicant's numbers; the clerk sees
// them whole after giving a reason (the backend audits it). The whole values live only in
// `revealed`, for REVEAL_MS at most, and only for the case they came from.

/** The whole values hide themselves after this long. */
export const REVEAL_MS = 60_000;

/** What the reveal reads from the screen it belongs to. */
export interface RevealScreen {
  readonly view: CaseView;
  /** Another dialog or the preview is open. */
  readonly modal: boolean;
  pending: number;
}

export class CaseReveal {
  private readonly screen: RevealScreen;
  private readonly clock: Clock;

  /** The reason dialog is open. */
  open = $state(false);
  reason = $state('');
  error = $state<string | null>(null);
  /** The reason is with the backend. */
  busy = $state(false);
  private revealed = $state.raw<{ caseId: string; values: RevealView } | null>(null);
  /** The case the reason dialog was opened for. */
  private openFor: string | null = null;
  private readonly opener = new FocusReturn();
  private timer: TimerId | undefined;

  /** 查看完整信息 is offered past the draft, when there is an applicant whose numbers are masked. */
  readonly offered = $derived.by(() => {
    const view = this.screen.view;
    return (
      !view.editable &&
      [
        view.applicant_masked,
        view.applicant.number,
        view.applicant.phone,
        view.applicant.address,
        view.applicant.agent_id_number,
        view.applicant.agent_phone,
      ].some((v) => v.trim() !== '')
    );
  });

  /** The whole values, only for the case on screen and only while it is not a draft. */
  readonly shown = $derived.by(() => {
    const view = this.screen.view;
    const r = this.revealed;
    return r !== null && r.caseId === view.id && !view.editable ? r.values : null;
  });

  constructor(screen: RevealScreen, clock: Clock) {
    this.screen = screen;
    this.clock = clock;
  }

  /** Opens the reason dialog (when offered and nothing else is open), the reason focused. */
  openDialog = async () => {
    if (!this.offered || this.screen.modal) return;
    this.opener.note();
    this.openFor = this.screen.view.id;
    this.reason = '';
    this.error = null;
    this.open = true;
    await tick();
    focusId('reveal-reason');
  };

  /** Closes the reason dialog; the focus goes back where it was (or to 查看完整信息). */
  close = async () => {
    this.open = false;
    this.reason = '';
    this.error = null;
    this.openFor = null;
    if (!(await this.opener.restore())) focusId('reveal-open');
  };

  /** Sends the reason; the whole values show for this case, or the backend's sentence shows in the dialog. */
  confirm = async () => {
    if (!this.open || this.busy) return;
    const caseId = this.screen.view.id;
    // The backend decides whether the reason will do (and whether the clerk is signed in).
    const reason = this.reason.trim();
    this.busy = true;
    this.error = null;
    this.screen.pending++;
    try {
      const values = await revealApplicant(caseId, reason);
      // Cancelled meanwhile, or another case on screen: nothing is shown.
      if (!this.open || this.openFor !== caseId || this.screen.view.id !== caseId) return;
      this.show(caseId, values);
      await this.close();
    } catch (e) {
      if (!this.open || this.openFor !== caseId) return;
      this.error = errorMessage(e);
      focusId('reveal-reason');
    } finally {
      this.busy = false;
      this.screen.pending--;
    }
  };

  private show(caseId: string, values: RevealView) {
    this.clock.clear(this.timer);
    this.revealed = { caseId, values };
    this.timer = this.clock.after(REVEAL_MS, () => void this.hide());
  }

  /** The whole values go away (隐藏, Esc, after REVEAL_MS, another case); focus in the panel moves to 查看完整信息. */
  hide = async () => {
    this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.revealed === null) return;
    const hadFocus = document.getElementById('reveal-panel')?.contains(document.activeElement) ?? false;
    this.revealed = null;
    if (hadFocus) {
      await tick();
      focusId('reveal-open');
    }
  };

  /** Another case on screen (or this one back to a draft): the whole values and the dialog go. */
  viewChanged(id: string, editable: boolean) {
    const r = this.revealed;
    if (r !== null && (r.caseId !== id || editable)) void this.hide();
    if (this.open && (this.openFor !== id || editable)) void this.close();
  }

  /** The screen goes: no timer is left behind. */
  stop() {
    this.clock.clear(this.timer);
    this.timer = undefined;
  }
}
