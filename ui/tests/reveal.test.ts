import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../src/ipc', async (importOriginal) =>
  (await import('./mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../src/ipc';
import type { CaseView, RevealView } from '../src/ipc';
import App from '../src/App.svelte';
import CaseScreen from '../src/components/CaseScreen.svelte';
import { draftFromView } from '../src/lib/casedraft';
import {
  bundles,
  caseView,
  domains,
  guideMain,
  guideSetup,
  onlineStatus,
  queueNotEnrolled,
  recentCaseRows,
  searchGtgsh,
  windowInfoFixture,
} from './fixtures';

const m = vi.mocked(ipc);

const WHOLE_NUMBER = '371082199003070810';

/** An accepted case: the backend masks the applicant's numbers. */
function accepted(over: Partial<CaseView> = {}): CaseView {
  const v = caseView({
    state: 'accepted',
    state_label: '已受理',
    editable: false,
    applicant_masked: '张三 371082********0810',
    ...over,
  });
  v.applicant = {
    ...v.applicant,
    name: '张三',
    number: '371082********0810',
    phone: '139****0001',
    address: '山东省威海市****',
  };
  return v;
}

function whole(over: Partial<RevealView> = {}): RevealView {
  return {
    number: WHOLE_NUMBER,
    phone: '13912340001',
    address: '山东省威海市荣成市成山大道 1 号',
    agent_id_number: '',
    agent_phone: '',
    ...over,
  };
}

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
  m.newCase.mockResolvedValue(accepted());
  m.pollCase.mockResolvedValue(null);
});

afterEach(() => {
  vi.useRealTimers();
  localStorage.clear();
  sessionStorage.clear();
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} not rendered`);
  return el as T;
}

function gone(id: string): boolean {
  return document.getElementById(id) === null;
}

/** Search, open 个体工商户设立登记 and press Ctrl+Enter (newCase answers with the case). */
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

/** Open the dialog with the button, type a reason and press Enter. */
async function reveal(user: ReturnType<typeof userEvent.setup>, reason = '核对邮寄地址') {
  await user.click(byId('reveal-open'));
  await user.keyboard(`${reason}{Enter}`);
}

describe('查看完整信息: the button', () => {
  it('a case past the draft offers it next to the masked applicant', async () => {
    await startCase();
    const open = byId<HTMLButtonElement>('reveal-open');
    expect(open.textContent).toContain('查看完整信息');
    expect(open.title).toContain('Ctrl+F6');
    expect(open.closest('#applicant')).not.toBeNull();
    expect(byId<HTMLInputElement>('applicant-number').value).toBe('371082********0810');
    expect(gone('reveal-panel')).toBe(true);
    expect(gone('reveal-dialog')).toBe(true);
  });

  it('a draft (editable) has no button', async () => {
    m.newCase.mockResolvedValue(caseView());
    await startCase();
    expect(byId('read-card')).toBeInTheDocument();
    expect(gone('reveal-open')).toBe(true);
  });

  it('a case without an applicant has no button', async () => {
    m.newCase.mockResolvedValue(caseView({ state: 'withdrawn', state_label: '已撤回', editable: false }));
    await startCase();
    expect(byId('final-state')).toBeInTheDocument();
    expect(gone('reveal-open')).toBe(true);
  });
});

describe('查看完整信息: the dialog', () => {
  it('opens with the note and the reason focused; Esc cancels and focus returns to the button', async () => {
    const user = await startCase();
    await user.click(byId('reveal-open'));
    const dialog = byId('reveal-dialog');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(byId(dialog.getAttribute('aria-labelledby')!).textContent).toBe('查看完整信息');
    expect(dialog.textContent).toContain('查看完整的证件号码、电话和地址须写明原因，并记入审计日志');
    expect(document.activeElement).toBe(byId('reveal-reason'));
    expect(byId('reveal-confirm').textContent).toContain('查看');
    // The case behind it is out of reach.
    expect(document.querySelector('.case-grid')?.hasAttribute('inert')).toBe(true);

    await user.keyboard('核对{Escape}');
    expect(gone('reveal-dialog')).toBe(true);
    expect(document.activeElement).toBe(byId('reveal-open'));
    expect(byId('case-screen')).toBeInTheDocument();
    expect(m.revealApplicant).not.toHaveBeenCalled();

    // Opened again, the reason starts empty; 取消 closes too.
    await user.click(byId('reveal-open'));
    expect(byId<HTMLInputElement>('reveal-reason').value).toBe('');
    await user.click(byId('reveal-cancel'));
    expect(gone('reveal-dialog')).toBe(true);
    expect(document.activeElement).toBe(byId('reveal-open'));
  });

  it('Tab stays inside the dialog; keys behind it do nothing', async () => {
    const user = await startCase();
    await user.click(byId('reveal-open'));
    await user.keyboard('{Tab}');
    expect(document.activeElement).toBe(byId('reveal-cancel'));
    await user.keyboard('{Tab}');
    expect(document.activeElement).toBe(byId('reveal-confirm'));
    await user.keyboard('{Tab}');
    expect(document.activeElement).toBe(byId('reveal-reason'));
    await user.keyboard('{Shift>}{Tab}{/Shift}');
    expect(document.activeElement).toBe(byId('reveal-confirm'));
    // F2 (the search) and F7 (the case list) wait while the dialog is open.
    await user.keyboard('{F2}{F7}');
    expect(byId('reveal-dialog')).toBeInTheDocument();
    expect(byId('case-screen')).toBeInTheDocument();
    expect(m.recentCases).not.toHaveBeenCalled();
  });

  it('Ctrl+F6 opens it from the keyboard', async () => {
    const user = await startCase();
    byId('case-title').focus();
    await user.keyboard('{Control>}{F6}{/Control}');
    expect(byId('reveal-dialog')).toBeInTheDocument();
    expect(document.activeElement).toBe(byId('reveal-reason'));
    expect(m.readIdCard).not.toHaveBeenCalled();
    await user.keyboard('{Escape}');
    expect(gone('reveal-dialog')).toBe(true);
    expect(document.activeElement).toBe(byId('case-title'));
  });

  it('a short reason shows the backend’s error in the dialog and keeps it open', async () => {
    m.revealApplicant.mockRejectedValue({ code: 'reason_required', message: '请写明查看原因（至少 4 个字）' });
    const user = await startCase();
    await reveal(user, '核对');
    await waitFor(() => expect(m.revealApplicant).toHaveBeenCalledWith('case-1', '核对'));
    await waitFor(() => expect(byId('reveal-error').textContent).toBe('请写明查看原因（至少 4 个字）'));
    expect(byId('reveal-error').getAttribute('role')).toBe('alert');
    expect(byId('reveal-dialog').contains(byId('reveal-error'))).toBe(true);
    expect(document.activeElement).toBe(byId('reveal-reason'));
    expect(byId<HTMLInputElement>('reveal-reason').value).toBe('核对');
    expect(gone('reveal-panel')).toBe(true);
    // Not on the error line of the window.
    expect(gone('error-line')).toBe(true);
  });

  it('not signed in: the backend’s sentence, in the dialog', async () => {
    m.revealApplicant.mockRejectedValue({ code: 'not_signed_in', message: '请先登录（F11）再查看完整信息' });
    const user = await startCase();
    await reveal(user);
    await waitFor(() => expect(byId('reveal-error').textContent).toBe('请先登录（F11）再查看完整信息'));
    expect(byId('reveal-dialog')).toBeInTheDocument();
  });
});

describe('查看完整信息: the whole values', () => {
  it('a good reason calls revealApplicant and shows the whole values under the applicant', async () => {
    m.revealApplicant.mockResolvedValue(whole());
    const user = await startCase();
    await reveal(user);
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());
    expect(m.revealApplicant).toHaveBeenCalledTimes(1);
    expect(m.revealApplicant).toHaveBeenCalledWith('case-1', '核对邮寄地址');
    expect(gone('reveal-dialog')).toBe(true);
    expect(document.activeElement).toBe(byId('reveal-open'));
    expect(byId('reveal-panel').closest('#applicant')).not.toBeNull();
    expect(byId('reveal-number').textContent).toBe(WHOLE_NUMBER);
    expect(byId('reveal-phone').textContent).toBe('13912340001');
    expect(byId('reveal-address').textContent).toBe('山东省威海市荣成市成山大道 1 号');
    // No agent: no agent rows.
    expect(gone('reveal-agent-id-number')).toBe(true);
    expect(gone('reveal-agent-phone')).toBe(true);
    // The masked fields stay masked; nothing is kept in the browser's storage.
    expect(byId<HTMLInputElement>('applicant-number').value).toBe('371082********0810');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('shows the agent’s numbers when there are any; Enter on 查看 confirms', async () => {
    m.revealApplicant.mockResolvedValue(whole({ agent_id_number: '370102198805051234', agent_phone: '13800000002' }));
    const user = await startCase();
    await user.click(byId('reveal-open'));
    await user.keyboard('申请人要求核对');
    byId('reveal-confirm').focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());
    expect(m.revealApplicant).toHaveBeenCalledWith('case-1', '申请人要求核对');
    expect(byId('reveal-agent-id-number').textContent).toBe('370102198805051234');
    expect(byId('reveal-agent-phone').textContent).toBe('13800000002');
  });

  it('隐藏 hides them at once, and Esc does too', async () => {
    m.revealApplicant.mockResolvedValue(whole());
    const user = await startCase();
    await reveal(user);
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());
    await user.click(byId('reveal-hide'));
    expect(gone('reveal-panel')).toBe(true);
    expect(document.body.textContent).not.toContain(WHOLE_NUMBER);
    expect(document.activeElement).toBe(byId('reveal-open'));

    await reveal(user);
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());
    await user.keyboard('{Escape}');
    expect(gone('reveal-panel')).toBe(true);
    expect(byId('case-screen')).toBeInTheDocument();
  });

  it('they hide themselves after 60 seconds', async () => {
    m.revealApplicant.mockResolvedValue(whole());
    const user = await startCase();
    await user.click(byId('reveal-open'));
    await user.keyboard('核对邮寄地址');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await fireEvent.click(byId('reveal-confirm'));
    await vi.advanceTimersByTimeAsync(0);
    expect(byId('reveal-number').textContent).toBe(WHOLE_NUMBER);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(byId('reveal-panel')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(gone('reveal-panel')).toBe(true);
    expect(document.body.textContent).not.toContain(WHOLE_NUMBER);
  });

  it('another case on screen hides them', async () => {
    m.revealApplicant.mockResolvedValue(whole());
    m.recentCases.mockResolvedValue(recentCaseRows);
    m.openCase.mockResolvedValue(accepted({ id: 'case-2', number: 'RC-20260402-0002' }));
    const user = await startCase();
    await reveal(user);
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());
    await user.keyboard('{F7}');
    await waitFor(() => expect(document.querySelectorAll('#recent-cases .case-row')).toHaveLength(2));
    // The list starts on the current case (case-1, second): ↑ is case-2.
    await user.keyboard('{ArrowUp}{Enter}');
    await waitFor(() => expect(m.openCase).toHaveBeenCalledWith('case-2'));
    await waitFor(() => expect(byId('case-number').textContent).toBe('RC-20260402-0002'));
    expect(gone('reveal-panel')).toBe(true);
    expect(byId('reveal-open')).toBeInTheDocument();
    expect(document.body.textContent).not.toContain(WHOLE_NUMBER);
  });
});

describe('查看完整信息 in the case screen alone', () => {
  it('a different view.id hides the whole values for good', async () => {
    m.revealApplicant.mockResolvedValue(whole());
    const first = accepted();
    const { rerender } = render(CaseScreen, {
      props: { view: first, draft: draftFromView(first), blocked: false, onview: vi.fn(), onerror: vi.fn() },
    });
    const user = userEvent.setup();
    await reveal(user);
    await waitFor(() => expect(byId('reveal-panel')).toBeInTheDocument());

    await rerender({ view: accepted({ id: 'case-2', number: 'RC-20260402-0002' }) });
    expect(gone('reveal-panel')).toBe(true);
    // Back to the first case: still hidden (the values were dropped, not just not shown).
    await rerender({ view: first });
    expect(gone('reveal-panel')).toBe(true);
    expect(document.body.textContent).not.toContain(WHOLE_NUMBER);
  });

  it('an answer that comes after Esc shows nothing', async () => {
    let answer: (v: RevealView) => void = () => {};
    m.revealApplicant.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const first = accepted();
    render(CaseScreen, {
      props: { view: first, draft: draftFromView(first), blocked: false, onview: vi.fn(), onerror: vi.fn() },
    });
    const user = userEvent.setup();
    await reveal(user);
    await waitFor(() => expect(m.revealApplicant).toHaveBeenCalledTimes(1));
    expect(byId<HTMLButtonElement>('reveal-confirm').disabled).toBe(true);
    await user.keyboard('{Escape}');
    expect(gone('reveal-dialog')).toBe(true);
    answer(whole());
    await new Promise((r) => setTimeout(r, 20));
    expect(gone('reveal-panel')).toBe(true);
  });
});
