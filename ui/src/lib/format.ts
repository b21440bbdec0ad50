// Pure display helpers: turn DTO values into the Chinese text the clerk reads.

import type { Connectivity, DeskStatus, ItemLevel, MatchKind } from '../ipc';

export function connectivityText(c: Connectivity): string {
  switch (c) {
    case 'online':
      return '在线';
    case 'offline':
      return '离线';
    default:
      return '连接中…';
  }
}

export function catalogVersionText(s: Pick<DeskStatus, 'catalog_version_id' | 'catalog_version_label'>): string {
  if (s.catalog_version_id === null) {
    return '目录未下载';
  }
  const label = s.catalog_version_label?.trim();
  return label ? `目录版本 v${s.catalog_version_id} · ${label}` : `目录版本 v${s.catalog_version_id}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * An RFC 3339 time in the desk's local time zone: `14:03:21` for today,
 * `2026-04-02 14:03:21` for another day. Unparseable input is returned as is.
 */
export function formatLocalTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) {
    return iso;
  }
  const time = `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}`;
  const sameDay =
    t.getFullYear() === now.getFullYear() && t.getMonth() === now.getMonth() && t.getDate() === now.getDate();
  if (sameDay) {
    return time;
  }
  return `${t.getFullYear()}-${pad2(t.getMonth() + 1)}-${pad2(t.getDate())} ${time}`;
}

/** Working days as the catalog words them: 0 is 即办. */
export function workingDaysText(days: number | null | undefined): string {
  if (days === null || days === undefined) {
    return '—';
  }
  return days === 0 ? '即办' : `${days} 个工作日`;
}

export function yesNo(b: boolean): string {
  return b ? '是' : '否';
}

/** A CSS modifier per level, for the small level tag. */
export function levelClass(level: ItemLevel): string {
  return `level-${level}`;
}

export function matchKindText(kind: MatchKind): string {
  switch (kind) {
    case 'exact':
      return '完全匹配';
    case 'prefix':
      return '开头匹配';
    case 'initials':
      return '拼音首字母匹配';
    default:
      return '包含匹配';
  }
}

/** Whether keystrokes on this element type text (so single-key shortcuts must not fire). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  if (target.isContentEditable) {
    return true;
  }
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') {
    return true;
  }
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
  }
  return false;
}
