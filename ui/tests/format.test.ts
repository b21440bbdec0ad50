import { describe, expect, it } from 'vitest';
import {
  catalogVersionText,
  connectivityText,
  formatBytes,
  formatLocalTime,
  pendingAgeText,
  workingDaysText,
} from '../src/lib/format';

describe('format', () => {
  it('connectivity', () => {
    expect(connectivityText('online')).toBe('在线');
    expect(connectivityText('offline')).toBe('离线');
    expect(connectivityText('unknown')).toBe('连接中…');
  });

  it('catalog version', () => {
    expect(catalogVersionText({ catalog_version_id: 3, catalog_version_label: '2026.04-fixture.1' })).toBe(
      '目录版本 v3 · 2026.04-fixture.1',
    );
    expect(catalogVersionText({ catalog_version_id: 3, catalog_version_label: null })).toBe('目录版本 v3');
    expect(catalogVersionText({ catalog_version_id: null, catalog_version_label: null })).toBe('目录未下载');
  });

  it('local time: time only today, date and time otherwise', () => {
    const now = new Date(2026, 3, 2, 18, 0, 0);
    expect(formatLocalTime(new Date(2026, 3, 2, 14, 3, 21).toISOString(), now)).toBe('14:03:21');
    expect(formatLocalTime(new Date(2026, 3, 1, 9, 5, 7).toISOString(), now)).toBe('2026-04-01 09:05:07');
    expect(formatLocalTime('not a time', now)).toBe('not a time');
  });

  it('working days', () => {
    expect(workingDaysText(0)).toBe('即办');
    expect(workingDaysText(5)).toBe('5 个工作日');
    expect(workingDaysText(null)).toBe('—');
  });
});

describe('push formats', () => {
  it('bytes as KB, MB, GB', () => {
    expect(formatBytes(0)).toBe('0 KB');
    expect(formatBytes(10)).toBe('1 KB');
    expect(formatBytes(24 * 1024 + 100)).toBe('24 KB');
    expect(formatBytes(1024 * 1024)).toBe('1.0 MB');
    expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatBytes(120 * 1024 * 1024)).toBe('120 MB');
    expect(formatBytes(1.5 * 1024 * 1024 * 1024)).toBe('1.5 GB');
  });

  it('age of the oldest pending op', () => {
    const now = new Date(2026, 3, 2, 18, 0, 0);
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(pendingAgeText(ago(20_000), now)).toBe('最早 不到 1 分钟前');
    expect(pendingAgeText(ago(5 * 60_000 + 30_000), now)).toBe('最早 5 分钟前');
    expect(pendingAgeText(ago(3 * 3600_000), now)).toBe('最早 3 小时前');
    expect(pendingAgeText(ago(72 * 3600_000), now)).toBe('最早 3 天前');
    expect(pendingAgeText(ago(-60_000), now)).toBe('最早 不到 1 分钟前');
    expect(pendingAgeText('not a time', now)).toBeNull();
  });
});
