import { describe, expect, it, vi, type Mock } from 'vitest';

import type { WindowInfo } from '../../src/ipc';
import { draftFromView } from '../../src/lib/casedraft';
import { ApplicantService, type ApplicantSource, type KeyPress } from '../../src/lib/services/applicant.svelte';
import { caseView, windowInfoFixture } from '../fixtures';
import { reactive } from './reactive.svelte';

/** A draft case whose saved applicant differs from the clerk's draft. */
function setup() {
  const view = caseView({ applicant: { ...caseView().applicant, name: '张*', number: '3701**********1234' } });
  const draft = draftFromView(view);
  draft.applicant.name = '张三';
  const source = reactive({
    view,
    draft,
    info: windowInfoFixture as WindowInfo | null,
    onsave: vi.fn<ApplicantSource['onsave']>(),
    onapplycode: vi.fn<ApplicantSource['onapplycode']>(),
  });
  return { source, applicant: new ApplicantService(source) };
}

/** A key press with what the service looks at; `preventDefault` is a spy. */
function key(
  k: string,
  mods: Partial<Pick<KeyboardEvent, 'isComposing' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>> = {},
): KeyPress & { preventDefault: Mock<() => void> } {
  return { key: k, isComposing: false, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, preventDefault: vi.fn<() => void>(), ...mods };
}

describe('the applicant shown', () => {
  it('is the draft while the case is a draft, the saved applicant after; it follows the view', () => {
    const { source, applicant } = setup();
    expect(applicant.shown.name).toBe('张三');
    expect(applicant.readonly).toBe(false);
    source.view = { ...source.view, editable: false, state: 'accepted' };
    expect(applicant.shown.name).toBe('张*');
    expect(applicant.shown.number).toBe('3701**********1234');
    expect(applicant.readonly).toBe(true);
  });

  it('labels follow the kind: a person has 姓名 and 公民身份号码, an organisation 单位名称, 统一社会信用代码 and 住所', () => {
    const { applicant } = setup();
    expect([applicant.organisation, applicant.nameLabel, applicant.numberLabel, applicant.addressLabel]).toEqual([
      false,
      '姓名',
      '公民身份号码',
      '地址',
    ]);
    applicant.set('kind', 'organisation');
    expect([applicant.organisation, applicant.nameLabel, applicant.numberLabel, applicant.addressLabel]).toEqual([
      true,
      '单位名称',
      '统一社会信用代码',
      '住所',
    ]);
  });

  it('the 读取身份证 hint says when the window has no card reader', () => {
    const { source, applicant } = setup();
    expect(applicant.readCardTitle).toBe('从读卡器读取身份证（F6）');
    source.info = { ...windowInfoFixture, card_reader: null };
    expect(applicant.readCardTitle).toBe('本窗口未设置身份证读卡器');
    // Window settings not read yet: nothing to say about the reader.
    source.info = null;
    expect(applicant.readCardTitle).toBe('从读卡器读取身份证（F6）');
  });
});

describe('typing', () => {
  it('goes into the draft; the kind is read from the control, anything unknown a person', () => {
    const { source, applicant } = setup();
    applicant.set('phone', '13800000000');
    applicant.set('agent_name', '李四');
    expect(source.draft.applicant.phone).toBe('13800000000');
    expect(source.draft.applicant.agent_name).toBe('李四');
    expect(applicant.shown.phone).toBe('13800000000');
    applicant.set('kind', 'organisation');
    expect(source.draft.applicant.kind).toBe('organisation');
    applicant.set('kind', 'somebody');
    expect(source.draft.applicant.kind).toBe('person');
  });

  it('past the draft changes nothing', () => {
    const { source, applicant } = setup();
    source.view = { ...source.view, editable: false, state: 'accepted' };
    applicant.set('phone', '13800000000');
    applicant.set('kind', 'organisation');
    expect(source.draft.applicant.phone).toBe('');
    expect(source.draft.applicant.kind).toBe('person');
  });

  it('Enter in a field saves (Shift+Enter too); with Ctrl, Alt, Meta or while composing it does not', () => {
    const { source, applicant } = setup();
    const enter = key('Enter');
    applicant.fieldKeydown(enter);
    expect(source.onsave).toHaveBeenCalledTimes(1);
    expect(enter.preventDefault).toHaveBeenCalledTimes(1);
    applicant.fieldKeydown(key('Enter', { shiftKey: true }));
    expect(source.onsave).toHaveBeenCalledTimes(2);
    for (const press of [
      key('Enter', { ctrlKey: true }),
      key('Enter', { altKey: true }),
      key('Enter', { metaKey: true }),
      key('Enter', { isComposing: true }),
      key('a'),
    ]) {
      applicant.fieldKeydown(press);
      expect(press.preventDefault).not.toHaveBeenCalled();
    }
    expect(source.onsave).toHaveBeenCalledTimes(2);
  });

  it('Enter past the draft saves nothing and leaves the key alone', () => {
    const { source, applicant } = setup();
    source.view = { ...source.view, editable: false, state: 'accepted' };
    const enter = key('Enter');
    applicant.fieldKeydown(enter);
    expect(source.onsave).not.toHaveBeenCalled();
    expect(enter.preventDefault).not.toHaveBeenCalled();
  });
});

describe('the 居民码/企业码 box', () => {
  it('Enter sends what was scanned, as scanned, and empties the box', () => {
    const { source, applicant } = setup();
    applicant.code = ' RESIDENT:{"name":"张三"} ';
    const enter = key('Enter');
    applicant.codeKeydown(enter);
    expect(source.onapplycode).toHaveBeenCalledTimes(1);
    expect(source.onapplycode).toHaveBeenCalledWith(' RESIDENT:{"name":"张三"} ');
    expect(enter.preventDefault).toHaveBeenCalledTimes(1);
    expect(applicant.code).toBe('');
  });

  it('Enter on an empty or blank box sends nothing but still empties it', () => {
    const { source, applicant } = setup();
    applicant.code = '   ';
    applicant.codeKeydown(key('Enter'));
    expect(applicant.code).toBe('');
    applicant.codeKeydown(key('Enter'));
    expect(source.onapplycode).not.toHaveBeenCalled();
  });

  it('other keys, and Enter with a modifier or while composing, keep what was scanned so far', () => {
    const { source, applicant } = setup();
    applicant.code = 'RESIDENT:';
    for (const press of [key('a'), key('Enter', { ctrlKey: true }), key('Enter', { altKey: true }), key('Enter', { isComposing: true })]) {
      applicant.codeKeydown(press);
      expect(press.preventDefault).not.toHaveBeenCalled();
    }
    expect(applicant.code).toBe('RESIDENT:');
    expect(source.onapplycode).not.toHaveBeenCalled();
  });
});
