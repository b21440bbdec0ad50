import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import App from '../src/App.svelte';
import {
  bundles,
  caseView,
  domains,
  enrolledPush,
  guideMain,
  guideSetup,
  onlineStatus,
  queueNotEnrolled,
  queueView,
  queueViewWindow1,
  searchGtgsh,
  ticketView,
  windowInfoFixture,
} from './fixtures';

const m = vi.mocked(ipc);

beforeEach(() => {
  vi.resetAllMocks();
  m.deskStatus.mockResolvedValue(onlineStatus({ push: enrolledPush() }));
  m.listDomains.mockResolvedValue(domains);
  m.listBundles.mockResolvedValue(bundles);
  m.searchItems.mockResolvedValue(searchGtgsh);
  m.itemGuide.mockImplementation(async (code) => (code === guideMain.code ? guideMain : guideSetup));
  m.uiReady.mockResolvedValue(undefined);
  m.windowInfo.mockResolvedValue(windowInfoFixture);
  m.newCase.mockResolvedValue(caseView());
  m.pollCase.mockResolvedValue(null);
  m.followUps.mockResolvedValue([]);
  m.queueStatus.mockResolvedValue(queueView());
  m.inviteRating.mockResolvedValue({ ok: true, text: '已请办事人在评价屏上评价' });
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function text(id: string): string {
  return byId(id).textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function button(id: string): HTMLButtonElement {
  return byId<HTMLButtonElement>(id);
}

const BUTTONS = [
  'queue-call-next',
  'queue-recall',
  'queue-serve',
  'queue-no-show',
  'queue-transfer',
  'queue-walk-in',
  'queue-invite-rating',
  'queue-pause',
];

/** The main window with the calling bar loaded (window 3, nobody called yet, 4 waiting). */
async function renderReady() {
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await waitFor(() => expect(document.getElementById('queue-waiting')).not.toBeNull());
  return user;
}

describe('the calling bar', () => {
  it('shows the window, nobody called and how many wait; every button shows its key', async () => {
    await renderReady();
    expect(m.queueStatus).toHaveBeenCalled();
    expect(text('queue-window-name')).toBe('3 号窗口（市场监管）');
    expect(text('queue-current')).toBe('当前无号');
    expect(text('queue-waiting')).toBe('等候 4 人');
    expect(document.getElementById('queue-reason')).toBeNull();
    expect(text('queue-call-next')).toBe('叫号 F8');
    expect(text('queue-recall')).toBe('重呼 Shift+F8');
    expect(text('queue-serve')).toBe('到号 F3');
    expect(text('queue-no-show')).toBe('过号 Shift+F3');
    expect(text('queue-transfer')).toBe('转移… Ctrl+F8');
    expect(text('queue-walk-in')).toBe('现场取号 Ctrl+Shift+F8');
    expect(text('queue-pause')).toBe('暂停 Shift+F9');
    expect(text('queue-invite-rating')).toBe('请评价 F12');
    for (const id of BUTTONS) {
      expect(button(id).disabled).toBe(false);
      expect(byId(id).querySelector('kbd')).not.toBeNull();
    }
  });

  it('F8 calls the next ticket and shows its number and the flash', async () => {
    const user = await renderReady();
    m.queueCallNext.mockResolvedValue(
      queueView({ current: ticketView(), waiting: 3, flash: { ok: true, text: '已叫 B007 号' } }),
    );
    await user.keyboard('{F8}');
    await waitFor(() => expect(byId('queue-number').textContent).toBe('B007'));
    expect(m.queueCallNext).toHaveBeenCalledTimes(1);
    expect(text('queue-current')).toBe('B007 已叫号 市场监管');
    expect(byId('queue-current').dataset.state).toBe('called');
    expect(text('queue-waiting')).toBe('等候 3 人');
    expect(text('queue-flash')).toBe('已叫 B007 号');
    expect(byId('queue-flash')).toHaveClass('ok');
    // F8 is no longer the 居民码 box in the case screen, and nothing else ran.
    expect(m.queueStep).not.toHaveBeenCalled();
  });

  it('the poll keeps the waiting count current and the last flash on screen', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(App);
      await waitFor(() => expect(document.getElementById('queue-waiting')).not.toBeNull());
      expect(text('queue-waiting')).toBe('等候 4 人');
      m.queueCallNext.mockResolvedValue(
        queueView({ current: ticketView(), waiting: 3, flash: { ok: true, text: '已叫 B007 号' } }),
      );
      await user.click(button('queue-call-next'));
      await waitFor(() => expect(text('queue-flash')).toBe('已叫 B007 号'));
      const polls = m.queueStatus.mock.calls.length;
      m.queueStatus.mockResolvedValue(queueView({ current: ticketView(), waiting: 9 }));
      await vi.advanceTimersByTimeAsync(5100);
      await waitFor(() => expect(text('queue-waiting')).toBe('等候 9 人'));
      expect(m.queueStatus.mock.calls.length).toBe(polls + 1);
      expect(text('queue-flash')).toBe('已叫 B007 号');
    } finally {
      vi.useRealTimers();
    }
  });

  it('Shift+F8 recalls and shows how many times', async () => {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView() }));
    const user = await renderReady();
    m.queueStep.mockResolvedValue(
      queueView({ current: ticketView({ recalls: 2 }), flash: { ok: true, text: '已重呼 B007 号（第 2 次）' } }),
    );
    await user.keyboard('{Shift>}{F8}{/Shift}');
    await waitFor(() => expect(text('queue-flash')).toBe('已重呼 B007 号（第 2 次）'));
    expect(m.queueStep).toHaveBeenCalledWith('recall');
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(text('queue-current')).toContain('重呼 2 次');
  });

  it('F3 serves: the ticket is 办理中', async () => {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView({ priority_label: '绿色通道（老年人）' }) }));
    const user = await renderReady();
    expect(text('queue-current')).toBe('B007 已叫号 绿色通道（老年人） 市场监管');
    m.queueStep.mockResolvedValue(
      queueView({
        current: ticketView({ state: 'serving', state_label: '办理中', priority_label: '绿色通道（老年人）' }),
        flash: { ok: true, text: 'B007 号已到窗口，开始办理' },
      }),
    );
    await user.keyboard('{F3}');
    await waitFor(() => expect(byId('queue-current').dataset.state).toBe('serving'));
    expect(m.queueStep).toHaveBeenCalledWith('serve');
    expect(text('queue-current')).toBe('B007 办理中 绿色通道（老年人） 市场监管');
    expect(text('queue-flash')).toBe('B007 号已到窗口，开始办理');
  });

  it('Shift+F3 is 过号', async () => {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView() }));
    const user = await renderReady();
    m.queueStep.mockResolvedValue(queueView({ current: null, flash: { ok: true, text: 'B007 号已按过号处理' } }));
    await user.keyboard('{Shift>}{F3}{/Shift}');
    await waitFor(() => expect(text('queue-flash')).toBe('B007 号已按过号处理'));
    expect(m.queueStep).toHaveBeenCalledTimes(1);
    expect(m.queueStep).toHaveBeenCalledWith('no_show');
    expect(text('queue-current')).toBe('当前无号');
  });

  it('buttons are disabled while a call is in flight; a second F8 does nothing', async () => {
    const user = await renderReady();
    let answer!: (v: ipc.QueueView) => void;
    m.queueCallNext.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await user.keyboard('{F8}');
    await waitFor(() => expect(button('queue-call-next').disabled).toBe(true));
    for (const id of BUTTONS) expect(button(id).disabled).toBe(true);
    await user.keyboard('{F8}{F3}');
    expect(m.queueCallNext).toHaveBeenCalledTimes(1);
    expect(m.queueStep).not.toHaveBeenCalled();
    answer(queueView({ current: ticketView(), flash: { ok: true, text: '已叫 B007 号' } }));
    await waitFor(() => expect(button('queue-call-next').disabled).toBe(false));
    expect(byId('queue-number').textContent).toBe('B007');
  });

  it('an error from a command is shown in red; calling again clears it', async () => {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView({ recalls: 3 }) }));
    const user = await renderReady();
    m.queueStep.mockRejectedValue({ code: 'queue', message: 'B007 号已重呼 3 次，请按过号处理' });
    await user.keyboard('{Shift>}{F8}{/Shift}');
    await waitFor(() => expect(text('queue-error')).toBe('B007 号已重呼 3 次，请按过号处理'));
    expect(byId('queue-error').getAttribute('role')).toBe('alert');
    expect(document.getElementById('queue-flash')).toBeNull();
    expect(button('queue-recall').disabled).toBe(false);

    m.queueCallNext.mockResolvedValue(queueView({ current: ticketView({ number: 'B008' }), flash: { ok: true, text: '已叫 B008 号' } }));
    await user.keyboard('{F8}');
    await waitFor(() => expect(text('queue-flash')).toBe('已叫 B008 号'));
    expect(document.getElementById('queue-error')).toBeNull();
  });

  it('a flash that is not ok is red', async () => {
    const user = await renderReady();
    m.queueCallNext.mockResolvedValue(queueView({ flash: { ok: false, text: '当前没有等候的号' } }));
    await user.keyboard('{F8}');
    await waitFor(() => expect(text('queue-flash')).toBe('当前没有等候的号'));
    expect(byId('queue-flash')).toHaveClass('bad');
    expect(byId('queue-flash').dataset.ok).toBe('false');
  });

  it('the voice failure is shown in red; calling still works', async () => {
    m.queueStatus.mockResolvedValue(queueView({ announce_error: '叫号语音播报失败：找不到 espeak-ng' }));
    const user = await renderReady();
    expect(text('queue-announce-error')).toBe('叫号语音播报失败：找不到 espeak-ng（叫号照常进行）');
    expect(byId('queue-announce-error')).toHaveClass('bad');
    expect(button('queue-call-next').disabled).toBe(false);
    m.queueCallNext.mockResolvedValue(
      queueView({ current: ticketView(), announce_error: '叫号语音播报失败：找不到 espeak-ng', flash: { ok: true, text: '已叫 B007 号' } }),
    );
    await user.keyboard('{F8}');
    await waitFor(() => expect(byId('queue-number').textContent).toBe('B007'));
    expect(document.getElementById('queue-announce-error')).not.toBeNull();
  });

  it('a reason disables every button and shows the sentence; the keys do nothing', async () => {
    m.queueStatus.mockResolvedValue(queueNotEnrolled);
    const user = userEvent.setup();
    render(App);
    await waitFor(() => expect(document.getElementById('queue-reason')).not.toBeNull());
    expect(text('queue-reason')).toBe('本窗口尚未在中心注册（F10），不能叫号');
    expect(byId('queue-bar')).toHaveClass('unavailable');
    for (const id of BUTTONS) expect(button(id).disabled).toBe(true);
    expect(document.getElementById('queue-current')).toBeNull();
    expect(document.getElementById('queue-waiting')).toBeNull();
    await user.keyboard(
      '{F8}{Shift>}{F8}{/Shift}{F3}{Shift>}{F3}{F9}{/Shift}{Control>}{F8}{/Control}{Control>}{Shift>}{F8}{/Shift}{/Control}{F12}',
    );
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(m.inviteRating).not.toHaveBeenCalled();
    expect(m.queueStep).not.toHaveBeenCalled();
    expect(m.queueSetWindow).not.toHaveBeenCalled();
    expect(m.queueWalkIn).not.toHaveBeenCalled();
    expect(document.getElementById('queue-transfer-dialog')).toBeNull();
    expect(document.getElementById('queue-walk-in-dialog')).toBeNull();
  });

});

describe('pause and resume', () => {
  it('Shift+F9 pauses; the bar shows it; Shift+F9 again resumes', async () => {
    const user = await renderReady();
    m.queueSetWindow.mockResolvedValueOnce(
      queueView({ window_state: 'paused', flash: { ok: true, text: '本窗口已暂停叫号' } }),
    );
    await user.keyboard('{Shift>}{F9}{/Shift}');
    await waitFor(() => expect(document.getElementById('queue-paused')).not.toBeNull());
    expect(m.queueSetWindow).toHaveBeenCalledWith('paused');
    expect(text('queue-paused')).toBe('已暂停叫号');
    expect(byId('queue-bar')).toHaveClass('paused');
    expect(byId('queue-bar').dataset.windowState).toBe('paused');
    expect(text('queue-pause')).toBe('恢复 Shift+F9');
    expect(text('queue-flash')).toBe('本窗口已暂停叫号');
    // Shift+F9 is not F9 (跟进事项).
    expect(document.getElementById('open-follow-ups')).not.toHaveClass('active');
    expect(m.followUps).not.toHaveBeenCalled();

    m.queueSetWindow.mockResolvedValueOnce(queueView({ window_state: 'open', flash: { ok: true, text: '本窗口恢复服务' } }));
    await user.click(button('queue-pause'));
    await waitFor(() => expect(document.getElementById('queue-paused')).toBeNull());
    expect(m.queueSetWindow).toHaveBeenLastCalledWith('open');
    expect(text('queue-pause')).toBe('暂停 Shift+F9');
    expect(byId('queue-bar')).not.toHaveClass('paused');
  });

  it('plain F9 still opens 跟进事项 and does not pause', async () => {
    const user = await renderReady();
    await user.keyboard('{F9}');
    await waitFor(() => expect(byId('open-follow-ups')).toHaveClass('active'));
    expect(m.queueSetWindow).not.toHaveBeenCalled();
  });
});

describe('transfer', () => {
  async function openDialog() {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView() }));
    const user = await renderReady();
    const opener = byId('search-input');
    expect(document.activeElement).toBe(opener);
    await user.keyboard('{Control>}{F8}{/Control}');
    await waitFor(() => expect(document.getElementById('queue-transfer-dialog')).not.toBeNull());
    const select = byId<HTMLSelectElement>('queue-transfer-target');
    expect(document.activeElement).toBe(select);
    return { user, select, opener };
  }

  it('Ctrl+F8, a domain, Enter: queueTransfer(null, "SBYB"); focus returns', async () => {
    const { user, select, opener } = await openDialog();
    expect(text('queue-transfer-title')).toBe('转移 B007 号');
    // The ticket's own business is not offered.
    const values = [...select.options].map((o) => o.value);
    expect(values).toEqual(['w:1', 'w:4', 'd:SBYB']);
    m.queueTransfer.mockResolvedValue(
      queueView({ current: null, flash: { ok: true, text: 'B007 号已转移，按原取号时间排队' } }),
    );
    await user.selectOptions(select, 'd:SBYB');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.getElementById('queue-transfer-dialog')).toBeNull());
    expect(m.queueTransfer).toHaveBeenCalledWith(null, 'SBYB');
    expect(text('queue-flash')).toBe('B007 号已转移，按原取号时间排队');
    expect(text('queue-current')).toBe('当前无号');
    expect(document.activeElement).toBe(opener);
  });

  it('to a window: queueTransfer(4, null)', async () => {
    const { user, select } = await openDialog();
    m.queueTransfer.mockResolvedValue(queueView({ flash: { ok: true, text: 'B007 号已转移，按原取号时间排队' } }));
    await user.selectOptions(select, 'w:4');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(m.queueTransfer).toHaveBeenCalledWith(4, null));
    await waitFor(() => expect(document.getElementById('queue-transfer-dialog')).toBeNull());
  });

  it('Enter with nothing chosen asks for a target; Esc cancels and focus returns', async () => {
    const { user, opener } = await openDialog();
    await user.keyboard('{Enter}');
    expect(text('queue-transfer-error')).toBe('请选择转到哪个窗口，或哪个业务');
    expect(m.queueTransfer).not.toHaveBeenCalled();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('queue-transfer-dialog')).toBeNull());
    expect(m.queueTransfer).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(opener);
    // Esc stayed in the dialog: the search box still has its text selected state, the guide is on screen.
    expect(byId('open-guide')).toHaveClass('active');
  });

  it('a failed transfer keeps the dialog open with the reason', async () => {
    const { user, select } = await openDialog();
    m.queueTransfer.mockRejectedValue({ code: 'queue', message: '该窗口不办理此业务，不能转过去' });
    await user.selectOptions(select, 'w:1');
    await user.click(button('queue-transfer-confirm'));
    await waitFor(() => expect(text('queue-transfer-error')).toBe('该窗口不办理此业务，不能转过去'));
    expect(m.queueTransfer).toHaveBeenCalledWith(1, null);
    expect(document.getElementById('queue-transfer-dialog')).not.toBeNull();
  });

  it('the dialog keeps the keys: F8 does not call while it is open; Tab stays inside', async () => {
    const { user } = await openDialog();
    await user.keyboard('{F8}');
    expect(m.queueCallNext).not.toHaveBeenCalled();
    await user.keyboard('{Tab}');
    expect(document.activeElement?.id).toBe('queue-transfer-cancel');
    await user.keyboard('{Tab}');
    expect(document.activeElement?.id).toBe('queue-transfer-confirm');
    await user.keyboard('{Tab}');
    expect(document.activeElement?.id).toBe('queue-transfer-target');
    await user.keyboard('{Shift>}{Tab}{/Shift}');
    expect(document.activeElement?.id).toBe('queue-transfer-confirm');
  });
});

describe('现场取号', () => {
  const CTRL_SHIFT_F8 = '{Control>}{Shift>}{F8}{/Shift}{/Control}';
  const walkedIn = (number: string, domain: string, domainName: string) =>
    ticketView({ number, domain, domain_name: domainName, state: 'serving', state_label: '办理中' });

  it('one business: Ctrl+Shift+F8 takes a ticket of it at once, no dialog; the bar shows it', async () => {
    const user = await renderReady();
    const opener = byId('search-input');
    expect(byId('queue-walk-in').getAttribute('aria-haspopup')).toBeNull();
    m.queueWalkIn.mockResolvedValue(
      queueView({ current: walkedIn('B012', 'SCJG', '市场监管'), flash: { ok: true, text: '现场取号 B012，已开始办理' } }),
    );
    await user.keyboard(CTRL_SHIFT_F8);
    await waitFor(() => expect(text('queue-flash')).toBe('现场取号 B012，已开始办理'));
    expect(m.queueWalkIn).toHaveBeenCalledTimes(1);
    expect(m.queueWalkIn).toHaveBeenCalledWith('SCJG');
    expect(document.getElementById('queue-walk-in-dialog')).toBeNull();
    expect(text('queue-current')).toBe('B012 办理中 市场监管');
    expect(byId('queue-current').dataset.state).toBe('serving');
    expect(byId('queue-flash')).toHaveClass('ok');
    // Nothing else ran, and the focus stayed where it was.
    expect(m.queueTransfer).not.toHaveBeenCalled();
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(document.getElementById('queue-transfer-dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('offline: the walk-in gets the desk-numbered ticket, the bar says 离线叫号, F8 calls it', async () => {
    const user = await renderReady();
    expect(document.getElementById('queue-offline')).toBeNull();
    m.queueWalkIn.mockResolvedValue(
      queueView({
        current: ticketView({ number: 'B012', state: 'serving', state_label: '办理中' }),
        waiting: 1,
        offline: true,
        flash: { ok: true, text: '中心暂不可连接：离线取号 W03-001，在本窗口排队，按 F8 叫号' },
      }),
    );
    await user.keyboard(CTRL_SHIFT_F8);
    await waitFor(() => expect(text('queue-offline')).toBe('离线叫号'));
    expect(text('queue-flash')).toBe('中心暂不可连接：离线取号 W03-001，在本窗口排队，按 F8 叫号');
    expect(text('queue-waiting')).toBe('等候 1 人');
    m.queueCallNext.mockResolvedValue(
      queueView({
        current: ticketView({ number: 'W03-001' }),
        waiting: 0,
        offline: true,
        flash: { ok: true, text: '已叫 W03-001 号（离线）' },
      }),
    );
    await user.keyboard('{F8}');
    await waitFor(() => expect(byId('queue-number').textContent).toBe('W03-001'));
    expect(text('queue-offline')).toBe('离线叫号');
    // Back online: the badge goes.
    m.queueCallNext.mockResolvedValue(
      queueView({ current: ticketView({ number: 'B013' }), flash: { ok: true, text: '已叫 B013 号' } }),
    );
    await user.keyboard('{F8}');
    await waitFor(() => expect(byId('queue-number').textContent).toBe('B013'));
    expect(document.getElementById('queue-offline')).toBeNull();
  });

  it('one business: the button does the same; an error goes to the bar', async () => {
    const user = await renderReady();
    m.queueWalkIn.mockRejectedValue({ code: 'queue', message: '叫号服务暂不可用，请稍后再试' });
    await user.click(button('queue-walk-in'));
    await waitFor(() => expect(text('queue-error')).toBe('叫号服务暂不可用，请稍后再试'));
    expect(m.queueWalkIn).toHaveBeenCalledWith('SCJG');
    expect(button('queue-walk-in').disabled).toBe(false);
  });

  describe('several businesses', () => {
    async function openDialog(over: Partial<ipc.QueueView> = {}) {
      m.queueStatus.mockResolvedValue(queueViewWindow1(over));
      const user = await renderReady();
      expect(text('queue-walk-in')).toBe('现场取号… Ctrl+Shift+F8');
      expect(byId('queue-walk-in').getAttribute('aria-haspopup')).toBe('dialog');
      const opener = byId('search-input');
      expect(document.activeElement).toBe(opener);
      await user.keyboard(CTRL_SHIFT_F8);
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).not.toBeNull());
      const select = byId<HTMLSelectElement>('queue-walk-in-domain');
      expect(document.activeElement).toBe(select);
      return { user, select, opener };
    }

    it('Ctrl+Shift+F8 asks which; 公安户政, Enter: queueWalkIn("GAHZ"); focus returns', async () => {
      const { user, select, opener } = await openDialog();
      expect(m.queueWalkIn).not.toHaveBeenCalled();
      expect(text('queue-walk-in-title')).toBe('现场取号');
      expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
        ['ZHSL', '综合受理'],
        ['GAHZ', '公安户政'],
      ]);
      // The bar behind the dialog is inert.
      expect(byId('queue-bar').hasAttribute('inert')).toBe(true);
      m.queueWalkIn.mockResolvedValue(
        queueViewWindow1({
          current: walkedIn('E001', 'GAHZ', '公安户政'),
          waiting: 3,
          flash: { ok: true, text: '现场取号 E001，已开始办理' },
        }),
      );
      await user.selectOptions(select, 'GAHZ');
      await user.keyboard('{Enter}');
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).toBeNull());
      expect(m.queueWalkIn).toHaveBeenCalledTimes(1);
      expect(m.queueWalkIn).toHaveBeenCalledWith('GAHZ');
      expect(text('queue-flash')).toBe('现场取号 E001，已开始办理');
      expect(text('queue-current')).toBe('E001 办理中 公安户政');
      expect(text('queue-waiting')).toBe('等候 3 人');
      expect(byId('queue-bar').hasAttribute('inert')).toBe(false);
      expect(document.activeElement).toBe(opener);
    });

    it('the button opens the same dialog; the confirm button takes the ticket', async () => {
      m.queueStatus.mockResolvedValue(queueViewWindow1());
      const user = await renderReady();
      await user.click(button('queue-walk-in'));
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).not.toBeNull());
      expect(document.activeElement?.id).toBe('queue-walk-in-domain');
      m.queueWalkIn.mockResolvedValue(
        queueViewWindow1({ current: walkedIn('A021', 'ZHSL', '综合受理'), flash: { ok: true, text: '现场取号 A021，已开始办理' } }),
      );
      await user.selectOptions(byId<HTMLSelectElement>('queue-walk-in-domain'), 'ZHSL');
      await user.click(button('queue-walk-in-confirm'));
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).toBeNull());
      expect(m.queueWalkIn).toHaveBeenCalledWith('ZHSL');
      expect(text('queue-current')).toBe('A021 办理中 综合受理');
      expect(document.activeElement?.id).toBe('queue-walk-in');
    });

    it('Enter with nothing chosen asks for a business; Esc cancels without a ticket, focus returns', async () => {
      const { user, opener } = await openDialog();
      await user.keyboard('{Enter}');
      expect(text('queue-walk-in-error')).toBe('请选择办理哪个业务');
      expect(document.activeElement?.id).toBe('queue-walk-in-domain');
      await user.keyboard('{Escape}');
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).toBeNull());
      expect(m.queueWalkIn).not.toHaveBeenCalled();
      expect(document.activeElement).toBe(opener);
      // Esc stayed in the dialog: the guide is still on screen.
      expect(byId('open-guide')).toHaveClass('active');
      // The dialog opens again clean.
      await user.keyboard(CTRL_SHIFT_F8);
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).not.toBeNull());
      expect(document.getElementById('queue-walk-in-error')).toBeNull();
      expect(byId<HTMLSelectElement>('queue-walk-in-domain').value).toBe('');
    });

    it('a failed walk-in keeps the dialog open with the reason', async () => {
      const { user, select } = await openDialog();
      m.queueWalkIn.mockRejectedValue({ code: 'queue', message: '本窗口已暂停叫号，不能现场取号' });
      await user.selectOptions(select, 'GAHZ');
      await user.keyboard('{Enter}');
      await waitFor(() => expect(text('queue-walk-in-error')).toBe('本窗口已暂停叫号，不能现场取号'));
      expect(byId('queue-walk-in-error').getAttribute('role')).toBe('alert');
      expect(m.queueWalkIn).toHaveBeenCalledWith('GAHZ');
      expect(document.getElementById('queue-walk-in-dialog')).not.toBeNull();
      expect(document.activeElement?.id).toBe('queue-walk-in-domain');
      // The bar itself shows no error and no flash: the reason is in the dialog.
      expect(document.getElementById('queue-error')).toBeNull();
      expect(document.getElementById('queue-flash')).toBeNull();
      // Another try succeeds and closes the dialog.
      m.queueWalkIn.mockResolvedValue(
        queueViewWindow1({ current: walkedIn('E001', 'GAHZ', '公安户政'), flash: { ok: true, text: '现场取号 E001，已开始办理' } }),
      );
      await user.keyboard('{Enter}');
      await waitFor(() => expect(document.getElementById('queue-walk-in-dialog')).toBeNull());
      expect(m.queueWalkIn).toHaveBeenCalledTimes(2);
      expect(text('queue-flash')).toBe('现场取号 E001，已开始办理');
    });

    it('the dialog keeps the keys: F8 and Ctrl+F8 do nothing while it is open; Tab stays inside', async () => {
      const { user } = await openDialog();
      await user.keyboard('{F8}{Control>}{F8}{/Control}');
      expect(m.queueCallNext).not.toHaveBeenCalled();
      expect(document.getElementById('queue-transfer-dialog')).toBeNull();
      await user.keyboard('{Tab}');
      expect(document.activeElement?.id).toBe('queue-walk-in-cancel');
      await user.keyboard('{Tab}');
      expect(document.activeElement?.id).toBe('queue-walk-in-confirm');
      await user.keyboard('{Tab}');
      expect(document.activeElement?.id).toBe('queue-walk-in-domain');
      await user.keyboard('{Shift>}{Tab}{/Shift}');
      expect(document.activeElement?.id).toBe('queue-walk-in-confirm');
    });
  });

  it('disabled when calling is not possible: the button and Ctrl+Shift+F8 do nothing', async () => {
    m.queueStatus.mockResolvedValue(
      queueViewWindow1({ reason: '与中心的连接已断开，暂不能叫号', window_state: null, waiting: 0 }),
    );
    const user = userEvent.setup();
    render(App);
    await waitFor(() => expect(document.getElementById('queue-reason')).not.toBeNull());
    expect(button('queue-walk-in').disabled).toBe(true);
    await user.click(button('queue-walk-in'));
    await user.keyboard(CTRL_SHIFT_F8);
    expect(document.getElementById('queue-walk-in-dialog')).toBeNull();
    expect(m.queueWalkIn).not.toHaveBeenCalled();
  });

  it('a Ctrl+Shift+F8 while a call is in flight does nothing', async () => {
    const user = await renderReady();
    let answer!: (v: ipc.QueueView) => void;
    m.queueCallNext.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await user.keyboard('{F8}');
    await waitFor(() => expect(button('queue-walk-in').disabled).toBe(true));
    await user.keyboard(CTRL_SHIFT_F8);
    expect(m.queueWalkIn).not.toHaveBeenCalled();
    answer(queueView({ current: ticketView(), flash: { ok: true, text: '已叫 B007 号' } }));
    await waitFor(() => expect(button('queue-walk-in').disabled).toBe(false));
  });
});

describe('请评价', () => {
  it('F12 invites the rating: inviteRating() once, its flash in the bar, nothing else runs', async () => {
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView({ state: 'serving', state_label: '办理中' }) }));
    const user = await renderReady();
    const opener = byId('search-input');
    await user.keyboard('{F12}');
    await waitFor(() => expect(text('queue-flash')).toBe('已请办事人在评价屏上评价'));
    expect(m.inviteRating).toHaveBeenCalledTimes(1);
    expect(byId('queue-flash')).toHaveClass('ok');
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(m.queueStep).not.toHaveBeenCalled();
    // The bar still shows the ticket being served, and the focus stayed where it was.
    expect(text('queue-current')).toBe('B007 办理中 市场监管');
    expect(document.activeElement).toBe(opener);
  });

  it('modified F12 does nothing', async () => {
    const user = await renderReady();
    await user.keyboard('{Shift>}{F12}{/Shift}{Control>}{F12}{/Control}{Alt>}{F12}{/Alt}');
    expect(m.inviteRating).not.toHaveBeenCalled();
  });

  it('the button does the same; an error goes to the bar in red', async () => {
    const user = await renderReady();
    m.inviteRating.mockRejectedValue({ code: 'queue_unavailable', message: '与中心的连接已断开，暂不能叫号' });
    await user.click(button('queue-invite-rating'));
    await waitFor(() => expect(text('queue-error')).toBe('与中心的连接已断开，暂不能叫号'));
    expect(byId('queue-error').getAttribute('role')).toBe('alert');
    expect(document.getElementById('queue-flash')).toBeNull();
    expect(m.inviteRating).toHaveBeenCalledTimes(1);
    expect(button('queue-invite-rating').disabled).toBe(false);
  });

  it('a not-ok flash is red', async () => {
    const user = await renderReady();
    m.inviteRating.mockResolvedValue({ ok: false, text: '评价屏未打开' });
    await user.keyboard('{F12}');
    await waitFor(() => expect(text('queue-flash')).toBe('评价屏未打开'));
    expect(byId('queue-flash')).toHaveClass('bad');
  });

  it('disabled while a call is in flight: F12 does nothing; the button is disabled while it runs', async () => {
    const user = await renderReady();
    let answer!: (v: ipc.QueueView) => void;
    m.queueCallNext.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await user.keyboard('{F8}');
    await waitFor(() => expect(button('queue-invite-rating').disabled).toBe(true));
    await user.keyboard('{F12}');
    expect(m.inviteRating).not.toHaveBeenCalled();
    answer(queueView({ current: ticketView(), flash: { ok: true, text: '已叫 B007 号' } }));
    await waitFor(() => expect(button('queue-invite-rating').disabled).toBe(false));

    let invited!: (v: ipc.Flash) => void;
    m.inviteRating.mockImplementation(() => new Promise((resolve) => (invited = resolve)));
    await user.keyboard('{F12}');
    await waitFor(() => expect(button('queue-call-next').disabled).toBe(true));
    for (const id of BUTTONS) expect(button(id).disabled).toBe(true);
    await user.keyboard('{F12}{F8}');
    expect(m.inviteRating).toHaveBeenCalledTimes(1);
    expect(m.queueCallNext).toHaveBeenCalledTimes(1);
    invited({ ok: true, text: '已请办事人在评价屏上评价' });
    await waitFor(() => expect(text('queue-flash')).toBe('已请办事人在评价屏上评价'));
    expect(button('queue-invite-rating').disabled).toBe(false);
  });

  it('F12 does nothing while the sign-in panel is open', async () => {
    const user = await renderReady();
    await user.keyboard('{F11}');
    await waitFor(() => expect(document.getElementById('login-panel')).not.toBeNull());
    await user.keyboard('{F12}');
    expect(m.inviteRating).not.toHaveBeenCalled();
  });
});

describe('with a desk panel open', () => {
  it('the calling keys do nothing while the sign-in panel is open', async () => {
    const user = await renderReady();
    await user.keyboard('{F11}');
    await waitFor(() => expect(document.getElementById('login-panel')).not.toBeNull());
    await user.keyboard('{F8}{F3}');
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(m.queueStep).not.toHaveBeenCalled();
  });
});

describe('in the case screen', () => {
  it('F8 calls; Shift+F6 goes to the 居民码/企业码 box', async () => {
    const user = await renderReady();
    await user.type(byId('search-input'), 'gtgsh');
    await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
    // The calling bar stays below the case screen.
    expect(byId('queue-bar')).toBeInTheDocument();
    expect(byId('case-screen').contains(byId('queue-bar'))).toBe(false);
    await user.keyboard('{Shift>}{F6}{/Shift}');
    expect(document.activeElement?.id).toBe('applicant-code');
    expect(m.readIdCard).not.toHaveBeenCalled();
    m.queueCallNext.mockResolvedValue(queueView({ current: ticketView(), flash: { ok: true, text: '已叫 B007 号' } }));
    await user.click(byId('case-title'));
    await user.keyboard('{F8}');
    await waitFor(() => expect(byId('queue-number').textContent).toBe('B007'));
    expect(document.activeElement?.id).not.toBe('applicant-code');
  });
});
