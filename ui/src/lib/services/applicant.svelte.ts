// The applicant panel's own state (申请人): the 居民码/企业码 box the scanner types into, which
// applicant is on screen (the clerk's draft while the case is a draft, the saved and masked one
// after), and the clerk's edits into that draft. Reading the ID card, applying a code, looking
// up e-licences and revealing the whole numbers are the case screen's (its callbacks, which
// this service routes to); the panel creates one service from its props and gives it to its
// parts.

import type { ApplicantInput, CaseView, WindowInfo } from '../../ipc';
import { applicantNameLabel, applicantNumberLabel, kindOf, type ApplicantKey, type CaseDraft } from '../casedraft';
import { InjectionToken } from '../context';

/** What the service reads from the panel's props (getters, so it follows them). */
export interface ApplicantSource {
  readonly view: CaseView;
  /** Typed values live here; the view only shows what is saved. */
  readonly draft: CaseDraft;
  readonly info: WindowInfo | null;
  onsave(): void;
  /** A 居民码/企业码 payload from the keyboard-wedge scanner. */
  onapplycode(text: string): void;
}

/** The parts of a key press the panel looks at. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'isComposing' | 'ctrlKey' | 'metaKey' | 'altKey' | 'preventDefault'>;

/** Enter alone (not while an input method composes, no modifier but Shift). */
function plainEnter(e: KeyPress): boolean {
  return e.key === 'Enter' && !e.isComposing && !e.ctrlKey && !e.metaKey && !e.altKey;
}

export class ApplicantService {
  private readonly source: ApplicantSource;

  /** What the scanner typed into the code box so far; Enter sends it and clears the box. */
  code = $state('');

  /** A draft is typed into; a case past the draft shows what was saved (numbers masked). */
  readonly shown: ApplicantInput;
  readonly organisation: boolean;
  /** Past the draft nothing is typed: the fields only show the saved applicant. */
  readonly readonly: boolean;
  readonly nameLabel: string;
  readonly numberLabel: string;
  readonly addressLabel: string;
  /** The 读取身份证 button's hint: whether this window has a card reader at all. */
  readonly readCardTitle: string;
  /** 帮办代办: the centre's staff to pick the helper from (empty: typed, as before). */
  readonly helperChoices: string[];

  constructor(source: ApplicantSource) {
    this.source = source;
    this.shown = $derived(source.view.editable ? source.draft.applicant : source.view.applicant);
    this.organisation = $derived(this.shown.kind === 'organisation');
    this.readonly = $derived(!source.view.editable);
    this.helperChoices = $derived(source.view.helper_choices);
    this.nameLabel = $derived(applicantNameLabel(this.shown.kind));
    this.numberLabel = $derived(applicantNumberLabel(this.shown.kind));
    this.addressLabel = $derived(this.organisation ? '住所' : '地址');
    this.readCardTitle = $derived(
      source.info && source.info.card_reader === null ? '本窗口未设置身份证读卡器' : '从读卡器读取身份证（F6）',
    );
  }

  /** The clerk typed `value` into the applicant field `key` (ignored past the draft). */
  set(key: ApplicantKey, value: string): void {
    if (this.readonly) return;
    const applicant = this.source.draft.applicant;
    if (key === 'kind') applicant.kind = kindOf(value);
    else applicant[key] = value;
  }

  /** Enter in the code box: the scanned text goes to the case screen, the box empties. */
  codeKeydown(e: KeyPress): void {
    if (!plainEnter(e)) return;
    e.preventDefault();
    const text = this.code;
    this.code = '';
    if (text.trim() !== '') this.source.onapplycode(text);
  }

  /** Enter in an applicant field saves (Ctrl+S works everywhere). */
  fieldKeydown(e: KeyPress): void {
    if (plainEnter(e) && !this.readonly) {
      e.preventDefault();
      this.source.onsave();
    }
  }
}

export const APPLICANT_SERVICE = new InjectionToken<ApplicantService>('ApplicantService');
