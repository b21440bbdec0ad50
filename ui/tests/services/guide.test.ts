import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { ItemGuide } from '../../src/ipc';
import { GuideService, HISTORY_LIMIT } from '../../src/lib/services/guide.svelte';
import { ErrorLineState } from '../../src/lib/services/status.svelte';
import { bundleKdyh, guideMain, guideSetup } from '../fixtures';

const m = vi.mocked(ipc);

function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

function setup() {
  const errors = new ErrorLineState();
  const guide = new GuideService(errors);
  const reveal = vi.fn();
  guide.reveal = reveal;
  return { errors, guide, reveal };
}

beforeEach(() => {
  vi.resetAllMocks();
  m.itemGuide.mockImplementation(async (code) => {
    if (code === guideMain.code) return guideMain;
    if (code === guideSetup.code) return guideSetup;
    return { ...guideSetup, code, name: `事项 ${code}` };
  });
  m.bundleView.mockResolvedValue(bundleKdyh);
});

describe('opening', () => {
  it('an item: its guide, loading while it comes, then shown to the clerk', async () => {
    const { guide, reveal } = setup();
    const opening = guide.open({ kind: 'item', code: guideSetup.code });
    expect(guide.loading).toBe(true);
    await opening;
    expect(guide.loading).toBe(false);
    expect(guide.view).toEqual({ kind: 'item', code: guideSetup.code });
    expect(guide.guide).toEqual(guideSetup);
    expect(guide.bundle).toBeNull();
    expect(guide.openItemCode).toBe(guideSetup.code);
    expect(guide.canStartItem).toBe(true);
    expect(reveal).toHaveBeenCalledWith({ kind: 'item', code: guideSetup.code });
  });

  it('a container cannot be taken in; a bundle with an item missing locally is not complete', async () => {
    const { guide } = setup();
    await guide.open({ kind: 'item', code: guideMain.code });
    expect(guide.canStartItem).toBe(false);
    await guide.open({ kind: 'bundle', code: bundleKdyh.code });
    expect(guide.guide).toBeNull();
    expect(guide.bundle).toEqual(bundleKdyh);
    expect(guide.openItemCode).toBeNull();
    expect(guide.bundleComplete).toBe(false);
    m.bundleView.mockResolvedValue({ ...bundleKdyh, members: [bundleKdyh.members[0]] });
    await guide.open({ kind: 'bundle', code: bundleKdyh.code });
    expect(guide.bundleComplete).toBe(true);
  });

  it('only the newest request is shown; an overtaken one neither shows nor reports', async () => {
    const { guide, errors } = setup();
    const slow = deferred<ItemGuide>();
    m.itemGuide.mockReturnValueOnce(slow.promise);
    const first = guide.open({ kind: 'item', code: 'A' });
    await guide.open({ kind: 'item', code: guideSetup.code });
    slow.resolve({ ...guideSetup, code: 'A' });
    await first;
    expect(guide.view?.code).toBe(guideSetup.code);
    expect(guide.loading).toBe(false);

    m.itemGuide.mockRejectedValueOnce({ code: 'not_found', message: '没有此事项' });
    const failing = guide.open({ kind: 'item', code: 'gone' });
    await guide.open({ kind: 'bundle', code: bundleKdyh.code });
    await failing;
    expect(errors.message).toBeNull();
  });

  it('a refusal goes to the error line and leaves the view as it was', async () => {
    const { guide, errors } = setup();
    await guide.open({ kind: 'item', code: guideSetup.code });
    m.itemGuide.mockRejectedValueOnce({ code: 'not_found', message: '没有此事项' });
    await guide.open({ kind: 'item', code: 'gone' });
    expect(errors.message).toBe('没有此事项');
    expect(errors.code).toBe('not_found');
    expect(guide.view?.code).toBe(guideSetup.code);
    expect(guide.loading).toBe(false);
  });

  it('reloading the view on screen neither moves the focus nor adds to the way back', async () => {
    const { guide, reveal } = setup();
    guide.reload(); // nothing open: nothing to load
    expect(m.itemGuide).not.toHaveBeenCalled();
    await guide.open({ kind: 'item', code: guideSetup.code });
    reveal.mockClear();
    guide.reload();
    await vi.waitFor(() => expect(m.itemGuide).toHaveBeenCalledTimes(2));
    await vi.waitFor(() => expect(guide.loading).toBe(false));
    expect(reveal).not.toHaveBeenCalled();
    expect(guide.history).toEqual([]);
  });
});

describe('the way back', () => {
  it('remembers what each view replaced (not the same view twice) and goes back one at a time', async () => {
    const { guide, reveal } = setup();
    guide.back(); // nothing to go back to
    await guide.open({ kind: 'bundle', code: bundleKdyh.code });
    await guide.open({ kind: 'item', code: guideMain.code });
    await guide.open({ kind: 'item', code: guideMain.code });
    await guide.open({ kind: 'item', code: guideSetup.code });
    expect(guide.history).toEqual([
      { kind: 'bundle', code: bundleKdyh.code },
      { kind: 'item', code: guideMain.code },
    ]);
    guide.back();
    expect(guide.history).toHaveLength(1);
    await vi.waitFor(() => expect(guide.view?.code).toBe(guideMain.code));
    expect(guide.history).toHaveLength(1);
    guide.back();
    await vi.waitFor(() => expect(guide.view?.kind).toBe('bundle'));
    expect(guide.history).toEqual([]);
    expect(reveal).toHaveBeenLastCalledWith({ kind: 'bundle', code: bundleKdyh.code });
  });

  it(`keeps the last ${HISTORY_LIMIT}`, async () => {
    const { guide } = setup();
    for (let i = 0; i <= HISTORY_LIMIT + 5; i++) {
      await guide.open({ kind: 'item', code: `C${i}` });
    }
    expect(guide.history).toHaveLength(HISTORY_LIMIT);
    expect(guide.history[0].code).toBe('C5');
    expect(guide.history[HISTORY_LIMIT - 1].code).toBe(`C${HISTORY_LIMIT + 4}`);
  });

  it('push: false opens without remembering', async () => {
    const { guide } = setup();
    await guide.open({ kind: 'item', code: guideMain.code });
    await guide.open({ kind: 'item', code: guideSetup.code }, { push: false });
    expect(guide.history).toEqual([]);
  });
});
