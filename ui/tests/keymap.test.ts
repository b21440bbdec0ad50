import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import {
  HELP_ROWS,
  KEYMAP,
  MODES,
  actionFor,
  duplicateIds,
  findConflicts,
  helpRows,
  isFunctionKey,
  isKeyOf,
  isReloadKey,
  matches,
  type Action,
  type KeyPress,
} from '../src/lib/keymap';
import HelpPanel from '../src/components/HelpPanel.svelte';

/** A key press as a plain object (what the matcher reads of a KeyboardEvent). */
function key(k: string, over: Partial<KeyPress> = {}): KeyPress {
  return { key: k, code: '', altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...over };
}

/** A real KeyboardEvent, dispatched from `target` when given (so `e.target` is set), and what it means in `modes`. */
function pressed(init: KeyboardEventInit, modes: Parameters<typeof actionFor>[1][], target?: HTMLElement) {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  if (!target) return actionFor(e, ...modes);
  let hit: ReturnType<typeof actionFor> = null;
  const listen = (ev: Event) => (hit = actionFor(ev as KeyboardEvent, ...modes));
  document.addEventListener('keydown', listen);
  document.body.append(target);
  target.dispatchEvent(e);
  document.removeEventListener('keydown', listen);
  target.remove();
  return hit;
}

/** The material slot a press chooses on the case screen: 0–8, null for the tray, undefined if none. */
function slotOf(e: KeyPress): number | null | undefined {
  const hit = actionFor(e, 'case');
  return hit && (hit.id === 'case.slot' || hit.id === 'case.tray') ? (hit.arg ?? null) : undefined;
}

function entry(id: string, mode: Action['mode'], combos: Action['combos']): Action {
  return { id, mode, label: '测试', combos };
}

// ---------------------------------------------------------------- the table

describe('the keymap', () => {
  it('no two shortcuts take the same key where both apply', () => {
    expect(findConflicts(KEYMAP).map((c) => c.text)).toEqual([]);
    expect(duplicateIds(KEYMAP)).toEqual([]);
  });

  it('every action has a Chinese label, a key and a known mode', () => {
    for (const a of KEYMAP as readonly Action[]) {
      expect(a.label.trim(), a.id).not.toBe('');
      expect(a.label, a.id).toMatch(/[\u4e00-\u9fff]/);
      expect(a.combos.length, a.id).toBeGreaterThan(0);
      expect(Object.keys(MODES), a.id).toContain(a.mode);
      for (const c of a.combos) expect(c.keys.length, a.id).toBeGreaterThan(0);
    }
  });

  it('the help lists every action once', () => {
    const listed = HELP_ROWS.flat();
    expect([...listed].sort()).toEqual(KEYMAP.map((a) => a.id).sort());
  });
});

// ---------------------------------------------------------------- the conflict checker

describe('findConflicts', () => {
  it('finds two actions on one key in the same mode', () => {
    const table = [
      entry('case.save', 'case', [{ keys: ['s'], codes: ['KeyS'], ctrl: true, alt: false }]),
      entry('case.search', 'case', [{ keys: ['S'], ctrl: true }]),
    ];
    expect(findConflicts(table)).toEqual([
      expect.objectContaining({ a: 'case.save', b: 'case.search', key: 'Ctrl+S' }),
    ]);
  });

  it('finds a new action added to the real table on a key already taken', () => {
    const table = [...(KEYMAP as readonly Action[]), entry('case.print', 'case', [{ keys: ['p'], ctrl: true }])];
    expect(findConflicts(table).map((c) => [c.a, c.b])).toEqual([['case.notice', 'case.print']]);
  });

  it('a global action conflicts with every mode', () => {
    for (const mode of Object.keys(MODES) as Action['mode'][]) {
      const table = [entry('desk.x', 'global', [{ keys: ['F6'] }]), entry('other.x', mode, [{ keys: ['F6'], shift: true }])];
      expect(findConflicts(table), mode).toHaveLength(1);
    }
  });

  it('modes on screen together conflict; modes never on screen together do not', () => {
    // The search box's keys reach the guide's handlers.
    const together = [
      entry('search.open', 'search', [{ keys: ['Enter'], ctrl: false }]),
      entry('guide.open', 'guide', [{ keys: ['Enter'], alt: false }]),
    ];
    expect(findConflicts(together)).toHaveLength(1);
    // The guide and the case screen are never on screen at once: Esc can mean one thing in each.
    const apart = [entry('guide.esc', 'guide', [{ keys: ['Escape'] }]), entry('case.esc', 'case', [{ keys: ['Escape'] }])];
    expect(findConflicts(apart)).toEqual([]);
  });

  it('a modifier one needs and the other refuses keeps them apart; one left free does not', () => {
    const apart = [
      entry('desk.followUps', 'global', [{ keys: ['F9'], shift: false }]),
      entry('queue.pause', 'queue', [{ keys: ['F9'], shift: true, ctrl: false }]),
    ];
    expect(findConflicts(apart)).toEqual([]);
    const overlapping = [
      entry('desk.case', 'global', [{ keys: ['F4'] }]),
      entry('queue.x', 'queue', [{ keys: ['F4'], ctrl: true, alt: false, shift: false }]),
    ];
    expect(findConflicts(overlapping)).toHaveLength(1);
  });

  it('a key taken by its place (code) and by the letter typed is the same key', () => {
    const table = [
      entry('desk.lock', 'global', [{ keys: ['x'], codes: ['KeyL'], ctrl: true }]),
      entry('case.l', 'case', [{ keys: ['L'], ctrl: true }]),
      entry('case.slot', 'case', [{ keys: ['¡'], codes: ['Digit1'], alt: true }]),
      entry('case.one', 'case', [{ keys: ['1'], alt: true }]),
    ];
    expect(findConflicts(table).map((c) => c.key)).toEqual(['Ctrl+L', 'Alt+1']);
  });
});

// ---------------------------------------------------------------- the matcher

describe('actionFor and matches', () => {
  it('maps the calling bar keys with their modifiers', () => {
    expect(pressed({ key: 'F8' }, ['queue'])?.id).toBe('queue.callNext');
    expect(pressed({ key: 'F8', shiftKey: true }, ['queue'])?.id).toBe('queue.recall');
    expect(pressed({ key: 'F8', ctrlKey: true }, ['queue'])?.id).toBe('queue.transfer');
    expect(pressed({ key: 'F8', ctrlKey: true, shiftKey: true }, ['queue'])?.id).toBe('queue.walkIn');
    expect(pressed({ key: 'F8', metaKey: true }, ['queue'])?.id).toBe('queue.transfer');
    expect(pressed({ key: 'F8', altKey: true }, ['queue'])).toBeNull();
    expect(pressed({ key: 'F3' }, ['queue'])?.id).toBe('queue.serve');
    expect(pressed({ key: 'F3', shiftKey: true }, ['queue'])?.id).toBe('queue.noShow');
    expect(pressed({ key: 'F3', ctrlKey: true }, ['queue'])).toBeNull();
    expect(pressed({ key: 'F12' }, ['queue'])?.id).toBe('queue.invite');
  });

  it('F9 is 跟进事项 everywhere, Shift+F9 is the calling bar 暂停', () => {
    expect(pressed({ key: 'F9' }, ['global', 'queue'])?.id).toBe('desk.followUps');
    expect(pressed({ key: 'F9', ctrlKey: true }, ['global', 'queue'])?.id).toBe('desk.followUps');
    expect(pressed({ key: 'F9', shiftKey: true }, ['global', 'queue'])?.id).toBe('queue.pause');
    expect(pressed({ key: 'F9', shiftKey: true }, ['global'])).toBeNull();
  });

  it('maps the window keys; a letter by the key typed or, for Ctrl+L and Alt+D, by its place', () => {
    expect(pressed({ key: 'l', ctrlKey: true, code: 'KeyL' }, ['global'])?.id).toBe('desk.lock');
    expect(pressed({ key: 'L', metaKey: true }, ['global'])?.id).toBe('desk.lock');
    expect(pressed({ key: 'д', ctrlKey: true, code: 'KeyL' }, ['global'])?.id).toBe('desk.lock');
    expect(pressed({ key: 'l', ctrlKey: true, shiftKey: true }, ['global'])).toBeNull();
    expect(pressed({ key: 'K', ctrlKey: true, shiftKey: true }, ['global'])?.id).toBe('desk.search');
    expect(pressed({ key: 'F2', altKey: true }, ['global'])?.id).toBe('desk.search');
    expect(pressed({ key: 'D', altKey: true, shiftKey: true }, ['global'])?.id).toBe('desk.domain');
    expect(pressed({ key: '∂', altKey: true, code: 'KeyD' }, ['global'])?.id).toBe('desk.domain');
    expect(pressed({ key: 'F5', ctrlKey: true }, ['global'])?.id).toBe('desk.sync');
    expect(pressed({ key: 'F10' }, ['global'])?.id).toBe('desk.enrol');
    expect(pressed({ key: 'F10', shiftKey: true }, ['global'])).toBeNull();
    expect(pressed({ key: 'F11' }, ['global'])?.id).toBe('desk.login');
    expect(pressed({ key: 'r', ctrlKey: true }, ['global', 'guide', 'case', 'queue'])).toBeNull();
  });

  it('/ goes to the search box except while typing in a field', () => {
    expect(pressed({ key: '/' }, ['global'], document.createElement('div'))?.id).toBe('desk.search');
    expect(pressed({ key: '/' }, ['global'], document.createElement('input'))).toBeNull();
    expect(pressed({ key: '/' }, ['global'], document.createElement('textarea'))).toBeNull();
    expect(pressed({ key: '/' }, ['global'], document.createElement('button'))?.id).toBe('desk.search');
  });

  it('Esc and Ctrl+Enter mean what the screen on show says', () => {
    expect(pressed({ key: 'Escape' }, ['global'])).toBeNull();
    expect(pressed({ key: 'Escape' }, ['global', 'guide'])?.id).toBe('guide.search');
    expect(pressed({ key: 'Escape' }, ['case'])?.id).toBe('case.close');
    expect(pressed({ key: 'Enter', ctrlKey: true }, ['global', 'guide'])?.id).toBe('guide.start');
    expect(pressed({ key: 'Enter', ctrlKey: true }, ['case'])?.id).toBe('case.primary');
    expect(pressed({ key: 'Enter', ctrlKey: true, altKey: true }, ['case'])).toBeNull();
    expect(pressed({ key: 'Enter', ctrlKey: true }, ['search'])).toBeNull();
    expect(pressed({ key: 'ArrowLeft', altKey: true }, ['guide'])?.id).toBe('guide.back');
  });

  it('the search box: arrows and pages move by their step, Enter opens', () => {
    expect(pressed({ key: 'ArrowDown' }, ['search'])).toEqual({ id: 'search.move', arg: 1 });
    expect(pressed({ key: 'ArrowUp', shiftKey: true }, ['search'])).toEqual({ id: 'search.move', arg: -1 });
    expect(pressed({ key: 'PageUp' }, ['search'])).toEqual({ id: 'search.page', arg: -10 });
    expect(pressed({ key: 'PageDown' }, ['search'])).toEqual({ id: 'search.page', arg: 10 });
    expect(pressed({ key: 'Enter' }, ['search'])?.id).toBe('search.open');
    expect(pressed({ key: 'ArrowDown', altKey: true }, ['search'])).toBeNull();
  });

  it('1–9 switch scenarios in the guide, not with Ctrl or Alt, not while typing', () => {
    expect(pressed({ key: '3' }, ['guide'])).toEqual({ id: 'guide.scenario', arg: 2 });
    expect(pressed({ key: '1', shiftKey: true }, ['guide'])).toEqual({ id: 'guide.scenario', arg: 0 });
    expect(pressed({ key: '0' }, ['guide'])).toBeNull();
    expect(pressed({ key: '3', ctrlKey: true }, ['guide'])).toBeNull();
    expect(pressed({ key: '3' }, ['guide'], document.createElement('input'))).toBeNull();
  });

  it('the case screen: F6, Shift+F6, Ctrl+F6 and Ctrl+S/P/O', () => {
    expect(pressed({ key: 'F6' }, ['case'])?.id).toBe('case.readCard');
    expect(pressed({ key: 'F6', altKey: true }, ['case'])?.id).toBe('case.readCard');
    expect(pressed({ key: 'F6', ctrlKey: true, altKey: true }, ['case'])?.id).toBe('case.readCard');
    expect(pressed({ key: 'F6', ctrlKey: true }, ['case'])?.id).toBe('case.reveal');
    expect(pressed({ key: 'F6', shiftKey: true }, ['case'])?.id).toBe('case.code');
    expect(pressed({ key: 'F6', shiftKey: true, ctrlKey: true }, ['case'])?.id).toBe('case.code');
    expect(pressed({ key: 's', ctrlKey: true }, ['case'])?.id).toBe('case.save');
    expect(pressed({ key: 'S', ctrlKey: true, shiftKey: true }, ['case'])?.id).toBe('case.save');
    expect(pressed({ key: 'ы', ctrlKey: true, code: 'KeyS' }, ['case'])?.id).toBe('case.save');
    expect(pressed({ key: 'p', ctrlKey: true }, ['case'])?.id).toBe('case.notice');
    expect(pressed({ key: 'o', metaKey: true }, ['case'])?.id).toBe('case.import');
    expect(pressed({ key: 's', ctrlKey: true, altKey: true }, ['case'])).toBeNull();
    expect(matches(key('F6', { ctrlKey: true }), 'case.reveal')).toBe(true);
    expect(matches(key('F6', { ctrlKey: true }), 'case.readCard')).toBe(false);
  });

  // Moved from casedraft.test.ts (slotShortcut), with the same presses and answers.
  it('maps Alt+1…Alt+9 to slots 0–8 and Alt+0 to the tray', () => {
    expect(slotOf(key('1', { altKey: true, code: 'Digit1' }))).toBe(0);
    expect(slotOf(key('9', { altKey: true, code: 'Digit9' }))).toBe(8);
    expect(slotOf(key('0', { altKey: true, code: 'Digit0' }))).toBeNull();
    // Layouts where Alt changes the key still report the physical digit.
    expect(slotOf(key('¡', { altKey: true, code: 'Digit1' }))).toBe(0);
    expect(slotOf(key('3', { altKey: true, code: 'Numpad3' }))).toBe(2);
  });

  it('ignores digits without Alt and with other modifiers', () => {
    expect(slotOf(key('1', { code: 'Digit1' }))).toBeUndefined();
    expect(slotOf(key('1', { altKey: true, ctrlKey: true, code: 'Digit1' }))).toBeUndefined();
    expect(slotOf(key('!', { altKey: true, shiftKey: true, code: 'Digit1' }))).toBeUndefined();
    expect(slotOf(key('d', { altKey: true, code: 'KeyD' }))).toBeUndefined();
  });

  it('a panel closes on the key that opened it, held modifiers or not; the webview keys', () => {
    expect(isKeyOf(key('F11', { ctrlKey: true }), 'desk.login')).toBe(true);
    expect(matches(key('F11', { ctrlKey: true }), 'desk.login')).toBe(false);
    expect(isKeyOf(key('F10', { shiftKey: true }), 'desk.enrol')).toBe(true);
    expect(isKeyOf(key('F10'), 'desk.login')).toBe(false);
    expect(isReloadKey(key('F5'))).toBe(true);
    expect(isReloadKey(key('R', { metaKey: true }))).toBe(true);
    expect(isReloadKey(key('r'))).toBe(false);
    expect(isFunctionKey(key('F12'))).toBe(true);
    expect(isFunctionKey(key('F'))).toBe(false);
  });
});

// ---------------------------------------------------------------- the help panel

/** The 快捷键 rows the help panel wrote by hand before the keymap: kept, in this order. */
const HELP_BEFORE = [
  ['<kbd>↑</kbd> <kbd>↓</kbd>', '在结果中移动'],
  ['<kbd>Enter</kbd>', '打开选中事项的办事指南'],
  ['<kbd>Esc</kbd>', '回到搜索框并选中已输入文字'],
  ['<kbd>/</kbd> <kbd>Ctrl+K</kbd> <kbd>F2</kbd>', '从任意位置回到搜索框'],
  ['<kbd>Alt+D</kbd>', '选择业务领域'],
  ['<kbd>1</kbd>–<kbd>9</kbd>', '在办事指南中切换情形'],
  ['<kbd>Alt+←</kbd>', '返回上一个指南'],
  ['<kbd>Ctrl+Enter</kbd>', '受理打开的事项或一件事'],
  ['<kbd>F4</kbd>', '回到当前办件'],
  ['<kbd>F7</kbd> <kbd>F9</kbd>', '办件列表、跟进事项'],
  ['<kbd>F5</kbd>', '立即从中心同步目录'],
  ['<kbd>F10</kbd>', '注册本窗口（输入管理员提供的注册码）'],
  ['<kbd>F11</kbd>', '登录；已登录时转到状态栏的用户名（退出登录、切换用户）'],
  ['<kbd>Ctrl+L</kbd>', '锁屏（离开窗口时使用；长时间无操作也会自动锁屏，输入密码解锁）'],
  ['<kbd>F8</kbd> <kbd>Shift+F8</kbd>', '叫号（当前号办结，叫下一个）、重呼'],
  ['<kbd>F3</kbd> <kbd>Shift+F3</kbd>', '到号（开始办理）、过号'],
  ['<kbd>Ctrl+F8</kbd> <kbd>Shift+F9</kbd>', '转移当前号、暂停或恢复本窗口叫号'],
  ['<kbd>Ctrl+Shift+F8</kbd>', '现场取号（办事人已在窗口前、未取号，取号后立即办理）'],
  ['<kbd>F12</kbd>', '请评价（办事人在评价屏上对本次服务作出评价）'],
];

/** Shortcuts the code had and the help did not list. */
const HELP_ADDED = [
  ['<kbd>PageUp</kbd> <kbd>PageDown</kbd>', '在结果中翻页（每次 10 项）'],
  ['<kbd>Ctrl+Enter</kbd>', '在办件中受理，或申请人补正后继续办理；在对话框中确认'],
  ['<kbd>F6</kbd> <kbd>Shift+F6</kbd>', '读取身份证、扫描居民码/企业码'],
  ['<kbd>Ctrl+F6</kbd>', '查看完整信息（写明原因，记入审计日志）'],
  ['<kbd>Ctrl+S</kbd> <kbd>Ctrl+P</kbd> <kbd>Ctrl+O</kbd>', '保存申请信息、出具一次性告知书、从文件导入材料'],
  ['<kbd>Alt+1</kbd>…<kbd>Alt+9</kbd> <kbd>Alt+0</kbd>', '选择扫描到哪一项、放入未分类'],
  ['<kbd>Esc</kbd>', '关闭办件中的对话框或预览，隐藏已显示的完整信息'],
];

describe('the help panel', () => {
  function shownRows(): string[][] {
    render(HelpPanel, { props: { bundles: [], selected: 0, onopenbundle: () => {} } });
    return [...document.querySelectorAll('#search-help table.keys tr')].map((tr) => [
      tr.querySelector('th')!.innerHTML.replace(/<!--.*?-->/g, '').replace(/ class="[^"]*"/g, ''),
      tr.querySelector('td')!.textContent ?? '',
    ]);
  }

  it('renders the keymap: every row it wrote by hand, in the same order, and the shortcuts it missed', () => {
    const rows = shownRows();
    const added = (r: string[]) => HELP_ADDED.some((a) => a[0] === r[0] && a[1] === r[1]);
    expect(rows.filter((r) => !added(r))).toEqual(HELP_BEFORE);
    expect(rows.filter(added)).toEqual(HELP_ADDED);
    expect(rows).toHaveLength(helpRows().length);
  });
});
