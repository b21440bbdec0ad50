import { describe, expect, it } from 'vitest';
import {
  acceptBlockedReason,
  applicantNumberLabel,
  canReopen,
  canSortFiles,
  canWithdraw,
  draftFromView,
  isDraftDirty,
  mergeApplicantReply,
  moveTargets,
  parseMoveTarget,
  rebaseAfterSave,
  saveRequest,
  slotStatusClass,
} from '../src/lib/casedraft';
import type { CaseView } from '../src/ipc';
import { caseView } from './fixtures';

function withApplicant(over: Partial<CaseView['applicant']>, view: CaseView = caseView()): CaseView {
  return { ...view, applicant: { ...view.applicant, ...over } };
}

describe('draftFromView and saveRequest', () => {
  it('copies the applicant and every field value', () => {
    const view = withApplicant({ name: '张三', number: '370102199003071234' });
    view.fields[1] = { ...view.fields[1], value: '个人经营' };
    const draft = draftFromView(view);
    expect(draft.caseId).toBe('case-1');
    expect(draft.applicant.name).toBe('张三');
    expect(draft.form).toEqual({ operator_id: '', form: '个人经营' });
    // A copy: typing into the draft does not change the view.
    draft.applicant.name = '李四';
    expect(view.applicant.name).toBe('张三');
  });

  it('sends only fields the clerk fills, and no legal representative for a person', () => {
    const view = caseView();
    view.fields.push({
      key: 'licence_no',
      label: '营业执照号',
      field_type: 'text',
      required: true,
      choices: [],
      value: '',
      produced_by: '个体工商户设立登记',
    });
    const draft = draftFromView(view);
    draft.applicant.name = '张三';
    draft.applicant.legal_rep = '不该发送';
    draft.form.operator_id = '370102199003071234';
    draft.form.licence_no = 'x';
    const req = saveRequest(draft, view);
    expect(req.case_id).toBe('case-1');
    expect(req.form).toEqual({ operator_id: '370102199003071234', form: '' });
    expect(req.applicant.legal_rep).toBe('');
    expect(req.applicant.name).toBe('张三');
  });

  it('a field missing from the draft (new scenario) shows and sends its saved value', () => {
    const view = caseView();
    const draft = draftFromView(view);
    const next = { ...view, fields: [...view.fields, { ...view.fields[0], key: 'shop_name', value: '老王面馆' }] };
    expect(saveRequest(draft, next).form.shop_name).toBe('老王面馆');
    expect(isDraftDirty(draft, next)).toBe(false);
  });
});

describe('isDraftDirty', () => {
  it('is false for a fresh draft and true after typing', () => {
    const view = caseView();
    const draft = draftFromView(view);
    expect(isDraftDirty(draft, view)).toBe(false);
    draft.applicant.phone = '13800000000';
    expect(isDraftDirty(draft, view)).toBe(true);
  });

  it('ignores what the backend normalises: spaces and a lower-case x', () => {
    const view = withApplicant({ name: '张三', number: '37010219900307123X' });
    const draft = draftFromView(view);
    draft.applicant.name = ' 张三 ';
    draft.applicant.number = '37010219900307123x';
    expect(isDraftDirty(draft, view)).toBe(false);
  });

  it('notices form changes but not produced fields', () => {
    const view = caseView();
    const draft = draftFromView(view);
    draft.form.form = '家庭经营';
    expect(isDraftDirty(draft, view)).toBe(true);
    const produced = {
      ...view,
      fields: view.fields.map((f) => (f.key === 'form' ? { ...f, produced_by: '设立登记' } : f)),
    };
    expect(isDraftDirty(draft, produced)).toBe(false);
  });

  it('is never dirty outside a draft, for another case, or without a draft', () => {
    const view = caseView();
    const draft = draftFromView(view);
    draft.applicant.name = '张三';
    expect(isDraftDirty(draft, { ...view, editable: false, state: 'accepted' })).toBe(false);
    expect(isDraftDirty(draft, { ...view, id: 'case-9' })).toBe(false);
    expect(isDraftDirty(null, view)).toBe(false);
  });
});

describe('rebaseAfterSave', () => {
  it('takes the saved values for what was sent', () => {
    const view = caseView();
    const draft = draftFromView(view);
    draft.applicant.name = ' 张三 ';
    draft.applicant.number = '37010219900307123x';
    draft.form.form = '个人经营';
    const sent = saveRequest(draft, view);
    const saved = withApplicant({ name: '张三', number: '37010219900307123X' });
    saved.fields[1] = { ...saved.fields[1], value: '个人经营' };
    const next = rebaseAfterSave(draft, sent, saved);
    expect(next.applicant.name).toBe('张三');
    expect(next.applicant.number).toBe('37010219900307123X');
    expect(next.form.form).toBe('个人经营');
    expect(isDraftDirty(next, saved)).toBe(false);
  });

  it('keeps what was typed while the save was on its way', () => {
    const view = caseView();
    const draft = draftFromView(view);
    draft.applicant.name = '张';
    const sent = saveRequest(draft, view);
    draft.applicant.name = '张三丰';
    draft.form.operator_id = '3701';
    const saved = withApplicant({ name: '张' });
    const next = rebaseAfterSave(draft, sent, saved);
    expect(next.applicant.name).toBe('张三丰');
    expect(next.form.operator_id).toBe('3701');
    expect(isDraftDirty(next, saved)).toBe(true);
  });
});

describe('mergeApplicantReply (ID card, 居民码/企业码)', () => {
  it('takes name, number and kind from the card and keeps a phone typed but not saved', () => {
    const before = caseView();
    const draft = draftFromView(before);
    draft.applicant.phone = '13800000000';
    draft.applicant.name = '手输的名字';
    draft.form.form = '家庭经营';
    const after = withApplicant({ name: '张三', number: '370102199003071234', address: '山东省荣成市' });
    const next = mergeApplicantReply(draft, before, after);
    expect(next.applicant.name).toBe('张三');
    expect(next.applicant.number).toBe('370102199003071234');
    expect(next.applicant.address).toBe('山东省荣成市');
    expect(next.applicant.phone).toBe('13800000000');
    // The form draft is untouched: the backend kept the saved form.
    expect(next.form.form).toBe('家庭经营');
  });

  it('an 企业码 switches the kind', () => {
    const before = caseView();
    const draft = draftFromView(before);
    const after = withApplicant({ kind: 'organisation', name: '荣成市海味餐饮有限公司', number: '91371082MA3C1234X5', legal_rep: '王五' });
    const next = mergeApplicantReply(draft, before, after);
    expect(next.applicant.kind).toBe('organisation');
    expect(next.applicant.legal_rep).toBe('王五');
    expect(applicantNumberLabel(next.applicant.kind)).toBe('统一社会信用代码');
    expect(applicantNumberLabel('person')).toBe('公民身份号码');
  });
});

describe('status, move targets and state rules', () => {
  it('colours statuses: missing red, 容缺 amber, satisfied green', () => {
    expect(slotStatusClass('missing')).toBe('status-missing');
    expect(slotStatusClass('deferred')).toBe('status-deferred');
    for (const s of ['provided', 'e_licence', 'produced', 'pledged']) {
      expect(slotStatusClass(s)).toBe('status-ok');
    }
    expect(slotStatusClass('not_needed')).toBe('status-none');
  });

  it('lists the tray and the other materials as move targets', () => {
    const materials = caseView().materials;
    expect(moveTargets(materials, null)).toEqual([
      { value: '0', label: '1. 经营者身份证明' },
      { value: '1', label: '2. 经营场所使用证明' },
    ]);
    expect(moveTargets(materials, 0)).toEqual([
      { value: 'tray', label: '未分类' },
      { value: '1', label: '2. 经营场所使用证明' },
    ]);
    expect(parseMoveTarget('tray')).toBeNull();
    expect(parseMoveTarget('1')).toBe(1);
    expect(parseMoveTarget('')).toBeUndefined();
  });

  it('knows which states allow sorting, reopening and withdrawing', () => {
    expect(canSortFiles({ editable: true, state: 'draft' })).toBe(true);
    expect(canSortFiles({ editable: false, state: 'accepted' })).toBe(true);
    expect(canSortFiles({ editable: false, state: 'refused' })).toBe(false);
    expect(canReopen('needs_correction')).toBe(true);
    expect(canReopen('returned')).toBe(true);
    expect(canReopen('accepted')).toBe(false);
    expect(canWithdraw('accepted')).toBe(true);
    expect(canWithdraw('handed_off')).toBe(false);
  });

  it('explains why 受理 is not possible', () => {
    const view = caseView();
    expect(acceptBlockedReason(view)).toBe(
      '还不能受理，预审还有 1 项问题：缺少材料「经营者身份证明」。请补齐材料、办理告知承诺，或说明理由后继续',
    );
    expect(acceptBlockedReason({ ...view, review: { ...view.review, can_accept: true, blocking: 0 } })).toBeNull();
    expect(acceptBlockedReason({ ...view, editable: false, state_label: '已受理' })).toBe('办件当前为“已受理”，不能受理');
  });
});
