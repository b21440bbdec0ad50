import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import ApplicantPanel from '../src/components/ApplicantPanel.svelte';
import ApplicantScreen from '../src/components/ApplicantScreen.svelte';
import { draftFromView } from '../src/lib/casedraft';
import { applicantScreenView, caseView, windowInfoFixture } from './fixtures';
import { applicantScreenListenerCount, emitApplicantScreen } from './mock-ipc';
import { reactive } from './services/reactive.svelte';

const m = vi.mocked(ipc);

/** The commands the applicant's window may call (its capability allows no other). */
const ALLOWED = ['applicantScreen', 'applicantRate', 'onApplicantScreen'];

beforeEach(() => {
  vi.resetAllMocks();
  m.applicantScreen.mockResolvedValue(applicantScreenView());
});

afterEach(() => {
  vi.useRealTimers();
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

function screenMode(): string | undefined {
  return document.getElementById('applicant-screen')?.dataset.mode;
}

/** Nothing but the applicant's two commands was called. */
function onlyAllowedCalls() {
  for (const [name, fn] of Object.entries(m)) {
    if (ALLOWED.includes(name) || !vi.isMockFunction(fn)) continue;
    expect(fn, name).not.toHaveBeenCalled();
  }
}

async function renderMode(mode: ipc.ScreenMode, over: Partial<ipc.ApplicantScreenView> = {}) {
  m.applicantScreen.mockResolvedValue(applicantScreenView({ mode, ...over }));
  const user = userEvent.setup();
  render(ApplicantScreen);
  await waitFor(() => expect(screenMode()).toBe(mode));
  return user;
}

describe('the applicant screen shows', () => {
  it('idle: a welcome with the window and the ticket being served', async () => {
    await renderMode('idle', { case: null });
    expect(text('welcome-title')).toBe('欢迎办理');
    expect(text('idle-window')).toBe('3 号窗口（市场监管）');
    expect(text('idle-ticket')).toBe('当前办理 B007 号');
    expect(document.getElementById('case-check-title')).toBeNull();
    expect(document.getElementById('rate-5')).toBeNull();
    onlyAllowedCalls();
  });

  it('idle without a ticket: the welcome only', async () => {
    await renderMode('idle', { case: null, ticket: null });
    expect(text('welcome-title')).toBe('欢迎办理');
    expect(document.getElementById('idle-ticket')).toBeNull();
  });

  it('case: the case to check, masked as the backend sent it, with the materials in their colours', async () => {
    await renderMode('case');
    expect(text('case-check-title')).toBe('请核对您的办件信息');
    expect(text('screen-case-title')).toBe('个体工商户设立登记');
    expect(text('screen-case-number')).toBe('RC-20260402-0001');
    expect(text('screen-case-applicant')).toBe('张三 3701**********1234');
    expect(text('screen-case-promised')).toBe('即办');
    expect(text('screen-ticket')).toBe('当前办理 B007 号');
    const items = [...document.querySelectorAll<HTMLElement>('.a-material')];
    expect(items.map((li) => li.querySelector('.a-mname')?.textContent)).toEqual([
      '经营者身份证明',
      '经营场所使用证明',
      '营业执照正本',
      '名称预先核准通知书',
    ]);
    expect(items.map((li) => li.querySelector('.a-status')?.textContent)).toEqual(['已收', '缺', '容缺', '免提交（电子证照）']);
    expect(items.map((li) => li.dataset.status)).toEqual(['provided', 'missing', 'deferred', 'e_licence']);
    expect(items[0].querySelector('.a-status')).toHaveClass('status-ok');
    expect(items[1].querySelector('.a-status')).toHaveClass('status-missing');
    expect(items[2].querySelector('.a-status')).toHaveClass('status-deferred');
    expect(items[3].querySelector('.a-status')).toHaveClass('status-ok');
    expect(document.getElementById('welcome-title')).toBeNull();
    onlyAllowedCalls();
  });

  it('case mode without a case falls back to the welcome', async () => {
    await renderMode('case', { case: null });
    expect(text('welcome-title')).toBe('欢迎办理');
  });

  it('rate: the question and five large buttons, best first; nothing to submit yet', async () => {
    await renderMode('rate');
    expect(text('rate-title')).toBe('请您对本次服务作出评价');
    const levels = [...document.querySelectorAll<HTMLButtonElement>('.level')];
    expect(levels.map((b) => b.id)).toEqual(['rate-5', 'rate-4', 'rate-3', 'rate-2', 'rate-1']);
    expect(levels.map((b) => b.textContent?.trim())).toEqual(['非常满意', '满意', '基本满意', '不满意', '非常不满意']);
    for (const b of levels) expect(b.getAttribute('aria-pressed')).toBe('false');
    expect(document.getElementById('rate-submit')).toBeNull();
    expect(document.getElementById('reason-0')).toBeNull();
    expect(document.getElementById('case-check-title')).toBeNull();
  });

  it('thanks: 感谢您的评价', async () => {
    await renderMode('thanks');
    expect(text('rate-thanks')).toBe('感谢您的评价');
    expect(document.getElementById('rate-5')).toBeNull();
  });

  it('nothing yet while the first answer is on its way', async () => {
    m.applicantScreen.mockImplementation(() => new Promise(() => {}));
    render(ApplicantScreen);
    expect(screenMode()).toBe('loading');
    expect(byId('applicant-screen').textContent).toContain('请稍候');
  });
});

describe('rating', () => {
  it('a good rating needs a confirming tap, then submits (5, [], "") and thanks', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-5'));
    expect(m.applicantRate).not.toHaveBeenCalled();
    expect(button('rate-5').getAttribute('aria-pressed')).toBe('true');
    expect(text('rate-chosen')).toBe('您选择了“非常满意”，请确认提交。');
    expect(document.getElementById('reason-0')).toBeNull();
    expect(document.getElementById('rate-comment')).toBeNull();
    expect(button('rate-submit').disabled).toBe(false);
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(text('rate-thanks')).toBe('感谢您的评价'));
    expect(m.applicantRate).toHaveBeenCalledTimes(1);
    expect(m.applicantRate).toHaveBeenCalledWith(5, [], '');
    expect(screenMode()).toBe('thanks');
    onlyAllowedCalls();
  });

  it('another level can be chosen before submitting', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-5'));
    await user.click(button('rate-3'));
    expect(button('rate-5').getAttribute('aria-pressed')).toBe('false');
    expect(button('rate-3').getAttribute('aria-pressed')).toBe('true');
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(m.applicantRate).toHaveBeenCalledWith(3, [], ''));
  });

  it('a bad rating needs a reason; then submits (1, ["服务态度不好"], "说话很冲")', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-1'));
    const reasons = [...document.querySelectorAll<HTMLButtonElement>('.reason')];
    expect(reasons.map((b) => b.id)).toEqual(['reason-0', 'reason-1', 'reason-2', 'reason-3', 'reason-4', 'reason-5', 'reason-6']);
    expect(text('reason-0')).toBe('服务态度不好');
    expect(button('rate-submit').disabled).toBe(true);
    expect(text('rate-hint')).toBe('请至少选择一项原因后提交');
    await user.click(button('rate-submit'));
    expect(m.applicantRate).not.toHaveBeenCalled();

    // A reason toggles on and off.
    await user.click(button('reason-0'));
    expect(button('reason-0').getAttribute('aria-pressed')).toBe('true');
    expect(button('rate-submit').disabled).toBe(false);
    await user.click(button('reason-0'));
    expect(button('reason-0').getAttribute('aria-pressed')).toBe('false');
    expect(button('rate-submit').disabled).toBe(true);
    await user.click(button('reason-0'));
    expect(document.getElementById('rate-hint')).toBeNull();

    const comment = byId<HTMLTextAreaElement>('rate-comment');
    expect(comment.maxLength).toBe(200);
    await user.type(comment, '说话很冲');
    expect(text('rate-comment-count')).toBe('4 / 200');
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(screenMode()).toBe('thanks'));
    expect(m.applicantRate).toHaveBeenCalledTimes(1);
    expect(m.applicantRate).toHaveBeenCalledWith(1, ['服务态度不好'], '说话很冲');
  });

  it('reasons are sent in the order of the list, whatever the order of the taps', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-2'));
    await user.click(button('reason-2'));
    await user.click(button('reason-0'));
    await user.type(byId('rate-comment'), '  等了很久 ');
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(m.applicantRate).toHaveBeenCalledWith(2, ['服务态度不好', '一次性告知不清楚'], '等了很久'));
  });

  it('a good level after a bad one sends no reasons and no comment', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-2'));
    await user.click(button('reason-0'));
    await user.type(byId('rate-comment'), '等了很久');
    await user.click(button('rate-4'));
    expect(document.getElementById('reason-0')).toBeNull();
    expect(document.getElementById('rate-comment')).toBeNull();
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(m.applicantRate).toHaveBeenCalledWith(4, [], ''));
  });

  it('keyboard: Tab to a level, Space chooses it, Enter on 提交评价 submits', async () => {
    const user = await renderMode('rate');
    await user.tab();
    expect(document.activeElement?.id).toBe('rate-5');
    await user.tab();
    expect(document.activeElement?.id).toBe('rate-4');
    await user.keyboard(' ');
    expect(button('rate-4').getAttribute('aria-pressed')).toBe('true');
    for (let i = 0; i < 4; i++) await user.tab();
    expect(document.activeElement?.id).toBe('rate-submit');
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(m.applicantRate).toHaveBeenCalledWith(4, [], ''));
  });

  it('an error is shown clearly; the choice stays and can be sent again', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-2'));
    await user.click(button('reason-1'));
    m.applicantRate.mockRejectedValue({ code: 'rating_failed', message: '评价提交失败：与中心的连接已断开' });
    await user.click(button('rate-submit'));
    await waitFor(() => expect(text('rate-error')).toBe('评价提交失败：与中心的连接已断开'));
    expect(byId('rate-error').getAttribute('role')).toBe('alert');
    expect(screenMode()).toBe('rate');
    expect(button('rate-2').getAttribute('aria-pressed')).toBe('true');
    expect(button('reason-1').getAttribute('aria-pressed')).toBe('true');
    expect(button('rate-submit').disabled).toBe(false);

    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(screenMode()).toBe('thanks'));
    expect(m.applicantRate).toHaveBeenCalledTimes(2);
    expect(m.applicantRate).toHaveBeenLastCalledWith(2, ['办事效率低、等候时间长'], '');
    expect(document.getElementById('rate-error')).toBeNull();
  });

  it('a rejection without a message shows the generic sentence, never a raw object', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-5'));
    m.applicantRate.mockRejectedValue(new Error('boom'));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(text('rate-error')).toBe(ipc.GENERIC_ERROR_MESSAGE));
  });

  it('while submitting everything is disabled and a second tap sends nothing', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-1'));
    await user.click(button('reason-0'));
    let answer!: (v: ipc.ApplicantScreenView) => void;
    m.applicantRate.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(button('rate-submit').disabled).toBe(true));
    expect(text('rate-submit')).toBe('正在提交…');
    expect(byId('applicant-screen').getAttribute('aria-busy')).toBe('true');
    for (const id of ['rate-5', 'rate-4', 'rate-3', 'rate-2', 'rate-1', 'reason-0', 'reason-1']) {
      expect(button(id).disabled).toBe(true);
    }
    expect(byId<HTMLTextAreaElement>('rate-comment').disabled).toBe(true);
    await user.click(button('rate-submit'));
    expect(m.applicantRate).toHaveBeenCalledTimes(1);
    answer(applicantScreenView({ mode: 'thanks' }));
    await waitFor(() => expect(screenMode()).toBe('thanks'));
  });
});

describe('following the clerk', () => {
  it('reads once at start, then follows applicant-screen events; a read every 30 s is the safety net, one at a time', async () => {
    vi.useFakeTimers();
    let answer!: (v: ipc.ApplicantScreenView) => void;
    m.applicantScreen.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const { unmount } = render(ApplicantScreen);
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    expect(applicantScreenListenerCount()).toBe(1);
    answer(applicantScreenView({ mode: 'idle', case: null }));
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('idle');
    // Nothing changes: no reads across IPC every second.
    await vi.advanceTimersByTimeAsync(29_000);
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(m.applicantScreen).toHaveBeenCalledTimes(2);
    // A slow answer: the next tick starts no second read.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(m.applicantScreen).toHaveBeenCalledTimes(2);
    answer(applicantScreenView({ mode: 'rate' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('rate');
    unmount();
    expect(applicantScreenListenerCount()).toBe(0);
  });

  it('follows the clerk: case, then rate when invited, then thanks and back', async () => {
    vi.useFakeTimers();
    render(ApplicantScreen);
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('case');
    emitApplicantScreen(applicantScreenView({ mode: 'rate' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('rate');
    emitApplicantScreen(applicantScreenView({ mode: 'thanks' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('thanks');
    emitApplicantScreen(applicantScreenView({ mode: 'idle', case: null, ticket: null }));
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('idle');
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    onlyAllowedCalls();
  });

  it('a new invitation starts the rating afresh', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-2'));
    await user.click(button('reason-0'));
    emitApplicantScreen(applicantScreenView({ mode: 'case' }));
    await waitFor(() => expect(screenMode()).toBe('case'));
    emitApplicantScreen(applicantScreenView({ mode: 'rate' }));
    await waitFor(() => expect(screenMode()).toBe('rate'));
    expect(button('rate-2').getAttribute('aria-pressed')).toBe('false');
    expect(document.getElementById('rate-submit')).toBeNull();
  });

  it('a failed read keeps the screen and says it is not current; the next view clears it', async () => {
    vi.useFakeTimers();
    render(ApplicantScreen);
    await vi.advanceTimersByTimeAsync(0);
    expect(screenMode()).toBe('case');
    m.applicantScreen.mockRejectedValue({ code: 'io', message: '读取失败' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(screenMode()).toBe('case');
    expect(text('screen-offline')).toBe('画面暂未更新，请稍候');
    emitApplicantScreen(applicantScreenView());
    await vi.advanceTimersByTimeAsync(0);
    expect(document.getElementById('screen-offline')).toBeNull();
  });

  it('a view sent while the rating is on its way never brings the rating back', async () => {
    const user = await renderMode('rate');
    await user.click(button('rate-5'));
    let rated!: (v: ipc.ApplicantScreenView) => void;
    m.applicantRate.mockImplementation(() => new Promise((resolve) => (rated = resolve)));
    await user.click(button('rate-submit'));
    await waitFor(() => expect(m.applicantRate).toHaveBeenCalledTimes(1));
    // The backend looked before it had the rating: still "rate".
    emitApplicantScreen(applicantScreenView({ mode: 'rate' }));
    rated(applicantScreenView({ mode: 'thanks' }));
    await waitFor(() => expect(screenMode()).toBe('thanks'));
    await new Promise((r) => setTimeout(r, 0));
    expect(screenMode()).toBe('thanks');
  });
});

describe('main.ts', () => {
  it('mounts the applicant screen for index.html#applicant', async () => {
    const target = document.createElement('div');
    target.id = 'app';
    document.body.appendChild(target);
    const before = location.hash;
    location.hash = '#applicant';
    try {
      vi.resetModules();
      const ipcNow = vi.mocked(await import('../src/ipc'));
      ipcNow.applicantScreen.mockResolvedValue(applicantScreenView({ mode: 'idle', case: null }));
      const main = await import('../src/main');
      // The same svelte instance as main.ts (the modules were reset).
      const { unmount } = await import('svelte');
      await waitFor(() => expect(target.querySelector('#applicant-screen[data-mode="idle"]')).not.toBeNull());
      expect(target.querySelector('#welcome-title')?.textContent).toBe('欢迎办理');
      expect(target.querySelector('.shell')).toBeNull();
      expect(document.title).toBe('一窗 · 办事人确认与评价');
      expect(ipcNow.uiReady).not.toHaveBeenCalled();
      unmount(main.default);
    } finally {
      location.hash = before;
      target.remove();
    }
  });
});

describe('the clerk’s applicant panel (申请人, on the case screen)', () => {
  /** The panel as the case screen renders it; the draft is state, as the case screen's is. */
  function renderPanel(view: ipc.CaseView, over: Partial<{ dirty: boolean; canreveal: boolean; revealed: ipc.RevealView | null }> = {}) {
    const props = {
      view,
      draft: reactive(draftFromView(view)),
      info: windowInfoFixture,
      dirty: false,
      onsave: vi.fn(),
      ondiscard: vi.fn(),
      onreadcard: vi.fn(),
      onapplycode: vi.fn(),
      onlookup: vi.fn(),
      canreveal: false,
      revealed: null,
      onreveal: vi.fn(),
      onhidereveal: vi.fn(),
      ...over,
    };
    render(ApplicantPanel, { props });
    return { props, user: userEvent.setup() };
  }

  const input = (id: string) => byId<HTMLInputElement>(id);
  const past = () =>
    caseView({
      editable: false,
      state: 'accepted',
      applicant: { ...caseView().applicant, name: '张三', number: '3701**********1234', phone: '138****0000' },
      elicence: { state: 'found', message: '查到 1 项电子证照', licences: ['居民身份证（有效期至 2036-01-01）'] },
    });

  it('a draft: what is typed goes into the draft, Enter in a field saves, an organisation asks for its representative', async () => {
    const { props, user } = renderPanel(caseView());
    await user.type(input('applicant-name'), '张三');
    await user.type(input('agent-phone'), '13900000000');
    expect(props.draft.applicant.name).toBe('张三');
    expect(props.draft.applicant.agent_phone).toBe('13900000000');
    expect(props.onsave).not.toHaveBeenCalled();
    await user.type(input('applicant-phone'), '{Enter}');
    expect(props.onsave).toHaveBeenCalledTimes(1);

    expect(document.getElementById('applicant-legal-rep')).toBeNull();
    await user.selectOptions(byId('applicant-kind'), 'organisation');
    expect(props.draft.applicant.kind).toBe('organisation');
    expect(text('applicant-number-label')).toBe('统一社会信用代码 *');
    await user.type(input('applicant-legal-rep'), '李四');
    expect(props.draft.applicant.legal_rep).toBe('李四');
  });

  it('a draft: a scanned code is applied and the box emptied; the card, the lookup and 放弃修改 go to the case screen', async () => {
    const { props, user } = renderPanel(caseView(), { dirty: true });
    await user.type(input('applicant-code'), 'RESIDENT:abc{Enter}');
    expect(props.onapplycode).toHaveBeenCalledWith('RESIDENT:abc');
    expect(input('applicant-code').value).toBe('');
    expect(props.onsave).not.toHaveBeenCalled();
    expect(button('read-card').title).toBe('从读卡器读取身份证（F6）');
    await user.click(button('read-card'));
    expect(props.onreadcard).toHaveBeenCalledTimes(1);
    await user.click(button('lookup-elicences'));
    expect(props.onlookup).toHaveBeenCalledTimes(1);
    await user.click(button('revert-draft'));
    expect(props.ondiscard).toHaveBeenCalledTimes(1);
  });

  it('past the draft: the saved applicant, read only; 查看完整信息 asks the case screen; nothing is saved', async () => {
    const { props, user } = renderPanel(past(), { canreveal: true });
    expect(input('applicant-name').value).toBe('张三');
    expect(input('applicant-number').value).toBe('3701**********1234');
    expect(input('applicant-name').readOnly).toBe(true);
    expect(byId<HTMLSelectElement>('applicant-kind').disabled).toBe(true);
    expect(document.getElementById('applicant-code')).toBeNull();
    expect(document.getElementById('read-card')).toBeNull();
    expect(document.getElementById('save-intake')).toBeNull();
    expect(document.getElementById('lookup-elicences')).toBeNull();
    expect(byId('elicence').dataset.state).toBe('found');
    expect(text('elicence')).toContain('居民身份证（有效期至 2036-01-01）');
    await user.type(input('applicant-phone'), '1{Enter}');
    expect(props.draft.applicant.phone).toBe('138****0000');
    expect(props.onsave).not.toHaveBeenCalled();
    await user.click(button('reveal-open'));
    expect(props.onreveal).toHaveBeenCalledTimes(1);
  });

  it('past the draft, revealed: the whole numbers, 未填写 for what is empty, the agent only when there is one; 隐藏 hides', async () => {
    const revealed = { number: '370102199003071234', phone: '', address: '荣成市成山大道 1 号', agent_id_number: '', agent_phone: '13900000000' };
    const { props, user } = renderPanel(past(), { canreveal: true, revealed });
    expect(text('reveal-number')).toBe('370102199003071234');
    expect(text('reveal-phone')).toBe('未填写');
    expect(byId('reveal-phone')).toHaveClass('none');
    expect(text('reveal-address')).toBe('荣成市成山大道 1 号');
    expect(document.getElementById('reveal-agent-id-number')).toBeNull();
    expect(text('reveal-agent-phone')).toBe('13900000000');
    await user.click(button('reveal-hide'));
    expect(props.onhidereveal).toHaveBeenCalledTimes(1);
  });
});
