import { beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import type { DeskStatus } from '../src/ipc';
import App from '../src/App.svelte';
import StatusBar from '../src/components/StatusBar.svelte';
import {
  bundles,
  caseView,
  domains,
  enrolledPush,
  guideMain,
  guideSetup,
  onlineStatus,
  pushStatus,
  rejectedOp,
  searchGtgsh,
  windowInfoFixture,
  queueNotEnrolled,
} from './fixtures';

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
  m.syncNow.mockResolvedValue(onlineStatus());
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function text(el: Element | null | undefined): string {
  return el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function minutesAgo(n: number): string {
  return new Date(Date.now() - n * 60_000 - 5_000).toISOString();
}

async function renderReady() {
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await waitFor(() => expect(document.getElementById('push-status')).not.toBeNull());
  return user;
}

function renderBar(status: DeskStatus, syncBusy = false) {
  const onenrol = vi.fn();
  const onrejected = vi.fn();
  const props = {
    status,
    statusError: null,
    syncBusy,
    onsync: vi.fn(),
    onenrol,
    onrejected,
    onlogin: vi.fn(),
    onlogout: vi.fn(),
  };
  const result = render(StatusBar, props);
  return { ...result, onenrol, onrejected, props };
}

// ---------------------------------------------------------------- status bar

describe('push status in the status bar', () => {
  it('not enrolled: an amber 未注册 button that opens enrolment', async () => {
    const user = userEvent.setup();
    const { onenrol } = renderBar(onlineStatus());
    const push = byId('push-status');
    expect(push.dataset.state).toBe('unenrolled');
    const button = byId('enrol-open');
    expect(text(button)).toBe('未注册 F10');
    expect(button).toHaveClass('unenrolled');
    expect(button.title).toContain('尚未在中心注册');
    expect(push.querySelector('.push-done')).toBeNull();
    expect(document.getElementById('rejected-count')).toBeNull();
    expect(document.getElementById('push-progress')).toBeNull();
    await user.click(button);
    expect(onenrol).toHaveBeenCalledTimes(1);
  });

  it('not enrolled with work waiting: the button and the count', () => {
    renderBar(onlineStatus({ push: pushStatus({ pending_ops: 2, pending_bytes: 2048 }) }));
    expect(byId('enrol-open')).toBeInTheDocument();
    expect(text(byId('push-status').querySelector('.push-count'))).toBe('待上传 2 项');
  });

  it('pending: count, size and the age of the oldest op', () => {
    renderBar(
      onlineStatus({
        push: enrolledPush({ pending_ops: 3, pending_bytes: 24 * 1024 + 100, oldest_pending_at: minutesAgo(5) }),
      }),
    );
    const push = byId('push-status');
    expect(push.dataset.state).toBe('pending');
    expect(document.getElementById('enrol-open')).toBeNull();
    expect(text(push.querySelector('.push-count'))).toBe('待上传 3 项');
    expect(text(push.querySelector('.push-size'))).toBe('24 KB');
    expect(text(push.querySelector('.push-age'))).toBe('最早 5 分钟前');
    expect(push.title).toBe('本窗口：荣成市政务服务中心 综合受理 1 号窗口（窗口编码 RC01）；尚未上传');
    // Not syncing: no progress bar.
    expect(document.getElementById('push-progress')).toBeNull();
  });

  it('pending in megabytes, without an age when the backend gives none', () => {
    renderBar(onlineStatus({ push: enrolledPush({ pending_ops: 12, pending_bytes: 3.4 * 1024 * 1024 }) }));
    const push = byId('push-status');
    expect(text(push.querySelector('.push-size'))).toBe('3.4 MB');
    expect(push.querySelector('.push-age')).toBeNull();
  });

  it('ops the hub does not serve yet are counted apart', () => {
    renderBar(onlineStatus({ push: enrolledPush({ pending_ops: 3, held_for_hub: 1 }) }));
    expect(text(byId('push-held'))).toBe('其中 1 项待中心升级');
    expect(byId('push-held').title).toContain('中心升级后自动上传');
    renderBar(onlineStatus({ push: enrolledPush({ pending_ops: 3 }) }));
    expect(document.querySelectorAll('#push-held')).toHaveLength(1);
  });

  it('a newer release on the hub, and a desk the hub refuses as too old', () => {
    renderBar(onlineStatus({ release: '0.1.0', update_published: '0.1.0+next1' }));
    expect(text(byId('update-published'))).toBe('新版本 0.1.0+next1 已发布');
    expect(byId('update-published').title).toContain('本机 0.1.0');
    cleanup();
    const said = '本窗口程序版本 0.1.0 低于中心要求的 0.2.0，中心不再接收它的数据。';
    renderBar(onlineStatus({ release: '0.1.0', update_published: '0.2.0', update_required: said }));
    expect(text(byId('update-required'))).toBe('程序版本过旧，请更新（本机 0.1.0）');
    expect(byId('update-required').title).toBe(said);
    expect(byId('update-required').getAttribute('role')).toBe('alert');
    expect(document.getElementById('update-published')).toBeNull();
  });

  it('all sent: 已全部上传', () => {
    renderBar(onlineStatus({ push: enrolledPush({ last_push_at: new Date().toISOString() }) }));
    const push = byId('push-status');
    expect(push.dataset.state).toBe('sent');
    expect(text(push)).toBe('已全部上传');
    expect(push.title).toMatch(/；最近上传 \d\d:\d\d:\d\d$/);
  });

  it('rejected: a red 被拒 N button; a problem as short red text with the full sentence as tooltip', async () => {
    const user = userEvent.setup();
    const problem = '本窗口的凭据已被中心吊销，请联系管理员重新注册。';
    const { onrejected } = renderBar(onlineStatus({ push: enrolledPush({ rejected: 2, problem }) }));
    const rejected = byId('rejected-count');
    expect(text(rejected)).toBe('被拒 2');
    expect(rejected).toHaveClass('rejected');
    expect(rejected.tagName).toBe('BUTTON');
    await user.click(rejected);
    expect(onrejected).toHaveBeenCalledTimes(1);
    const shown = byId('push-problem');
    expect(text(shown)).toBe(problem);
    expect(shown.title).toBe(problem);
  });

  it('while syncing, a progress bar drains against the most seen since the outbox was empty', async () => {
    const status = (pending: number, syncing = true) =>
      onlineStatus({ syncing, push: enrolledPush({ pending_ops: pending, pending_bytes: pending * 1000 }) });
    const { rerender, props } = renderBar(status(10));
    let bar = byId('push-progress');
    expect(bar.getAttribute('role')).toBe('progressbar');
    expect(bar.getAttribute('aria-valuemax')).toBe('10');
    expect(bar.getAttribute('aria-valuenow')).toBe('10');

    await rerender({ ...props, status: status(4) });
    bar = byId('push-progress');
    expect(bar.getAttribute('aria-valuemax')).toBe('10');
    expect(bar.getAttribute('aria-valuenow')).toBe('4');
    expect((bar.querySelector('.push-progress-fill') as HTMLElement).style.width).toBe('40%');

    // More work arrives: the denominator grows.
    await rerender({ ...props, status: status(12) });
    expect(byId('push-progress').getAttribute('aria-valuemax')).toBe('12');

    // Empty: no bar, and the next batch starts from its own size.
    await rerender({ ...props, status: status(0) });
    expect(document.getElementById('push-progress')).toBeNull();
    expect(text(byId('push-status'))).toBe('已全部上传');
    await rerender({ ...props, status: status(2) });
    expect(byId('push-progress').getAttribute('aria-valuemax')).toBe('2');

    // Not syncing: no bar.
    await rerender({ ...props, status: status(2, false) });
    expect(document.getElementById('push-progress')).toBeNull();
    // A sync started from this window counts as syncing.
    await rerender({ ...props, status: status(2, false), syncBusy: true });
    expect(byId('push-progress')).toBeInTheDocument();
  });

  it('the hall window from the queue configuration, with its domains; nothing without one', () => {
    const { unmount } = renderBar(
      onlineStatus({
        push: enrolledPush(),
        queue_window: { number: 6, name: '6 号窗口（潮汐）', domains_label: '综合受理（A）', tidal: true },
      }),
    );
    expect(text(byId('queue-window'))).toBe('6 号窗口 · 综合受理（A）');
    expect(byId('queue-window').title).toContain('潮汐窗口');
    unmount();
    renderBar(onlineStatus({ push: enrolledPush() }));
    expect(document.getElementById('queue-window')).toBeNull();
  });

  it('the existing status items are unchanged', () => {
    renderBar(onlineStatus({ push: enrolledPush({ rejected: 1 }) }));
    expect(text(byId('connectivity'))).toBe('在线');
    expect(text(byId('catalog-version'))).toBe('目录版本 v3 · 2026.04-fixture.1');
    expect(text(byId('item-count'))).toBe('事项 40 项');
  });
});

// ---------------------------------------------------------------- enrolment

describe('enrolment', () => {
  const enrolled = onlineStatus({
    push: enrolledPush({ last_push_at: new Date().toISOString() }),
  });

  it('never opens by itself: the desk works unenrolled', async () => {
    await renderReady();
    await new Promise((r) => setTimeout(r, 50));
    expect(document.getElementById('enrol-panel')).toBeNull();
    expect(document.activeElement).toBe(byId('search-input'));
  });

  it('F10 opens it prefilled with the hub; Esc closes it and gives the focus back', async () => {
    const user = await renderReady();
    await user.keyboard('{F10}');
    const panel = byId('enrol-panel');
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(byId<HTMLInputElement>('enrol-hub-url').value).toBe('http://127.0.0.1:8787');
    expect(byId<HTMLInputElement>('enrol-code').placeholder).toBe('ABCD-EFGH-JKLM');
    expect(document.activeElement).toBe(byId('enrol-code'));
    expect(text(panel)).toContain('onewindow-hub enrol');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('enrol-panel')).toBeNull());
    expect(document.activeElement).toBe(byId('search-input'));
    expect(m.enrolDesk).not.toHaveBeenCalled();
  });

  it('clicking 未注册, typing the code and Enter enrols; the status bar follows and the panel closes', async () => {
    m.enrolDesk.mockImplementation(async () => {
      m.deskStatus.mockResolvedValue(enrolled);
      return enrolled;
    });
    const user = await renderReady();
    await user.click(byId('enrol-open'));
    expect(byId('enrol-panel')).toBeInTheDocument();
    const hub = byId<HTMLInputElement>('enrol-hub-url');
    await user.clear(hub);
    await user.type(hub, 'https://10.0.0.5:8470');
    await user.type(byId('enrol-code'), ' abcd-efgh-jklm ');
    // An https hub needs its certificate's fingerprint: not sent without it.
    await user.keyboard('{Enter}');
    expect(text(byId('enrol-error'))).toContain('请填写中心证书指纹');
    expect(document.activeElement).toBe(byId('enrol-pin'));
    expect(m.enrolDesk).not.toHaveBeenCalled();
    await user.type(byId('enrol-pin'), '3F2A 9C01 DEAD BEEF ');
    await user.keyboard('{Enter}');

    expect(m.enrolDesk).toHaveBeenCalledWith('https://10.0.0.5:8470', 'abcd-efgh-jklm', '3F2A 9C01 DEAD BEEF');
    await waitFor(() =>
      expect(text(byId('enrol-done'))).toBe('已注册：荣成市政务服务中心 综合受理 1 号窗口（窗口编码 RC01）'),
    );
    await waitFor(() => expect(byId('push-status').dataset.state).toBe('sent'));
    expect(document.getElementById('enrol-open')).toBeNull();
    await waitFor(() => expect(document.getElementById('enrol-panel')).toBeNull(), { timeout: 3000 });
    // The 未注册 button is gone: the focus goes back to the search box.
    expect(document.activeElement).toBe(byId('search-input'));
  });

  it('the submit button enrols too', async () => {
    m.enrolDesk.mockResolvedValue(enrolled);
    const user = await renderReady();
    await user.keyboard('{F10}');
    await user.type(byId('enrol-code'), 'ABCD-EFGH-JKLM');
    await user.click(byId('enrol-submit'));
    // A hub on this PC over plain http: no fingerprint field, none sent.
    expect(document.getElementById('enrol-pin')).toBeNull();
    expect(m.enrolDesk).toHaveBeenCalledWith('http://127.0.0.1:8787', 'ABCD-EFGH-JKLM', '');
    await waitFor(() => expect(byId('enrol-done')).toBeInTheDocument());
  });

  it('shows why enrolment failed inside the panel and keeps it open', async () => {
    m.enrolDesk.mockRejectedValue({ code: 'enrol_code_used', message: '注册码已使用或已过期，请向管理员重新申请。' });
    const user = await renderReady();
    await user.keyboard('{F10}');
    await user.type(byId('enrol-code'), 'ABCD-EFGH-JKLM{Enter}');
    await waitFor(() => expect(text(byId('enrol-error'))).toBe('注册未成功：注册码已使用或已过期，请向管理员重新申请。'));
    expect(byId('enrol-panel')).toBeInTheDocument();
    expect(document.getElementById('error-line')).toBeNull();
    expect(document.activeElement).toBe(byId('enrol-code'));
    expect(byId('push-status').dataset.state).toBe('unenrolled');
  });

  it('an empty code is not sent', async () => {
    const user = await renderReady();
    await user.keyboard('{F10}{Enter}');
    expect(text(byId('enrol-error'))).toContain('请输入管理员提供的注册码');
    expect(m.enrolDesk).not.toHaveBeenCalled();
  });

  it('keys typed in the panel do not reach the window (F5 does not sync)', async () => {
    const user = await renderReady();
    await user.keyboard('{F10}');
    await user.keyboard('{F5}{F7}');
    expect(m.syncNow).not.toHaveBeenCalled();
    expect(document.getElementById('recent-cases')).toBeNull();
    expect(byId('enrol-panel')).toBeInTheDocument();
  });
});

// ---------------------------------------------------------------- rejected ops

describe('rejected ops', () => {
  const two = [
    rejectedOp(),
    rejectedOp({
      op_id: 'op-2',
      kind_label: '补充材料',
      case_number: 'RC01-20261127-0002',
      reason: '办件已办结，不能再补充材料',
      at: '2026-04-02T03:00:00Z',
    }),
  ];

  beforeEach(() => {
    m.deskStatus.mockResolvedValue(onlineStatus({ push: enrolledPush({ rejected: 2 }) }));
    m.rejectedOps.mockResolvedValue(two);
  });

  async function openList() {
    const user = await renderReady();
    await waitFor(() => expect(byId('rejected-count')).toBeInTheDocument());
    await user.click(byId('rejected-count'));
    await waitFor(() => expect(document.querySelectorAll('.rejected-row')).toHaveLength(2));
    return user;
  }

  it('lists each rejected op with its reason; the first 重新发送 has the focus', async () => {
    await openList();
    expect(byId('rejected-ops').getAttribute('role')).toBe('dialog');
    const rows = [...document.querySelectorAll<HTMLElement>('.rejected-row')];
    expect(rows.map((r) => r.dataset.opId)).toEqual(['op-1', 'op-2']);
    const cells = [...rows[1].querySelectorAll('td')].map((td) => text(td));
    expect(cells.slice(0, 3)).toEqual(['补充材料', 'RC01-20261127-0002', '办件已办结，不能再补充材料']);
    expect(cells[3]).toMatch(/\d\d:\d\d:\d\d$/);
    expect(text(rows[0].querySelector('.resend-btn'))).toBe('重新发送');
    expect(text(rows[0].querySelector('.discard-btn'))).toBe('放弃');
    await waitFor(() => expect(document.activeElement).toBe(rows[0].querySelector('.resend-btn')));
  });

  it('重新发送 calls resendOp and shows the new list', async () => {
    m.resendOp.mockResolvedValue([two[1]]);
    const user = await openList();
    await waitFor(() => expect(document.activeElement).toHaveClass('resend-btn'));
    await user.keyboard('{Enter}');
    expect(m.resendOp).toHaveBeenCalledWith('op-1');
    await waitFor(() => expect(document.querySelectorAll('.rejected-row')).toHaveLength(1));
    expect(text(byId('rejected-flash'))).toBe('已重新排队，下次同步时发送：办件流转（RC01-20261127-0001）');
    expect(document.activeElement).toBe(document.querySelector('.rejected-row .resend-btn'));
  });

  it('↓ moves to the next row', async () => {
    const user = await openList();
    await waitFor(() => expect(document.activeElement).toHaveClass('resend-btn'));
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(document.querySelectorAll('.rejected-row .resend-btn')[1]);
  });

  it('放弃 asks for a reason of at least 4 characters, Enter confirms and calls discardOp', async () => {
    m.discardOp.mockResolvedValue([two[0]]);
    const user = await openList();
    const row = document.querySelectorAll('.rejected-row')[1];
    await user.click(row.querySelector('.discard-btn')!);
    const reason = row.querySelector<HTMLInputElement>('.discard-reason')!;
    expect(reason).not.toBeNull();
    expect(document.activeElement).toBe(reason);

    await user.type(reason, '重复{Enter}');
    expect(m.discardOp).not.toHaveBeenCalled();
    expect(text(byId('rejected-error'))).toBe('请写明放弃的原因（至少 4 个字），原因会被记录');

    await user.type(reason, '提交，已线下处理{Enter}');
    expect(m.discardOp).toHaveBeenCalledWith('op-2', '重复提交，已线下处理');
    await waitFor(() => expect(document.querySelectorAll('.rejected-row')).toHaveLength(1));
    expect(text(byId('rejected-flash'))).toBe('已放弃：补充材料（RC01-20261127-0002）');
    expect(document.querySelector('.discard-reason')).toBeNull();
    expect(document.getElementById('rejected-error')).toBeNull();
  });

  it('a refused discard keeps the reason input and shows why', async () => {
    m.discardOp.mockRejectedValue({ code: 'not_found', message: '该操作已不在被拒列表中。' });
    const user = await openList();
    await user.click(document.querySelectorAll('.discard-btn')[0]);
    await user.type(document.querySelector('.discard-reason')!, '申请人已撤回{Enter}');
    await waitFor(() => expect(text(byId('rejected-error'))).toBe('该操作已不在被拒列表中。'));
    expect(document.querySelector('.discard-reason')).not.toBeNull();
    expect(document.querySelectorAll('.rejected-row')).toHaveLength(2);
  });

  it('Esc first leaves the reason input, then closes the list', async () => {
    const user = await openList();
    const discard = document.querySelectorAll<HTMLElement>('.discard-btn')[0];
    await user.click(discard);
    expect(document.activeElement).toHaveClass('discard-reason');
    await user.keyboard('{Escape}');
    expect(document.querySelector('.discard-reason')).toBeNull();
    expect(byId('rejected-ops')).toBeInTheDocument();
    expect(document.activeElement).toBe(document.querySelectorAll('.discard-btn')[0]);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('rejected-ops')).toBeNull());
    expect(m.discardOp).not.toHaveBeenCalled();
  });

  it('the last one handled leaves an empty list and the count refreshes', async () => {
    m.rejectedOps.mockResolvedValue([two[0]]);
    m.resendOp.mockImplementation(async () => {
      m.deskStatus.mockResolvedValue(onlineStatus({ push: enrolledPush({ pending_ops: 1 }) }));
      return [];
    });
    const user = await renderReady();
    await waitFor(() => expect(byId('rejected-count')).toBeInTheDocument());
    await user.click(byId('rejected-count'));
    await waitFor(() => expect(document.querySelectorAll('.rejected-row')).toHaveLength(1));
    await user.click(document.querySelector('.resend-btn')!);
    await waitFor(() => expect(text(byId('rejected-empty'))).toBe('没有被拒绝的操作。'));
    expect(document.activeElement).toBe(byId('rejected-close'));
    await waitFor(() => expect(document.getElementById('rejected-count')).toBeNull());
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('rejected-ops')).toBeNull());
  });
});
