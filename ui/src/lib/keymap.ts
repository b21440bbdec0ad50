// The desk's keyboard shortcuts, declared once: each action's id, its keys (exactly as the
// handlers match them), the mode where it applies and its label as the help panel shows it.
// Components ask `actionFor` / `matches` instead of comparing keys by hand; the help panel
// renders `helpRows()`; `findConflicts` (tests/keymap.test.ts) refuses two actions on one key.

import { isTextEntry } from './format';

/**
 * Where a shortcut applies, after where its handler lives:
 * - global: the main window's keys (App), whatever the screen, while no panel, lock screen or
 *   cache problem covers it;
 * - search: the search box (its own handler; its keys also reach the window's handlers);
 * - guide: 查找事项 — App's keys while the guide is on screen, and the guide panel's;
 * - case: the open case (the case screen's window handler, its confirm dialogs included);
 * - queue: the calling bar (its window handler), under every screen.
 */
export type Mode = 'global' | 'search' | 'guide' | 'case' | 'queue';

export interface ModeInfo {
  /** What the mode is, for people reading the table or a conflict. */
  name: string;
  /** Other modes whose handlers see the same key presses (a global action conflicts with every mode anyway). */
  alongside: readonly Mode[];
}

export const MODES: Readonly<Record<Mode, ModeInfo>> = {
  global: { name: '全局（主窗口，没有面板、锁屏遮挡时）', alongside: [] },
  search: { name: '搜索框', alongside: ['guide', 'case', 'queue'] },
  guide: { name: '查找事项（办事指南）', alongside: ['search', 'queue'] },
  case: { name: '当前办件', alongside: ['search', 'queue'] },
  queue: { name: '叫号栏', alongside: ['search', 'guide', 'case'] },
};

/** One key combination. A modifier left out may be held or not; Ctrl is Ctrl or ⌘. */
export interface Combo {
  /** `KeyboardEvent.key` values; a letter matches in either case. */
  keys: readonly string[];
  /** `KeyboardEvent.code` values that match too: the physical key, whatever the layout types. */
  codes?: readonly string[];
  ctrl?: boolean;
  alt?: boolean;
  shift?: boolean;
  /** Not while the focus is in a text field, where the key types. */
  notTyping?: boolean;
  /** What the handler is told: a step, a scenario, a material slot (null: the unsorted tray). */
  arg?: number | null;
  /** Matches, but the help panel does not list it. */
  unlisted?: boolean;
}

export interface Action<Id extends string = string> {
  id: Id;
  mode: Mode;
  /** As the help panel shows it (Simplified Chinese). */
  label: string;
  combos: readonly Combo[];
  /** The help shows the first and the last combo joined by this (1–9, Alt+1…Alt+9). */
  range?: string;
}

const no = { ctrl: false, alt: false, shift: false } as const;

/** A letter with Ctrl (or ⌘), by the letter typed or, with `physical`, also by the key's place. */
function ctrlLetter(letter: string, mods: Omit<Combo, 'keys'>, physical: boolean): Combo {
  return { keys: [letter], ...(physical ? { codes: [`Key${letter.toUpperCase()}`] } : {}), ...mods };
}

/** Digits `from`…`to` as one combo each; `arg` maps the digit. */
function digits(from: number, to: number, mods: Omit<Combo, 'keys' | 'arg'>, arg: (d: number) => number | null, physical: boolean): Combo[] {
  const out: Combo[] = [];
  for (let d = from; d <= to; d++) {
    out.push({ keys: [String(d)], ...(physical ? { codes: [`Digit${d}`, `Numpad${d}`] } : {}), ...mods, arg: arg(d) });
  }
  return out;
}

export const KEYMAP = [
  // ---- global: App's window handler (in the order it tried them)
  {
    id: 'desk.lock',
    mode: 'global',
    label: '锁屏（离开窗口时使用；长时间无操作也会自动锁屏，输入密码解锁）',
    combos: [ctrlLetter('l', { ctrl: true, alt: false, shift: false }, true)],
  },
  {
    id: 'desk.search',
    mode: 'global',
    label: '从任意位置回到搜索框',
    combos: [
      { keys: ['/'], ctrl: false, alt: false, notTyping: true },
      ctrlLetter('k', { ctrl: true, alt: false }, false),
      { keys: ['F2'] },
    ],
  },
  { id: 'desk.case', mode: 'global', label: '回到当前办件', combos: [{ keys: ['F4'] }] },
  { id: 'desk.cases', mode: 'global', label: '办件列表', combos: [{ keys: ['F7'] }] },
  // Shift+F9 is the calling bar's 暂停/恢复.
  { id: 'desk.followUps', mode: 'global', label: '跟进事项', combos: [{ keys: ['F9'], shift: false }] },
  // The panel it opens closes on its key again, held modifiers or not (`isKeyOf`).
  { id: 'desk.enrol', mode: 'global', label: '注册本窗口（输入管理员提供的注册码）', combos: [{ keys: ['F10'], ...no }] },
  // Also keeps the webview from going full screen. The sign-in panel and the user menu close on F11.
  {
    id: 'desk.login',
    mode: 'global',
    label: '登录；已登录时转到状态栏的用户名（退出登录、切换用户）',
    combos: [{ keys: ['F11'], ...no }],
  },
  {
    id: 'desk.domain',
    mode: 'global',
    label: '选择业务领域',
    combos: [{ keys: ['d'], codes: ['KeyD'], ctrl: false, alt: true }],
  },
  // F5 is 同步 here, never a reload (Ctrl+R is swallowed: `isReloadKey`).
  { id: 'desk.sync', mode: 'global', label: '立即从中心同步目录', combos: [{ keys: ['F5'] }] },

  // ---- search: the search box (ArrowUp/Down, PageUp/Down and Enter also bring the guide back)
  {
    id: 'search.move',
    mode: 'search',
    label: '在结果中移动',
    combos: [
      { keys: ['ArrowUp'], ctrl: false, alt: false, arg: -1 },
      { keys: ['ArrowDown'], ctrl: false, alt: false, arg: 1 },
    ],
  },
  {
    id: 'search.page',
    mode: 'search',
    label: '在结果中翻页（每次 10 项）',
    combos: [
      { keys: ['PageUp'], ctrl: false, alt: false, arg: -10 },
      { keys: ['PageDown'], ctrl: false, alt: false, arg: 10 },
    ],
  },
  {
    id: 'search.open',
    mode: 'search',
    label: '打开选中事项的办事指南',
    combos: [{ keys: ['Enter'], ctrl: false, alt: false }],
  },

  // ---- guide: App's keys while the guide is on screen, and the guide panel's
  { id: 'guide.start', mode: 'guide', label: '受理打开的事项或一件事', combos: [{ keys: ['Enter'], ctrl: true, alt: false }] },
  // Only the guide sends Esc to the search box; the case screen closes its dialogs itself.
  { id: 'guide.search', mode: 'guide', label: '回到搜索框并选中已输入文字', combos: [{ keys: ['Escape'] }] },
  { id: 'guide.back', mode: 'guide', label: '返回上一个指南', combos: [{ keys: ['ArrowLeft'], alt: true }] },
  // Pressed anywhere inside the guide; arg: the scenario's index.
  {
    id: 'guide.scenario',
    mode: 'guide',
    label: '在办事指南中切换情形',
    combos: digits(1, 9, { ctrl: false, alt: false, notTyping: true }, (d) => d - 1, false),
    range: '–',
  },

  // ---- case: the case screen's window handler
  { id: 'case.close', mode: 'case', label: '关闭办件中的对话框或预览，隐藏已显示的完整信息', combos: [{ keys: ['Escape'] }] },
  {
    id: 'case.primary',
    mode: 'case',
    label: '在办件中受理，或申请人补正后继续办理；在对话框中确认',
    combos: [{ keys: ['Enter'], ctrl: true, alt: false }],
  },
  // Ctrl+S, Ctrl+P and Ctrl+O never reach the webview (save, print, open a page), dialog or not.
  { id: 'case.save', mode: 'case', label: '保存申请信息', combos: [ctrlLetter('s', { ctrl: true, alt: false }, true)] },
  { id: 'case.notice', mode: 'case', label: '出具一次性告知书', combos: [ctrlLetter('p', { ctrl: true, alt: false }, true)] },
  { id: 'case.import', mode: 'case', label: '从文件导入材料', combos: [ctrlLetter('o', { ctrl: true, alt: false }, true)] },
  // Past the draft; in a draft nothing is masked, and Ctrl+F6 reads the card as F6 does.
  {
    id: 'case.reveal',
    mode: 'case',
    label: '查看完整信息（写明原因，记入审计日志）',
    combos: [{ keys: ['F6'], ctrl: true, alt: false, shift: false }],
  },
  {
    id: 'case.readCard',
    mode: 'case',
    label: '读取身份证',
    combos: [
      { keys: ['F6'], ctrl: false, shift: false },
      { keys: ['F6'], ctrl: true, alt: true, shift: false, unlisted: true },
    ],
  },
  // F8 is the calling bar's 叫号: the 居民码/企业码 box is Shift+F6, next to reading the ID card.
  { id: 'case.code', mode: 'case', label: '扫描居民码/企业码', combos: [{ keys: ['F6'], shift: true }] },
  // Where new scans land: arg is the material's slot index (the physical digit wins over the character typed).
  {
    id: 'case.slot',
    mode: 'case',
    label: '选择扫描到哪一项',
    combos: digits(1, 9, { alt: true, ctrl: false, shift: false }, (d) => d - 1, true),
    range: '…',
  },
  {
    id: 'case.tray',
    mode: 'case',
    label: '放入未分类',
    combos: digits(0, 0, { alt: true, ctrl: false, shift: false }, () => null, true),
  },

  // ---- queue: the calling bar's window handler (F3 would search the page, F12 open the developer tools)
  { id: 'queue.callNext', mode: 'queue', label: '叫号（当前号办结，叫下一个）', combos: [{ keys: ['F8'], ...no }] },
  { id: 'queue.recall', mode: 'queue', label: '重呼', combos: [{ keys: ['F8'], ctrl: false, alt: false, shift: true }] },
  { id: 'queue.serve', mode: 'queue', label: '到号（开始办理）', combos: [{ keys: ['F3'], ...no }] },
  { id: 'queue.noShow', mode: 'queue', label: '过号', combos: [{ keys: ['F3'], ctrl: false, alt: false, shift: true }] },
  { id: 'queue.transfer', mode: 'queue', label: '转移当前号', combos: [{ keys: ['F8'], ctrl: true, alt: false, shift: false }] },
  { id: 'queue.pause', mode: 'queue', label: '暂停或恢复本窗口叫号', combos: [{ keys: ['F9'], ctrl: false, alt: false, shift: true }] },
  {
    id: 'queue.walkIn',
    mode: 'queue',
    label: '现场取号（办事人已在窗口前、未取号，取号后立即办理）',
    combos: [{ keys: ['F8'], ctrl: true, alt: false, shift: true }],
  },
  {
    id: 'queue.invite',
    mode: 'queue',
    label: '请评价（办事人在评价屏上对本次服务作出评价）',
    combos: [{ keys: ['F12'], ...no }],
  },
] as const satisfies readonly Action[];

export type ActionId = (typeof KEYMAP)[number]['id'];

/** The help panel's 快捷键 table: one row per entry, its actions' keys side by side, labels joined by 、. */
export const HELP_ROWS: readonly (readonly ActionId[])[] = [
  ['search.move'],
  ['search.page'],
  ['search.open'],
  ['guide.search'],
  ['desk.search'],
  ['desk.domain'],
  ['guide.scenario'],
  ['guide.back'],
  ['guide.start'],
  ['desk.case'],
  ['case.primary'],
  ['case.readCard', 'case.code'],
  ['case.reveal'],
  ['case.save', 'case.notice', 'case.import'],
  ['case.slot', 'case.tray'],
  ['case.close'],
  ['desk.cases', 'desk.followUps'],
  ['desk.sync'],
  ['desk.enrol'],
  ['desk.login'],
  ['desk.lock'],
  ['queue.callNext', 'queue.recall'],
  ['queue.serve', 'queue.noShow'],
  ['queue.transfer', 'queue.pause'],
  ['queue.walkIn'],
  ['queue.invite'],
];

// ---------------------------------------------------------------- matching

/** What a handler needs of a key press (a KeyboardEvent, or a plain object in tests). */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'> & {
  target?: EventTarget | null;
};

export interface Hit<Id extends string = ActionId> {
  id: Id;
  /** The matching combo's `arg` (undefined when it has none). */
  arg: number | null | undefined;
}

function isLetter(k: string): boolean {
  return /^[a-z]$/i.test(k);
}

function sameKey(want: string, got: string): boolean {
  return got === want || (isLetter(want) && (got === want.toLowerCase() || got === want.toUpperCase()));
}

function modifier(want: boolean | undefined, held: boolean): boolean {
  return want === undefined || want === held;
}

/** How the press matches the combo: by the physical key, by the key typed, or not at all. */
function comboMatch(e: KeyPress, c: Combo): 'code' | 'key' | null {
  if (!modifier(c.ctrl, e.ctrlKey || e.metaKey) || !modifier(c.alt, e.altKey) || !modifier(c.shift, e.shiftKey)) {
    return null;
  }
  if (c.notTyping && isTextEntry(e.target ?? null)) return null;
  if (c.codes?.includes(e.code ?? '')) return 'code';
  if (c.keys.some((k) => sameKey(k, e.key ?? ''))) return 'key';
  return null;
}

/**
 * The first of `actions` the press means, with its combo's argument. A match by the physical key
 * (`codes`) wins over a match by the key typed, whatever the order: Alt+1 on a layout where Alt
 * changes the character is still slot 1.
 */
function firstMatch<Id extends string>(e: KeyPress, actions: readonly Action<Id>[]): Hit<Id> | null {
  let byKey: Hit<Id> | null = null;
  for (const a of actions) {
    for (const c of a.combos) {
      const how = comboMatch(e, c);
      if (how === 'code') return { id: a.id, arg: c.arg };
      if (how === 'key' && byKey === null) byKey = { id: a.id, arg: c.arg };
    }
  }
  return byKey;
}

const byMode = new Map<Mode, Action<ActionId>[]>();
for (const a of KEYMAP as readonly Action<ActionId>[]) {
  byMode.set(a.mode, [...(byMode.get(a.mode) ?? []), a]);
}

const byId = new Map<ActionId, Action<ActionId>>((KEYMAP as readonly Action<ActionId>[]).map((a) => [a.id, a]));

/** The action of these modes the press means, or null. */
export function actionFor(e: KeyPress, ...modes: Mode[]): Hit | null {
  return firstMatch(
    e,
    modes.flatMap((m) => byMode.get(m) ?? []),
  );
}

/** Whether the press means this action. */
export function matches(e: KeyPress, id: ActionId): boolean {
  return firstMatch(e, [action(id)]) !== null;
}

/** The action's key is pressed, whatever modifiers are held (a panel closes on the key that opened it). */
export function isKeyOf(e: KeyPress, id: ActionId): boolean {
  return action(id).combos.some((c) => c.codes?.includes(e.code ?? '') || c.keys.some((k) => sameKey(k, e.key ?? '')));
}

export function action(id: ActionId): Action<ActionId> {
  const a = byId.get(id);
  if (!a) throw new Error(`no such shortcut: ${id}`);
  return a;
}

// ---------------------------------------------------------------- keys the webview itself acts on
// Not shortcuts: panels, dialogs and the lock screen swallow them so nothing reloads behind them.

/** F1–F12 (search, reload, full screen, developer tools…). */
export function isFunctionKey(e: Pick<KeyboardEvent, 'key'>): boolean {
  return e.key.startsWith('F') && e.key.length > 1;
}

/** F5 or Ctrl+R (⌘R): the webview would reload the page. */
export function isReloadKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey'>): boolean {
  return e.key === 'F5' || ((e.ctrlKey || e.metaKey) && (e.key === 'r' || e.key === 'R'));
}

// ---------------------------------------------------------------- how the keys are written

const KEY_NAMES: Readonly<Record<string, string>> = {
  ArrowUp: '↑',
  ArrowDown: '↓',
  ArrowLeft: '←',
  ArrowRight: '→',
  Escape: 'Esc',
};

/** A combo as the clerk reads it: `Ctrl+Shift+F8`, `Alt+←`, `Esc`, `/`. */
export function comboText(c: Combo): string {
  const key = c.keys[0] ?? '';
  const name = KEY_NAMES[key] ?? (isLetter(key) ? key.toUpperCase() : key);
  return `${c.ctrl ? 'Ctrl+' : ''}${c.shift ? 'Shift+' : ''}${c.alt ? 'Alt+' : ''}${name}`;
}

/** A piece of a help row's key cell: a key in <kbd>, or the text between keys. */
export type KeyPart = { kbd: string } | { text: string };

/** The keys of these actions as the help writes them: `/ Ctrl+K F2`, `1–9`, `Alt+1…Alt+9 Alt+0`. */
export function keyParts(actions: readonly Action[]): KeyPart[] {
  const parts: KeyPart[] = [];
  for (const a of actions) {
    const listed = a.combos.filter((c) => !c.unlisted);
    const shown: KeyPart[][] =
      a.range !== undefined && listed.length > 1
        ? [[{ kbd: comboText(listed[0]) }, { text: a.range }, { kbd: comboText(listed[listed.length - 1]) }]]
        : listed.map((c) => [{ kbd: comboText(c) }]);
    for (const piece of shown) {
      if (parts.length > 0) parts.push({ text: ' ' });
      parts.push(...piece);
    }
  }
  return parts;
}

export interface HelpRow {
  keys: KeyPart[];
  label: string;
}

/** The 快捷键 table of the help panel. */
export function helpRows(rows: readonly (readonly ActionId[])[] = HELP_ROWS): HelpRow[] {
  return rows.map((ids) => {
    const actions = ids.map(action);
    return { keys: keyParts(actions), label: actions.map((a) => a.label).join('、') };
  });
}

// ---------------------------------------------------------------- conflicts

/** Keys a combo can be pressed as, one spelling each (`KeyL` and `l` are the same key). */
function keySet(c: Combo): Set<string> {
  const out = new Set<string>();
  for (const k of c.keys) out.add(isLetter(k) ? k.toLowerCase() : k);
  for (const code of c.codes ?? []) {
    const m = /^(?:Key([A-Z])|(?:Digit|Numpad)([0-9]))$/.exec(code);
    out.add(m ? (m[1]?.toLowerCase() ?? m[2]) : code);
  }
  return out;
}

/** Some one key press matches both (same key, no modifier one needs and the other refuses). */
function overlap(a: Combo, b: Combo): string | null {
  for (const m of ['ctrl', 'alt', 'shift'] as const) {
    if (a[m] !== undefined && b[m] !== undefined && a[m] !== b[m]) return null;
  }
  const bKeys = keySet(b);
  for (const k of keySet(a)) {
    if (bKeys.has(k)) return k;
  }
  return null;
}

function sameTime(a: Mode, b: Mode, modes: Readonly<Record<Mode, ModeInfo>>): boolean {
  return a === b || a === 'global' || b === 'global' || modes[a].alongside.includes(b) || modes[b].alongside.includes(a);
}

export interface Conflict {
  a: string;
  b: string;
  /** The key both take, with the modifiers of the first action's combo. */
  key: string;
  text: string;
}

/**
 * Every pair of actions one key press could mean at once: the same key combination in the same
 * mode, in modes on screen together, or with a global action (which applies in every mode).
 */
export function findConflicts(actions: readonly Action[], modes: Readonly<Record<Mode, ModeInfo>> = MODES): Conflict[] {
  const out: Conflict[] = [];
  for (let i = 0; i < actions.length; i++) {
    for (let j = i + 1; j < actions.length; j++) {
      const a = actions[i];
      const b = actions[j];
      if (!sameTime(a.mode, b.mode, modes)) continue;
      for (const ca of a.combos) {
        const found = b.combos.map((cb) => overlap(ca, cb)).find((k) => k !== null);
        if (found) {
          const key = comboText({ ...ca, keys: [found] });
          out.push({ a: a.id, b: b.id, key, text: `${a.id} (${a.mode}) and ${b.id} (${b.mode}) both take ${key}` });
          break;
        }
      }
    }
  }
  return out;
}

/** Ids declared twice. */
export function duplicateIds(actions: readonly Action[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const a of actions) {
    if (seen.has(a.id)) dup.add(a.id);
    seen.add(a.id);
  }
  return [...dup];
}
