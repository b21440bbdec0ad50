import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import type { DeskStatus } from '../src/ipc';
import App from '../src/App.svelte';
import { emitDeskStatus, emitScreenLocked } from './mock-ipc';
import StatusBar from '../src/components/StatusBar.svelte';
import LockScreen from '../src/components/LockScreen.svelte';
import LoginPanel from '../src/components/LoginPanel.svelte';
import { watchIdle } from '../src/lib/idle';
import {
  bundles,
  caseView,
  domains,
  enrolledPush,
  guideMain,
  guideSetup,
  onlineStatus,
  queueNotEnrolled,
  searchGtgsh,
  userView,
  windowInfoFixture,
} from './fixtures';

const m = vi.mocked(ipc);

const signedOut = onlineStatus({ push: enrolledPush() });
const signedIn = onlineStatus({ push: enrolledPush(), user: userView() });
const lockedStatus = onlineStatus({ push: enrolledPush(), user: userView(), locked: true });
const other = onlineStatus({
  push: enrolledPush(),
  user: userView({ name: '李强', role: 'supervisor', role_label: '主管' }),
});
const WRONG = { code: 'bad_login', message: '用户名或密码不正确（再错 4 次将锁定 15 分钟）' };

beforeEach(() => {
  vi.resetAllMocks();
  m.deskStatus.mockResolvedValue(signedIn);
  m.listDomains.mockResolvedValue(domains);
  m.listBundles.mockResolvedValue(bundles);
  m.searchItems.mockResolvedValue(searchGtgsh);
  m.itemGuide.mockImplementation(async (code) => (code === guideMain.code ? guideMain : guideSetup));
  m.uiReady.mockResolvedValue(undefined);
  m.queueStatus.mockResolvedValue(queueNotEnrolled);
  m.windowInfo.mockResolvedValue(windowInfoFixture);
  m.newCase.mockResolvedValue(caseView());
  m.pollCase.mockResolvedValue(null);
  m.syncNow.mockResolvedValue(signedIn);
  m.followUps.mockResolvedValue([]);
  m.recentCases.mockResolvedValue([]);
});

afterEach(() => {
  vi.useRealTimers();
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function text(el: Element | null | undefined): string {
  return el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

async function renderReady(status: DeskStatus = signedIn) {
  m.deskStatus.mockResolvedValue(status);
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await waitFor(() => expect(document.getElementById('user-status')).not.toBeNull());
  return user;
}

/** Open a case and type 张三 into the applicant's name without saving; the focus stays there. */
async function openCaseAndType(user: ReturnType<typeof userEvent.setup>) {
  await user.type(byId('search-input'), 'gtgsh');
  await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
  await user.keyboard('{ArrowDown}{Enter}');
  await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
  await user.keyboard('{Control>}{Enter}{/Control}');
  await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
  await user.click(byId('applicant-name'));
  await user.keyboard('张三');
  expect(text(byId('draft-state'))).toBe('有未保存的修改');
}

/** The backend's status feed says the screen is locked (the desk sends each change). */
async function lockByPoll() {
  m.deskStatus.mockResolvedValue(lockedStatus);
  emitDeskStatus(lockedStatus);
  await waitFor(() => expect(document.getElementById('lock-screen')).not.toBeNull());
}

/** The backend unlocks for `answer`'s user with 正确密码, and then polls the new status. */
function acceptPassword(answer: DeskStatus = signedIn) {
  m.loginUser.mockImplementation(async (name, password) => {
    if (name !== answer.user?.name || password !== '正确密码') throw WRONG;
    m.deskStatus.mockResolvedValue(answer);
    return answer;
  });
}

// ---------------------------------------------------------------- the lock screen

describe('the lock screen', () => {
  it('covers the window when the status says locked; the open case stays mounted behind it, inert', async () => {
    const user = await renderReady();
    await openCaseAndType(user);
    await lockByPoll();

    const dialog = byId('lock-screen');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(byId(dialog.getAttribute('aria-labelledby')!).textContent).toBe('屏幕已锁定');
    expect(text(byId('lock-user'))).toContain('王丽');
    expect(byId<HTMLInputElement>('lock-name').value).toBe('王丽');
    expect(byId<HTMLInputElement>('lock-password').type).toBe('password');
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-password')));
    expect(byId('lock-error').getAttribute('role')).toBe('alert');
    expect(text(byId('lock-submit'))).toBe('解锁 Enter');

    // The case is still there, with what was typed, but nothing behind the lock can be reached.
    expect(byId('case-screen')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('applicant-name').value).toBe('张三');
    expect(byId('case-screen').closest('[inert]')).not.toBeNull();
    expect(byId('status-bar').closest('[inert]')).not.toBeNull();
    expect(byId('queue-bar').closest('[inert]')).not.toBeNull();
    expect(dialog.closest('[inert]')).toBeNull();

    // The window's keys do nothing while locked.
    await user.keyboard('{F7}{F5}{F2}');
    expect(m.syncNow).not.toHaveBeenCalled();
    expect(document.getElementById('recent-cases')).toBeNull();
    expect(document.activeElement).toBe(byId('lock-password'));
    expect(byId('lock-screen')).toBeInTheDocument();
    // Nor does the case screen poll (the backend would refuse it).
    const polls = m.pollCase.mock.calls.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(m.pollCase.mock.calls.length).toBe(polls);
    expect(m.saveIntake).not.toHaveBeenCalled();
  });

  it('Enter with the password signs in again: the lock goes, the case and the focus are where they were', async () => {
    acceptPassword();
    const user = await renderReady();
    await openCaseAndType(user);
    expect(document.activeElement).toBe(byId('applicant-name'));
    await lockByPoll();
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-password')));

    await user.keyboard('正确密码{Enter}');
    expect(m.loginUser).toHaveBeenCalledTimes(1);
    expect(m.loginUser).toHaveBeenCalledWith('王丽', '正确密码');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    expect(document.querySelector('[inert]:not(.case-grid)')).toBeNull();
    expect(byId('case-screen')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('applicant-name').value).toBe('张三');
    expect(document.activeElement).toBe(byId('applicant-name'));
    expect(text(byId('user-status'))).toBe('王丽（窗口人员）');
    expect(m.newCase).toHaveBeenCalledTimes(1);
    expect(m.openCase).not.toHaveBeenCalled();
  });

  it('a wrong password: the backend reason, still locked, the password cleared and focused', async () => {
    acceptPassword();
    const user = await renderReady();
    await lockByPoll();
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-password')));

    await user.keyboard('错误密码{Enter}');
    expect(m.loginUser).toHaveBeenCalledWith('王丽', '错误密码');
    await waitFor(() => expect(text(byId('lock-error'))).toBe(`未能解锁：${WRONG.message}`));
    expect(byId('lock-screen')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('lock-password').value).toBe('');
    expect(byId<HTMLInputElement>('lock-name').value).toBe('王丽');
    expect(document.activeElement).toBe(byId('lock-password'));
    expect(document.querySelector('.shell')?.closest('[inert]')).not.toBeNull();

    // Locked out for a while: that reason shows too.
    m.loginUser.mockRejectedValueOnce({ code: 'login_locked', message: '密码错误次数过多，请 15 分钟后再试' });
    await user.keyboard('再试一次{Enter}');
    await waitFor(() => expect(text(byId('lock-error'))).toBe('未能解锁：密码错误次数过多，请 15 分钟后再试'));
    expect(byId<HTMLInputElement>('lock-password').value).toBe('');

    // The right one unlocks.
    await user.keyboard('正确密码{Enter}');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    expect(document.activeElement).toBe(byId('search-input'));
  });

  it('the password is cleared the moment it is sent', async () => {
    let release: (s: DeskStatus) => void = () => {};
    m.loginUser.mockImplementation(() => new Promise((resolve) => (release = resolve)));
    const user = await renderReady();
    await lockByPoll();
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-password')));
    await user.keyboard('正确密码{Enter}');
    expect(m.loginUser).toHaveBeenCalledWith('王丽', '正确密码');
    await waitFor(() => expect(byId<HTMLInputElement>('lock-password').value).toBe(''));
    m.deskStatus.mockResolvedValue(signedIn);
    release(signedIn);
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
  });

  it('empty fields are not sent; Esc does not close it', async () => {
    const user = await renderReady();
    await lockByPoll();
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-password')));
    await user.keyboard('{Enter}');
    expect(text(byId('lock-error'))).toBe('未能解锁：请输入密码');
    await user.keyboard('{Escape}');
    expect(byId('lock-screen')).toBeInTheDocument();
    expect(m.loginUser).not.toHaveBeenCalled();
  });

  it('another clerk takes over: loginUser with their name; the case stays open', async () => {
    acceptPassword(other);
    const user = await renderReady();
    await openCaseAndType(user);
    await lockByPoll();

    await user.clear(byId('lock-name'));
    await user.type(byId('lock-name'), '李强');
    expect(text(byId('lock-submit'))).toBe('切换用户并解锁 Enter');
    await user.click(byId('lock-password'));
    await user.keyboard('正确密码{Enter}');

    expect(m.loginUser).toHaveBeenCalledWith('李强', '正确密码');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    expect(text(byId('user-status'))).toBe('李强（主管）');
    expect(byId('case-screen')).toBeInTheDocument();
    expect(byId<HTMLInputElement>('applicant-name').value).toBe('张三');
  });

  it('a command refused with screen_locked makes the window read the status at once', async () => {
    await renderReady();
    expect(m.onScreenLocked).toHaveBeenCalledTimes(1);
    const refused = m.onScreenLocked.mock.calls[0][0];
    m.deskStatus.mockResolvedValue(lockedStatus);
    const before = m.deskStatus.mock.calls.length;
    refused();
    expect(m.deskStatus.mock.calls.length).toBeGreaterThan(before);
    await waitFor(() => expect(document.getElementById('lock-screen')).not.toBeNull(), { timeout: 500 });
  });
});

// ---------------------------------------------------------------- locking

describe('locking now', () => {
  it('Ctrl+L locks: typed changes are saved first, then lockScreen; the lock screen shows', async () => {
    m.lockScreen.mockImplementation(async () => {
      m.deskStatus.mockResolvedValue(lockedStatus);
      return lockedStatus;
    });
    const saved = caseView({ revision: 7 });
    saved.applicant = { ...saved.applicant, name: '张三' };
    m.saveIntake.mockResolvedValue(saved);
    const user = await renderReady();
    await openCaseAndType(user);

    await user.keyboard('{Control>}l{/Control}');
    await waitFor(() => expect(m.lockScreen).toHaveBeenCalledTimes(1));
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.saveIntake.mock.calls[0][0].applicant.name).toBe('张三');
    expect(m.saveIntake.mock.invocationCallOrder[0]).toBeLessThan(m.lockScreen.mock.invocationCallOrder[0]);
    await waitFor(() => expect(byId('lock-screen')).toBeInTheDocument());
    expect(byId('case-screen')).toBeInTheDocument();
  });

  it('Ctrl+L from the search box locks too', async () => {
    m.lockScreen.mockResolvedValue(lockedStatus);
    const user = await renderReady();
    expect(document.activeElement).toBe(byId('search-input'));
    await user.keyboard('{Control>}L{/Control}');
    await waitFor(() => expect(byId('lock-screen')).toBeInTheDocument());
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    expect(m.saveIntake).not.toHaveBeenCalled();
  });

  it('the user menu has 锁屏', async () => {
    m.lockScreen.mockResolvedValue(lockedStatus);
    const user = await renderReady();
    await user.click(byId('user-status'));
    expect(text(byId('lock-now'))).toBe('锁屏 Ctrl+L');
    await user.click(byId('lock-now'));
    await waitFor(() => expect(byId('lock-screen')).toBeInTheDocument());
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
  });

  it('nobody signed in: the backend does nothing and the error line says why', async () => {
    m.lockScreen.mockResolvedValue(signedOut);
    const user = await renderReady(signedOut);
    await user.keyboard('{Control>}l{/Control}');
    await waitFor(() => expect(text(byId('error-line'))).toContain('当前没有登录的工作人员，无需锁屏'));
    expect(document.getElementById('lock-screen')).toBeNull();
  });

  it('the help lists Ctrl+L', async () => {
    await renderReady();
    expect(byId('search-help')).toHaveTextContent('Ctrl+L');
    expect(byId('search-help')).toHaveTextContent('锁屏');
  });

  it('the status bar shows 锁屏 only when the window gives it a handler', async () => {
    const user = userEvent.setup();
    const onlock = vi.fn();
    render(StatusBar, {
      status: signedIn,
      statusError: null,
      syncBusy: false,
      onsync: vi.fn(),
      onenrol: vi.fn(),
      onrejected: vi.fn(),
      onlogin: vi.fn(),
      onlogout: vi.fn(),
      onlock,
    });
    await user.click(byId('user-status'));
    await waitFor(() => expect(document.activeElement).toBe(byId('logout')));
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(document.activeElement).toBe(byId('lock-now'));
    await user.keyboard('{Enter}');
    expect(onlock).toHaveBeenCalledTimes(1);
    expect(document.getElementById('user-menu')).toBeNull();
  });
});

// ---------------------------------------------------------------- idle

describe('the idle lock', () => {
  const MINUTE = 60_000;

  async function renderFake(status: DeskStatus) {
    vi.useFakeTimers();
    m.deskStatus.mockResolvedValue(status);
    render(App);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.deskStatus).toHaveBeenCalled();
  }

  it('locks after idle_lock_minutes with nothing touched, a clerk signed in', async () => {
    m.lockScreen.mockImplementation(async () => {
      m.deskStatus.mockResolvedValue({ ...lockedStatus, idle_lock_minutes: 2 });
      return { ...lockedStatus, idle_lock_minutes: 2 };
    });
    await renderFake({ ...signedIn, idle_lock_minutes: 2 });
    await vi.advanceTimersByTimeAsync(2 * MINUTE - 2000);
    expect(m.lockScreen).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(3000);
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(document.getElementById('lock-screen')).not.toBeNull();
    // Locked: no second lock however long it stays so.
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
  });

  it('activity resets the count (keys, clicks, wheel, pointer)', async () => {
    m.lockScreen.mockResolvedValue({ ...lockedStatus, idle_lock_minutes: 2 });
    await renderFake({ ...signedIn, idle_lock_minutes: 2 });
    await vi.advanceTimersByTimeAsync(100_000);
    fireEvent.keyDown(document.body, { key: 'a' });
    await vi.advanceTimersByTimeAsync(100_000);
    fireEvent.mouseDown(document.body);
    await vi.advanceTimersByTimeAsync(100_000);
    fireEvent.wheel(document.body);
    await vi.advanceTimersByTimeAsync(100_000);
    fireEvent.pointerMove(document.body);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(m.lockScreen).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(21_000);
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
  });

  it('never locks by itself without a signed-in clerk', async () => {
    await renderFake({ ...signedOut, idle_lock_minutes: 1 });
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(m.lockScreen).not.toHaveBeenCalled();
  });

  it('never locks by itself when idle_lock_minutes is 0', async () => {
    await renderFake({ ...signedIn, idle_lock_minutes: 0 });
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(m.lockScreen).not.toHaveBeenCalled();
  });

  it('the count starts when a clerk signs in', async () => {
    m.lockScreen.mockResolvedValue({ ...lockedStatus, idle_lock_minutes: 1 });
    await renderFake({ ...signedOut, idle_lock_minutes: 1 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    m.deskStatus.mockResolvedValue({ ...signedIn, idle_lock_minutes: 1 });
    emitDeskStatus({ ...signedIn, idle_lock_minutes: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(MINUTE - 2000);
    expect(m.lockScreen).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2000);
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
  });
});

describe('watchIdle', () => {
  it('fires once per idle period, activity pushes it back, 0 disarms, stop removes the listeners', () => {
    vi.useFakeTimers();
    const onidle = vi.fn();
    const watch = watchIdle(window, onidle);
    vi.advanceTimersByTime(10_000);
    expect(onidle).not.toHaveBeenCalled(); // not armed
    watch.arm(1000);
    vi.advanceTimersByTime(999);
    expect(onidle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onidle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'x' }));
    vi.advanceTimersByTime(999);
    expect(onidle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(onidle).toHaveBeenCalledTimes(2);
    watch.arm(0);
    vi.advanceTimersByTime(10_000);
    expect(onidle).toHaveBeenCalledTimes(2);
    watch.arm(1000);
    watch.stop();
    vi.advanceTimersByTime(10_000);
    expect(onidle).toHaveBeenCalledTimes(2);
  });
});

// ---------------------------------------------------------------- sign-in before any work

describe('an enrolled desk with nobody signed in', () => {
  const waiting = onlineStatus({ push: enrolledPush(), sign_in_required: true });

  it('shows its sign-in screen first; signing in opens the window, with no catalog call before', async () => {
    m.deskStatus.mockResolvedValue(waiting);
    acceptPassword(signedIn);
    const user = userEvent.setup();
    render(App);
    await waitFor(() => expect(document.getElementById('lock-screen')).not.toBeNull());
    expect(text(byId('lock-title'))).toBe('请登录');
    expect(text(byId('lock-explain'))).toContain('本窗口已注册到中心');
    expect(document.getElementById('lock-user')).toBeNull();
    expect(text(byId('lock-submit'))).toContain('登录');
    await waitFor(() => expect(document.activeElement).toBe(byId('lock-name')));
    // Nothing behind it asks the backend for the window's work meanwhile.
    expect(m.listBundles).not.toHaveBeenCalled();
    expect(m.searchItems).not.toHaveBeenCalled();

    await user.keyboard('王丽{Enter}错误密码{Enter}');
    await waitFor(() => expect(text(byId('lock-error'))).toBe(`未能登录：${WRONG.message}`));
    await user.keyboard('正确密码{Enter}');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    expect(m.loginUser).toHaveBeenLastCalledWith('王丽', '正确密码');
    await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  });

  it('a command refused for want of a sign-in brings the screen up at once', async () => {
    const user = await renderReady(signedIn);
    m.searchItems.mockRejectedValue({ code: 'sign_in_required', message: '本窗口已注册到中心，请先用本人用户名和密码登录再办理' });
    m.deskStatus.mockResolvedValue(waiting);
    await user.type(byId('search-input'), 'gtgsh');
    // The ipc module tells its screen-locked listeners before the refusal reaches the caller.
    await waitFor(() => expect(m.searchItems).toHaveBeenCalled());
    emitScreenLocked();
    await waitFor(() => expect(document.getElementById('lock-screen')).not.toBeNull(), { timeout: 1000 });
    expect(text(byId('lock-title'))).toBe('请登录');
  });
  it('a refusal for the lock leaves the error line once signed in; another error stays, whatever its words', async () => {
    acceptPassword(signedIn);
    const user = await renderReady(signedIn);
    const refusal = { code: 'sign_in_required', message: '本窗口已注册到中心，请先用本人用户名和密码登录再办理' };
    m.searchItems.mockRejectedValue(refusal);
    await user.type(byId('search-input'), 'gtgsh');
    await waitFor(() => expect(text(byId('error-line'))).toContain(refusal.message));
    await lockByPoll();
    await user.keyboard('正确密码{Enter}');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    await waitFor(() => expect(document.getElementById('error-line')).toBeNull());

    // The same sentence under another code is not the lock's: it stays after the next sign-in.
    m.searchItems.mockRejectedValue({ code: 'hub_error', message: refusal.message });
    await user.type(byId('search-input'), 'x');
    await waitFor(() => expect(text(byId('error-line'))).toContain(refusal.message));
    await lockByPoll();
    await user.keyboard('正确密码{Enter}');
    await waitFor(() => expect(document.getElementById('lock-screen')).toBeNull());
    expect(text(byId('error-line'))).toContain(refusal.message);
  });
});

describe('the last day of an offline sign-in', () => {
  const ending = [
    { name: '王丽', last_day: '2026-12-31', last_day_label: '12月31日', days_left: 5 },
    { name: '李强', last_day: '2027-01-02', last_day_label: '1月2日', days_left: 0 },
  ];

  it('the sign-in screen names every clerk whose offline sign-in ends within a week', async () => {
    m.offlineSignInsEnding.mockResolvedValue(ending);
    render(LockScreen, { props: { user: null, signIn: true, onunlocked: vi.fn() } });
    await waitFor(() => expect(document.getElementById('offline-sign-in-ending')).not.toBeNull());
    const lines = [...byId('offline-sign-in-ending').querySelectorAll('li')].map((li) => text(li));
    expect(lines).toEqual([
      '王丽：离线登录有效至 12月31日（含，还有 5 天），请在此之前在能连接中心时登录一次。',
      '李强：离线登录有效至 1月2日（含，今天是最后一天），请在此之前在能连接中心时登录一次。',
    ]);
  });

  it('the lock screen names only the locked clerk; the F11 panel names everyone', async () => {
    m.offlineSignInsEnding.mockResolvedValue(ending);
    const locked = render(LockScreen, { props: { user: userView(), onunlocked: vi.fn() } });
    await waitFor(() => expect(document.getElementById('offline-sign-in-ending')).not.toBeNull());
    expect(text(byId('offline-sign-in-ending'))).toContain('王丽');
    expect(text(byId('offline-sign-in-ending'))).not.toContain('李强');
    locked.unmount();
    render(LoginPanel, {
      props: { user: null, enrolled: true, onloggedin: vi.fn(), onclose: vi.fn() },
    });
    await waitFor(() => expect(byId('offline-sign-in-ending').querySelectorAll('li')).toHaveLength(2));
  });

  it('nothing is shown when no offline sign-in ends soon, or the cache cannot say', async () => {
    m.offlineSignInsEnding.mockRejectedValue({ code: 'cache_unavailable', message: '缓存不可用' });
    render(LockScreen, { props: { user: userView(), onunlocked: vi.fn() } });
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(document.getElementById('offline-sign-in-ending')).toBeNull();
    expect(m.offlineSignInsEnding).toHaveBeenCalledTimes(1);
  });
});
