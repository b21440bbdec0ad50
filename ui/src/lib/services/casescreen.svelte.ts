// The open case on the case screen: what the clerk is doing to it (busy count, decisions under
// way, the decision dialog, the document preview, the last action's flash), keeping it fresh
// (the `case-revision` feed and the safety-net poll through `pollCase`) and 查看完整信息 (the
// reason dialog and the whole values for a while). The case itself and the draft belong to
// the caller (App keeps them across modes): the service reads and writes them through its
// host, so `CaseScreen` creates one from its props. Timers run on the injected clock.

import { tick } from 'svelte';
import {
  acceptCase,
  applyApplicantCode,
  attachWaitingScan,
  deliverCase,
  dismissWaitingScan,
  errorCode,
  errorMessage,
  importFromFile,
  issueNotice,
  lookupElicences,
  moveFile,
  onCaseRevision,
  pollCase,
  previewDocument,
  readIdCard,
  refuseCase,
  reopenCase,
  reprintDocument,
  revealApplicant,
  saveIntake,
  selectSlot,
  setAsideHeldScan,
  setOverride,
  setPledge,
  setScenario,
  windowInfo,
  withdrawCase,
  type CaseView,
  type DocumentPreview,
  type ErrorCode,
  type Flash,
  type RevealView,
  type WindowInfo,
} from '../../ipc';
import {
  acceptBlockedReason,
  canReopen,
  canSortFiles,
  draftFromView,
  isDraftDirty,
  mergeApplicantReply,
  rebaseAfterSave,
  saveRequest,
  type CaseDraft,
} from '../casedraft';
import { systemClock, type Clock, type TimerId } from '../clock';
import { InjectionToken } from '../context';
import { actionFor } from '../keymap';

/**
 * The case is refetched when the backend says the window changed (`case-revision`: a scan
 * taken, a result arrived); reading it this often as well is only the safety net, so a case
 * left open on an idle desk does not cross IPC four times a second.
 */
export const SAFETY_POLL_MS = 5000;

/** The document kind of a file the approver attached to the decision (`DocumentView.kind` is a string in the bindings). */
export const RESULT_FILE_KIND = 'result_file';

export type CaseDialog =
  | { kind: 'refuse'; reason: string; basis: string }
  | { kind: 'withdraw'; reason: string }
  | { kind: 'deliver'; byPost: boolean; tracking: string; printResult: boolean };
export type CaseDialogKind = CaseDialog['kind'];

/** The field each dialog opens on. */
const DIALOG_FIRST: Readonly<Record<CaseDialogKind, string>> = {
  refuse: 'refuse-reason',
  withdraw: 'withdraw-reason',
  deliver: 'deliver-at-window',
};

/** How a reply changes the draft: keep it, or take the applicant the card/code filled in. */
type DraftEffect = 'keep' | 'applicant';

/** What the service needs from whoever shows the case (CaseScreen's props). */
export interface CaseScreenHost {
  /** The case on screen. */
  view(): CaseView;
  /** The clerk's applicant and form draft. */
  draft(): CaseDraft;
  setDraft(draft: CaseDraft): void;
  /** The cache problem panel blocks the window: no keys, no polling. */
  blocked(): boolean;
  /** A newer view of the case (a reply or a poll). */
  onview(view: CaseView): void;
  /** A Chinese sentence for the error line; null clears it. */
  onerror(message: string | null, code?: ErrorCode | null): void;
}

/** The element that has the focus, to give it back when a dialog closes. */
export function focused(): HTMLElement | null {
  return document.activeElement instanceof HTMLElement ? document.activeElement : null;
}

function focusId(id: string) {
  document.getElementById(id)?.focus();
}

export class CaseScreenService {
  private readonly host: CaseScreenHost;
  readonly clock: Clock;
  /** 查看完整信息: the reason dialog and the whole values. */
  readonly reveal: CaseReveal;

  info = $state<WindowInfo | null>(null);
  flash = $state<Flash | null>(null);
  /** Commands under way (the header's 处理中…). */
  pending = $state(0);
  /** 受理 / 告知书 / 不予受理 / 撤回 / 继续办理 running: no second one. */
  deciding = $state(false);
  dialog = $state<CaseDialog | null>(null);
  dialogError = $state<string | null>(null);
  preview = $state<DocumentPreview | null>(null);

  private dialogOpener: HTMLElement | null = null;
  private previewOpener: HTMLElement | null = null;
  private polling = false;
  private pollAgain = false;
  private pollFailed = false;

  /** Result files the approver attached, fetched with the decision. */
  readonly resultFiles = $derived(this.view.documents.filter((d) => d.kind === RESULT_FILE_KIND));
  readonly dirty = $derived(isDraftDirty(this.draft, this.view));
  readonly blockedReason = $derived(acceptBlockedReason(this.view));
  /** Files can be sorted and added. */
  readonly sortable = $derived(canSortFiles(this.view));
  /** A dialog or the preview is open: the screen behind is inert and most keys wait. */
  readonly modal = $derived.by(() => this.dialog !== null || this.preview !== null || this.reveal.open);

  constructor(host: CaseScreenHost, clock: Clock = systemClock) {
    this.host = host;
    this.clock = clock;
    this.reveal = new CaseReveal(this, clock);
  }

  get view(): CaseView {
    return this.host.view();
  }

  get draft(): CaseDraft {
    return this.host.draft();
  }

  set draft(next: CaseDraft) {
    this.host.setDraft(next);
  }

  get blocked(): boolean {
    return this.host.blocked();
  }

  /** Sends a sentence (or null) to the window's error line. */
  error(message: string | null, code?: ErrorCode | null) {
    if (code === undefined) this.host.onerror(message);
    else this.host.onerror(message, code);
  }

  /** Runs `call` counted as pending. */
  async busy<T>(call: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await call();
    } finally {
      this.pending--;
    }
  }

  // ---------------------------------------------------------------- replies
  private apply(next: CaseView, effect: DraftEffect, before: CaseView) {
    const wasEditable = this.view.editable;
    this.host.onview(next);
    if (next.flash) this.flash = next.flash;
    if (!wasEditable && next.editable) {
      this.draft = draftFromView(next);
    } else if (effect === 'applicant') {
      this.draft = mergeApplicantReply(this.draft, before, next);
    }
  }

  /** Run one command that answers with the case; its error goes to the error line (or `onfail`). */
  async act(
    call: () => Promise<CaseView>,
    opts: { effect?: DraftEffect; onfail?: (message: string) => void } = {},
  ): Promise<CaseView | null> {
    this.flash = null;
    this.error(null);
    const before = this.view;
    this.pending++;
    try {
      const next = await call();
      this.apply(next, opts.effect ?? 'keep', before);
      return next;
    } catch (e) {
      const message = errorMessage(e);
      if (opts.onfail) opts.onfail(message);
      else this.error(message, errorCode(e));
      return null;
    } finally {
      this.pending--;
    }
  }

  save = async (): Promise<CaseView | null> => {
    const view = this.view;
    if (!view.editable) {
      this.error(`办件当前为“${view.state_label}”，申请信息不能再修改`);
      return null;
    }
    const sent = saveRequest(this.draft, view);
    this.flash = null;
    this.error(null);
    this.pending++;
    try {
      const next = await saveIntake(sent);
      this.host.onview(next);
      this.draft = rebaseAfterSave(this.draft, sent, next);
      this.flash = next.flash ?? { ok: true, text: '申请信息已保存' };
      return next;
    } catch (e) {
      this.error(errorMessage(e), errorCode(e));
      return null;
    } finally {
      this.pending--;
    }
  };

  /** The case as saved, saving the draft first when it has changes. */
  private async saved(): Promise<CaseView | null> {
    return this.dirty ? this.save() : this.view;
  }

  discardDraft = () => {
    this.draft = draftFromView(this.view);
    this.flash = { ok: true, text: '已放弃未保存的修改' };
  };

  // ---------------------------------------------------------------- applicant
  readCard = () => {
    if (!this.view.editable) return;
    const id = this.view.id;
    void this.act(() => readIdCard(id), { effect: 'applicant' });
  };

  applyCode = (text: string) => {
    if (!this.view.editable || text.trim() === '') return;
    const id = this.view.id;
    void this.act(() => applyApplicantCode(id, text), { effect: 'applicant' });
  };

  lookup = async () => {
    if (!this.view.editable) return;
    const current = await this.saved();
    if (!current) return;
    await this.act(() => lookupElicences(current.id));
  };

  chooseScenario = (code: string, memberCaseId: string | null) => {
    if (!this.view.editable || code === '') return;
    const id = this.view.id;
    void this.act(() => setScenario(id, code, memberCaseId));
  };

  // ---------------------------------------------------------------- materials
  chooseSlot = (slot: number | null) => {
    if (!this.sortable) return;
    if (slot !== null && !this.view.materials.some((m) => m.slot === slot)) return;
    const id = this.view.id;
    void this.act(() => selectSlot(id, slot));
  };

  move = (sha256: string, slot: number | null) => {
    if (!this.sortable) return;
    const id = this.view.id;
    void this.act(() => moveFile(id, sha256, slot));
  };

  pledge = (slot: number, pledged: boolean) => {
    if (!this.view.editable) return;
    const id = this.view.id;
    void this.act(() => setPledge(id, slot, pledged));
  };

  private refuseNewFiles(): boolean {
    if (this.sortable) return false;
    this.error(`办件当前为“${this.view.state_label}”，不能再添加材料`);
    return true;
  }

  importFiles = () => {
    if (this.refuseNewFiles()) return;
    const id = this.view.id;
    void this.act(() => importFromFile(id));
  };

  /** A 待分配扫描件 goes where new scans land: the selected material, or the tray. */
  attachWaiting = async (scanId: number): Promise<boolean> => {
    if (this.refuseNewFiles()) return false;
    const { id, selected_slot: slot } = this.view;
    return (await this.act(() => attachWaitingScan(id, scanId, slot))) !== null;
  };

  dismissWaiting = async (scanId: number): Promise<boolean> => {
    const id = this.view.id;
    return (await this.act(() => dismissWaitingScan(id, scanId))) !== null;
  };

  setAsideHeld = (name: string) => {
    const id = this.view.id;
    void this.act(() => setAsideHeldScan(id, name));
  };

  override = (key: string, reason: string | null): Promise<CaseView | null> => {
    const id = this.view.id;
    return this.act(() => setOverride(id, key, reason));
  };

  // ---------------------------------------------------------------- decisions
  private async decide(run: () => Promise<void>) {
    if (this.deciding) return;
    this.deciding = true;
    try {
      await run();
    } finally {
      this.deciding = false;
    }
  }

  notice = () => {
    if (!this.view.editable) {
      this.error(`办件当前为“${this.view.state_label}”，不能出具一次性告知书`);
      return;
    }
    void this.decide(async () => {
      const current = await this.saved();
      if (!current) return;
      await this.act(() => issueNotice(current.id));
    });
  };

  accept = () => {
    if (!this.view.editable) return;
    void this.decide(async () => {
      const current = await this.saved();
      if (!current) return;
      const reason = acceptBlockedReason(current);
      if (reason) {
        this.error(reason);
        return;
      }
      await this.act(() => acceptCase(current.id));
    });
  };

  reopen = () => {
    if (!canReopen(this.view.state)) return;
    const id = this.view.id;
    void this.decide(async () => {
      await this.act(() => reopenCase(id));
    });
  };

  /** Ctrl+Enter: 受理 a draft, or carry on with a case the applicant came back to. */
  primary = () => {
    if (this.view.editable) {
      if (this.blockedReason && !this.dirty) {
        this.error(this.blockedReason);
        return;
      }
      this.accept();
    } else if (canReopen(this.view.state)) {
      this.reopen();
    }
  };

  // ---------------------------------------------------------------- dialogs
  openDialog = async (next: CaseDialog) => {
    this.dialogOpener = focused();
    this.dialog = next;
    this.dialogError = null;
    await tick();
    focusId(DIALOG_FIRST[next.kind]);
  };

  /** The deliver dialog with its defaults: at the window, the result files printed when there are any. */
  openDeliver = () =>
    this.openDialog({ kind: 'deliver', byPost: false, tracking: '', printResult: this.resultFiles.length > 0 });

  closeDialog = async () => {
    this.dialog = null;
    this.dialogError = null;
    await tick();
    this.dialogOpener?.focus();
    this.dialogOpener = null;
  };

  confirmDialog = () => {
    const d = this.dialog;
    if (!d || this.deciding) return;
    const id = this.view.id;
    void this.decide(async () => {
      this.dialogError = null;
      const fail = (message: string) => (this.dialogError = message);
      const done =
        d.kind === 'refuse'
          ? await this.act(() => refuseCase(id, d.reason, d.basis), { onfail: fail })
          : d.kind === 'deliver'
            ? await this.act(() => deliverCase(id, d.byPost, d.tracking), { onfail: fail })
            : await this.act(() => withdrawCase(id, d.reason), { onfail: fail });
      if (done) await this.closeDialog();
      // The approver's result file goes to the printer with the delivery, when asked.
      if (done && d.kind === 'deliver' && d.printResult) {
        for (const f of this.resultFiles) await this.reprint(f.id);
      }
    });
  };

  openPreview = async (documentId: number) => {
    this.flash = null;
    this.error(null);
    this.previewOpener = focused();
    this.pending++;
    try {
      this.preview = await previewDocument(documentId);
      await tick();
      focusId('close-preview');
    } catch (e) {
      this.error(errorMessage(e), errorCode(e));
    } finally {
      this.pending--;
    }
  };

  closePreview = async () => {
    this.preview = null;
    await tick();
    this.previewOpener?.focus();
    this.previewOpener = null;
  };

  reprint = async (documentId: number) => {
    this.flash = null;
    this.error(null);
    this.pending++;
    try {
      this.flash = await reprintDocument(documentId);
    } catch (e) {
      this.error(errorMessage(e), errorCode(e));
    } finally {
      this.pending--;
    }
  };

  // ---------------------------------------------------------------- keys
  /** The window's keys while the case screen is up. */
  keydown = (e: KeyboardEvent) => {
    if (this.blocked || e.isComposing || e.keyCode === 229) return;
    const hit = actionFor(e, 'case');
    if (!hit) return;
    const reveal = this.reveal;
    switch (hit.id) {
      case 'case.close':
        if (this.preview) {
          e.preventDefault();
          void this.closePreview();
        } else if (this.dialog) {
          e.preventDefault();
          void this.closeDialog();
        } else if (reveal.open) {
          e.preventDefault();
          void reveal.close();
        } else if (reveal.shown) {
          e.preventDefault();
          void reveal.hide();
        }
        return;
      case 'case.primary':
        e.preventDefault();
        if (this.dialog) this.confirmDialog();
        else if (reveal.open) void reveal.confirm();
        else if (!this.preview) this.primary();
        return;
      // Never let the webview save, print or open a page.
      case 'case.save':
        e.preventDefault();
        if (!this.modal) void this.save();
        return;
      case 'case.notice':
        e.preventDefault();
        if (!this.modal) this.notice();
        return;
      case 'case.import':
        e.preventDefault();
        if (!this.modal) this.importFiles();
        return;
    }
    if (this.modal) return;
    e.preventDefault();
    switch (hit.id) {
      case 'case.reveal':
        // Past the draft it asks to see the masked numbers whole; a draft has none, and reads the card.
        if (this.view.editable) this.readCard();
        else void reveal.openDialog();
        break;
      case 'case.readCard':
        this.readCard();
        break;
      case 'case.code':
        focusId('applicant-code');
        break;
      case 'case.slot':
      case 'case.tray':
        this.chooseSlot(hit.arg ?? null);
        break;
    }
  };

  // ---------------------------------------------------------------- polling
  /** Reads the case again; a newer revision replaces the view (the draft stays). */
  poll = async (): Promise<void> => {
    if (this.blocked) return;
    if (this.polling) {
      // A change announced while a read is under way: read again once it is done.
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.pollAgain = false;
    const view = this.view;
    try {
      const next = await pollCase(view.id, view.revision);
      // A reply to an action may have brought a newer view meanwhile: never step back.
      const now = this.view;
      if (next && next.id === now.id && next.revision > now.revision) {
        const wasEditable = now.editable;
        this.host.onview(next);
        if (!wasEditable && next.editable) this.draft = draftFromView(next);
      }
      this.pollFailed = false;
    } catch (e) {
      if (!this.pollFailed) this.error(`办件刷新失败：${errorMessage(e)}`);
      this.pollFailed = true;
    } finally {
      this.polling = false;
    }
    if (this.pollAgain) void this.poll();
  };

  /**
   * Starts following the case: the window's facts, the `case-revision` feed and the safety
   * poll. Returns the function that stops all of it (and the reveal's timer).
   */
  start(): () => void {
    windowInfo()
      .then((w) => (this.info = w))
      .catch((e) => this.error(errorMessage(e), errorCode(e)));
    let stopFeed: (() => void) | undefined;
    let stopped = false;
    onCaseRevision((revision) => {
      if (revision !== this.view.revision) void this.poll();
    })
      .then((stop) => (stopped ? stop() : (stopFeed = stop)))
      .catch((e) => this.error(`办件刷新失败：${errorMessage(e)}`));
    const timer = this.clock.every(SAFETY_POLL_MS, () => void this.poll());
    return () => {
      stopped = true;
      stopFeed?.();
      this.clock.clear(timer);
      this.reveal.stop();
    };
  }
}

export const CASE_SCREEN = new InjectionToken<CaseScreenService>('CaseScreenService');

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
  private opener: HTMLElement | null = null;
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
    this.opener = focused();
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
    await tick();
    const opener = this.opener;
    this.opener = null;
    if (opener && opener !== document.body && opener.isConnected) opener.focus();
    else focusId('reveal-open');
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
