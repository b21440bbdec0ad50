import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
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
  searchGtgsh,
  userView,
  windowInfoFixture,
  queueNotEnrolled,
} from './fixtures';

const m = vi.mocked(ipc);

/** An enrolled desk with nobody signed in. */
const signedOut = onlineStatus({ push: enrolledPush() });
const signedIn = onlineStatus({ push: enrolledPush(), user: userView() });

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

async function renderReady(status: DeskStatus = onlineStatus()) {
  m.deskStatus.mockResolvedValue(status);
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await waitFor(() => expect(document.getElementById('user-status')).not.toBeNull());
  return user;
}

/** The backend signs in 王丽 with 正确密码 and answers (and then polls) the new status. */
function acceptPassword(answer: DeskStatus = signedIn) {
  m.loginUser.mockImplementation(async (name, password) => {
    if (name !== answer.user?.name || password !== '正确密码') {
      throw { code: 'login_failed', message: '用户名或密码不正确。' };
    }
    m.deskStatus.mockResolvedValue(answer);
    return answer;
  });
}

// ---------------------------------------------------------------- status bar

describe('the user in the status bar', () => {
  function renderBar(status: DeskStatus) {
    const onlogin = vi.fn();
    const onlogout = vi.fn();
    render(StatusBar, {
      status,
      statusError: null,
      syncBusy: false,
      onsync: vi.fn(),
      onenrol: vi.fn(),
      onrejected: vi.fn(),
      onlogin,
      onlogout,
    });
    return { onlogin, onlogout };
  }

  it('nobody signed in: a 未登录 button that opens the sign-in panel', async () => {
    const user = userEvent.setup();
    const { onlogin, onlogout } = renderBar(signedOut);
    const button = byId('user-status');
    expect(button.tagName).toBe('BUTTON');
    expect(text(button)).toBe('未登录 F11');
    expect(button.dataset.state).toBe('signed-out');
    await user.click(button);
    expect(onlogin).toHaveBeenCalledTimes(1);
    expect(document.getElementById('user-menu')).toBeNull();
    expect(onlogout).not.toHaveBeenCalled();
  });

  it('signed in offline: the bar says 离线登录 next to the name', async () => {
    const st = { ...signedIn, user: { ...signedIn.user!, offline: true } };
    renderBar(st);
    expect(text(byId('user-status'))).toBe('王丽（窗口人员） 离线登录');
    expect(byId('user-status').title).toContain('中心不可连接');
  });

  it('signed in: 「name（role）」; the button opens a menu whose 退出登录 signs out', async () => {
    const user = userEvent.setup();
    const { onlogin, onlogout } = renderBar(signedIn);
    const button = byId('user-status');
    expect(text(button)).toBe('王丽（窗口人员）');
    expect(button.dataset.state).toBe('signed-in');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    await user.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(byId('user-menu').getAttribute('role')).toBe('menu');
    await waitFor(() => expect(document.activeElement).toBe(byId('logout')));
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(byId('switch-user'));
    await user.keyboard('{Escape}');
    expect(document.getElementById('user-menu')).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(onlogout).not.toHaveBeenCalled();

    await user.click(button);
    await user.click(byId('logout'));
    expect(onlogout).toHaveBeenCalledTimes(1);
    expect(onlogin).not.toHaveBeenCalled();
    expect(document.getElementById('user-menu')).toBeNull();
  });
});

// ---------------------------------------------------------------- sign-in in the window

describe('sign-in', () => {
  it('not signed in: the bar says 未登录 and the panel never opens by itself', async () => {
    await renderReady();
    await new Promise((r) => setTimeout(r, 50));
    expect(text(byId('user-status'))).toContain('未登录');
    expect(document.getElementById('login-panel')).toBeNull();
    expect(document.activeElement).toBe(byId('search-input'));
    expect(m.loginUser).not.toHaveBeenCalled();
  });

  it('F11 opens the panel with the focus on the name; Esc closes it and gives the focus back', async () => {
    const user = await renderReady(signedOut);
    await user.keyboard('{F11}');
    const panel = byId('login-panel');
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(byId<HTMLInputElement>('login-password').type).toBe('password');
    expect(document.activeElement).toBe(byId('login-name'));
    expect(document.getElementById('login-unenrolled')).toBeNull();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('login-panel')).toBeNull());
    expect(document.activeElement).toBe(byId('search-input'));
    expect(m.loginUser).not.toHaveBeenCalled();
  });

  it('success: Enter signs in, the panel closes and the bar shows the user', async () => {
    acceptPassword();
    const user = await renderReady(signedOut);
    await user.click(byId('user-status'));
    expect(byId('login-panel')).toBeInTheDocument();
    await user.type(byId('login-name'), ' 王丽 ');
    // Enter in the name goes on to the password.
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(byId('login-password'));
    expect(m.loginUser).not.toHaveBeenCalled();
    await user.keyboard('正确密码{Enter}');

    expect(m.loginUser).toHaveBeenCalledWith('王丽', '正确密码');
    await waitFor(() => expect(document.getElementById('login-panel')).toBeNull());
    expect(text(byId('user-status'))).toBe('王丽（窗口人员）');
    expect(byId('user-status').dataset.state).toBe('signed-in');
    expect(document.getElementById('error-line')).toBeNull();
    // The focus goes back to the button that opened the panel.
    expect(document.activeElement).toBe(byId('user-status'));
  });

  it('the 登录 button signs in too', async () => {
    acceptPassword();
    const user = await renderReady(signedOut);
    await user.keyboard('{F11}');
    await user.type(byId('login-name'), '王丽');
    await user.type(byId('login-password'), '正确密码');
    await user.click(byId('login-submit'));
    expect(m.loginUser).toHaveBeenCalledWith('王丽', '正确密码');
    await waitFor(() => expect(text(byId('user-status'))).toBe('王丽（窗口人员）'));
  });

  it('a wrong password: the reason in the panel, which stays open with the password cleared', async () => {
    acceptPassword();
    const user = await renderReady(signedOut);
    await user.keyboard('{F11}');
    await user.type(byId('login-name'), '王丽');
    await user.type(byId('login-password'), '错误密码{Enter}');
    await waitFor(() => expect(text(byId('login-error'))).toBe('登录未成功：用户名或密码不正确。'));
    expect(byId('login-error').getAttribute('role')).toBe('alert');
    expect(byId('login-panel')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('login-name').value).toBe('王丽');
    expect(byId<HTMLInputElement>('login-password').value).toBe('');
    expect(document.activeElement).toBe(byId('login-password'));
    expect(document.getElementById('error-line')).toBeNull();
    expect(text(byId('user-status'))).toContain('未登录');

    // Trying again works.
    await user.keyboard('正确密码{Enter}');
    await waitFor(() => expect(document.getElementById('login-panel')).toBeNull());
    expect(text(byId('user-status'))).toBe('王丽（窗口人员）');
  });

  it('an unenrolled desk: a note in the panel, and the backend reason when it refuses', async () => {
    m.loginUser.mockRejectedValue({ code: 'not_enrolled', message: '本窗口尚未在中心注册，不能登录。请先注册本窗口。' });
    const user = await renderReady();
    await user.keyboard('{F11}');
    expect(text(byId('login-unenrolled'))).toContain('尚未在中心注册');
    await user.type(byId('login-name'), '王丽');
    await user.type(byId('login-password'), '正确密码{Enter}');
    await waitFor(() =>
      expect(text(byId('login-error'))).toBe('登录未成功：本窗口尚未在中心注册，不能登录。请先注册本窗口。'),
    );
    expect(byId('login-panel')).toBeInTheDocument();
  });

  it('empty fields are not sent', async () => {
    const user = await renderReady(signedOut);
    await user.keyboard('{F11}{Enter}');
    expect(text(byId('login-error'))).toBe('登录未成功：请输入用户名');
    await user.type(byId('login-name'), '王丽');
    await user.click(byId('login-submit'));
    expect(text(byId('login-error'))).toBe('登录未成功：请输入密码');
    expect(document.activeElement).toBe(byId('login-password'));
    expect(m.loginUser).not.toHaveBeenCalled();
  });

  it('keys typed in the panel do not reach the window (F5 does not sync, F7 does not switch)', async () => {
    const user = await renderReady(signedOut);
    await user.keyboard('{F11}{F5}{F7}');
    expect(m.syncNow).not.toHaveBeenCalled();
    expect(document.getElementById('recent-cases')).toBeNull();
    expect(byId('login-panel')).toBeInTheDocument();
  });
});

// ---------------------------------------------------------------- signed in

describe('signed in', () => {
  it('F11 goes to the name in the status bar instead of opening the panel', async () => {
    const user = await renderReady(signedIn);
    expect(text(byId('user-status'))).toBe('王丽（窗口人员）');
    await user.keyboard('{F11}');
    expect(document.getElementById('login-panel')).toBeNull();
    expect(document.activeElement).toBe(byId('user-status'));
  });

  it('sign out: the menu, 退出登录, and the bar says 未登录 again', async () => {
    m.logoutUser.mockImplementation(async () => {
      m.deskStatus.mockResolvedValue(signedOut);
      return signedOut;
    });
    const user = await renderReady(signedIn);
    await user.click(byId('user-status'));
    await waitFor(() => expect(document.activeElement).toBe(byId('logout')));
    expect(text(byId('user-menu-note'))).toContain('办件保持打开');
    await user.keyboard('{Enter}');
    expect(m.logoutUser).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(text(byId('user-status'))).toContain('未登录'));
    expect(document.getElementById('user-menu')).toBeNull();
    expect(document.getElementById('login-panel')).toBeNull();
    expect(document.activeElement).toBe(byId('user-status'));
  });

  it('the menu does not hold the window keys: F2 goes to the search and closes it', async () => {
    const user = await renderReady(signedIn);
    await user.click(byId('user-status'));
    await waitFor(() => expect(document.activeElement).toBe(byId('logout')));
    await user.keyboard('{F2}');
    expect(document.activeElement).toBe(byId('search-input'));
    await waitFor(() => expect(document.getElementById('user-menu')).toBeNull());
    expect(m.logoutUser).not.toHaveBeenCalled();
  });

  it('a refused sign-out shows why on the error line and keeps the user', async () => {
    m.logoutUser.mockRejectedValue({ code: 'io', message: '退出登录未完成，请重试。' });
    const user = await renderReady(signedIn);
    await user.click(byId('user-status'));
    await user.click(byId('logout'));
    await waitFor(() => expect(text(byId('error-line'))).toContain('退出登录未完成，请重试。'));
    expect(text(byId('user-status'))).toBe('王丽（窗口人员）');
  });

  it('switching user saves what was typed first (under the clerk who typed it) and keeps the case open', async () => {
    const other = onlineStatus({
      push: enrolledPush(),
      user: userView({ name: '李强', role: 'supervisor', role_label: '主管' }),
    });
    acceptPassword(other);
    const user = await renderReady(signedIn);

    // Open a case and type into it without saving.
    await user.type(byId('search-input'), 'gtgsh');
    await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
    await user.click(byId('applicant-name'));
    await user.keyboard('张三');
    expect(text(byId('draft-state'))).toBe('有未保存的修改');

    const saved = caseView({ revision: 7 });
    saved.applicant = { ...saved.applicant, name: '张三' };
    m.saveIntake.mockResolvedValue(saved);

    await user.click(byId('user-status'));
    await user.click(byId('switch-user'));
    const panel = byId('login-panel');
    expect(text(byId('login-current'))).toContain('当前登录：王丽（窗口人员）');
    expect(text(panel.querySelector('h2'))).toBe('切换用户');
    await user.type(byId('login-name'), '李强');
    await user.type(byId('login-password'), '正确密码{Enter}');

    await waitFor(() => expect(m.loginUser).toHaveBeenCalledWith('李强', '正确密码'));
    // The typed name was saved before the user changed.
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.saveIntake.mock.calls[0][0].applicant.name).toBe('张三');
    expect(m.saveIntake.mock.invocationCallOrder[0]).toBeLessThan(m.loginUser.mock.invocationCallOrder[0]);
    await waitFor(() => expect(document.getElementById('login-panel')).toBeNull());
    expect(text(byId('user-status'))).toBe('李强（主管）');
    expect(byId('case-screen')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('applicant-name').value).toBe('张三');
    expect(byId('open-current-case')).toHaveTextContent('RC-20260402-0001');
    expect(m.newCase).toHaveBeenCalledTimes(1);
    expect(m.openCase).not.toHaveBeenCalled();
  });
});
