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

/** Bytes waiting to go to the hub: `24 KB`, `3.4 MB`, `120 MB`, `1.2 GB`. */
export function formatBytes(bytes: number): string {
  const kb = Math.max(0, bytes) / 1024;
  if (kb < 999.5) {
    return `${bytes > 0 ? Math.max(1, Math.round(kb)) : 0} KB`;
  }
  const mb = kb / 1024;
  if (mb < 9.95) {
    return `${mb.toFixed(1)} MB`;
  }
  if (mb < 999.5) {
    return `${Math.round(mb)} MB`;
  }
  return `${(mb / 1024).toFixed(1)} GB`;
}

/**
 * How long the oldest op has waited: `最早 5 分钟前`, `最早 3 小时前`, `最早 2 天前`.
 * null for an unparseable time.
 */
export function pendingAgeText(iso: string, now: Date = new Date()): string | null {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) {
    return null;
  }
  const minutes = Math.floor(Math.max(0, now.getTime() - t) / 60_000);
  if (minutes < 1) {
    return '最早 不到 1 分钟前';
  }
  if (minutes < 60) {
    return `最早 ${minutes} 分钟前`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `最早 ${hours} 小时前`;
  }
  return `最早 ${Math.floor(hours / 24)} 天前`;
}
