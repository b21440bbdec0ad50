import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { DeskStatus } from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import { watchIdle } from '../../src/lib/idle';
import { GuideService } from '../../src/lib/services/guide.svelte';
import { OpenCaseService } from '../../src/lib/services/opencase.svelte';
import { NOBODY_TO_LOCK, SessionService, isGated } from '../../src/lib/services/session.svelte';
import { ErrorLineState, StatusService } from '../../src/lib/services/status.svelte';
import { caseView, enrolledPush, guideSetup, onlineStatus, userView } from '../fixtures';

const m = vi.mocked(ipc);
const MINUTE = 60_000;

const signedOut = onlineStatus({ push: enrolledPush() });
const signedIn = onlineStatus({ push: enrolledPush(), user: userView(), idle_lock_minutes: 2 });
const lockedStatus: DeskStatus = { ...signedIn, locked: true };

/** Lets the awaited mocks answer. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function setup(initial: DeskStatus | null = signedIn) {
  const clock = new ManualClock();
  const errors = new ErrorLineState();
  const guide = new GuideService(errors);
  const opencase = new OpenCaseService({ errors, guide });
  const status = new StatusService({ errors, catalog: { reloadCatalog: vi.fn() }, clock });
  const onunlockedfocus = vi.fn();
  const session = new SessionService({ status, opencase, errors, clock, onunlockedfocus });
  if (initial) status.accept(initial);
  return { clock, errors, opencase, status, session, onunlockedfocus };
}

beforeEach(() => {
  vi.resetAllMocks();
  m.lockScreen.mockResolvedValue(lockedStatus);
  m.newCase.mockResolvedValue(caseView());
});

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the gate', () => {
  it('is closed while locked or while a sign-in is required', () => {
    expect(isGated(null)).toBe(false);
    expect(isGated(signedIn)).toBe(false);
    expect(isGated(lockedStatus)).toBe(true);
    expect(isGated(onlineStatus({ sign_in_required: true }))).toBe(true);
  });

  it('locked follows the status; the lock screen asks for a sign-in only when nobody locked it', () => {
    const { session, status } = setup();
    expect(session.locked).toBe(false);
    status.accept(lockedStatus);
    expect(session.locked).toBe(true);
    expect(session.signIn).toBe(false);
    status.accept(onlineStatus({ push: enrolledPush(), sign_in_required: true }));
    expect(session.signIn).toBe(true);
  });
});

describe('locking now', () => {
  it('saves what was typed first, then locks', async () => {
    const { session, opencase, status } = setup();
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    opencase.caseDraft!.applicant.name = '张三';
    const saved = caseView({ revision: 7 });
    saved.applicant = { ...saved.applicant, name: '张三' };
    m.saveIntake.mockResolvedValue(saved);
    await session.lockNow();
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.saveIntake.mock.invocationCallOrder[0]).toBeLessThan(m.lockScreen.mock.invocationCallOrder[0]);
    expect(status.status?.locked).toBe(true);
    expect(session.locked).toBe(true);
    // Locked already: nothing more.
    await session.lockNow();
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
  });

  it('a draft that cannot be saved does not stop the lock', async () => {
    const { session, opencase, errors } = setup();
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    opencase.caseDraft!.applicant.name = '张三';
    m.saveIntake.mockRejectedValue({ code: 'io', message: '写入失败' });
    await session.lockNow();
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    expect(errors.message).toContain('有未保存的修改');
  });

  it('nobody signed in: no save, and the error line says why nothing locked', async () => {
    const { session, errors } = setup(signedOut);
    m.lockScreen.mockResolvedValue(signedOut);
    await session.lockNow();
    expect(m.saveIntake).not.toHaveBeenCalled();
    expect(errors.message).toBe(NOBODY_TO_LOCK);
    expect(session.locked).toBe(false);
  });

  it('a refused lock goes to the error line', async () => {
    const { session, errors } = setup();
    m.lockScreen.mockRejectedValue({ code: 'io', message: '锁屏失败' });
    await session.lockNow();
    expect(errors.message).toBe('锁屏失败');
    expect(session.locked).toBe(false);
  });
});

describe('signing in and out', () => {
  it('a sign-in only changes the status', () => {
    const { session, status } = setup(signedOut);
    session.loggedIn(signedIn);
    expect(status.status?.user?.name).toBe('王丽');
  });

  it('sign-out takes the status it answers; a refusal goes to the error line', async () => {
    const { session, status, errors } = setup();
    m.logoutUser.mockResolvedValueOnce(signedOut);
    await session.logout();
    expect(status.status?.user).toBeNull();
    m.logoutUser.mockRejectedValueOnce({ code: 'io', message: '退出登录未完成，请重试。' });
    await session.logout();
    expect(errors.message).toBe('退出登录未完成，请重试。');
  });
});

describe('unlocking', () => {
  it('the focus goes back where it was when the screen locked; lock refusals leave the error line', async () => {
    const { session, status, errors, onunlockedfocus } = setup();
    const input = document.createElement('input');
    document.body.append(input);
    input.focus();
    status.accept(lockedStatus);
    input.blur();
    errors.set('屏幕已锁定', 'screen_locked');
    await session.unlocked(signedIn);
    expect(document.activeElement).toBe(input);
    expect(errors.message).toBeNull();
    expect(onunlockedfocus).not.toHaveBeenCalled();
  });

  it('another error stays; with the opener gone the window decides where the focus goes', async () => {
    const { session, status, errors, onunlockedfocus } = setup();
    const input = document.createElement('input');
    document.body.append(input);
    input.focus();
    status.accept(lockedStatus);
    input.remove();
    errors.set('屏幕已锁定', 'hub_error');
    await session.unlocked(signedIn);
    expect(errors.message).toBe('屏幕已锁定');
    expect(onunlockedfocus).toHaveBeenCalledTimes(1);
  });

  it('still locked after the answer: the focus stays on the lock screen', async () => {
    const { session, onunlockedfocus } = setup();
    await session.unlocked(lockedStatus);
    expect(onunlockedfocus).not.toHaveBeenCalled();
  });
});

describe('the idle lock', () => {
  it('locks after the idle time with a clerk signed in; activity starts the count again', async () => {
    const { session, clock } = setup();
    const stop = session.watchIdle(window);
    flushSync();
    expect(session.idleLimitMs).toBe(2 * MINUTE);
    clock.advance(100_000);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    clock.advance(100_000);
    await settle();
    expect(m.lockScreen).not.toHaveBeenCalled();
    clock.advance(20_000);
    await settle();
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    expect(session.locked).toBe(true);
    flushSync();
    expect(session.idleLimitMs).toBe(0);
    clock.advance(30 * MINUTE);
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    stop();
    expect(clock.pending).toBe(0);
  });

  it('does not count without a signed-in clerk or with 0 minutes; counts from the sign-in', async () => {
    const { session, status, clock } = setup(signedOut);
    const stop = session.watchIdle(window);
    flushSync();
    clock.advance(30 * MINUTE);
    status.accept({ ...signedIn, idle_lock_minutes: 0 });
    flushSync();
    clock.advance(30 * MINUTE);
    expect(clock.pending).toBe(0);
    status.accept(signedIn);
    flushSync();
    clock.advance(2 * MINUTE - 1);
    await settle();
    expect(m.lockScreen).not.toHaveBeenCalled();
    clock.advance(1);
    await settle();
    expect(m.lockScreen).toHaveBeenCalledTimes(1);
    stop();
  });

  it('stopped: no listener, no timer', () => {
    const { session, clock } = setup();
    const stop = session.watchIdle(window);
    flushSync();
    expect(clock.pending).toBe(1);
    stop();
    expect(clock.pending).toBe(0);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    clock.advance(10 * MINUTE);
    expect(m.lockScreen).not.toHaveBeenCalled();
  });
});

describe('watchIdle on a clock', () => {
  it('fires once per idle period, activity pushes it back, 0 disarms, stop removes the listeners', () => {
    const clock = new ManualClock();
    const target = new EventTarget();
    const onidle = vi.fn();
    const watch = watchIdle(target, onidle, clock);
    clock.advance(10_000);
    expect(onidle).not.toHaveBeenCalled(); // not armed
    watch.arm(1000);
    clock.advance(999);
    expect(onidle).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onidle).toHaveBeenCalledTimes(1);
    clock.advance(500);
    target.dispatchEvent(new Event('pointermove'));
    clock.advance(999);
    expect(onidle).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(onidle).toHaveBeenCalledTimes(2);
    watch.arm(0);
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(onidle).toHaveBeenCalledTimes(2);
    watch.arm(1000);
    watch.stop();
    expect(clock.pending).toBe(0);
    target.dispatchEvent(new Event('keydown'));
    clock.advance(10_000);
    expect(onidle).toHaveBeenCalledTimes(2);
  });
});
