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
  answerRefusal,
  recordUnresolved,
  reopenCase,
  reprintDocument,
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
  type WindowInfo,
  type DocumentKind,
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
import { systemClock, type Clock } from '../clock';
import { InjectionToken } from '../context';
import { focused, focusId } from '../focus';
import { CaseReveal } from './reveal.svelte';
import { actionFor } from '../keymap';

/**
 * The case is refetched when the backend says the window changed (`case-revision`: a scan
 * taken, a result arrived); reading it this often as well is only the safety net, so a case
 * left open on an idle desk does not cross IPC four times a second.
 */
export const SAFETY_POLL_MS = 5000;

/** The document kind of a file the approver attached to the decision (`DocumentView.kind` is a string in the bindings). */
export const RESULT_FILE_KIND: DocumentKind = 'result_file';

export type CaseDialog =
  | { kind: 'refuse'; reason: string; basis: string }
  | { kind: 'answer'; confirm: boolean; note: string }
  | { kind: 'unresolved'; who: string; contact: string; tried: string }
  | { kind: 'withdraw'; reason: string }
  | { kind: 'deliver'; byPost: boolean; tracking: string; printResult: boolean };
export type CaseDialogKind = CaseDialog['kind'];

/** The field each dialog opens on. */
const DIALOG_FIRST: Readonly<Record<CaseDialogKind, string>> = {
  refuse: 'refuse-reason',
  answer: 'answer-confirm',
  unresolved: 'unresolved-who',
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
          : d.kind === 'answer'
            ? await this.act(() => answerRefusal(id, d.confirm, d.note), { onfail: fail })
            : d.kind === 'unresolved'
            ? await this.act(() => recordUnresolved(id, d.who, d.contact, d.tried), { onfail: fail })
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
