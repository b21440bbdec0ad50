import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import {
  ApplicantScreenService,
  COMMENT_MAX,
  SAFETY_POLL_MS,
} from '../../src/lib/services/applicantscreen.svelte';
import { applicantScreenView } from '../fixtures';
import { applicantScreenListenerCount, emitApplicantScreen } from '../mock-ipc';

const m = vi.mocked(ipc);

beforeEach(() => {
  vi.resetAllMocks();
  m.applicantScreen.mockResolvedValue(applicantScreenView());
});

async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

async function started(view = applicantScreenView()) {
  m.applicantScreen.mockResolvedValue(view);
  const clock = new ManualClock();
  const screen = new ApplicantScreenService(clock);
  screen.start();
  await settle();
  return { screen, clock };
}

function level(screen: ApplicantScreenService, n: number): ipc.RatingLevel {
  const l = screen.levels.find((x) => x.level === n);
  if (!l) throw new Error(`no level ${n}`);
  return l;
}

describe('ApplicantScreenService: following the clerk', () => {
  it('loading before the first view; then the case, listening once', async () => {
    const screen = new ApplicantScreenService(new ManualClock());
    expect(screen.mode).toBe('loading');
    expect(screen.idle).toBe(true);
    screen.start();
    await settle();
    expect(screen.mode).toBe('case');
    expect(screen.applicantCase?.number).toBe('RC-20260402-0001');
    expect(screen.idle).toBe(false);
    expect(applicantScreenListenerCount()).toBe(1);
    screen.stop();
    expect(applicantScreenListenerCount()).toBe(0);
  });

  it('case mode without a case is idle', async () => {
    const { screen } = await started(applicantScreenView({ case: null }));
    expect(screen.mode).toBe('case');
    expect(screen.idle).toBe(true);
  });

  it('reads again every SAFETY_POLL_MS, one read at a time; stop ends it', async () => {
    const { screen, clock } = await started();
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    let answer!: (v: ipc.ApplicantScreenView) => void;
    m.applicantScreen.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    clock.advance(SAFETY_POLL_MS - 1);
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(m.applicantScreen).toHaveBeenCalledTimes(2);
    clock.advance(SAFETY_POLL_MS);
    expect(m.applicantScreen).toHaveBeenCalledTimes(2);
    answer(applicantScreenView({ mode: 'rate' }));
    await settle();
    expect(screen.mode).toBe('rate');
    screen.stop();
    expect(clock.pending).toBe(0);
  });

  it('a failed read keeps the view and says so; the next event clears it', async () => {
    const { screen, clock } = await started();
    m.applicantScreen.mockRejectedValue({ code: 'io', message: '读取失败' });
    clock.advance(SAFETY_POLL_MS);
    await settle();
    expect(screen.pollFailed).toBe(true);
    expect(screen.mode).toBe('case');
    emitApplicantScreen(applicantScreenView());
    expect(screen.pollFailed).toBe(false);
  });

  it('a slow read never undoes a newer event', async () => {
    const { screen, clock } = await started();
    let answer!: (v: ipc.ApplicantScreenView) => void;
    m.applicantScreen.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    clock.advance(SAFETY_POLL_MS);
    emitApplicantScreen(applicantScreenView({ mode: 'thanks' }));
    answer(applicantScreenView({ mode: 'rate' }));
    await settle();
    expect(screen.mode).toBe('thanks');
  });

  it('a subscription completing after stop is ended at once', async () => {
    let subscribed!: (stop: () => void) => void;
    m.onApplicantScreen.mockImplementation(() => new Promise((resolve) => (subscribed = resolve)));
    const screen = new ApplicantScreenService(new ManualClock());
    screen.start();
    screen.stop();
    const stop = vi.fn();
    subscribed(stop);
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
  });
});

describe('ApplicantScreenService: rating', () => {
  it('a good level submits (level, [], "") and shows the answer', async () => {
    const { screen } = await started(applicantScreenView({ mode: 'rate' }));
    expect(screen.canSubmit).toBe(false);
    screen.choose(level(screen, 5));
    expect(screen.chosenLevel?.label).toBe('非常满意');
    expect(screen.needsReason).toBe(false);
    expect(screen.canSubmit).toBe(true);
    screen.comment = 'ignored';
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await screen.submit();
    expect(m.applicantRate).toHaveBeenCalledWith(5, [], '');
    expect(screen.mode).toBe('thanks');
    // A new screen starts the rating afresh.
    expect(screen.chosen).toBeNull();
    expect(screen.comment).toBe('');
  });

  it('a bad level needs a reason; reasons go in the list order, the comment trimmed', async () => {
    const { screen } = await started(applicantScreenView({ mode: 'rate' }));
    screen.choose(level(screen, 2));
    expect(screen.needsReason).toBe(true);
    expect(screen.canSubmit).toBe(false);
    await screen.submit();
    expect(m.applicantRate).not.toHaveBeenCalled();
    screen.toggleReason('一次性告知不清楚');
    screen.toggleReason('服务态度不好');
    screen.toggleReason('环境设施不便');
    screen.toggleReason('环境设施不便');
    expect(screen.canSubmit).toBe(true);
    screen.comment = '  等了很久 ';
    m.applicantRate.mockResolvedValue(applicantScreenView({ mode: 'thanks' }));
    await screen.submit();
    expect(m.applicantRate).toHaveBeenCalledWith(2, ['服务态度不好', '一次性告知不清楚'], '等了很久');
  });

  it('a comment over COMMENT_MAX characters cannot be sent', async () => {
    const { screen } = await started(applicantScreenView({ mode: 'rate' }));
    screen.choose(level(screen, 1));
    screen.toggleReason('服务态度不好');
    screen.comment = '好'.repeat(COMMENT_MAX);
    expect(screen.commentLength).toBe(COMMENT_MAX);
    expect(screen.canSubmit).toBe(true);
    screen.comment += '😀';
    expect(screen.commentLength).toBe(COMMENT_MAX + 1);
    expect(screen.canSubmit).toBe(false);
  });

  it('a refusal is shown and the choice kept; a new choice clears the error', async () => {
    const { screen } = await started(applicantScreenView({ mode: 'rate' }));
    screen.choose(level(screen, 4));
    m.applicantRate.mockRejectedValue({ code: 'rating_failed', message: '评价提交失败' });
    await screen.submit();
    expect(screen.rateError).toBe('评价提交失败');
    expect(screen.chosen).toBe(4);
    expect(screen.submitting).toBe(false);
    m.applicantRate.mockRejectedValue(new Error('boom'));
    await screen.submit();
    expect(screen.rateError).toBe(ipc.GENERIC_ERROR_MESSAGE);
    screen.choose(level(screen, 5));
    expect(screen.rateError).toBeNull();
  });

  it('while submitting: no choosing, no reads, and an event from before does not win', async () => {
    const { screen, clock } = await started(applicantScreenView({ mode: 'rate' }));
    screen.choose(level(screen, 1));
    screen.toggleReason('服务态度不好');
    let rated!: (v: ipc.ApplicantScreenView) => void;
    m.applicantRate.mockImplementation(() => new Promise((resolve) => (rated = resolve)));
    const sending = screen.submit();
    expect(screen.submitting).toBe(true);
    expect(screen.canSubmit).toBe(false);
    screen.choose(level(screen, 5));
    screen.toggleReason('环境设施不便');
    expect(screen.chosen).toBe(1);
    expect(screen.reasons).toEqual(['服务态度不好']);
    clock.advance(SAFETY_POLL_MS);
    expect(m.applicantScreen).toHaveBeenCalledTimes(1);
    emitApplicantScreen(applicantScreenView({ mode: 'rate' }));
    rated(applicantScreenView({ mode: 'thanks' }));
    await sending;
    expect(screen.mode).toBe('thanks');
    expect(m.applicantRate).toHaveBeenCalledTimes(1);
  });
});
