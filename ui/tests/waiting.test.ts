import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import App from '../src/App.svelte';
import {
  bundles,
  caseView,
  domains,
  guideMain,
  guideSetup,
  onlineStatus,
  queueNotEnrolled,
  searchGtgsh,
  waitingScan,
  windowInfoFixture,
} from './fixtures';
import { emitDeskStatus } from './mock-ipc';

const m = vi.mocked(ipc);

/** Two scans wait: one taken while no case was open, one recovered after a crash (3 pages, no thumbnail). */
const twoWaiting = () => [
  waitingScan(1, { name: '身份证正反面.jpg', arrived: '2026-04-02 09:12' }),
  waitingScan(2, {
    name: '营业场所租赁合同.pdf',
    arrived: '2026-04-02 09:30',
    why: 'recovered',
    why_label: '程序异常退出后恢复',
    size_label: '1.2 MB',
    pages: 3,
    thumbnail: null,
  }),
];

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
  m.newCase.mockResolvedValue(caseView({ waiting_scans: twoWaiting() }));
  m.pollCase.mockResolvedValue(null);
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function entries(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('#waiting-list .waiting-scan')];
}

function entry(id: number): HTMLElement {
  const el = document.querySelector<HTMLElement>(`#waiting-list .waiting-scan[data-id="${id}"]`);
  if (!el) throw new Error(`waiting scan ${id} not rendered`);
  return el;
}

function button(within: HTMLElement, cls: string): HTMLButtonElement {
  const el = within.querySelector<HTMLButtonElement>(`button.${cls}`);
  if (!el) throw new Error(`.${cls} not rendered`);
  return el;
}

/** Search, open 个体工商户设立登记 and press Ctrl+Enter: the case screen with newCase's view. */
async function startCase() {
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await user.type(byId<HTMLInputElement>('search-input'), 'gtgsh');
  await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
  await user.keyboard('{ArrowDown}{Enter}');
  await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
  await user.keyboard('{Control>}{Enter}{/Control}');
  await waitFor(() => expect(byId('case-screen')).toBeInTheDocument());
  return user;
}

describe('待分配扫描件 in the materials panel', () => {
  it('lists each waiting scan with its time, reason, size and pages, and where 放入本件 puts it', async () => {
    await startCase();
    expect(byId('waiting-heading').textContent).toBe('待分配的扫描件（2）');
    expect(byId('waiting-list').textContent).toContain('这些扫描件不属于任何办件，请核对是本申请人的材料后再放入本件');
    expect(entries().map((e) => e.dataset.id)).toEqual(['1', '2']);

    const first = entry(1);
    expect(first.dataset.why).toBe('no_case');
    expect(first.querySelector('.w-name')?.textContent).toBe('身份证正反面.jpg');
    expect(first.querySelector('.w-arrived')?.textContent).toBe('2026-04-02 09:12');
    expect(first.querySelector('.w-why')?.textContent).toBe('到达时没有打开的办件');
    expect(first.querySelector('.w-size')?.textContent).toBe('98 KB');
    expect(first.querySelector('img')?.getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');

    const second = entry(2);
    expect(second.dataset.why).toBe('recovered');
    expect(second.querySelector('.w-why')?.textContent).toBe('程序异常退出后恢复');
    expect(second.querySelector('.w-size')?.textContent).toBe('1.2 MB · 3 页');
    expect(second.querySelector('img')).toBeNull();

    // Nothing selected: 放入本件 goes to the tray, and says so.
    expect(byId('waiting-destination').textContent).toContain('“放入本件”将放入：未分类');
    expect(button(first, 'attach-waiting').getAttribute('aria-describedby')).toBe('waiting-destination');
    expect(button(first, 'dismiss-waiting').textContent?.trim()).toBe('不属于本件，移除');
    expect(m.attachWaitingScan).not.toHaveBeenCalled();
  });

  it('shows no list when nothing waits', async () => {
    m.newCase.mockResolvedValue(caseView());
    await startCase();
    expect(document.getElementById('waiting-list')).toBeNull();
  });

  it('放入本件 goes to the tray with no slot, then to the selected material; each reply replaces the list', async () => {
    m.attachWaitingScan
      .mockResolvedValueOnce(
        caseView({ revision: 6, waiting_scans: [twoWaiting()[1]], flash: { ok: true, text: '已放入本件：身份证正反面.jpg' } }),
      )
      .mockResolvedValueOnce(
        caseView({ revision: 8, selected_slot: 0, waiting_scans: [], flash: { ok: true, text: '已放入本件：营业场所租赁合同.pdf' } }),
      );
    m.selectSlot.mockResolvedValue(caseView({ revision: 7, selected_slot: 0, waiting_scans: [twoWaiting()[1]] }));
    const user = await startCase();

    // From the keyboard: the button takes Enter.
    button(entry(1), 'attach-waiting').focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(m.attachWaitingScan).toHaveBeenCalledWith('case-1', 1, null));
    await waitFor(() => expect(entries().map((e) => e.dataset.id)).toEqual(['2']));
    expect(byId('waiting-heading').textContent).toBe('待分配的扫描件（1）');
    expect(byId('case-flash').textContent).toContain('已放入本件：身份证正反面.jpg');
    // The focus stays in the list, on the entry that moved up.
    expect(document.activeElement).toBe(button(entry(2), 'attach-waiting'));

    // Alt+1 selects the first material: 放入本件 now goes there.
    await user.keyboard('{Alt>}1{/Alt}');
    await waitFor(() => expect(byId('waiting-destination').textContent).toContain('材料 1「经营者身份证明」'));
    await user.click(button(entry(2), 'attach-waiting'));
    await waitFor(() => expect(m.attachWaitingScan).toHaveBeenLastCalledWith('case-1', 2, 0));
    await waitFor(() => expect(document.getElementById('waiting-list')).toBeNull());
    expect(byId('case-flash').textContent).toContain('已放入本件：营业场所租赁合同.pdf');
    expect(m.attachWaitingScan).toHaveBeenCalledTimes(2);
    expect(m.dismissWaitingScan).not.toHaveBeenCalled();
  });

  it('移除 asks first; Esc takes it back; 确认移除 dismisses the scan', async () => {
    m.dismissWaitingScan.mockResolvedValue(
      caseView({
        revision: 6,
        waiting_scans: [twoWaiting()[1]],
        flash: { ok: true, text: '已从待分配列表移除：身份证正反面.jpg（文件仍加密保存在本机）' },
      }),
    );
    const user = await startCase();

    await user.click(button(entry(1), 'dismiss-waiting'));
    expect(entry(1).textContent).toContain('确定不属于本件？');
    expect(document.activeElement).toBe(button(entry(1), 'confirm-dismiss'));
    expect(entry(1).querySelector('.attach-waiting')).toBeNull();
    expect(m.dismissWaitingScan).not.toHaveBeenCalled();

    // Esc: nothing removed, the focus is back on 移除.
    await user.keyboard('{Escape}');
    await waitFor(() => expect(entry(1).querySelector('.confirm-dismiss')).toBeNull());
    expect(document.activeElement).toBe(button(entry(1), 'dismiss-waiting'));
    expect(byId('case-screen')).toBeInTheDocument();
    expect(m.dismissWaitingScan).not.toHaveBeenCalled();

    // Enter asks, Enter again confirms.
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(button(entry(1), 'confirm-dismiss'));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(m.dismissWaitingScan).toHaveBeenCalledWith('case-1', 1));
    expect(m.dismissWaitingScan).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(entries().map((e) => e.dataset.id)).toEqual(['2']));
    expect(byId('case-flash').textContent).toContain('已从待分配列表移除：身份证正反面.jpg');
    expect(m.attachWaitingScan).not.toHaveBeenCalled();
  });

  it('取消 leaves the scan in the list', async () => {
    const user = await startCase();
    await user.click(button(entry(2), 'dismiss-waiting'));
    await user.click(button(entry(2), 'cancel-dismiss'));
    expect(entry(2).querySelector('.confirm-dismiss')).toBeNull();
    expect(entries()).toHaveLength(2);
    expect(m.dismissWaitingScan).not.toHaveBeenCalled();
  });

  it('a refused 放入本件 shows the backend’s message and keeps the list', async () => {
    const message = '该扫描件已不在待分配列表中（可能已放入办件或已移除），请刷新';
    m.attachWaitingScan.mockRejectedValue({ code: 'scan_not_waiting', message });
    const user = await startCase();
    await user.click(button(entry(2), 'attach-waiting'));
    await waitFor(() => expect(byId('error-line').textContent).toContain(message));
    expect(m.attachWaitingScan).toHaveBeenCalledWith('case-1', 2, null);
    expect(entries()).toHaveLength(2);
    expect(document.getElementById('case-flash')).toBeNull();
  });

  it('a case that takes no more files offers only 移除', async () => {
    m.newCase.mockResolvedValue(
      caseView({ state: 'ready', state_label: '待出件', editable: false, waiting_scans: twoWaiting() }),
    );
    await startCase();
    expect(entries()).toHaveLength(2);
    expect(document.querySelector('#waiting-list .attach-waiting')).toBeNull();
    expect(byId('waiting-destination').textContent).toContain('办件当前为“待出件”，不能再放入材料');
    expect(entry(1).querySelector('.dismiss-waiting')).not.toBeNull();
  });
});

describe('held scans', () => {
  it('不再接收 moves a held scan aside by its name', async () => {
    const reason = '本机磁盘已满（剩余 0 MB），无法接收；文件仍在扫描文件夹中，清理磁盘后将自动接收';
    m.newCase.mockResolvedValue(
      caseView({ held_scans: [{ name: 'page-1.jpg', code: 'disk_full', reason }, { name: 'page-2.jpg', code: 'unreadable', reason }] }),
    );
    m.setAsideHeldScan.mockResolvedValue(
      caseView({
        revision: 6,
        held_scans: [{ name: 'page-2.jpg', code: 'unreadable', reason }],
        flash: { ok: true, text: '已将 page-1.jpg 移到扫描文件夹中的“未接收”文件夹，不再接收' },
      }),
    );
    const user = await startCase();
    const items = [...byId('held-list').querySelectorAll<HTMLElement>('.held-item')];
    expect(items).toHaveLength(2);
    const setAside = button(items[0], 'set-aside-held');
    expect(setAside.textContent?.trim()).toBe('不再接收（移到“未接收”文件夹）');
    await user.click(setAside);
    await waitFor(() => expect(m.setAsideHeldScan).toHaveBeenCalledWith('case-1', 'page-1.jpg'));
    expect(m.setAsideHeldScan).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(byId('held-list').querySelectorAll('.held-item')).toHaveLength(1));
    expect(byId('held-list').textContent).toContain('page-2.jpg');
    expect(byId('case-flash').textContent).toContain('已将 page-1.jpg 移到扫描文件夹中的“未接收”文件夹');
  });

  it('a held scan that cannot be moved shows why', async () => {
    const reason = '本机磁盘已满';
    m.newCase.mockResolvedValue(caseView({ held_scans: [{ name: 'page-1.jpg', code: 'disk_full', reason }] }));
    m.setAsideHeldScan.mockRejectedValue({
      code: 'held_scan_not_moved',
      message: '无法移开该文件（可能已被取走，或扫描文件夹不可写）：page-1.jpg',
    });
    const user = await startCase();
    await user.click(button(byId('held-list'), 'set-aside-held'));
    await waitFor(() => expect(byId('error-line').textContent).toContain('无法移开该文件'));
    expect(byId('held-list').querySelectorAll('.held-item')).toHaveLength(1);
  });
});

describe('status bar', () => {
  it('counts the waiting scans only while there are some', async () => {
    render(App);
    await waitFor(() => expect(byId('connectivity').textContent).toBe('在线'));
    expect(document.getElementById('waiting-scans')).toBeNull();
    emitDeskStatus(onlineStatus({ waiting_scans: 3 }));
    await waitFor(() => expect(document.getElementById('waiting-scans')).not.toBeNull());
    expect(byId('waiting-scans').textContent?.trim()).toBe('待分配扫描件 3 份');
    expect(byId('waiting-scans').title).toBe('打开办件后在材料区核对并放入，或移除');
    emitDeskStatus(onlineStatus({ waiting_scans: 0 }));
    await waitFor(() => expect(document.getElementById('waiting-scans')).toBeNull());
  });
});
