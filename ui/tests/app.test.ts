import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/ipc')>();
  return {
    ...actual,
    deskStatus: vi.fn(),
    onDeskStatus: (await import('./mock-ipc')).onDeskStatusMock(),
    searchItems: vi.fn(),
    listDomains: vi.fn(),
    itemGuide: vi.fn(),
    bundleView: vi.fn(),
    listBundles: vi.fn(),
    syncNow: vi.fn(),
    rebuildCache: vi.fn(),
    uiReady: vi.fn(),
    queueStatus: vi.fn(),
    answerCentreRefusal: vi.fn(),
  };
});

import * as ipc from '../src/ipc';
import type { DeskStatus, SearchResponse } from '../src/ipc';
import App from '../src/App.svelte';
import { deskStatusListenerCount, emitDeskStatus } from './mock-ipc';
import {
  bundleKdyh,
  bundles,
  domains,
  guideMain,
  guideSetup,
  onlineStatus,
  searchGtgsh,
  queueNotEnrolled,
} from './fixtures';

const m = vi.mocked(ipc);

beforeEach(() => {
  vi.resetAllMocks();
  m.deskStatus.mockResolvedValue(onlineStatus());
  m.listDomains.mockResolvedValue(domains);
  m.listBundles.mockResolvedValue(bundles);
  m.searchItems.mockResolvedValue(searchGtgsh);
  m.itemGuide.mockImplementation(async (code) => {
    if (code === guideSetup.code) return guideSetup;
    if (code === guideMain.code) return guideMain;
    throw { code: 'not_found', message: `目录中没有编码为 ${code} 的事项。` };
  });
  m.bundleView.mockResolvedValue(bundleKdyh);
  m.uiReady.mockResolvedValue(undefined);
  m.queueStatus.mockResolvedValue(queueNotEnrolled);
  m.syncNow.mockResolvedValue(onlineStatus({ syncing: true }));
  m.rebuildCache.mockResolvedValue(onlineStatus());
});

afterEach(() => {
  vi.useRealTimers();
});

function searchInput(): HTMLInputElement {
  return document.getElementById('search-input') as HTMLInputElement;
}

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el;
}

async function renderReady() {
  const user = userEvent.setup();
  render(App);
  await waitFor(() => expect(m.listBundles).toHaveBeenCalledTimes(1));
  await waitFor(() => expect(document.querySelectorAll('#domain-filter option')).toHaveLength(3));
  return user;
}

async function searchFor(user: ReturnType<typeof userEvent.setup>, text: string) {
  await user.type(searchInput(), text);
  await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(3));
}

describe('start', () => {
  it('focuses the search box and tells the backend the UI is ready', async () => {
    await renderReady();
    expect(document.activeElement).toBe(searchInput());
    expect(searchInput().placeholder).toBe('输入事项名称、拼音、首字母或编码（如 gtgsh）');
    expect(m.uiReady).toHaveBeenCalledTimes(1);
  });

  it('lists domains with counts in the filter', async () => {
    await renderReady();
    const options = [...document.querySelectorAll('#domain-filter option')].map((o) => o.textContent);
    expect(options).toEqual(['全部领域', '市场监管 (12)', '社会保障 (9)']);
  });

  it('shows the help panel with bundles for an empty query', async () => {
    await renderReady();
    expect(byId('search-help')).toHaveTextContent('怎样查找事项');
    const entries = [...document.querySelectorAll('.bundle-entry')];
    expect(entries.map((e) => e.getAttribute('data-code'))).toEqual(['B-KDYH', 'B-CSDJ']);
    expect(entries[0]).toHaveTextContent('开办餐饮店一件事');
  });
});

describe('search', () => {
  it('typing calls searchItems and renders the hits', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');

    expect(m.searchItems).toHaveBeenLastCalledWith({ text: 'gtgsh', domain: null, limit: 50 });
    expect(byId('result-total').textContent).toBe('共 3 项');
    const items = [...document.querySelectorAll<HTMLElement>('.result-item')];
    expect(items.map((i) => i.dataset.code)).toEqual([
      '370100-GT-001',
      '370100-GT-001-01',
      '370100-GT-001-02',
    ]);
    expect(items[0].querySelector('.name')?.textContent).toBe('个体工商户登记');
    expect(items[0].querySelector('.level')?.textContent).toBe('主项');
    expect(items[0].querySelector('.container')?.textContent).toBe('目录');
    expect(items[1].querySelector('.name')?.textContent).toBe('个体工商户设立登记');
    expect(items[1].querySelector('.level')?.textContent).toBe('办理项');
    expect(items[1].querySelector('.leaf')?.textContent).toBe('可办理');
    expect(items[1].querySelector('.domain')?.textContent).toBe('市场监管');
    expect(items[1].querySelector('.parent')?.textContent).toBe('上级：个体工商户登记');
    expect(items[0].getAttribute('aria-selected')).toBe('true');
    expect(items[1].getAttribute('aria-selected')).toBe('false');
  });

  it('shows 未找到匹配的事项 when nothing matches', async () => {
    m.searchItems.mockResolvedValue({ hits: [], total: 0 });
    const user = await renderReady();
    await user.type(searchInput(), 'zzzz');
    await waitFor(() => expect(byId('no-match')).toBeInTheDocument());
    expect(byId('no-match').querySelector('.title')?.textContent).toBe('未找到匹配的事项');
  });

  it('discards an answer that arrives after a newer one', async () => {
    let releaseFirst: (r: SearchResponse) => void = () => {};
    m.searchItems
      .mockImplementationOnce(() => new Promise((resolve) => (releaseFirst = resolve)))
      .mockResolvedValueOnce({ hits: [searchGtgsh.hits[2]], total: 1 });
    const user = await renderReady();
    await user.type(searchInput(), 'gt');
    await waitFor(() => expect(m.searchItems).toHaveBeenCalledTimes(1));
    await user.type(searchInput(), 'bg');
    await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(1));
    releaseFirst(searchGtgsh);
    await new Promise((r) => setTimeout(r, 20));
    const items = document.querySelectorAll<HTMLElement>('.result-item');
    expect(items).toHaveLength(1);
    expect(items[0].dataset.code).toBe('370100-GT-001-02');
    expect(byId('result-total').textContent).toBe('共 1 项');
  });

  it('an item this centre does not accept is marked with where to go, in the list and the guide', async () => {
    const elsewhere = ['青溪镇便民服务中心', '政务服务中心'];
    m.searchItems.mockResolvedValue({
      total: 1,
      hits: [{ ...searchGtgsh.hits[1], accepted_here: false, accepted_at: elsewhere }],
    });
    m.itemGuide.mockResolvedValue({ ...guideSetup, accepted_here: false, accepted_at: elsewhere });
    const user = await renderReady();
    await user.type(searchInput(), 'gtgsh');
    await waitFor(() => expect(document.querySelectorAll('.result-item')).toHaveLength(1));
    const item = document.querySelector<HTMLElement>('.result-item')!;
    expect(item.classList.contains('elsewhere')).toBe(true);
    expect(item.querySelector('.not-here')?.textContent).toBe('本中心不受理');
    expect(item.querySelector('.accepted-at')?.textContent).toBe('可到：青溪镇便民服务中心、政务服务中心');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(byId('guide-not-here').textContent).toContain('请引导办事人到青溪镇便民服务中心、政务服务中心办理'));
  });

  it('the domain filter narrows the search', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.selectOptions(byId('domain-filter'), 'market');
    await waitFor(() =>
      expect(m.searchItems).toHaveBeenLastCalledWith({ text: 'gtgsh', domain: 'market', limit: 50 }),
    );
  });

  it('ArrowDown then Enter opens the guide of the second hit with its materials', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{ArrowDown}');
    const items = document.querySelectorAll('.result-item');
    expect(items[1].getAttribute('aria-selected')).toBe('true');
    expect(searchInput().getAttribute('aria-activedescendant')).toBe('result-option-1');
    await user.keyboard('{Enter}');

    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    expect(m.itemGuide).toHaveBeenCalledWith('370100-GT-001-01');
    expect(document.activeElement).toBe(byId('guide-title'));

    const rows = [...document.querySelectorAll('.materials-table .material-row')];
    expect(rows).toHaveLength(2);
    const cells = (row: Element) => [...row.querySelectorAll('td')].map((td) => td.textContent?.trim());
    expect(cells(rows[0])).toEqual(['1', '经营者身份证明', '验原件收复印件', '1', '必要', '居民身份证 免提交', '否', '']);
    expect(cells(rows[1])).toEqual(['2', '经营场所使用证明', '收原件', '1', '容缺', '—', '是', '租赁合同或产权证明']);
    expect(rows[1].querySelector('.tolerance')?.textContent).toBe('容缺');

    const guide = byId('guide');
    expect(within(guide).getByText('荣成市市场监督管理局')).toBeInTheDocument();
    expect(within(guide).getByText('即办')).toBeInTheDocument();
    expect(within(guide).getByText('15 个工作日')).toBeInTheDocument();
    expect(guide.querySelector('.provenance')?.textContent).toBe('数据来源说明：测试数据，依据公开办事指南整理。');
    const fieldRows = [...guide.querySelectorAll('.fields-table .field-row')];
    expect(fieldRows.map((r) => r.querySelector('td')?.textContent)).toEqual(['经营者身份证号', '组成形式']);
    expect(fieldRows[1].querySelectorAll('td')[3].textContent).toBe('个人经营、家庭经营');
  });

  it('Escape returns focus to the search box and selects its text', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.activeElement).toBe(byId('guide-title')));
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(searchInput());
    expect(searchInput().selectionStart).toBe(0);
    expect(searchInput().selectionEnd).toBe(5);
  });

  it('/ and F2 focus the search box from the guide; Alt+D focuses the domain filter', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.activeElement).toBe(byId('guide-title')));
    await user.keyboard('/');
    expect(document.activeElement).toBe(searchInput());
    expect(searchInput().value).toBe('gtgsh');
    await user.keyboard('{Alt>}d{/Alt}');
    expect(document.activeElement).toBe(byId('domain-filter'));
    await user.keyboard('{F2}');
    expect(document.activeElement).toBe(searchInput());
  });

  it('clicking a hit opens its guide', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.click(document.querySelectorAll('.result-item')[1]);
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
  });
});

describe('guide', () => {
  async function openSetupGuide() {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(document.activeElement).toBe(byId('guide-title')));
    return user;
  }

  it('number keys switch scenario tabs', async () => {
    const user = await openSetupGuide();
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    expect(tabs.map((t) => t.textContent)).toEqual(['1本人办理', '2委托代理人办理']);
    expect(tabs[0].getAttribute('aria-selected')).toBe('true');
    await user.keyboard('2');
    expect(document.querySelectorAll('[role="tab"]')[1].getAttribute('aria-selected')).toBe('true');
    const names = [...document.querySelectorAll('.material-row .material-name')].map((n) => n.textContent);
    expect(names).toEqual(['委托书', '代理人身份证明', '经营者身份证明复印件']);
    expect(byId('scenario-panel').textContent).toContain('本情形无需填报字段。');
  });

  it('a container lists its children and a child opens its own guide', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户登记'));
    expect(byId('guide').textContent).toContain('请选择具体办理项');
    const children = [...document.querySelectorAll<HTMLElement>('.child-item')];
    expect(children.map((c) => c.dataset.code)).toEqual(['370100-GT-001-01', '370100-GT-001-02']);
    await user.click(children[0]);
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    // The breadcrumb leads back to the main item.
    const crumb = document.querySelector<HTMLElement>('.breadcrumb button.crumb');
    expect(crumb?.textContent?.trim()).toBe('个体工商户登记');
  });

  it('shows a command error as a Chinese sentence that can be dismissed', async () => {
    m.itemGuide.mockRejectedValue({ code: 'cache', message: '本地缓存读取失败，请重建缓存。' });
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(byId('error-line')).toBeInTheDocument());
    expect(byId('error-line').querySelector('.text')?.textContent).toBe('本地缓存读取失败，请重建缓存。');
    await user.click(within(byId('error-line')).getByRole('button'));
    expect(document.getElementById('error-line')).toBeNull();
  });
});

describe('bundle view', () => {
  it('opens a bundle from the help panel and renders its members', async () => {
    const user = await renderReady();
    await user.click(document.querySelectorAll('.bundle-entry')[0]);
    await waitFor(() => expect(byId('bundle-title').textContent).toBe('开办餐饮店一件事'));
    expect(m.bundleView).toHaveBeenCalledWith('B-KDYH');
    expect(byId('bundle-lead').textContent).toBe('荣成市行政审批服务局');
    expect(byId('bundle-promised').textContent).toBe('5 个工作日');
    expect(byId('bundle-note').textContent).toBe('一次告知、一表申请、一窗受理。');

    const rows = [...document.querySelectorAll<HTMLElement>('.members-table .member-row')];
    expect(rows.map((r) => r.dataset.code)).toEqual(['370100-GT-001-01', '370100-SP-009']);
    const cells = (row: Element) => [...row.querySelectorAll('td')].map((td) => td.textContent?.trim());
    expect(cells(rows[0])).toEqual(['1', '370100-GT-001-01', '个体工商户设立登记', '市场监管', '荣成市市场监督管理局', '即办']);
    expect(rows[1]).toHaveClass('missing');
    expect(rows[1].querySelector('.missing-note')?.textContent).toBe('食品经营许可（本地目录暂无此事项）');
    expect(rows[1].querySelector('button')).toBeNull();

    await user.click(rows[0].querySelector('button')!);
    await waitFor(() => expect(byId('guide-title').textContent).toBe('个体工商户设立登记'));
    // Back returns to the bundle.
    await user.keyboard('{Alt>}{ArrowLeft}{/Alt}');
    await waitFor(() => expect(byId('bundle-title').textContent).toBe('开办餐饮店一件事'));
  });

  it('ArrowDown and Enter in an empty search box open a bundle', async () => {
    const user = await renderReady();
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(m.bundleView).toHaveBeenCalledWith('B-CSDJ'));
  });
});

describe('status bar', () => {
  it('shows 在线 and the catalog version', async () => {
    m.deskStatus.mockResolvedValue(onlineStatus({ last_pull_at: new Date(2026, 3, 2, 14, 3, 21).toISOString() }));
    await renderReady();
    await waitFor(() => expect(byId('connectivity').textContent).toBe('在线'));
    expect(byId('catalog-version').textContent).toBe('目录版本 v3 · 2026.04-fixture.1');
    expect(byId('item-count').textContent).toBe('事项 40 项');
    expect(byId('last-pull').textContent?.trim()).toMatch(/^最近同步 (2026-04-02 )?14:03:21$/);
    expect(byId('status-bar').textContent).not.toContain('离线');
  });

  it('warns while the disk is nearly full, with what to do, and not otherwise', async () => {
    await renderReady();
    await waitFor(() => expect(byId('connectivity').textContent).toBe('在线'));
    expect(document.getElementById('disk-low')).toBeNull();
    const advice = '本机存放数据的磁盘只剩 87 MB（低于 500 MB）。磁盘写满后将无法保存办件和接收扫描件，请尽快删除不需要的文件或请管理员清理磁盘。';
    emitDeskStatus(onlineStatus({ low_disk: { free_mb: 87, advice } }));
    await waitFor(() => expect(document.getElementById('disk-low')).not.toBeNull());
    expect(byId('disk-low').textContent?.trim()).toBe('磁盘空间不足 · 剩余 87 MB');
    expect(byId('disk-low').title).toBe(advice);
    emitDeskStatus(onlineStatus());
    await waitFor(() => expect(document.getElementById('disk-low')).toBeNull());
  });

  it("lists the centre's refusal requests for a supervisor and answers one", async () => {
    const user = await renderReady();
    await waitFor(() => expect(byId('connectivity').textContent).toBe('在线'));
    const request = {
      number: 'W02-20261206-0001',
      item_name: '居民身份证换领',
      applicant_masked: '徐** 371082********0810',
      reason: '户籍不在本县',
      basis: '《居民身份证法》第八条',
      by: '李窗口',
      desk_name: '2 号窗口',
    };
    m.answerCentreRefusal.mockResolvedValue(onlineStatus({ refusals: [] }));
    emitDeskStatus(onlineStatus({ refusals: [request] }));
    await waitFor(() => expect(document.getElementById('refusals-toggle')).not.toBeNull());
    expect(byId('refusals-count').textContent).toBe('1');
    await user.click(byId('refusals-toggle'));
    const row = document.querySelector<HTMLElement>('#refusals-list .request')!;
    expect(row.textContent).toContain('《居民身份证法》第八条');
    await user.click(row.querySelector<HTMLButtonElement>('.confirm')!);
    await waitFor(() => expect(m.answerCentreRefusal).toHaveBeenCalledWith('W02-20261206-0001', true, ''));
    emitDeskStatus(onlineStatus({ refusals: [] }));
    await waitFor(() => expect(document.getElementById('refusals-toggle')).toBeNull());
  });

  it("counts a supervisor's due cases and lists them on Enter", async () => {
    const user = await renderReady();
    await waitFor(() => expect(byId('connectivity').textContent).toBe('在线'));
    expect(document.getElementById('due-toggle')).toBeNull();
    const due = {
      overdue: 1,
      soon: 1,
      cases: [
        { number: 'W01-20261102-0001', item_name: '居民身份证换领', desk_name: '1 号窗口', promised_date: '2026-11-09', overdue: true },
        { number: 'W02-20261104-0003', item_name: '居民身份证补领', desk_name: '2 号窗口', promised_date: '2026-11-12', overdue: false },
      ],
    };
    emitDeskStatus(onlineStatus({ due }));
    await waitFor(() => expect(document.getElementById('due-toggle')).not.toBeNull());
    expect(byId('due-overdue').textContent).toBe('1');
    expect(byId('due-soon').textContent).toBe('1');
    byId('due-toggle').focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.querySelectorAll('#due-list li')).toHaveLength(2));
    expect(byId('due-list').textContent).toContain('已超期 W01-20261102-0001 居民身份证换领');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(document.getElementById('due-list')).toBeNull());
  });

  it('shows 离线, the local-cache note and the hub error', async () => {
    m.deskStatus.mockResolvedValue(
      onlineStatus({ connectivity: 'offline', last_error: '无法连接中心：连接被拒绝' }),
    );
    await renderReady();
    await waitFor(() => expect(byId('connectivity').textContent).toBe('离线'));
    const note = byId('status-bar').querySelector('.offline-note') as HTMLElement;
    expect(note.textContent).toBe('离线：使用本地缓存');
    expect(note.title).toBe('无法连接中心：连接被拒绝');
  });

  it('shows 连接中… and 目录未下载 before the first pull', async () => {
    m.deskStatus.mockResolvedValue(
      onlineStatus({ connectivity: 'unknown', catalog_version_id: null, catalog_version_label: null, item_count: 0 }),
    );
    render(App);
    await waitFor(() => expect(byId('catalog-version').textContent).toBe('目录未下载'));
    expect(byId('connectivity').textContent).toBe('连接中…');
    expect(byId('last-pull').textContent?.trim()).toBe('尚未同步');
  });

  it('F5 calls syncNow and shows 同步中…', async () => {
    const user = await renderReady();
    await user.keyboard('{F5}');
    expect(m.syncNow).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(byId('syncing').textContent).toBe('同步中…'));
  });

  it('a new catalog version re-runs the search and reloads domains', async () => {
    const user = await renderReady();
    await searchFor(user, 'gtgsh');
    const searches = m.searchItems.mock.calls.length;
    m.deskStatus.mockResolvedValue(onlineStatus({ catalog_version_id: 4, catalog_version_label: '2026.05' }));
    emitDeskStatus(onlineStatus({ catalog_version_id: 4, catalog_version_label: '2026.05' }));
    await waitFor(() => expect(byId('catalog-version').textContent).toBe('目录版本 v4 · 2026.05'));
    await waitFor(() => expect(m.listDomains).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(m.searchItems.mock.calls.length).toBe(searches + 1));
    expect(m.searchItems).toHaveBeenLastCalledWith({ text: 'gtgsh', domain: null, limit: 50 });
  });

  it('reads the status once, then follows desk-status events, with a read every 30 s as the safety net', async () => {
    vi.useFakeTimers();
    const { unmount } = render(App);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.deskStatus).toHaveBeenCalledTimes(1);
    expect(deskStatusListenerCount()).toBe(1);
    // An idle desk: no reads across IPC every second.
    await vi.advanceTimersByTimeAsync(29_000);
    expect(m.deskStatus).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
    // A change arrives as an event and shows at once.
    emitDeskStatus(onlineStatus({ connectivity: 'offline', last_error: '中心不可达' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(document.getElementById('connectivity')?.textContent).toContain('离线');
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
    unmount();
    expect(deskStatusListenerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.deskStatus).toHaveBeenCalledTimes(2);
  });
});

describe('cache problem', () => {
  const broken: DeskStatus = onlineStatus({
    catalog_version_id: null,
    catalog_version_label: null,
    item_count: 0,
    cache_problem: {
      code: 'cache_corrupt',
      message: '本地缓存文件已损坏，无法打开。',
      path: '/home/clerk/.onewindow/desk.db',
    },
  });

  it('blocks the window and offers a rebuild that calls rebuildCache', async () => {
    m.deskStatus.mockResolvedValue(broken);
    let finish: (s: DeskStatus) => void = () => {};
    m.rebuildCache.mockImplementation(() => new Promise((resolve) => (finish = resolve)));
    const user = userEvent.setup();
    render(App);

    await waitFor(() => expect(byId('cache-problem')).toBeInTheDocument());
    const panel = byId('cache-problem');
    expect(byId('cache-problem-message').textContent).toBe('本地缓存文件已损坏，无法打开。');
    expect(byId('cache-problem-path').textContent).toBe('/home/clerk/.onewindow/desk.db');
    expect(panel.textContent).toContain('损坏的文件不会被删除，重建时会将其改名保留');
    const button = byId('rebuild-cache') as HTMLButtonElement;
    expect(button.textContent?.trim()).toBe('从中心重建缓存');
    expect(document.activeElement).toBe(button);
    expect(m.listDomains).not.toHaveBeenCalled();

    await user.keyboard('{Enter}');
    expect(m.rebuildCache).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(panel.querySelector('.progress')?.textContent).toBe('正在从中心重建缓存，请稍候…'));
    expect(button.disabled).toBe(true);

    m.deskStatus.mockResolvedValue(onlineStatus());
    finish(onlineStatus());
    await waitFor(() => expect(document.getElementById('cache-problem')).toBeNull());
    await waitFor(() => expect(m.listDomains).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(document.activeElement).toBe(searchInput()));
  });

  it('on a full disk says so and offers no rebuild', async () => {
    m.deskStatus.mockResolvedValue(
      onlineStatus({
        ...broken,
        cache_problem: {
          code: 'disk_full',
          message: '本机磁盘已满（剩余 0 MB），本地缓存无法打开。已保存的内容都在，不要重建缓存。',
          path: '/home/clerk/.onewindow/desk.db',
        },
      }),
    );
    render(App);
    await waitFor(() => expect(byId('cache-problem')).toBeInTheDocument());
    expect(byId('cache-problem-title').textContent).toBe('本机磁盘已满');
    expect(byId('cache-problem').textContent).toContain('无需重建');
    expect(document.getElementById('rebuild-cache')).toBeNull();
    expect(document.activeElement).toBe(byId('cache-problem'));
    expect(m.rebuildCache).not.toHaveBeenCalled();
  });

  it('shows why a rebuild failed', async () => {
    m.deskStatus.mockResolvedValue(broken);
    m.rebuildCache.mockRejectedValue({ code: 'offline', message: '无法连接中心，请检查网络后重试。' });
    render(App);
    await waitFor(() => expect(byId('rebuild-cache')).toBeInTheDocument());
    await fireEvent.click(byId('rebuild-cache'));
    await waitFor(() =>
      expect(byId('cache-problem').querySelector('.failure')?.textContent).toBe('重建失败：无法连接中心，请检查网络后重试。'),
    );
    expect(byId('rebuild-cache').textContent?.trim()).toBe('重试：从中心重建缓存');
  });
});
