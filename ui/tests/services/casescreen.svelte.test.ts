// The case screen's service on its own: no component, the ipc module mocked, timers on a
// ManualClock. (Named `.svelte.test.ts` so the host below can hold its view and draft in runes,
// as CaseScreen's props are.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { CaseView, DocumentView, RevealView } from '../../src/ipc';
import { draftFromView, type CaseDraft } from '../../src/lib/casedraft';
import { ManualClock } from '../../src/lib/clock';
import {
  CaseScreenService,
  SAFETY_POLL_MS,
} from '../../src/lib/services/casescreen.svelte';
import { REVEAL_MS } from '../../src/lib/services/reveal.svelte';
import { caseView, windowInfoFixture } from '../fixtures';
import { caseRevisionListenerCount, emitCaseRevision } from '../mock-ipc';

const m = vi.mocked(ipc);

/** Lets the mocks' answers arrive (their promises settle in microtasks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A command answer the test lets through when it wants. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The service with a host that keeps view and draft as App does (onview takes the new view). */
function screenFor(first: CaseView = caseView()) {
  const clock = new ManualClock();
  let view = $state.raw(first);
  let draft = $state<CaseDraft>(draftFromView(first));
  let blocked = $state(false);
  const onview = vi.fn((next: CaseView) => (view = next));
  const onerror = vi.fn();
  const screen = new CaseScreenService(
    {
      view: () => view,
      draft: () => draft,
      setDraft: (next) => (draft = next),
      blocked: () => blocked,
      onview,
      onerror,
    },
    clock,
  );
  return {
    screen,
    clock,
    onview,
    onerror,
    get view() {
      return view;
    },
    set view(next: CaseView) {
      view = next;
    },
    get draft() {
      return draft;
    },
    block(on: boolean) {
      blocked = on;
    },
  };
}

function key(init: KeyboardEventInit): KeyboardEvent {
  return new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
}

const resultFile: DocumentView = {
  id: 41,
  kind: 'result_file',
  title: '审批结果文件',
  created_at: '2026-11-27T03:00:00Z',
  path: 'W01-20261127-0001/result_file-0123456789ab.pdf',
};

function accepted(over: Partial<CaseView> = {}): CaseView {
  const v = caseView({ state: 'accepted', state_label: '已受理', editable: false, applicant_masked: '张三 3710********0810', ...over });
  v.applicant = { ...v.applicant, name: '张三', number: '3710********0810' };
  return v;
}

const whole: RevealView = { number: '371082199003070810', phone: '', address: '', agent_id_number: '', agent_phone: '' };

/** What `started` set going, stopped after each test (the feed's listeners are shared). */
const running: (() => void)[] = [];

/** Starts the service; the test's end stops it. */
function started(screen: CaseScreenService): () => void {
  const stop = screen.start();
  running.push(stop);
  return stop;
}

afterEach(() => {
  for (const stop of running.splice(0)) stop();
});

beforeEach(() => {
  vi.resetAllMocks();
  m.windowInfo.mockResolvedValue(windowInfoFixture);
  m.pollCase.mockResolvedValue(null);
});

describe('following the case', () => {
  it('reads the window, hears case-revision and polls every 5 s on the clock; stop leaves nothing', async () => {
    const t = screenFor();
    const stop = started(t.screen);
    await settle();
    expect(t.screen.info).toEqual(windowInfoFixture);
    expect(caseRevisionListenerCount()).toBe(1);
    expect(m.pollCase).not.toHaveBeenCalled();

    // The revision on screen: nothing to read.
    emitCaseRevision(t.view.revision);
    await settle();
    expect(m.pollCase).not.toHaveBeenCalled();
    emitCaseRevision(t.view.revision + 1);
    await settle();
    expect(m.pollCase).toHaveBeenCalledWith('case-1', t.view.revision);

    t.clock.advance(SAFETY_POLL_MS - 1);
    await settle();
    expect(m.pollCase).toHaveBeenCalledTimes(1);
    t.clock.advance(1);
    await settle();
    expect(m.pollCase).toHaveBeenCalledTimes(2);

    stop();
    expect(t.clock.pending).toBe(0);
    expect(caseRevisionListenerCount()).toBe(0);
    t.clock.advance(SAFETY_POLL_MS * 3);
    await settle();
    expect(m.pollCase).toHaveBeenCalledTimes(2);
  });

  it('takes a newer revision, never an older one, and keeps the typed draft', async () => {
    const t = screenFor();
    started(t.screen);
    t.screen.draft = { ...t.draft, applicant: { ...t.draft.applicant, name: '张三' } };
    m.pollCase.mockResolvedValueOnce(caseView({ revision: t.view.revision - 1 }));
    t.clock.advance(SAFETY_POLL_MS);
    await settle();
    expect(t.onview).not.toHaveBeenCalled();

    m.pollCase.mockResolvedValueOnce(caseView({ revision: 9, selected_slot: 1 }));
    t.clock.advance(SAFETY_POLL_MS);
    await settle();
    expect(t.onview).toHaveBeenCalledTimes(1);
    expect(t.view.revision).toBe(9);
    expect(t.draft.applicant.name).toBe('张三');
    expect(t.screen.dirty).toBe(true);
  });

  it('a case back to a draft by a poll gets a fresh draft', async () => {
    const t = screenFor(accepted());
    started(t.screen);
    const back = caseView({ revision: 12 });
    back.applicant = { ...back.applicant, name: '李四' };
    m.pollCase.mockResolvedValueOnce(back);
    t.clock.advance(SAFETY_POLL_MS);
    await settle();
    expect(t.draft.applicant.name).toBe('李四');
    expect(t.screen.dirty).toBe(false);
  });

  it('never two reads at once: changes during a read make one more read', async () => {
    const t = screenFor();
    const first = deferred<CaseView | null>();
    m.pollCase.mockReturnValueOnce(first.promise);
    void t.screen.poll();
    void t.screen.poll();
    void t.screen.poll();
    expect(m.pollCase).toHaveBeenCalledTimes(1);
    first.resolve(null);
    await settle();
    expect(m.pollCase).toHaveBeenCalledTimes(2);
    await settle();
    expect(m.pollCase).toHaveBeenCalledTimes(2);
  });

  it('a blocked window does not poll', async () => {
    const t = screenFor();
    started(t.screen);
    t.block(true);
    t.clock.advance(SAFETY_POLL_MS * 2);
    emitCaseRevision(99);
    await settle();
    expect(m.pollCase).not.toHaveBeenCalled();
  });

  it('a failing read is said once, until a read succeeds', async () => {
    const t = screenFor();
    m.pollCase.mockRejectedValue({ code: 'internal', message: '缓存读取失败' });
    await t.screen.poll();
    await t.screen.poll();
    expect(t.onerror).toHaveBeenCalledTimes(1);
    expect(t.onerror).toHaveBeenCalledWith('办件刷新失败：缓存读取失败');
    m.pollCase.mockResolvedValue(null);
    await t.screen.poll();
    m.pollCase.mockRejectedValue({ code: 'internal', message: '缓存读取失败' });
    await t.screen.poll();
    expect(t.onerror).toHaveBeenCalledTimes(2);
  });
});

describe('commands on the case', () => {
  it('a reply replaces the view and shows its flash; an error goes to the error line with its code', async () => {
    const t = screenFor();
    m.setPledge.mockResolvedValue(caseView({ revision: 7, flash: { ok: true, text: '告知承诺书已打印' } }));
    t.screen.pledge(1, true);
    expect(t.screen.pending).toBe(1);
    await settle();
    expect(m.setPledge).toHaveBeenCalledWith('case-1', 1, true);
    expect(t.screen.pending).toBe(0);
    expect(t.view.revision).toBe(7);
    expect(t.screen.flash).toEqual({ ok: true, text: '告知承诺书已打印' });

    m.importFromFile.mockRejectedValue({ code: 'not_found', message: '办件不存在' });
    t.screen.importFiles();
    await settle();
    expect(t.screen.flash).toBeNull();
    expect(t.onerror).toHaveBeenLastCalledWith('办件不存在', 'not_found');
  });

  it('Ctrl+S saves the draft and rebases it; a case past the draft refuses', async () => {
    const t = screenFor();
    t.screen.draft = { ...t.draft, applicant: { ...t.draft.applicant, name: '张三' } };
    expect(t.screen.dirty).toBe(true);
    const saved = caseView({ revision: 8 });
    saved.applicant = { ...saved.applicant, name: '张三' };
    m.saveIntake.mockResolvedValue(saved);
    t.screen.keydown(key({ key: 's', code: 'KeyS', ctrlKey: true }));
    await settle();
    expect(m.saveIntake.mock.calls[0][0].applicant.name).toBe('张三');
    expect(t.screen.dirty).toBe(false);
    expect(t.screen.flash).toEqual({ ok: true, text: '申请信息已保存' });

    t.view = accepted();
    expect(await t.screen.save()).toBeNull();
    expect(t.onerror).toHaveBeenLastCalledWith('办件当前为“已受理”，申请信息不能再修改');
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
  });

  it('Alt+1 chooses the first slot; a slot the case lacks and a modal screen do nothing', async () => {
    const t = screenFor();
    m.selectSlot.mockResolvedValue(caseView({ selected_slot: 0, revision: 9 }));
    t.screen.keydown(key({ key: '1', code: 'Digit1', altKey: true }));
    await settle();
    expect(m.selectSlot).toHaveBeenCalledWith('case-1', 0);
    t.screen.chooseSlot(7);
    m.previewDocument.mockResolvedValue({ id: 3, title: '一次性告知书', pages: [], page_count: 0 });
    await t.screen.openPreview(3);
    expect(t.screen.modal).toBe(true);
    t.screen.keydown(key({ key: '0', code: 'Digit0', altKey: true }));
    expect(m.selectSlot).toHaveBeenCalledTimes(1);
    // Esc closes the preview first.
    t.screen.keydown(key({ key: 'Escape', code: 'Escape' }));
    expect(t.screen.preview).toBeNull();
  });

  it('accept on a blocked case explains; a changed draft is saved first; no second decision while one runs', async () => {
    const t = screenFor();
    expect(t.screen.blockedReason).toContain('还不能受理');
    t.screen.primary();
    expect(t.onerror).toHaveBeenLastCalledWith(t.screen.blockedReason);
    expect(m.acceptCase).not.toHaveBeenCalled();

    const ready = caseView({ review: { findings: [], can_accept: true, blocking: 0, deferred: 0 } });
    t.view = ready;
    t.screen.draft = { ...draftFromView(ready), applicant: { ...ready.applicant, name: '张三' } };
    m.saveIntake.mockResolvedValue({ ...ready, revision: 11 });
    const answer = deferred<CaseView>();
    m.acceptCase.mockReturnValue(answer.promise);
    t.screen.primary();
    await settle();
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.acceptCase).toHaveBeenCalledWith('case-1');
    expect(t.screen.deciding).toBe(true);
    t.screen.accept();
    t.screen.notice();
    await settle();
    expect(m.acceptCase).toHaveBeenCalledTimes(1);
    expect(m.issueNotice).not.toHaveBeenCalled();
    answer.resolve({ ...ready, state: 'accepted', state_label: '已受理', editable: false, revision: 12 });
    await settle();
    expect(t.screen.deciding).toBe(false);
    expect(t.view.state).toBe('accepted');
  });
});

describe('the decision dialog', () => {
  it('a refused withdraw keeps the dialog with the backend’s sentence, not on the error line', async () => {
    const t = screenFor();
    m.withdrawCase.mockRejectedValue({ code: 'reason_required', message: '请写明撤回原因' });
    await t.screen.openDialog({ kind: 'withdraw', reason: '' });
    t.screen.keydown(key({ key: 'Enter', code: 'Enter', ctrlKey: true }));
    await settle();
    expect(m.withdrawCase).toHaveBeenCalledWith('case-1', '');
    expect(t.screen.dialog?.kind).toBe('withdraw');
    expect(t.screen.dialogError).toBe('请写明撤回原因');
    expect(t.onerror).not.toHaveBeenCalledWith('请写明撤回原因', expect.anything());
  });

  it('delivery prints the approver’s result files when asked, and closes the dialog', async () => {
    const ready = accepted({ state: 'ready', state_label: '待出件', documents: [resultFile] });
    const t = screenFor(ready);
    m.deliverCase.mockResolvedValue({ ...ready, state: 'delivered', state_label: '已出件', revision: 9 });
    m.reprintDocument.mockResolvedValue({ ok: true, text: '审批结果文件已打印' });
    await t.screen.openDeliver();
    expect(t.screen.dialog).toEqual({ kind: 'deliver', byPost: false, tracking: '', printResult: true });
    t.screen.confirmDialog();
    await settle();
    await settle();
    expect(m.deliverCase).toHaveBeenCalledWith('case-1', false, '');
    expect(t.screen.dialog).toBeNull();
    expect(m.reprintDocument).toHaveBeenCalledWith(41);
    expect(t.screen.flash).toEqual({ ok: true, text: '审批结果文件已打印' });
  });
});

describe('查看完整信息', () => {
  it('is offered past the draft with a masked applicant only', () => {
    expect(screenFor().screen.reveal.offered).toBe(false);
    expect(screenFor(accepted()).screen.reveal.offered).toBe(true);
    expect(screenFor(caseView({ state: 'withdrawn', state_label: '已撤回', editable: false })).screen.reveal.offered).toBe(false);
  });

  it('shows the whole values after a reason, for REVEAL_MS on the clock', async () => {
    const t = screenFor(accepted());
    const reveal = t.screen.reveal;
    m.revealApplicant.mockResolvedValue(whole);
    await reveal.openDialog();
    expect(reveal.open).toBe(true);
    expect(t.screen.modal).toBe(true);
    reveal.reason = ' 核对邮寄地址 ';
    await reveal.confirm();
    expect(m.revealApplicant).toHaveBeenCalledWith('case-1', '核对邮寄地址');
    expect(reveal.open).toBe(false);
    expect(reveal.shown).toEqual(whole);
    expect(t.screen.pending).toBe(0);
    t.clock.advance(REVEAL_MS - 1);
    expect(reveal.shown).toEqual(whole);
    t.clock.advance(1);
    expect(reveal.shown).toBeNull();
    expect(t.clock.pending).toBe(0);
  });

  it('an error stays in the dialog; an answer after cancelling shows nothing', async () => {
    const t = screenFor(accepted());
    const reveal = t.screen.reveal;
    m.revealApplicant.mockRejectedValueOnce({ code: 'reason_required', message: '请写明查看原因（至少 4 个字）' });
    await reveal.openDialog();
    reveal.reason = '核对';
    await reveal.confirm();
    expect(reveal.open).toBe(true);
    expect(reveal.error).toBe('请写明查看原因（至少 4 个字）');
    expect(t.onerror).not.toHaveBeenCalled();

    const answer = deferred<RevealView>();
    m.revealApplicant.mockReturnValueOnce(answer.promise);
    const confirming = reveal.confirm();
    expect(reveal.busy).toBe(true);
    await reveal.close();
    answer.resolve(whole);
    await confirming;
    expect(reveal.shown).toBeNull();
    expect(reveal.busy).toBe(false);
  });

  it('another case on screen drops the values for good; stop leaves no timer', async () => {
    const first = accepted();
    const t = screenFor(first);
    const reveal = t.screen.reveal;
    const stop = started(t.screen);
    m.revealApplicant.mockResolvedValue(whole);
    await reveal.openDialog();
    reveal.reason = '核对邮寄地址';
    await reveal.confirm();
    expect(reveal.shown).toEqual(whole);

    t.view = accepted({ id: 'case-2' });
    reveal.viewChanged('case-2', false);
    expect(reveal.shown).toBeNull();
    t.view = first;
    reveal.viewChanged(first.id, false);
    expect(reveal.shown).toBeNull();

    await reveal.openDialog();
    reveal.reason = '核对邮寄地址';
    await reveal.confirm();
    expect(reveal.shown).toEqual(whole);
    stop();
    expect(t.clock.pending).toBe(0);
  });
});
