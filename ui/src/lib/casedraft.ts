// Pure helpers for the case screen: the clerk's local draft of applicant and form, and small
// mappings (status colours, labels) the case components share. Its shortcuts are in keymap.ts.

import type {
  ApplicantInput,
  ApplicantKind,
  CaseView,
  FindingView,
  FormFieldView,
  MaterialSlotView,
  ReviewView,
  SaveIntakeRequest,
} from '../ipc';

/** What the clerk is typing for one case; the backend only sees it on save. */
export interface CaseDraft {
  caseId: string;
  applicant: ApplicantInput;
  /** Form values by field key; a key that is missing shows the field's saved value. */
  form: Record<string, string>;
}

export type ApplicantKey = keyof ApplicantInput;

/** Every field of ApplicantInput (checked below against the generated type). */
export const APPLICANT_KEYS = [
  'kind',
  'name',
  'number',
  'phone',
  'address',
  'legal_rep',
  'agent_name',
  'agent_id_number',
  'agent_phone',
  'assist_helper',
  'assist_note',
] as const satisfies readonly ApplicantKey[];

// Fails to compile when ApplicantInput gains a field the list above does not name.
type MissingApplicantKeys = Exclude<ApplicantKey, (typeof APPLICANT_KEYS)[number]>;
const applicantKeysComplete: MissingApplicantKeys extends never ? true : never = true;
void applicantKeysComplete;

/** ID numbers are stored upper-case (a trailing x becomes X). */
const UPPER_CASE_KEYS: ReadonlySet<ApplicantKey> = new Set(['number', 'agent_id_number']);

/** Set from the card or code itself; the other fields keep what the clerk typed unless the reply changed them. */
const READ_KEYS: ReadonlySet<ApplicantKey> = new Set(['kind', 'name', 'number']);

export function emptyApplicant(): ApplicantInput {
  return {
    kind: 'person',
    name: '',
    number: '',
    phone: '',
    address: '',
    legal_rep: '',
    agent_name: '',
    agent_id_number: '',
    agent_phone: '',
    assist_helper: '',
    assist_note: '',
  };
}

/** The applicant kind a control's value names (anything else is a person, as the backend's default). */
export function kindOf(value: string): ApplicantKind {
  return value === 'organisation' ? 'organisation' : 'person';
}

/** Copies one applicant field, whatever its type. */
function copyKey<K extends ApplicantKey>(to: ApplicantInput, from: ApplicantInput, k: K) {
  to[k] = from[k];
}

/** The draft as the view shows the saved case. */
export function draftFromView(view: CaseView): CaseDraft {
  const form: Record<string, string> = {};
  for (const f of view.fields) {
    form[f.key] = f.value;
  }
  return {
    caseId: view.id,
    applicant: { ...emptyApplicant(), ...view.applicant },
    form,
  };
}

/** Whether the clerk fills this field (not issued by an earlier member of the 一件事). */
export function fieldIsAsked(f: FormFieldView): boolean {
  return f.produced_by === null;
}

/** The value shown in a field's control. */
export function formValue(draft: CaseDraft, f: FormFieldView): string {
  return draft.form[f.key] ?? f.value;
}

/** The applicant as it is sent: a person has no legal representative. */
export function applicantForSave(a: ApplicantInput): ApplicantInput {
  return { ...a, legal_rep: a.kind === 'person' ? '' : a.legal_rep };
}

/** The save request for the draft: only fields the clerk fills are sent. */
export function saveRequest(draft: CaseDraft, view: CaseView): SaveIntakeRequest {
  const form: Record<string, string> = {};
  for (const f of view.fields) {
    if (fieldIsAsked(f)) {
      form[f.key] = formValue(draft, f);
    }
  }
  return { case_id: view.id, applicant: applicantForSave(draft.applicant), form };
}

function normalised(key: ApplicantKey, value: string): string {
  const t = (value ?? '').trim();
  return UPPER_CASE_KEYS.has(key) ? t.toUpperCase() : t;
}

/** Whether the draft has changes the backend has not saved (ignoring spaces the backend trims). */
export function isDraftDirty(draft: CaseDraft | null, view: CaseView | null): boolean {
  if (!draft || !view || !view.editable || draft.caseId !== view.id) {
    return false;
  }
  const mine = applicantForSave(draft.applicant);
  const saved = applicantForSave(view.applicant);
  for (const k of APPLICANT_KEYS) {
    if (normalised(k, mine[k]) !== normalised(k, saved[k])) {
      return true;
    }
  }
  return view.fields.some((f) => fieldIsAsked(f) && formValue(draft, f).trim() !== f.value.trim());
}

/**
 * The draft after a save came back: what was sent now shows as saved (normalised by the
 * backend); anything typed while the save was on its way is kept.
 */
export function rebaseAfterSave(draft: CaseDraft, sent: SaveIntakeRequest, view: CaseView): CaseDraft {
  if (draft.caseId !== view.id) {
    return draftFromView(view);
  }
  const applicant = { ...draft.applicant };
  const sentFor = applicantForSave(draft.applicant);
  for (const k of APPLICANT_KEYS) {
    if (sentFor[k] === sent.applicant[k]) {
      copyKey(applicant, view.applicant, k);
    }
  }
  const form = { ...draft.form };
  for (const f of view.fields) {
    const was = sent.form[f.key];
    if (was === undefined || form[f.key] === undefined || form[f.key] === was) {
      form[f.key] = f.value;
    }
  }
  return { caseId: view.id, applicant, form };
}

/**
 * The draft after the ID card or a 居民码/企业码 filled the applicant: kind, name and number
 * come from the card or code; every other applicant field takes the reply's value only when
 * the reply changed it, so a phone or agent typed (and not yet saved) is kept. The form draft
 * is not touched: the backend kept the saved form.
 */
export function mergeApplicantReply(draft: CaseDraft, before: CaseView, after: CaseView): CaseDraft {
  if (draft.caseId !== after.id || before.id !== after.id) {
    return draftFromView(after);
  }
  const applicant = { ...draft.applicant };
  for (const k of APPLICANT_KEYS) {
    if (READ_KEYS.has(k) || after.applicant[k] !== before.applicant[k]) {
      copyKey(applicant, after.applicant, k);
    }
  }
  return { caseId: after.id, applicant, form: { ...draft.form } };
}

/** Colour of a material's status: missing red, 容缺 amber, satisfied green. */
export function slotStatusClass(status: string): string {
  switch (status) {
    case 'missing':
      return 'status-missing';
    case 'deferred':
      return 'status-deferred';
    case 'provided':
    case 'e_licence':
    case 'produced':
    case 'pledged':
      return 'status-ok';
    default:
      return 'status-none';
  }
}

export function applicantNameLabel(kind: ApplicantKind): string {
  return kind === 'organisation' ? '单位名称' : '姓名';
}

export function applicantNumberLabel(kind: ApplicantKind): string {
  return kind === 'organisation' ? '统一社会信用代码' : '公民身份号码';
}

export function severityLabel(severity: string): string {
  switch (severity) {
    case 'blocking':
      return '阻止受理';
    case 'deferrable':
      return '可容缺';
    default:
      return '提示';
  }
}

/** Placeholder of a form field's text input by field type. */
export function fieldPlaceholder(fieldType: string): string {
  switch (fieldType) {
    case 'id_number':
      return '18 位公民身份号码';
    case 'credit_code':
      return '18 位统一社会信用代码';
    case 'phone':
      return '手机号码或固定电话';
    case 'date':
      return '2026-01-31';
    case 'number':
      return '填写数字';
    default:
      return '';
  }
}

/** Value of the "move to" choice for the tray. */
export const TRAY_VALUE = 'tray';

export interface MoveTarget {
  value: string;
  label: string;
}

/** Where a file can be moved: the tray (unless it is there) and every other material. */
export function moveTargets(materials: MaterialSlotView[], from: number | null): MoveTarget[] {
  const out: MoveTarget[] = [];
  if (from !== null) {
    out.push({ value: TRAY_VALUE, label: '未分类' });
  }
  for (const m of materials) {
    if (m.slot !== from) {
      out.push({ value: String(m.slot), label: `${m.slot + 1}. ${m.name}` });
    }
  }
  return out;
}

/** The slot of a "move to" choice: null for the tray, undefined for nothing chosen. */
export function parseMoveTarget(value: string): number | null | undefined {
  if (value === TRAY_VALUE) {
    return null;
  }
  if (!/^[0-9]+$/.test(value)) {
    return undefined;
  }
  return Number(value);
}

/** Files can still be sorted and added: while the case is a draft, and after acceptance (容缺 补交). */
export function canSortFiles(view: Pick<CaseView, 'editable' | 'state'>): boolean {
  return view.editable || view.state === 'accepted';
}

/** The applicant is back after a 一次性告知书 or a return from the office. */
export function canReopen(state: string): boolean {
  return state === 'needs_correction' || state === 'returned';
}

export function canWithdraw(state: string): boolean {
  return (
    state === 'draft' || state === 'needs_correction' || state === 'accepted' || state === 'refusal_requested'
  );
}

/** Findings that still stop 受理: blocking and not overridden with a reason. */
export function openBlockers(review: ReviewView): FindingView[] {
  return review.findings.filter((f) => f.severity === 'blocking' && f.overridden === null);
}

/** Why 受理 is not possible yet, or null when it is. */
export function acceptBlockedReason(view: Pick<CaseView, 'editable' | 'state_label' | 'review'>): string | null {
  if (!view.editable) {
    return `办件当前为“${view.state_label}”，不能受理`;
  }
  if (view.review.can_accept) {
    return null;
  }
  const messages = openBlockers(view.review).map((f) => f.message);
  const n = Math.max(view.review.blocking, messages.length);
  const what = messages.length > 0 ? `：${messages.join('；')}` : '';
  return `还不能受理，预审还有 ${n} 项问题${what}。请补齐材料、办理告知承诺，或说明理由后继续`;
}

/** The MIME type a dragged file carries (its sha256). */
export const FILE_DRAG_TYPE = 'application/x-onewindow-file';
