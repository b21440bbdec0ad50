import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import type { CaseView } from '../src/ipc';
import App from '../src/App.svelte';
import {
  bundles,
  caseView,
  domains,
  fileView,
  followUp,
  guideMain,
  guideSetup,
  onlineStatus,
  recentCaseRows,
  searchGtgsh,
  windowInfoFixture,
  queueNotEnrolled,
} from './fixtures';

import { caseRevisionListenerCount, emitCaseRevision } from './mock-ipc';

const m = vi.mocked(ipc);

beforeEach(() => {
  vi.resetAllMocks();
  m.deskStatus.mockResolvedValue(onlineStatus());
  m.listDomains.mockResolvedValue(domains);
  m.listBundles.mockResolvedValue(bundles);
  m.searchItems.mockResolvedValue(searchGtgsh);
  m.itemGuide.mockImplementation(async (code) => (code === guideMain.code ? guideMain : guideSetup));
  m.uiReady.mockResolvedValue(undefined);
  m.queueStatus.mockResolvedValue(queueNotEnrolled);
  m.windowInfo.mockResolvedValue(windowInfoFixture);
  m.newCase.mockResolvedValue(caseView());
  m.pollCase.mockResolvedValue(null);
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function input(id: string): HTMLInputElement {
  return byId<HTMLInputElement>(id);
}

async function renderReady() {
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  return user;
}

/** Search, open 个体工商户设立登记 and press Ctrl+Enter. */
async function startCase() {
  const user = await renderReady();
  await user.type(input('search-input'), 'gtgsh');
  await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
  await user.keyboard('{ArrowDown}{Enter}');
  await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
  await user.keyboard('{Control>}{Enter}{/Control}');
  await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
  return user;
}

describe('starting a case', () => {
  it('Ctrl+Enter in a guide starts a case and shows the case screen', async () => {
    await startCase();
    expect(m.newCase).toHaveBeenCalledWith({ item_code: '370100-GT-001-01', scenario_code: null, bundle_code: null });
    expect(byId('case-number').textContent).toBe('RC-20260402-0001');
    expect(byId('case-state').dataset.state).toBe('draft');
    expect(byId('promised-date').textContent).toBe('如今日受理，承诺办结日期：2026-04-02');
    expect(byId('open-current-case')).toHaveTextContent('RC-20260402-0001');
    expect(document.getElementById('guide')).toBeNull();
    await waitFor(() => expect(byId('hot-folder').textContent).toBe('扫描文件夹：/home/clerk/扫描'));
    const slots = [...document.querySelectorAll<HTMLElement>('.material-slot')];
    expect(slots.map((s) => [s.dataset.slot, s.dataset.status])).toEqual([
      ['0', 'missing'],
      ['1', 'deferred'],
    ]);
    expect(slots[0].querySelector('.slot-name')?.textContent).toBe('经营者身份证明');
    expect(slots[1].querySelector('.pledge-toggle')).not.toBeNull();
    expect(byId('tray').querySelectorAll('.file-thumb')).toHaveLength(1);
    expect(byId('review').dataset.canAccept).toBe('false');
    expect(byId<HTMLButtonElement>('accept-case').disabled).toBe(true);
  });

  it('the guide button starts a case; a container has no button', async () => {
    const user = await renderReady();
    await user.type(input('search-input'), 'gtgsh');
    await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户登记'));
    expect(document.getElementById('start-case')).toBeNull();
    await user.click(document.querySelectorAll('.result-item')[1]);
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    await user.click(byId('start-case'));
    await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
  });

  it('Esc in the case screen keeps the case; F2 goes back to the search and F4 returns', async () => {
    const user = await startCase();
    await user.keyboard('{Escape}');
    expect(byId('case-screen')).toBeInTheDocument();
    await user.keyboard('{F2}');
    expect(document.activeElement).toBe(input('search-input'));
    await waitFor(() => expect(document.getElementById('case-screen')).toBeNull());
    await user.keyboard('{F4}');
    await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
    expect(m.newCase).toHaveBeenCalledTimes(1);
  });
});

describe('the draft', () => {
  it('Ctrl+S saves applicant and form; polling never overwrites what is typed', async () => {
    const user = await startCase();
    await user.click(input('applicant-name'));
    await user.keyboard('张三');
    // A scan arrives while the clerk types: the tray grows, the typed name stays.
    m.pollCase.mockResolvedValueOnce(caseView({ revision: 6, tray: [fileView(1), fileView(2)] }));
    emitCaseRevision(6);
    await waitFor(() => expect(byId('tray').querySelectorAll('.file-thumb')).toHaveLength(2));
    expect(input('applicant-name').value).toBe('张三');
    expect(byId('draft-state').textContent?.trim()).toBe('有未保存的修改');

    await user.type(input('field-operator_id'), '370102199003071234');
    await user.selectOptions(byId('field-form'), '个人经营');
    const saved = caseView({ revision: 7 });
    saved.applicant = { ...saved.applicant, name: '张三' };
    saved.fields = saved.fields.map((f) => ({ ...f, value: f.key === 'form' ? '个人经营' : '370102199003071234' }));
    m.saveIntake.mockResolvedValue(saved);
    await user.keyboard('{Control>}s{/Control}');
    await waitFor(() => expect(m.saveIntake).toHaveBeenCalledTimes(1));
    const req = m.saveIntake.mock.calls[0][0];
    expect(req.case_id).toBe('case-1');
    expect(req.applicant.name).toBe('张三');
    expect(req.applicant.kind).toBe('person');
    expect(req.form).toEqual({ operator_id: '370102199003071234', form: '个人经营' });
    await waitFor(() => expect(byId('draft-state').textContent?.trim()).toBe('申请信息已保存'));
    expect(byId('case-flash').textContent).toContain('申请信息已保存');
  });

  it('lists scans held in the hot folder with their reason until they are taken', async () => {
    await startCase();
    expect(document.getElementById('held-list')).toBeNull();
    const reason = '本机磁盘已满（剩余 0 MB），无法接收；文件仍在扫描文件夹中，清理磁盘后将自动接收';
    m.pollCase.mockResolvedValueOnce(
      caseView({ revision: 6, held_scans: [{ name: 'page-1.jpg', code: 'disk_full', reason }] }),
    );
    emitCaseRevision(6);
    await waitFor(() => expect(document.getElementById('held-list')).not.toBeNull());
    const item = byId('held-list').querySelector('.held-item') as HTMLElement;
    expect(item.dataset.code).toBe('disk_full');
    expect(item.querySelector('.held-text')?.textContent).toBe(`page-1.jpg：${reason}`);
    expect(byId('held-list').getAttribute('role')).toBe('alert');
    m.pollCase.mockResolvedValueOnce(caseView({ revision: 7, tray: [fileView(1)] }));
    emitCaseRevision(7);
    await waitFor(() => expect(document.getElementById('held-list')).toBeNull());
  });

  it('refetches on case-revision events with the revision shown, never two reads at once', async () => {
    let release: (v: CaseView | null) => void = () => {};
    m.pollCase.mockImplementation(() => new Promise((resolve) => (release = resolve)));
    await startCase();
    expect(caseRevisionListenerCount()).toBe(1);
    // Nothing changed: no reads (the safety net reads every 5 s).
    await new Promise((r) => setTimeout(r, 600));
    expect(m.pollCase).not.toHaveBeenCalled();
    emitCaseRevision(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(m.pollCase).not.toHaveBeenCalled();
    emitCaseRevision(6);
    await waitFor(() => expect(m.pollCase).toHaveBeenCalledTimes(1));
    expect(m.pollCase).toHaveBeenCalledWith('case-1', 5);
    // Two more changes while that read is under way: one more read once it is done.
    emitCaseRevision(7);
    emitCaseRevision(8);
    await new Promise((r) => setTimeout(r, 100));
    expect(m.pollCase).toHaveBeenCalledTimes(1);
    release(null);
    await waitFor(() => expect(m.pollCase).toHaveBeenCalledTimes(2));
    release(null);
    await new Promise((r) => setTimeout(r, 100));
    expect(m.pollCase).toHaveBeenCalledTimes(2);
  });

  it('a 居民码 scanned into the code box fills the applicant and clears the box', async () => {
    const filled = caseView({ revision: 8, flash: { ok: true, text: '已读取居民码：张三' } });
    filled.applicant = { ...filled.applicant, name: '张三', number: '370102199003071234' };
    m.applyApplicantCode.mockResolvedValue(filled);
    const user = await startCase();
    await user.click(input('applicant-phone'));
    await user.keyboard('13800000000');
    await user.click(input('applicant-code'));
    await user.keyboard('RESIDENT:{{"name":"张三"}{Enter}');
    await waitFor(() => expect(m.applyApplicantCode).toHaveBeenCalledWith('case-1', 'RESIDENT:{"name":"张三"}'));
    await waitFor(() => expect(input('applicant-name').value).toBe('张三'));
    expect(input('applicant-code').value).toBe('');
    expect(input('applicant-number').value).toBe('370102199003071234');
    expect(input('applicant-phone').value).toBe('13800000000');
    expect(byId('case-flash').textContent).toContain('已读取居民码：张三');
    expect(byId('case-flash').dataset.ok).toBe('true');
  });

  it('an organisation asks for the credit code and the legal representative', async () => {
    const user = await startCase();
    expect(document.getElementById('applicant-legal-rep')).toBeNull();
    await user.selectOptions(byId('applicant-kind'), 'organisation');
    expect(byId('applicant-number-label').textContent).toContain('统一社会信用代码');
    expect(byId('applicant-legal-rep')).toBeInTheDocument();
  });
});

describe('delivery', () => {
  it('a ready case is delivered by post with its tracking number', async () => {
    m.newCase.mockResolvedValue(caseView({ state: 'ready', state_label: '待出件', editable: false }));
    m.deliverCase.mockResolvedValue(caseView({ state: 'delivered', state_label: '已出件', editable: false, revision: 9 }));
    const user = await startCase();
    await user.click(byId('deliver-case'));
    expect(byId('case-dialog').dataset.kind).toBe('deliver');
    await user.click(byId('deliver-by-post'));
    await user.type(byId('deliver-tracking'), 'SF1234567890');
    await user.click(byId('deliver-confirm'));
    await waitFor(() => expect(m.deliverCase).toHaveBeenCalledWith('case-1', true, 'SF1234567890'));
    await waitFor(() => expect(document.getElementById('case-dialog')).toBeNull());
    expect(byId('case-state').dataset.state).toBe('delivered');
  });
});

describe('delivery with a result file', () => {
  const resultFile = {
    id: 41,
    kind: 'result_file' as const,
    title: '审批结果文件',
    created_at: '2026-11-27T03:00:00Z',
    path: 'W01-20261127-0001/result_file-0123456789ab.pdf',
  };
  const ready = () =>
    caseView({ state: 'ready', state_label: '待出件', editable: false, documents: [resultFile] });

  it('prints the approver’s result file with the delivery by default', async () => {
    m.newCase.mockResolvedValue(ready());
    m.deliverCase.mockResolvedValue({ ...ready(), state: 'delivered', state_label: '已出件', revision: 9 });
    m.reprintDocument.mockResolvedValue({ ok: true, text: '审批结果文件已打印（打印到文件夹 /tmp）' });
    const user = await startCase();
    await user.click(byId('deliver-case'));
    expect(input('deliver-print-result').checked).toBe(true);
    await user.click(byId('deliver-confirm'));
    await waitFor(() => expect(m.reprintDocument).toHaveBeenCalledWith(41));
    expect(m.deliverCase).toHaveBeenCalledWith('case-1', false, '');
  });

  it('leaves the printer alone when the clerk unticks it', async () => {
    m.newCase.mockResolvedValue(ready());
    m.deliverCase.mockResolvedValue({ ...ready(), state: 'delivered', state_label: '已出件', revision: 9 });
    const user = await startCase();
    await user.click(byId('deliver-case'));
    await user.click(byId('deliver-print-result'));
    await user.click(byId('deliver-confirm'));
    await waitFor(() => expect(document.getElementById('case-dialog')).toBeNull());
    expect(m.reprintDocument).not.toHaveBeenCalled();
  });

  it('offers nothing to print when the approval came without a file', async () => {
    m.newCase.mockResolvedValue(caseView({ state: 'ready', state_label: '待出件', editable: false }));
    const user = await startCase();
    await user.click(byId('deliver-case'));
    expect(document.getElementById('deliver-print-result')).toBeNull();
  });
});

describe('materials', () => {
  it('Alt+1 and Alt+0 choose where scans land; a click on a slot too', async () => {
    m.selectSlot.mockImplementation(async (_id, slot) => caseView({ selected_slot: slot, revision: 9 }));
    const user = await startCase();
    await user.keyboard('{Alt>}1{/Alt}');
    await waitFor(() => expect(m.selectSlot).toHaveBeenLastCalledWith('case-1', 0));
    await waitFor(() => expect(document.querySelector('.material-slot[data-slot="0"]')).toHaveClass('selected'));
    expect(document.querySelector('.material-slot[data-slot="0"]')?.textContent).toContain('新扫描的文件将放入此项');
    await user.keyboard('{Alt>}0{/Alt}');
    await waitFor(() => expect(m.selectSlot).toHaveBeenLastCalledWith('case-1', null));
    // Alt+5: there is no fifth material.
    await user.keyboard('{Alt>}5{/Alt}');
    expect(m.selectSlot).toHaveBeenCalledTimes(2);
    await user.click(document.querySelector<HTMLElement>('.material-slot[data-slot="1"] .slot-name')!);
    await waitFor(() => expect(m.selectSlot).toHaveBeenLastCalledWith('case-1', 1));
  });

  it('a case that is not the scan target highlights no slot and no tray', async () => {
    m.selectSlot.mockImplementation(async () => caseView({ scan_target: false, selected_slot: null, revision: 9 }));
    const user = await startCase();
    expect(byId('tray')).toHaveClass('selected');
    await user.keyboard('{Alt>}0{/Alt}');
    await waitFor(() => expect(byId('tray')).not.toHaveClass('selected'));
    expect(document.querySelector('.material-slot.selected')).toBeNull();
    expect(document.querySelector('.scan-target')).toBeNull();
  });

  it('the move choice files a tray scan into a material', async () => {
    m.moveFile.mockResolvedValue(caseView({ tray: [], revision: 9 }));
    const user = await startCase();
    const select = byId('tray').querySelector<HTMLSelectElement>('.move-select')!;
    await user.selectOptions(select, '1');
    await waitFor(() => expect(m.moveFile).toHaveBeenCalledWith('case-1', fileView(1).sha256, 1));
  });

  it('the 告知承诺 toggle calls setPledge', async () => {
    m.setPledge.mockResolvedValue(caseView({ flash: { ok: true, text: '告知承诺书已打印' } }));
    const user = await startCase();
    await user.click(document.querySelector<HTMLElement>('.material-slot[data-slot="1"] .pledge-toggle')!);
    await waitFor(() => expect(m.setPledge).toHaveBeenCalledWith('case-1', 1, true));
    await waitFor(() => expect(byId('case-flash').textContent).toContain('告知承诺书已打印'));
  });

  it('Ctrl+O imports files', async () => {
    m.importFromFile.mockResolvedValue(caseView({ flash: { ok: false, text: '已导入 0 个文件；未导入：a.txt：不支持' } }));
    const user = await startCase();
    await user.keyboard('{Control>}o{/Control}');
    await waitFor(() => expect(m.importFromFile).toHaveBeenCalledWith('case-1'));
    await waitFor(() => expect(byId('case-flash')).toHaveClass('bad'));
  });
});

describe('pre-review and decisions', () => {
  it('a blocking finding is overridden with a reason typed inline', async () => {
    const overridden = caseView({ revision: 10 });
    overridden.review = {
      ...overridden.review,
      can_accept: true,
      blocking: 0,
      findings: overridden.review.findings.map((f, i) => (i === 0 ? { ...f, overridden: '申请人当场出示原件' } : f)),
    };
    m.setOverride.mockResolvedValue(overridden);
    const user = await startCase();
    const finding = document.querySelector<HTMLElement>('.finding[data-code="material_missing"]')!;
    expect(finding.dataset.severity).toBe('blocking');
    await user.click(finding.querySelector<HTMLElement>('.override-btn')!);
    await user.keyboard('申请人当场出示原件{Enter}');
    await waitFor(() => expect(m.setOverride).toHaveBeenCalledWith('case-1', 'material_missing:0', '申请人当场出示原件'));
    await waitFor(() => expect(byId('review').dataset.canAccept).toBe('true'));
    expect(document.querySelector('.finding[data-code="material_missing"]')?.textContent).toContain('已说明理由：申请人当场出示原件');
    expect(byId<HTMLButtonElement>('accept-case').disabled).toBe(false);
  });

  it('Ctrl+Enter saves a changed draft first, then accepts', async () => {
    const ready = caseView({ review: { findings: [], can_accept: true, blocking: 0, deferred: 0 } });
    m.newCase.mockResolvedValue(ready);
    const saved = { ...ready, revision: 11, applicant: { ...ready.applicant, name: '张三' } };
    m.saveIntake.mockResolvedValue(saved);
    m.acceptCase.mockResolvedValue({
      ...saved,
      state: 'accepted',
      state_label: '已受理',
      editable: false,
      revision: 12,
      flash: { ok: true, text: '受理回执已打印（打印到文件夹）' },
    });
    const user = await startCase();
    await user.click(input('applicant-name'));
    await user.keyboard('张三');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(m.acceptCase).toHaveBeenCalledWith('case-1'));
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.saveIntake.mock.invocationCallOrder[0]).toBeLessThan(m.acceptCase.mock.invocationCallOrder[0]);
    await waitFor(() => expect(byId('case-state').dataset.state).toBe('accepted'));
    expect(byId('final-state').textContent?.trim()).toBe('已受理');
    expect(byId('case-flash').textContent).toContain('受理回执已打印');
    expect(document.getElementById('accept-case')).toBeNull();
  });

  it('Ctrl+Enter on a blocked case explains instead of accepting', async () => {
    const user = await startCase();
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(byId('error-line').textContent).toContain('还不能受理'));
    expect(m.acceptCase).not.toHaveBeenCalled();
  });

  it('不予受理 asks for reason and basis in a dialog; Esc closes it and keeps the case', async () => {
    m.refuseCase.mockResolvedValue(caseView({ state: 'refused', state_label: '不予受理', editable: false }));
    const user = await startCase();
    await user.click(byId('refuse-case'));
    expect(document.activeElement).toBe(byId('refuse-reason'));
    await user.keyboard('{Escape}');
    expect(document.getElementById('case-dialog')).toBeNull();
    expect(byId('case-screen')).toBeInTheDocument();

    await user.click(byId('refuse-case'));
    await user.keyboard('不属于本机关职权范围');
    await user.click(byId('refuse-basis'));
    await user.keyboard('《行政许可法》第三十二条');
    await user.click(byId('refuse-confirm'));
    await waitFor(() =>
      expect(m.refuseCase).toHaveBeenCalledWith('case-1', '不属于本机关职权范围', '《行政许可法》第三十二条'),
    );
    await waitFor(() => expect(document.getElementById('case-dialog')).toBeNull());
    expect(byId('case-state').dataset.state).toBe('refused');
  });

  it('a refused withdraw keeps the dialog open with the reason', async () => {
    m.withdrawCase.mockRejectedValue({ code: 'reason_required', message: '请写明撤回原因' });
    const user = await startCase();
    await user.click(byId('withdraw-case'));
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(byId('case-dialog').textContent).toContain('请写明撤回原因'));
  });

  it('Ctrl+P issues the notice; a case waiting for correction can be reopened', async () => {
    m.issueNotice.mockResolvedValue(
      caseView({
        state: 'needs_correction',
        state_label: '已一次性告知',
        editable: false,
        flash: { ok: true, text: '一次性告知书已打印' },
        documents: [{ id: 3, kind: 'one_time_notice', title: '一次性告知书', created_at: '2026-04-02T01:05:00Z', path: '/x.pdf' }],
      }),
    );
    m.reopenCase.mockResolvedValue(caseView({ revision: 20 }));
    m.previewDocument.mockResolvedValue({ id: 3, title: '一次性告知书', pages: ['data:image/png;base64,AAAA'], page_count: 1 });
    m.reprintDocument.mockResolvedValue({ ok: true, text: '一次性告知书已重新打印' });
    const user = await startCase();
    await user.keyboard('{Control>}p{/Control}');
    await waitFor(() => expect(m.issueNotice).toHaveBeenCalledWith('case-1'));
    await waitFor(() => expect(byId('reopen-case')).toBeInTheDocument());

    await user.click(document.querySelector<HTMLElement>('.document-row .preview-btn')!);
    await waitFor(() => expect(byId('document-preview')).toBeInTheDocument());
    expect(byId('document-preview').querySelector('img')?.getAttribute('alt')).toBe('第1页');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('document-preview')).toBeNull());

    await user.click(document.querySelector<HTMLElement>('.document-row .reprint-btn')!);
    await waitFor(() => expect(byId('case-flash').textContent).toContain('一次性告知书已重新打印'));

    await user.click(byId('reopen-case'));
    await waitFor(() => expect(m.reopenCase).toHaveBeenCalledWith('case-1'));
    await waitFor(() => expect(byId('accept-case')).toBeInTheDocument());
  });
});

describe('work lists', () => {
  it('F7 lists recent cases; ↑↓ and Enter open one', async () => {
    m.recentCases.mockResolvedValue(recentCaseRows);
    m.openCase.mockResolvedValue(caseView({ id: 'case-2', number: 'RC-20260402-0002' }));
    const user = await renderReady();
    await user.keyboard('{F7}');
    await waitFor(() => expect(document.querySelectorAll('#recent-cases .case-row')).toHaveLength(2));
    expect(document.activeElement).toBe(byId('recent-cases'));
    await user.keyboard('{ArrowDown}{ArrowUp}{Enter}');
    await waitFor(() => expect(m.openCase).toHaveBeenCalledWith('case-2'));
    await waitFor(() => expect(byId('case-number').textContent).toBe('RC-20260402-0002'));
  });

  it('F9 shows the follow-ups; a note and Enter close one', async () => {
    m.followUps.mockResolvedValue([followUp(), followUp({ id: 8, overdue: true, material: '卫生许可' })]);
    m.closeFollowUp.mockResolvedValue([followUp({ id: 8, overdue: true, material: '卫生许可' })]);
    const user = await renderReady();
    await user.keyboard('{F9}');
    await waitFor(() => expect(document.querySelectorAll('#follow-ups .follow-up-row')).toHaveLength(2));
    expect(m.followUps).toHaveBeenCalledWith(true);
    expect(document.querySelectorAll('.follow-up-row')[1]).toHaveClass('overdue');
    expect(document.activeElement).toHaveClass('follow-up-note');
    await user.keyboard('已补交原件{Enter}');
    await waitFor(() => expect(m.closeFollowUp).toHaveBeenCalledWith(7, '已补交原件'));
    await waitFor(() => expect(document.querySelectorAll('#follow-ups .follow-up-row')).toHaveLength(1));
    await user.click(byId('follow-ups-open-only'));
    await waitFor(() => expect(m.followUps).toHaveBeenLastCalledWith(false));
  });
});
