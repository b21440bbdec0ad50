import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { DeskStatus } from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import { ErrorLineState, STATUS_SAFETY_POLL_MS, StatusService } from '../../src/lib/services/status.svelte';
import { deskStatusListenerCount, emitDeskStatus, emitScreenLocked } from '../mock-ipc';
import { enrolledPush, onlineStatus, userView } from '../fixtures';

const m = vi.mocked(ipc);

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the awaited mocks answer. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const clock = new ManualClock();
  const errors = new ErrorLineState();
  const catalog = { reloadCatalog: vi.fn() };
  const status = new StatusService({ errors, catalog, clock });
  return { clock, errors, catalog, status };
}

beforeEach(() => {
  vi.resetAllMocks();
  m.deskStatus.mockResolvedValue(onlineStatus());
});

describe('following the backend', () => {
  it('listens, reads once, reads again every 30 s, and stops all of it', async () => {
    const { clock, status } = setup();
    const stop = status.start();
    await settle();
    expect(deskStatusListenerCount()).toBe(1);
    expect(m.deskStatus).toHaveBeenCalledTimes(1);
    expect(status.status?.connectivity).toBe('online');

    clock.advance(STATUS_SAFETY_POLL_MS - 1);
    expect(m.deskStatus).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
    await settle();

    stop();
    expect(deskStatusListenerCount()).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(10 * STATUS_SAFETY_POLL_MS);
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
  });

  it('a desk-status event shows at once and clears a read error', async () => {
    const { status } = setup();
    m.deskStatus.mockRejectedValue({ code: 'io', message: '读取状态失败' });
    const stop = status.start();
    await settle();
    expect(status.statusError).toBe('读取状态失败');
    emitDeskStatus(onlineStatus({ connectivity: 'offline' }));
    expect(status.status?.connectivity).toBe('offline');
    expect(status.statusError).toBeNull();
    stop();
  });

  it('a command refused for the lock reads the status at once', async () => {
    const { status } = setup();
    const stop = status.start();
    await settle();
    m.deskStatus.mockResolvedValue(onlineStatus({ locked: true, user: userView() }));
    emitScreenLocked();
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
    await settle();
    expect(status.status?.locked).toBe(true);
    stop();
  });

  it('stopped before the listener is registered: it is removed when it arrives', async () => {
    const { status } = setup();
    const stop = status.start();
    stop();
    await settle();
    expect(deskStatusListenerCount()).toBe(0);
  });
});

describe('sequence', () => {
  it('an older read answering after a newer status is dropped', async () => {
    const { status } = setup();
    const slow = deferred<DeskStatus>();
    m.deskStatus.mockReturnValueOnce(slow.promise);
    const poll = status.poll();
    status.accept(onlineStatus({ connectivity: 'offline' }));
    slow.resolve(onlineStatus({ connectivity: 'online' }));
    await poll;
    expect(status.status?.connectivity).toBe('offline');
  });

  it('one read at a time', async () => {
    const { status } = setup();
    const slow = deferred<DeskStatus>();
    m.deskStatus.mockReturnValueOnce(slow.promise);
    const first = status.poll();
    await status.poll();
    expect(m.deskStatus).toHaveBeenCalledTimes(1);
    slow.resolve(onlineStatus());
    await first;
    await status.poll();
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
  });
});

describe('catalog version', () => {
  it('loads the catalog once per version, never while gated, and again after a cache problem', () => {
    const { status, catalog } = setup();
    status.accept(onlineStatus({ catalog_version_id: 3 }));
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(1);
    status.accept(onlineStatus({ catalog_version_id: 3, connectivity: 'offline' }));
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(1);

    // Locked: the catalog commands would be refused; the new version loads after unlocking.
    status.accept(onlineStatus({ catalog_version_id: 4, locked: true, user: userView() }));
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(1);
    status.accept(onlineStatus({ catalog_version_id: 4, push: enrolledPush(), sign_in_required: true }));
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(1);
    status.accept(onlineStatus({ catalog_version_id: 4, user: userView() }));
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(2);

    const problem = { code: 'cache_corrupt' as const, message: '损坏', path: '/p' };
    status.accept(onlineStatus({ catalog_version_id: null, cache_problem: problem }));
    expect(status.blocked).toBe(true);
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(2);
    status.accept(onlineStatus({ catalog_version_id: 4 }));
    expect(status.blocked).toBe(false);
    expect(catalog.reloadCatalog).toHaveBeenCalledTimes(3);
  });
});

describe('sync now', () => {
  it('is busy while the pull runs, once at a time, and takes its status', async () => {
    const { status } = setup();
    const pull = deferred<DeskStatus>();
    m.syncNow.mockReturnValueOnce(pull.promise);
    const first = status.sync();
    expect(status.syncBusy).toBe(true);
    await status.sync();
    expect(m.syncNow).toHaveBeenCalledTimes(1);
    pull.resolve(onlineStatus({ syncing: true }));
    await first;
    expect(status.syncBusy).toBe(false);
    expect(status.status?.syncing).toBe(true);
  });

  it('a refused pull goes to the error line with its code', async () => {
    const { status, errors } = setup();
    m.syncNow.mockRejectedValue({ code: 'offline', message: '无法连接中心' });
    await status.sync();
    expect(errors.message).toBe('无法连接中心');
    expect(errors.code).toBe('offline');
    expect(status.syncBusy).toBe(false);
  });
});

describe('the gate', () => {
  it('tells its listeners only when a status closes an open window', () => {
    const { status } = setup();
    const gate = vi.fn();
    const off = status.onGate(gate);
    status.accept(onlineStatus({ user: userView() }));
    expect(gate).not.toHaveBeenCalled();
    status.accept(onlineStatus({ user: userView(), locked: true }));
    expect(gate).toHaveBeenCalledTimes(1);
    // Still locked: no second call; sign-in required after a lock is the same gate.
    status.accept(onlineStatus({ user: userView(), locked: true }));
    status.accept(onlineStatus({ sign_in_required: true }));
    expect(gate).toHaveBeenCalledTimes(1);
    status.accept(onlineStatus({ user: userView() }));
    off();
    status.accept(onlineStatus({ sign_in_required: true }));
    expect(gate).toHaveBeenCalledTimes(1);
  });
});

describe('the error line', () => {
  it('keeps a refusal code only with a sentence, and drops lock refusals on request', () => {
    const errors = new ErrorLineState();
    errors.show({ code: 'screen_locked', message: '屏幕已锁定' });
    expect(errors.message).toBe('屏幕已锁定');
    expect(errors.code).toBe('screen_locked');
    errors.clearLockRefusal();
    expect(errors.message).toBeNull();
    expect(errors.code).toBeNull();

    errors.show({ code: 'hub_error', message: '屏幕已锁定' });
    errors.clearLockRefusal();
    expect(errors.message).toBe('屏幕已锁定');
    errors.set(null, 'hub_error');
    expect(errors.code).toBeNull();
    errors.set('本地说明');
    expect(errors.code).toBeNull();
  });
});
