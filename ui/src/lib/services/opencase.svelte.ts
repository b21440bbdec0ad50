// The open case and what the clerk is typing for it (the draft survives switching modes):
// starting a case from the guide on screen, opening an existing one, and saving the draft
// before another case, another clerk or the lock takes over.

import {
  errorMessage,
  newCase,
  openCase,
  saveIntake,
  type CaseView,
  type NewCaseRequest,
} from '../../ipc';
import { draftFromView, isDraftDirty, rebaseAfterSave, saveRequest, type CaseDraft } from '../casedraft';
import { InjectionToken } from '../context';
import type { GuideService } from './guide.svelte';
import type { ErrorLineState } from './status.svelte';

export interface OpenCaseDeps {
  errors: ErrorLineState;
  guide: GuideService;
  /** A case was created or opened: the window shows it (F4's mode). */
  onshow?: () => void;
}

export class OpenCaseService {
  /** The case on screen (replaced whole on every reply). */
  caseView = $state.raw<CaseView | null>(null);
  /** What the clerk is typing for it; lives here so it survives switching modes. */
  caseDraft = $state<CaseDraft | null>(null);
  /** A case is being created or opened. */
  busy = $state(false);
  /** The draft has changes the backend has not seen. */
  readonly dirty = $derived(isDraftDirty(this.caseDraft, this.caseView));

  private readonly errors: ErrorLineState;
  private readonly guide: GuideService;
  private readonly onshow: () => void;

  constructor(deps: OpenCaseDeps) {
    this.errors = deps.errors;
    this.guide = deps.guide;
    this.onshow = deps.onshow ?? (() => {});
  }

  /** Save what the clerk typed into the open case, if anything; the answer replaces the view. */
  async save(): Promise<void> {
    const current = this.caseView;
    const draft = this.caseDraft;
    if (!current || !draft || !isDraftDirty(draft, current)) return;
    const sent = saveRequest(draft, current);
    const saved = await saveIntake(sent);
    if (this.caseView?.id === saved.id) {
      this.caseView = saved;
      this.caseDraft = this.caseDraft ? rebaseAfterSave(this.caseDraft, sent, saved) : draftFromView(saved);
    }
  }

  /**
   * Before another case replaces the open one (or another clerk, or the lock): save what the
   * clerk typed. false (with the reason on the error line) when it cannot be saved; the clerk
   * returns with F4 to fix or discard it.
   */
  settleDraft = async (): Promise<boolean> => {
    const current = this.caseView;
    if (!current) return true;
    try {
      await this.save();
      return true;
    } catch (e) {
      this.errors.set(`办件 ${current.number} 有未保存的修改，保存失败：${errorMessage(e)}（按 F4 回到该办件修改或放弃修改）`);
      return false;
    }
  };

  /** Show a case that was just created or opened. */
  showCase(v: CaseView): void {
    if (this.caseView?.id !== v.id || this.caseDraft === null) {
      this.caseDraft = draftFromView(v);
    }
    this.caseView = v;
    this.errors.clear();
    this.onshow();
  }

  async startCase(request: NewCaseRequest): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!(await this.settleDraft())) return;
      this.showCase(await newCase(request));
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.busy = false;
    }
  }

  startItemCase(code: string): void {
    void this.startCase({ item_code: code, scenario_code: null, bundle_code: null });
  }

  startBundleCase(code: string): void {
    void this.startCase({ item_code: null, scenario_code: null, bundle_code: code });
  }

  /** Ctrl+Enter in the guide: take in the item or 一件事 on screen. */
  startFromGuide(): void {
    const { view, guide, bundle } = this.guide;
    if (view?.kind === 'item' && guide) {
      if (this.guide.canStartItem) {
        this.startItemCase(guide.code);
      } else {
        this.errors.set(`「${guide.name}」是目录，请选择具体的办理项再受理`);
      }
    } else if (view?.kind === 'bundle' && bundle) {
      if (this.guide.bundleComplete) {
        this.startBundleCase(bundle.code);
      } else {
        this.errors.set(`本地目录缺少「${bundle.name}」中的部分事项，暂不能受理此一件事`);
      }
    }
  }

  /** A case from the list or a follow-up; the open one's typing is saved first. */
  async openExisting(id: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.caseView?.id !== id && !(await this.settleDraft())) return;
      this.showCase(await openCase(id));
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.busy = false;
    }
  }

  /** A reply or a poll from the case screen (for another case than the open one: ignored). */
  update(v: CaseView): void {
    if (this.caseView !== null && this.caseView.id !== v.id) return;
    this.caseView = v;
  }
}

export const OPEN_CASE = new InjectionToken<OpenCaseService>('OpenCaseService');
