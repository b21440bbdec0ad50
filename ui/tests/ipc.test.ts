import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { HallBoardView } from '../src/ipc';
import {
  applicantRate,
  applicantScreen,
  attachWaitingScan,
  bundleView,
  deskStatus,
  dismissWaitingScan,
  errorMessage,
  GENERIC_ERROR_MESSAGE,
  hallBoard,
  onHallBoard,
  inviteRating,
  itemGuide,
  listBundles,
  queueCallNext,
  queueSetWindow,
  queueStatus,
  queueStep,
  queueTransfer,
  queueWalkIn,
  listDomains,
  lockScreen,
  loginUser,
  onScreenLocked,
  rebuildCache,
  revealApplicant,
  searchItems,
  setAsideHeldScan,
  syncNow,
  uiReady,
} from '../src/ipc';

afterEach(() => clearMocks());

describe('ipc commands', () => {
  it('queue commands: names and camelCase arguments the Tauri commands take', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await queueStatus();
    await queueCallNext();
    await queueStep('recall');
    await queueTransfer(4, null);
    await queueSetWindow('paused');
    await queueWalkIn('GAHZ');
    expect(calls).toEqual([
      ['queue_status', {}],
      ['queue_call_next', {}],
      ['queue_step', { action: 'recall' }],
      ['queue_transfer', { toWindow: 4, toDomain: null }],
      ['queue_set_window', { state: 'paused' }],
      ['queue_walk_in', { domain: 'GAHZ' }],
    ]);
  });

  it('applicant screen and rating commands: names and arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await applicantScreen();
    await applicantRate(1, ['x'], 'y');
    await inviteRating();
    expect(calls).toEqual([
      ['applicant_screen', {}],
      ['applicant_rate', { level: 1, reasons: ['x'], comment: 'y' }],
      ['invite_rating', {}],
    ]);
  });

  it('查看完整信息: reveal_applicant with the case and the reason; the backend’s refusal comes back', async () => {
    const calls: Array<[string, unknown]> = [];
    const whole = { number: '371082199003070810', phone: '13912340001', address: '山东省威海市', agent_id_number: '', agent_phone: '' };
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return whole;
    });
    await expect(revealApplicant('case-1', '核对邮寄地址')).resolves.toEqual(whole);
    expect(calls).toEqual([['reveal_applicant', { caseId: 'case-1', reason: '核对邮寄地址' }]]);
    mockIPC(() => {
      throw { code: 'reason_required', message: '请写明查看原因' };
    });
    await expect(revealApplicant('case-1', '看')).rejects.toEqual({ code: 'reason_required', message: '请写明查看原因' });
  });

  it('待分配扫描件 and held scans: names and camelCase arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await attachWaitingScan('case-1', 7, 2);
    await attachWaitingScan('case-1', 8, null);
    await dismissWaitingScan('case-1', 9);
    await setAsideHeldScan('case-1', 'page-1.jpg');
    expect(calls).toEqual([
      ['attach_waiting_scan', { caseId: 'case-1', scanId: 7, slot: 2 }],
      ['attach_waiting_scan', { caseId: 'case-1', scanId: 8, slot: null }],
      ['dismiss_waiting_scan', { caseId: 'case-1', scanId: 9 }],
      ['set_aside_held_scan', { caseId: 'case-1', name: 'page-1.jpg' }],
    ]);
  });

  it('hall display: hall_board, and the hall-board event handed to the callback until unlistened', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC(
      (cmd, args) => {
        calls.push([cmd, args]);
        return null;
      },
      { shouldMockEvents: true },
    );
    await hallBoard();
    expect(calls).toEqual([['hall_board', {}]]);

    const board: HallBoardView = { calls: [], windows: [], online: false, office: '历下区政务服务中心' };
    const seen: HallBoardView[] = [];
    const stop = await onHallBoard((b) => seen.push(b));
    await emit('hall-board', board);
    expect(seen).toEqual([board]);
    await emit('another-event', { online: true });
    expect(seen).toHaveLength(1);
    stop();
    await emit('hall-board', board);
    expect(seen).toHaveLength(1);
  });

  it('call the backend commands with the expected names and arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await deskStatus();
    await searchItems({ text: 'gtgsh', domain: null, limit: 50 });
    await listDomains();
    await itemGuide('370100-GT-001');
    await bundleView('B-KDYH');
    await listBundles();
    await syncNow();
    await rebuildCache();
    await uiReady();
    expect(calls.map(([cmd]) => cmd)).toEqual([
      'desk_status',
      'search_items',
      'list_domains',
      'item_guide',
      'bundle_view',
      'list_bundles',
      'sync_now',
      'rebuild_cache',
      'ui_ready',
    ]);
    expect(calls[1][1]).toEqual({ request: { text: 'gtgsh', domain: null, limit: 50 } });
    expect(calls[3][1]).toEqual({ code: '370100-GT-001' });
    expect(calls[4][1]).toEqual({ code: 'B-KDYH' });
  });

  it('reject with the AppError the backend sent', async () => {
    mockIPC(() => {
      throw { code: 'not_found', message: '目录中没有该事项。' };
    });
    await expect(itemGuide('X')).rejects.toEqual({ code: 'not_found', message: '目录中没有该事项。' });
  });
});

describe('the screen lock', () => {
  it('lock_screen takes no arguments; login_user unlocks with the name and password', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await lockScreen();
    await loginUser('王丽', '正确密码');
    expect(calls).toEqual([
      ['lock_screen', {}],
      ['login_user', { name: '王丽', password: '正确密码' }],
    ]);
  });

  it('a command refused with screen_locked is told to the listeners, and still rejects with the AppError', async () => {
    const locked = { code: 'screen_locked', message: '屏幕已锁定，请输入密码解锁（或切换用户）' };
    const heard = vi.fn();
    const stop = onScreenLocked(heard);
    mockIPC(() => {
      throw locked;
    });
    await expect(searchItems({ text: 'gtgsh', domain: null, limit: 50 })).rejects.toEqual(locked);
    expect(heard).toHaveBeenCalledTimes(1);

    // Other refusals are not.
    mockIPC(() => {
      throw { code: 'not_found', message: '目录中没有该事项。' };
    });
    await expect(itemGuide('X')).rejects.toEqual({ code: 'not_found', message: '目录中没有该事项。' });
    expect(heard).toHaveBeenCalledTimes(1);

    stop();
    mockIPC(() => {
      throw locked;
    });
    await expect(listDomains()).rejects.toEqual(locked);
    expect(heard).toHaveBeenCalledTimes(1);
  });
});

describe('errorMessage', () => {
  it('returns the Chinese message of an AppError', () => {
    expect(errorMessage({ code: 'offline', message: '无法连接中心。' })).toBe('无法连接中心。');
  });

  it('never returns a raw object or an English string', () => {
    expect(errorMessage('command item_guide not found')).toBe(GENERIC_ERROR_MESSAGE);
    expect(errorMessage(new Error('boom'))).toBe(GENERIC_ERROR_MESSAGE);
    expect(errorMessage({ code: 'x' })).toBe(GENERIC_ERROR_MESSAGE);
    expect(errorMessage({ code: 'x', message: '  ' })).toBe(GENERIC_ERROR_MESSAGE);
    expect(errorMessage(null)).toBe(GENERIC_ERROR_MESSAGE);
    expect(GENERIC_ERROR_MESSAGE).toBe('操作未能完成，请稍后重试；如问题持续，请联系系统管理员。');
  });
});
