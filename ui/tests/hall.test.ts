import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import HallDisplay from '../src/components/HallDisplay.svelte';
import { ManualClock } from '../src/lib/clock';
import { HALL_SERVICE, HallService, REFETCH_MS } from '../src/lib/services/hall.svelte';
import { hallBoardView, hallCall, hallWindow } from './fixtures';

const m = vi.mocked(ipc);

/** What the hall window may use (its capability allows no other command). */
const ALLOWED = ['hallBoard', 'onHallBoard'];

/** The callback the screen handed to onHallBoard: pushes a `hall-board` event. */
let push: ((b: ipc.HallBoardView) => void) | null = null;
let unlisten: ReturnType<typeof vi.fn<() => void>>;

beforeEach(() => {
  vi.resetAllMocks();
  push = null;
  unlisten = vi.fn<() => void>();
  m.hallBoard.mockResolvedValue(hallBoardView());
  m.onHallBoard.mockImplementation(async (cb) => {
    push = cb;
    return unlisten;
  });
});

afterEach(() => {
  vi.useRealTimers();
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function text(el: Element | null): string {
  return el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function calls(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('#hall-calls .hall-call')];
}

function latest(): HTMLElement {
  const el = document.querySelector<HTMLElement>('#hall-calls .hall-call.latest');
  if (!el) throw new Error('no latest call');
  return el;
}

function tile(window: number): HTMLElement {
  const el = document.querySelector<HTMLElement>(`#hall-windows .hall-window[data-window="${window}"]`);
  if (!el) throw new Error(`no tile for window ${window}`);
  return el;
}

function online(): string | undefined {
  return document.getElementById('hall-display')?.dataset.online;
}

/** Nothing but the hall window's command and event was used. */
function onlyAllowedCalls() {
  for (const [name, fn] of Object.entries(m)) {
    if (ALLOWED.includes(name) || !vi.isMockFunction(fn)) continue;
    expect(fn, name).not.toHaveBeenCalled();
  }
}

/** Renders the screen and waits for the first board and the subscription. */
async function renderBoard(board: ipc.HallBoardView = hallBoardView()) {
  m.hallBoard.mockResolvedValue(board);
  const result = render(HallDisplay);
  await waitFor(() => expect(online()).toBe(String(board.online)));
  await waitFor(() => expect(push).not.toBeNull());
  return result;
}

/** Pushes a board as the backend's `hall-board` event does. */
async function emit(board: ipc.HallBoardView) {
  if (!push) throw new Error('not subscribed');
  push(board);
  await Promise.resolve();
}

describe('the hall display shows', () => {
  it('the heading, the latest call huge, the others below, and a tile per window', async () => {
    await renderBoard();
    expect(text(document.querySelector('.h-title'))).toBe('历下区政务服务中心 叫号屏');
    expect(calls().map((c) => c.dataset.key)).toEqual(['101', '100', '99']);
    expect(calls().map((c) => text(c.querySelector('.hall-call-number')))).toEqual(['B007', 'A012', 'C003']);
    expect(calls()[0]).toBe(latest());
    expect(document.querySelectorAll('.hall-call.latest')).toHaveLength(1);
    expect(text(latest().querySelector('.hall-call-number'))).toBe('B007');
    expect(text(latest())).toContain('请到 3 号窗口（市场监管）');
    expect(text(calls()[1])).toContain('1 号窗口（综合受理）');
    // A recall carries a small 重呼 tag; a first call does not.
    expect(text(calls()[2].querySelector('.hall-call-recall'))).toBe('重呼');
    expect(calls()[0].querySelector('.hall-call-recall')).toBeNull();
    // Nothing flashes on the first board.
    expect(document.querySelectorAll('.hall-call.fresh')).toHaveLength(0);

    const tiles = [...document.querySelectorAll<HTMLElement>('#hall-windows .hall-window')];
    expect(tiles.map((t) => t.dataset.window)).toEqual(['1', '2', '3', '4']);
    expect(text(tile(1).querySelector('.hall-window-name'))).toBe('1 号窗口（综合受理）');
    expect(text(tile(1).querySelector('.hall-window-current'))).toBe('A012');
    expect(text(tile(3).querySelector('.hall-window-current'))).toBe('B007');
    expect(tile(3).dataset.state).toBe('open');
    expect(tile(3).querySelector('.hall-window-state')).toBeNull();

    expect(online()).toBe('true');
    expect(document.getElementById('hall-offline')).toBeNull();
    expect(document.getElementById('hall-error')).toBeNull();
    expect(document.getElementById('hall-no-calls')).toBeNull();
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
    expect(m.onHallBoard).toHaveBeenCalledTimes(1);
    onlyAllowedCalls();
  });

  it('a window name without its number gets the number', async () => {
    await renderBoard(hallBoardView({ calls: [hallCall({ window: 7, window_name: '综合受理' })] }));
    expect(text(latest().querySelector('.hall-call-where'))).toBe('请到 7 号窗口（综合受理）');
  });

  it('paused and closed windows: 暂停服务 and 未开放; no ticket is —', async () => {
    await renderBoard(
      hallBoardView({
        windows: [
          hallWindow({ number: 2, name: '2 号窗口（综合受理）', state: 'paused', current: 'A010' }),
          hallWindow({ number: 3, state: 'open', current: null }),
          hallWindow({ number: 4, name: '4 号窗口（社保医保）', state: 'closed', current: null }),
        ],
      }),
    );
    expect(tile(2).dataset.state).toBe('paused');
    expect(text(tile(2).querySelector('.hall-window-state'))).toBe('暂停服务');
    expect(text(tile(2).querySelector('.hall-window-current'))).toBe('A010');
    expect(tile(4).dataset.state).toBe('closed');
    expect(text(tile(4).querySelector('.hall-window-state'))).toBe('未开放');
    expect(text(tile(4).querySelector('.hall-window-current'))).toBe('—');
    expect(text(tile(3).querySelector('.hall-window-current'))).toBe('—');
    expect(tile(3).querySelector('.hall-window-state')).toBeNull();
  });

  it('no calls yet: 请留意叫号', async () => {
    await renderBoard(hallBoardView({ calls: [] }));
    expect(text(byId('hall-no-calls'))).toBe('请留意叫号');
    expect(calls()).toHaveLength(0);
    // The tiles are still there.
    expect(document.querySelectorAll('.hall-window')).toHaveLength(4);
  });

  it('the clock, HH:MM:SS, every second', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2026, 3, 2, 9, 5, 7));
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(text(byId('hall-clock'))).toBe('09:05:07');
    await vi.advanceTimersByTimeAsync(1000);
    expect(text(byId('hall-clock'))).toBe('09:05:08');
    await vi.advanceTimersByTimeAsync(2000);
    expect(text(byId('hall-clock'))).toBe('09:05:10');
  });

  it('nothing on the screen can take the focus', async () => {
    await renderBoard(hallBoardView({ online: false }));
    expect(document.querySelectorAll('#hall-display :is(button, a, input, select, textarea, [tabindex])')).toHaveLength(0);
  });

  it('waiting for the first board: 请稍候', () => {
    m.hallBoard.mockImplementation(() => new Promise(() => {}));
    render(HallDisplay);
    expect(text(byId('hall-display'))).toContain('请稍候');
    expect(online()).toBeUndefined();
  });
});

describe('following the board', () => {
  it('a hall-board event shows the new call as the latest, highlighted for a while', async () => {
    vi.useFakeTimers();
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(text(latest().querySelector('.hall-call-number'))).toBe('B007');

    const before = hallBoardView();
    await emit(
      hallBoardView({
        calls: [hallCall({ key: '102', number: 'A013', window: 1, window_name: '1 号窗口（综合受理）' }), ...before.calls],
        windows: [hallWindow({ number: 1, name: '1 号窗口（综合受理）', current: 'A013' }), ...before.windows.slice(1)],
      }),
    );
    expect(calls().map((c) => c.dataset.key)).toEqual(['102', '101', '100', '99']);
    expect(latest().dataset.key).toBe('102');
    expect(text(latest().querySelector('.hall-call-number'))).toBe('A013');
    expect(text(latest())).toContain('请到 1 号窗口（综合受理）');
    expect(calls()[1].classList.contains('latest')).toBe(false);
    expect(text(tile(1).querySelector('.hall-window-current'))).toBe('A013');
    // Only the new call is highlighted, and only for a while.
    expect([...document.querySelectorAll<HTMLElement>('.hall-call.fresh')].map((c) => c.dataset.key)).toEqual(['102']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(document.querySelectorAll('.hall-call.fresh')).toHaveLength(0);
    onlyAllowedCalls();
  });

  it('a recall is a new key: shown as the latest with 重呼, highlighted', async () => {
    await renderBoard();
    await emit(hallBoardView({ calls: [hallCall({ key: '103', recall: true }), ...hallBoardView().calls] }));
    expect(latest().dataset.key).toBe('103');
    expect(text(latest().querySelector('.hall-call-recall'))).toBe('重呼');
    expect(latest().classList.contains('fresh')).toBe(true);
  });

  it('offline: the banner appears, and goes when the hub is back', async () => {
    await renderBoard();
    await emit(
      hallBoardView({
        online: false,
        calls: [hallCall({ key: '9-0', number: 'W03-001' }), ...hallBoardView().calls],
      }),
    );
    expect(online()).toBe('false');
    expect(text(byId('hall-offline'))).toBe('中心连接中断，显示本窗口叫号');
    expect(text(latest().querySelector('.hall-call-number'))).toBe('W03-001');
    await emit(hallBoardView());
    expect(online()).toBe('true');
    expect(document.getElementById('hall-offline')).toBeNull();
  });

  it('starts offline: the banner shows at once', async () => {
    await renderBoard(hallBoardView({ online: false }));
    expect(text(byId('hall-offline'))).toBe('中心连接中断，显示本窗口叫号');
  });

  it('asks for the board again every 5 s, in case an event was missed', async () => {
    vi.useFakeTimers();
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
    m.hallBoard.mockResolvedValue(hallBoardView({ calls: [hallCall({ key: '200', number: 'D001' })] }));
    await vi.advanceTimersByTimeAsync(4999);
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(m.hallBoard).toHaveBeenCalledTimes(2);
    expect(text(latest().querySelector('.hall-call-number'))).toBe('D001');
    await vi.advanceTimersByTimeAsync(5000);
    expect(m.hallBoard).toHaveBeenCalledTimes(3);
    // Subscribed once: the refetch does not listen again.
    expect(m.onHallBoard).toHaveBeenCalledTimes(1);
  });

  it('an answer asked for before an event never undoes the event', async () => {
    vi.useFakeTimers();
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    let answer!: (b: ipc.HallBoardView) => void;
    m.hallBoard.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await vi.advanceTimersByTimeAsync(5000);
    expect(m.hallBoard).toHaveBeenCalledTimes(2);
    await emit(hallBoardView({ calls: [hallCall({ key: '300', number: 'E001' })] }));
    answer(hallBoardView());
    await vi.advanceTimersByTimeAsync(0);
    expect(text(latest().querySelector('.hall-call-number'))).toBe('E001');
  });

  it('a failed ask shows the error and keeps trying; the next good answer clears it', async () => {
    vi.useFakeTimers();
    m.hallBoard.mockRejectedValue({ code: 'io', message: '读取叫号信息失败' });
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(text(byId('hall-error'))).toBe('读取叫号信息失败');
    expect(text(byId('hall-display'))).toContain('正在重试');
    m.hallBoard.mockRejectedValue(new Error('boom'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(text(byId('hall-error'))).toBe(ipc.GENERIC_ERROR_MESSAGE);
    m.hallBoard.mockResolvedValue(hallBoardView());
    await vi.advanceTimersByTimeAsync(5000);
    expect(document.getElementById('hall-error')).toBeNull();
    expect(text(latest().querySelector('.hall-call-number'))).toBe('B007');
    // Shown while a board is up, too; the board stays.
    m.hallBoard.mockRejectedValue({ code: 'io', message: '读取叫号信息失败' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(text(byId('hall-error'))).toBe('读取叫号信息失败');
    expect(text(latest().querySelector('.hall-call-number'))).toBe('B007');
  });

  it('a failed subscription is tried again at the next refetch', async () => {
    vi.useFakeTimers();
    m.onHallBoard.mockRejectedValueOnce(new Error('no event plugin'));
    render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.onHallBoard).toHaveBeenCalledTimes(1);
    expect(push).toBeNull();
    await vi.advanceTimersByTimeAsync(5000);
    expect(m.onHallBoard).toHaveBeenCalledTimes(2);
    expect(push).not.toBeNull();
  });
});

describe('a hall service given by an ancestor', () => {
  it('is the one shown and driven: its clock ticks the screen and its refetch asks again', async () => {
    const clock = new ManualClock(new Date(2026, 3, 2, 9, 5, 7).getTime());
    const hall = new HallService(clock);
    const { unmount } = render(HallDisplay, { context: new Map([[HALL_SERVICE.key, hall]]) });
    await waitFor(() => expect(online()).toBe('true'));
    expect(text(byId('hall-clock'))).toBe('09:05:07');
    clock.advance(1000);
    await waitFor(() => expect(text(byId('hall-clock'))).toBe('09:05:08'));
    m.hallBoard.mockResolvedValue(hallBoardView({ calls: [hallCall({ key: '400', number: 'F001' })] }));
    clock.advance(REFETCH_MS);
    await waitFor(() => expect(text(latest().querySelector('.hall-call-number'))).toBe('F001'));
    expect(m.hallBoard).toHaveBeenCalledTimes(2);
    unmount();
    expect(clock.pending).toBe(0);
    expect(unlisten).toHaveBeenCalledTimes(1);
  });
});

describe('unmounting', () => {
  it('stops listening and asking', async () => {
    vi.useFakeTimers();
    const { unmount } = render(HallDisplay);
    await vi.advanceTimersByTimeAsync(0);
    expect(unlisten).not.toHaveBeenCalled();
    unmount();
    expect(unlisten).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20000);
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
  });

  it('a subscription that completes after unmounting is ended at once', async () => {
    let subscribed!: (stop: () => void) => void;
    m.onHallBoard.mockImplementation(() => new Promise((resolve) => (subscribed = resolve)));
    const { unmount } = render(HallDisplay);
    await waitFor(() => expect(m.onHallBoard).toHaveBeenCalledTimes(1));
    unmount();
    subscribed(unlisten);
    await waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });
});

describe('main.ts', () => {
  it('mounts the hall display for index.html#hall', async () => {
    const target = document.createElement('div');
    target.id = 'app';
    document.body.appendChild(target);
    const before = location.hash;
    location.hash = '#hall';
    try {
      vi.resetModules();
      const ipcNow = vi.mocked(await import('../src/ipc'));
      ipcNow.hallBoard.mockResolvedValue(hallBoardView());
      ipcNow.onHallBoard.mockResolvedValue(() => {});
      const main = await import('../src/main');
      // The same svelte instance as main.ts (the modules were reset).
      const { unmount } = await import('svelte');
      await waitFor(() => expect(target.querySelector('#hall-display[data-online="true"]')).not.toBeNull());
      expect(target.querySelector('.hall-call.latest .hall-call-number')?.textContent).toBe('B007');
      expect(target.querySelector('.shell')).toBeNull();
      expect(target.querySelector('#applicant-screen')).toBeNull();
      expect(document.title).toBe('一窗 · 叫号屏');
      expect(ipcNow.uiReady).not.toHaveBeenCalled();
      expect(ipcNow.applicantScreen).not.toHaveBeenCalled();
      unmount(main.default);
    } finally {
      location.hash = before;
      target.remove();
    }
  }, 20_000 /* imports the whole UI afresh (modules reset): slow on a loaded machine */);
});
