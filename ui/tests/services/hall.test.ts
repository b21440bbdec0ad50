import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import {
  callWhere,
  clockText,
  HallService,
  HIGHLIGHT_MS,
  REFETCH_MS,
  windowStateLabel,
} from '../../src/lib/services/hall.svelte';
import { hallBoardView, hallCall } from '../fixtures';

const m = vi.mocked(ipc);

/** The callback the service handed to onHallBoard: a `hall-board` event. */
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

/** Lets the answers already given (resolved promises) arrive. */
async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

async function started(clock = new ManualClock()) {
  const hall = new HallService(clock);
  hall.start();
  await settle();
  return { hall, clock };
}

describe('HallService', () => {
  it('starts with the first board, listening once, nothing highlighted', async () => {
    const { hall } = await started();
    expect(hall.board).toEqual(hallBoardView());
    expect(hall.calls.map((c) => c.key)).toEqual(['101', '100', '99']);
    expect(hall.windows).toHaveLength(4);
    expect(hall.fresh.size).toBe(0);
    expect(hall.error).toBeNull();
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
    expect(m.onHallBoard).toHaveBeenCalledTimes(1);
    expect(push).not.toBeNull();
  });

  it('a repeated key is shown once', async () => {
    m.hallBoard.mockResolvedValue(hallBoardView({ calls: [hallCall(), hallCall(), hallCall({ key: '7' })] }));
    const { hall } = await started();
    expect(hall.calls.map((c) => c.key)).toEqual(['101', '7']);
  });

  it('a new call is highlighted for HIGHLIGHT_MS, by the clock', async () => {
    const { hall, clock } = await started();
    push!(hallBoardView({ calls: [hallCall({ key: '102' }), ...hallBoardView().calls] }));
    expect(hall.calls[0].key).toBe('102');
    expect([...hall.fresh]).toEqual(['102']);
    clock.advance(HIGHLIGHT_MS - 1);
    expect([...hall.fresh]).toEqual(['102']);
    clock.advance(1);
    expect(hall.fresh.size).toBe(0);
  });

  it('asks again every REFETCH_MS, one ask at a time', async () => {
    const { clock } = await started();
    let answer!: (b: ipc.HallBoardView) => void;
    m.hallBoard.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    clock.advance(REFETCH_MS - 1);
    expect(m.hallBoard).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(m.hallBoard).toHaveBeenCalledTimes(2);
    // Still waiting: the next tick asks nothing more.
    clock.advance(REFETCH_MS);
    expect(m.hallBoard).toHaveBeenCalledTimes(2);
    answer(hallBoardView());
    await settle();
    clock.advance(REFETCH_MS);
    expect(m.hallBoard).toHaveBeenCalledTimes(3);
    expect(m.onHallBoard).toHaveBeenCalledTimes(1);
  });

  it('an answer asked for before an event never undoes the event', async () => {
    const { hall, clock } = await started();
    let answer!: (b: ipc.HallBoardView) => void;
    m.hallBoard.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    clock.advance(REFETCH_MS);
    push!(hallBoardView({ calls: [hallCall({ key: '300', number: 'E001' })] }));
    answer(hallBoardView());
    await settle();
    expect(hall.calls.map((c) => c.number)).toEqual(['E001']);
  });

  it('a failed ask sets the error and keeps the board; a good one clears it', async () => {
    const { hall, clock } = await started();
    m.hallBoard.mockRejectedValue({ code: 'io', message: '读取叫号信息失败' });
    clock.advance(REFETCH_MS);
    await settle();
    expect(hall.error).toBe('读取叫号信息失败');
    expect(hall.board).not.toBeNull();
    m.hallBoard.mockRejectedValue(new Error('boom'));
    clock.advance(REFETCH_MS);
    await settle();
    expect(hall.error).toBe(ipc.GENERIC_ERROR_MESSAGE);
    m.hallBoard.mockResolvedValue(hallBoardView());
    clock.advance(REFETCH_MS);
    await settle();
    expect(hall.error).toBeNull();
  });

  it('a failed subscription is tried again at the next refetch', async () => {
    m.onHallBoard.mockRejectedValueOnce(new Error('no event plugin'));
    const { clock } = await started();
    expect(push).toBeNull();
    clock.advance(REFETCH_MS);
    await settle();
    expect(m.onHallBoard).toHaveBeenCalledTimes(2);
    expect(push).not.toBeNull();
  });

  it('the clock reads HH:MM:SS and moves every second', async () => {
    const clock = new ManualClock(new Date(2026, 3, 2, 9, 5, 7).getTime());
    const { hall } = await started(clock);
    expect(hall.clock).toBe('09:05:07');
    clock.advance(1000);
    expect(hall.clock).toBe('09:05:08');
    clock.advance(2500);
    expect(hall.clock).toBe('09:05:10');
  });

  it('stop ends listening, asking, ticking and highlighting; a late subscription is ended at once', async () => {
    const { hall, clock } = await started();
    push!(hallBoardView({ calls: [hallCall({ key: '102' })] }));
    expect(clock.pending).toBeGreaterThan(0);
    hall.stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
    expect(clock.pending).toBe(0);
    clock.advance(10 * REFETCH_MS);
    expect(m.hallBoard).toHaveBeenCalledTimes(1);

    let subscribed!: (stop: () => void) => void;
    const late = vi.fn<() => void>();
    m.onHallBoard.mockImplementation(() => new Promise((resolve) => (subscribed = resolve)));
    const other = new HallService(new ManualClock());
    other.start();
    other.stop();
    subscribed(late);
    await settle();
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('an answer arriving after stop is dropped', async () => {
    let answer!: (b: ipc.HallBoardView) => void;
    m.hallBoard.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const { hall } = await started();
    hall.stop();
    answer(hallBoardView());
    await settle();
    expect(hall.board).toBeNull();
  });
});

describe('hall wording', () => {
  it('where to go, with the window number once', () => {
    expect(callWhere(hallCall({ window: 7, window_name: '综合受理' }))).toBe('7 号窗口（综合受理）');
    expect(callWhere(hallCall({ window: 3, window_name: '3 号窗口（市场监管）' }))).toBe('3 号窗口（市场监管）');
    expect(callWhere(hallCall({ window: 4, window_name: '4号窗口' }))).toBe('4号窗口');
    expect(callWhere(hallCall({ window: 5, window_name: '  ' }))).toBe('5 号窗口');
  });

  it('a window state label only when not open', () => {
    expect(windowStateLabel('paused')).toBe('暂停服务');
    expect(windowStateLabel('closed')).toBe('未开放');
    expect(windowStateLabel('open')).toBeNull();
  });

  it('clock text pads each part', () => {
    expect(clockText(new Date(2026, 0, 1, 7, 3, 9).getTime())).toBe('07:03:09');
  });
});
