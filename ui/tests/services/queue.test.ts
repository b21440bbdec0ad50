import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import { QUEUE_POLL_MS, QueueService, windowStateOf } from '../../src/lib/services/queue.svelte';
import { queueNotEnrolled, queueView, queueViewWindow1, ticketView } from '../fixtures';

const m = vi.mocked(ipc);

/** Lets the mocks' answers arrive (their promises settle in microtasks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
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

/** A started service that has its first answer (`view`). */
async function started(view: ipc.QueueView = queueView(), clock = new ManualClock()) {
  m.queueStatus.mockResolvedValue(view);
  const queue = new QueueService({ clock });
  queue.start();
  await settle();
  return { queue, clock };
}

beforeEach(() => {
  vi.resetAllMocks();
});

describe('the poll', () => {
  it('reads the queue at once, then every 5 s on the clock; stop leaves no timer', async () => {
    const { queue, clock } = await started();
    expect(m.queueStatus).toHaveBeenCalledTimes(1);
    expect(queue.view?.waiting).toBe(4);
    expect(queue.ready).toBe(true);

    m.queueStatus.mockResolvedValue(queueView({ waiting: 9 }));
    clock.advance(QUEUE_POLL_MS - 1);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(2);
    expect(queue.view?.waiting).toBe(9);
    for (let i = 0; i < 2; i++) {
      clock.advance(QUEUE_POLL_MS);
      await settle();
    }
    expect(m.queueStatus).toHaveBeenCalledTimes(4);

    queue.stop();
    expect(clock.pending).toBe(0);
    clock.advance(10 * QUEUE_POLL_MS);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(4);
  });

  it('a second start sets no second timer', async () => {
    const { queue, clock } = await started();
    queue.start();
    expect(clock.pending).toBe(1);
    queue.stop();
  });

  it('does not read while the screen is locked', async () => {
    let locked = true;
    const clock = new ManualClock();
    m.queueStatus.mockResolvedValue(queueView());
    const queue = new QueueService({ clock, locked: () => locked });
    queue.start();
    clock.advance(3 * QUEUE_POLL_MS);
    await settle();
    expect(m.queueStatus).not.toHaveBeenCalled();
    expect(queue.view).toBeNull();
    locked = false;
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(1);
    expect(queue.view).not.toBeNull();
    queue.stop();
  });

  it('does not start a read while one is still out', async () => {
    const { queue, clock } = await started();
    const slow = deferred<ipc.QueueView>();
    m.queueStatus.mockReturnValue(slow.promise);
    clock.advance(QUEUE_POLL_MS);
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(2);
    slow.resolve(queueView({ waiting: 7 }));
    await settle();
    expect(queue.view?.waiting).toBe(7);
    queue.stop();
  });

  it('a failed read says so; the next good read clears it', async () => {
    const { queue, clock } = await started();
    m.queueStatus.mockRejectedValue({ code: 'queue_unavailable', message: '与中心的连接已断开' });
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(queue.error).toBe('叫号状态读取失败：与中心的连接已断开');
    // The view stays as last read.
    expect(queue.view?.waiting).toBe(4);
    m.queueStatus.mockResolvedValue(queueView({ waiting: 2 }));
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(queue.error).toBeNull();
    expect(queue.view?.waiting).toBe(2);
    queue.stop();
  });

  it("a command's error stays through the polls, good or failed", async () => {
    const { queue, clock } = await started();
    m.queueCallNext.mockRejectedValue({ code: 'queue', message: '当前没有等候的号' });
    await queue.callNext();
    expect(queue.error).toBe('当前没有等候的号');
    m.queueStatus.mockRejectedValue({ code: 'queue_unavailable', message: '断开' });
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(queue.error).toBe('当前没有等候的号');
    m.queueStatus.mockResolvedValue(queueView());
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(queue.error).toBe('当前没有等候的号');
    queue.stop();
  });

  it('a read that answers after a command never undoes the command', async () => {
    const { queue, clock } = await started();
    const slow = deferred<ipc.QueueView>();
    m.queueStatus.mockReturnValue(slow.promise);
    clock.advance(QUEUE_POLL_MS); // the read is out
    m.queueCallNext.mockResolvedValue(queueView({ current: ticketView(), waiting: 3, flash: { ok: true, text: '已叫 B007 号' } }));
    await queue.callNext();
    expect(queue.current?.number).toBe('B007');
    slow.resolve(queueView({ current: null, waiting: 4 }));
    await settle();
    expect(queue.current?.number).toBe('B007');
    expect(queue.view?.waiting).toBe(3);
    // A poll keeps the last flash on screen.
    m.queueStatus.mockResolvedValue(queueView({ current: ticketView(), waiting: 9 }));
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(queue.view?.waiting).toBe(9);
    expect(queue.flash?.text).toBe('已叫 B007 号');
    queue.stop();
  });

  it('no read starts while a command runs', async () => {
    const { queue, clock } = await started();
    const answer = deferred<ipc.QueueView>();
    m.queueCallNext.mockReturnValue(answer.promise);
    const calling = queue.callNext();
    clock.advance(QUEUE_POLL_MS);
    await settle();
    expect(m.queueStatus).toHaveBeenCalledTimes(1);
    answer.resolve(queueView());
    await calling;
    queue.stop();
  });
});

describe('the calling commands', () => {
  it('叫号: busy while it runs, a second one is refused; the answer and its flash are shown', async () => {
    const { queue } = await started(queueView({ flash: null }));
    const answer = deferred<ipc.QueueView>();
    m.queueCallNext.mockReturnValue(answer.promise);
    const first = queue.callNext();
    expect(queue.busy).toBe(true);
    expect(queue.disabled).toBe(true);
    expect(await queue.callNext()).toBe(false);
    expect(await queue.step('serve')).toBe(false);
    await queue.invite();
    expect(m.queueCallNext).toHaveBeenCalledTimes(1);
    expect(m.queueStep).not.toHaveBeenCalled();
    expect(m.inviteRating).not.toHaveBeenCalled();
    answer.resolve(queueView({ current: ticketView(), waiting: 3, flash: { ok: true, text: '已叫 B007 号' } }));
    expect(await first).toBe(true);
    expect(queue.busy).toBe(false);
    expect(queue.current?.number).toBe('B007');
    expect(queue.flash).toEqual({ ok: true, text: '已叫 B007 号' });
    queue.stop();
  });

  it('a command clears the last error and flash; its own error goes to the bar', async () => {
    const { queue } = await started();
    m.queueCallNext.mockResolvedValue(queueView({ flash: { ok: true, text: '已叫 B007 号' } }));
    await queue.callNext();
    m.queueStep.mockRejectedValue({ code: 'queue', message: 'B007 号已重呼 3 次，请按过号处理' });
    expect(await queue.step('recall')).toBe(false);
    expect(m.queueStep).toHaveBeenCalledWith('recall');
    expect(queue.flash).toBeNull();
    expect(queue.error).toBe('B007 号已重呼 3 次，请按过号处理');
    m.queueStep.mockResolvedValue(queueView({ flash: { ok: true, text: 'B007 号已按过号处理' } }));
    await queue.step('no_show');
    expect(m.queueStep).toHaveBeenLastCalledWith('no_show');
    expect(queue.error).toBeNull();
    expect(queue.flash?.text).toBe('B007 号已按过号处理');
    queue.stop();
  });

  it('nothing runs before the first answer or while calling is not possible', async () => {
    const clock = new ManualClock();
    const fresh = new QueueService({ clock });
    expect(fresh.ready).toBe(false);
    expect(await fresh.callNext()).toBe(false);

    const { queue } = await started(queueNotEnrolled, clock);
    expect(queue.ready).toBe(false);
    expect(queue.disabled).toBe(true);
    expect(await queue.callNext()).toBe(false);
    expect(await queue.step('recall')).toBe(false);
    expect(await queue.togglePause()).toBe(false);
    await queue.invite();
    expect(queue.walkIn()).toBe(false);
    expect(queue.openTransfer()).toBe(false);
    expect(queue.openWalkIn()).toBe(false);
    expect(m.queueCallNext).not.toHaveBeenCalled();
    expect(m.queueStep).not.toHaveBeenCalled();
    expect(m.queueSetWindow).not.toHaveBeenCalled();
    expect(m.inviteRating).not.toHaveBeenCalled();
    expect(m.queueWalkIn).not.toHaveBeenCalled();
    expect(queue.transferOpen).toBe(false);
    queue.stop();
  });

  it('暂停 an open window, 恢复 a paused or a closed one', async () => {
    const { queue } = await started();
    expect(queue.windowState).toBe('open');
    expect(queue.paused).toBe(false);
    m.queueSetWindow.mockResolvedValueOnce(queueView({ window_state: 'paused' }));
    await queue.togglePause();
    expect(m.queueSetWindow).toHaveBeenLastCalledWith('paused');
    expect(queue.paused).toBe(true);
    m.queueSetWindow.mockResolvedValueOnce(queueView({ window_state: 'closed' }));
    await queue.togglePause();
    expect(m.queueSetWindow).toHaveBeenLastCalledWith('open');
    expect(queue.windowState).toBe('closed');
    expect(queue.paused).toBe(true);
    m.queueSetWindow.mockResolvedValueOnce(queueView({ window_state: 'open' }));
    await queue.togglePause();
    expect(m.queueSetWindow).toHaveBeenLastCalledWith('open');
    expect(queue.paused).toBe(false);
    queue.stop();
  });

  it('the offline queue: the backend says offline, the view carries it', async () => {
    const { queue } = await started();
    expect(queue.view?.offline).toBe(false);
    m.queueCallNext.mockResolvedValue(queueView({ offline: true, current: ticketView({ number: 'W03-001' }) }));
    await queue.callNext();
    expect(queue.view?.offline).toBe(true);
    expect(queue.current?.number).toBe('W03-001');
    queue.stop();
  });

  it('请评价: the answer is the flash; an error goes to the bar; the view is not touched', async () => {
    const { queue } = await started(queueView({ current: ticketView() }));
    const before = queue.view;
    m.inviteRating.mockResolvedValue({ ok: false, text: '评价屏未打开' });
    await queue.invite();
    expect(queue.flash).toEqual({ ok: false, text: '评价屏未打开' });
    expect(queue.view).toBe(before);
    m.inviteRating.mockRejectedValue({ code: 'queue_unavailable', message: '与中心的连接已断开，暂不能叫号' });
    await queue.invite();
    expect(queue.flash).toBeNull();
    expect(queue.error).toBe('与中心的连接已断开，暂不能叫号');
    expect(queue.busy).toBe(false);
    queue.stop();
  });
});

describe('转移', () => {
  it('offers the windows and the other businesses, not the ticket’s own', async () => {
    const { queue } = await started(queueView({ current: ticketView() }));
    expect(queue.transferWindows.map((w) => w.code)).toEqual(['1', '4']);
    expect(queue.transferDomains.map((d) => d.code)).toEqual(['SBYB']);
    expect(queue.transferSize).toBe(5);
    queue.stop();
  });

  it('opens afresh; nothing chosen asks for a target; a window or a business is sent as such', async () => {
    const { queue } = await started(queueView({ current: ticketView() }));
    expect(queue.openTransfer()).toBe(true);
    expect(queue.dialogOpen).toBe(true);
    expect(queue.openTransfer()).toBe(false); // one dialog at a time
    expect(await queue.confirmTransfer('')).toBe(false);
    expect(queue.transferError).toBe('请选择转到哪个窗口，或哪个业务');
    expect(m.queueTransfer).not.toHaveBeenCalled();

    m.queueTransfer.mockResolvedValue(queueView({ flash: { ok: true, text: 'B007 号已转移，按原取号时间排队' } }));
    expect(await queue.confirmTransfer('w:4')).toBe(true);
    expect(m.queueTransfer).toHaveBeenLastCalledWith(4, null);
    expect(queue.transferOpen).toBe(false);
    expect(queue.transferError).toBeNull();
    expect(queue.flash?.text).toBe('B007 号已转移，按原取号时间排队');
    expect(queue.current).toBeNull();

    m.queueCallNext.mockResolvedValue(queueView({ current: ticketView() }));
    await queue.callNext();
    queue.transferTarget = 'w:1';
    queue.transferError = 'old';
    expect(queue.openTransfer()).toBe(true);
    expect(queue.transferTarget).toBe('');
    expect(queue.transferError).toBeNull();
    expect(await queue.confirmTransfer('d:SBYB')).toBe(true);
    expect(m.queueTransfer).toHaveBeenLastCalledWith(null, 'SBYB');
    queue.stop();
  });

  it('a refused transfer keeps the dialog open with the reason, not in the bar', async () => {
    const { queue } = await started(queueView({ current: ticketView() }));
    queue.openTransfer();
    m.queueTransfer.mockRejectedValue({ code: 'queue', message: '该窗口不办理此业务，不能转过去' });
    expect(await queue.confirmTransfer('w:1')).toBe(false);
    expect(queue.transferOpen).toBe(true);
    expect(queue.transferError).toBe('该窗口不办理此业务，不能转过去');
    expect(queue.error).toBeNull();
    expect(queue.flash).toBeNull();
    queue.closeTransfer();
    expect(queue.transferOpen).toBe(false);
    expect(queue.transferError).toBeNull();
    queue.stop();
  });

  it('while a command runs a confirm does nothing; once calling is not possible it says so', async () => {
    const { queue } = await started(queueView({ current: ticketView() }));
    queue.openTransfer();
    const answer = deferred<ipc.QueueView>();
    m.queueTransfer.mockReturnValue(answer.promise);
    const first = queue.confirmTransfer('w:1');
    expect(await queue.confirmTransfer('w:4')).toBeNull();
    expect(m.queueTransfer).toHaveBeenCalledTimes(1);
    answer.resolve(queueNotEnrolled); // the answer: calling is no longer possible here
    expect(await first).toBe(true);

    queue.transferOpen = true;
    expect(await queue.confirmTransfer('w:4')).toBe(false);
    expect(queue.transferError).toBe('叫号暂不可用，未能转移');
    expect(m.queueTransfer).toHaveBeenCalledTimes(1);
    queue.stop();
  });
});

describe('现场取号', () => {
  it('one business: the ticket is taken at once, no dialog', async () => {
    const { queue } = await started();
    expect(queue.walkInAsks).toBe(false);
    m.queueWalkIn.mockResolvedValue(queueView({ current: ticketView({ state: 'serving' }), flash: { ok: true, text: '现场取号 B012，已开始办理' } }));
    expect(queue.walkIn()).toBe(false);
    expect(queue.busy).toBe(true);
    await settle();
    expect(m.queueWalkIn).toHaveBeenCalledWith('SCJG');
    expect(queue.walkInOpen).toBe(false);
    expect(queue.current?.state).toBe('serving');
    expect(queue.flash?.text).toBe('现场取号 B012，已开始办理');
    queue.stop();
  });

  it('no business configured: the bar says so, nothing is sent', async () => {
    const { queue } = await started(queueView({ window_domains: [] }));
    expect(queue.walkIn()).toBe(false);
    expect(queue.error).toBe('叫号配置中本窗口没有办理的业务，不能现场取号');
    expect(m.queueWalkIn).not.toHaveBeenCalled();
    queue.stop();
  });

  it('several businesses: the clerk chooses in the dialog; a refusal stays in it', async () => {
    const { queue } = await started(queueViewWindow1());
    expect(queue.walkInAsks).toBe(true);
    expect(queue.walkInSize).toBe(4);
    expect(queue.walkIn()).toBe(true);
    expect(m.queueWalkIn).not.toHaveBeenCalled();
    expect(queue.openWalkIn()).toBe(true);
    expect(queue.walkIn()).toBe(false); // the dialog is open
    expect(queue.openTransfer()).toBe(false);
    expect(await queue.confirmWalkIn('')).toBe(false);
    expect(queue.walkInError).toBe('请选择办理哪个业务');

    m.queueWalkIn.mockRejectedValueOnce({ code: 'queue', message: '本窗口已暂停叫号，不能现场取号' });
    expect(await queue.confirmWalkIn('GAHZ')).toBe(false);
    expect(queue.walkInOpen).toBe(true);
    expect(queue.walkInError).toBe('本窗口已暂停叫号，不能现场取号');
    expect(queue.error).toBeNull();

    m.queueWalkIn.mockResolvedValueOnce(queueViewWindow1({ flash: { ok: true, text: '现场取号 E001，已开始办理' } }));
    expect(await queue.confirmWalkIn('GAHZ')).toBe(true);
    expect(m.queueWalkIn).toHaveBeenLastCalledWith('GAHZ');
    expect(queue.walkInOpen).toBe(false);
    expect(queue.walkInError).toBeNull();
    expect(queue.flash?.text).toBe('现场取号 E001，已开始办理');

    queue.walkInDomain = 'ZHSL';
    expect(queue.openWalkIn()).toBe(true);
    expect(queue.walkInDomain).toBe('');
    queue.closeWalkIn();
    expect(queue.dialogOpen).toBe(false);
    queue.stop();
  });
});

describe('windowStateOf', () => {
  it('is the view’s window state, or null before the first answer', () => {
    expect(windowStateOf(null)).toBeNull();
    expect(windowStateOf(queueView({ window_state: 'paused' }))).toBe('paused');
    expect(windowStateOf(queueView({ window_state: null }))).toBeNull();
  });
});
