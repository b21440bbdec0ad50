import { describe, expect, it } from 'vitest';
import { catalogVersionText, connectivityText, formatLocalTime, workingDaysText } from '../src/lib/format';

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
