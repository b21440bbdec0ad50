import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { CaseView } from '../../src/ipc';
import { GuideService } from '../../src/lib/services/guide.svelte';
import { OpenCaseService } from '../../src/lib/services/opencase.svelte';
import { ErrorLineState } from '../../src/lib/services/status.svelte';
import { bundleKdyh, caseView, guideMain, guideSetup } from '../fixtures';

const m = vi.mocked(ipc);

function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

function setup() {
  const errors = new ErrorLineState();
  const guide = new GuideService(errors);
  const onshow = vi.fn();
  const opencase = new OpenCaseService({ errors, guide, onshow });
  return { errors, guide, onshow, opencase };
}

const second = (): CaseView => caseView({ id: 'case-2', number: 'RC-20260402-0002' });

/** The saved case as the backend answers a save of 张三. */
function savedAs张三(): CaseView {
  const saved = caseView({ revision: 7 });
  saved.applicant = { ...saved.applicant, name: '张三' };
  return saved;
}

beforeEach(() => {
  vi.resetAllMocks();
  m.newCase.mockResolvedValue(caseView());
  m.openCase.mockResolvedValue(second());
  m.itemGuide.mockImplementation(async (code) => (code === guideMain.code ? guideMain : guideSetup));
  m.bundleView.mockResolvedValue(bundleKdyh);
});

describe('starting and opening', () => {
  it('a new case is shown with a fresh draft, the error line cleared, the case mode asked for', async () => {
    const { opencase, errors, onshow } = setup();
    errors.set('旧的错误');
    const starting = opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    expect(opencase.busy).toBe(true);
    await starting;
    expect(opencase.busy).toBe(false);
    expect(opencase.caseView?.id).toBe('case-1');
    expect(opencase.caseDraft?.caseId).toBe('case-1');
    expect(opencase.dirty).toBe(false);
    expect(errors.message).toBeNull();
    expect(onshow).toHaveBeenCalledTimes(1);
  });

  it('one at a time', async () => {
    const { opencase } = setup();
    const answer = deferred<CaseView>();
    m.newCase.mockReturnValueOnce(answer.promise);
    opencase.startItemCase(guideSetup.code);
    await vi.waitFor(() => expect(m.newCase).toHaveBeenCalledTimes(1));
    await opencase.openExisting('case-2');
    opencase.startBundleCase(bundleKdyh.code);
    expect(m.newCase).toHaveBeenCalledTimes(1);
    expect(m.openCase).not.toHaveBeenCalled();
    answer.resolve(caseView());
    await vi.waitFor(() => expect(opencase.busy).toBe(false));
  });

  it('what was typed into the open case is saved before another replaces it', async () => {
    const { opencase } = setup();
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    opencase.caseDraft!.applicant.name = '张三';
    expect(opencase.dirty).toBe(true);
    m.saveIntake.mockResolvedValue(savedAs张三());
    await opencase.openExisting('case-2');
    expect(m.saveIntake).toHaveBeenCalledTimes(1);
    expect(m.saveIntake.mock.calls[0][0].applicant.name).toBe('张三');
    expect(m.saveIntake.mock.invocationCallOrder[0]).toBeLessThan(m.openCase.mock.invocationCallOrder[0]);
    expect(opencase.caseView?.id).toBe('case-2');
    expect(opencase.caseDraft?.caseId).toBe('case-2');
  });

  it('a draft that cannot be saved keeps its case open and says how to return to it', async () => {
    const { opencase, errors } = setup();
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    opencase.caseDraft!.applicant.name = '张三';
    m.saveIntake.mockRejectedValue({ code: 'io', message: '磁盘写入失败' });
    await opencase.openExisting('case-2');
    expect(m.openCase).not.toHaveBeenCalled();
    expect(opencase.caseView?.id).toBe('case-1');
    expect(opencase.caseDraft?.applicant.name).toBe('张三');
    expect(errors.message).toBe(
      '办件 RC-20260402-0001 有未保存的修改，保存失败：磁盘写入失败（按 F4 回到该办件修改或放弃修改）',
    );
  });

  it('reopening the open case keeps its draft and does not save it', async () => {
    const { opencase } = setup();
    m.openCase.mockResolvedValue(caseView());
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    opencase.caseDraft!.applicant.name = '张三';
    await opencase.openExisting('case-1');
    expect(m.saveIntake).not.toHaveBeenCalled();
    expect(opencase.caseDraft?.applicant.name).toBe('张三');
  });

  it('a refused open goes to the error line', async () => {
    const { opencase, errors, onshow } = setup();
    m.openCase.mockRejectedValue({ code: 'not_found', message: '没有此办件' });
    await opencase.openExisting('gone');
    expect(errors.message).toBe('没有此办件');
    expect(errors.code).toBe('not_found');
    expect(onshow).not.toHaveBeenCalled();
    expect(opencase.busy).toBe(false);
  });
});

describe('saving', () => {
  it('settleDraft saves nothing when nothing changed, and rebases the draft on the saved case', async () => {
    const { opencase } = setup();
    expect(await opencase.settleDraft()).toBe(true); // no case
    await opencase.startCase({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });
    expect(await opencase.settleDraft()).toBe(true);
    expect(m.saveIntake).not.toHaveBeenCalled();
    opencase.caseDraft!.applicant.name = '张三';
    m.saveIntake.mockResolvedValue(savedAs张三());
    expect(await opencase.settleDraft()).toBe(true);
    expect(opencase.caseView?.revision).toBe(7);
    expect(opencase.dirty).toBe(false);
  });

  it('a reply for another case than the open one is ignored', async () => {
    const { opencase } = setup();
    opencase.update(caseView());
    expect(opencase.caseView?.id).toBe('case-1');
    opencase.update(second());
    expect(opencase.caseView?.id).toBe('case-1');
    opencase.update(caseView({ revision: 3 }));
    expect(opencase.caseView?.revision).toBe(3);
  });
});

describe('Ctrl+Enter in the guide', () => {
  it('takes in the leaf or the complete bundle on screen; explains why not otherwise', async () => {
    const { opencase, guide, errors } = setup();
    opencase.startFromGuide(); // nothing on screen
    expect(m.newCase).not.toHaveBeenCalled();

    await guide.open({ kind: 'item', code: guideMain.code }, { focus: false });
    opencase.startFromGuide();
    expect(errors.message).toBe('「个体工商户登记」是目录，请选择具体的办理项再受理');
    expect(m.newCase).not.toHaveBeenCalled();

    await guide.open({ kind: 'bundle', code: bundleKdyh.code }, { focus: false });
    opencase.startFromGuide();
    expect(errors.message).toBe('本地目录缺少「开办餐饮店一件事」中的部分事项，暂不能受理此一件事');
    expect(m.newCase).not.toHaveBeenCalled();

    await guide.open({ kind: 'item', code: guideSetup.code }, { focus: false });
    opencase.startFromGuide();
    await vi.waitFor(() => expect(opencase.caseView).not.toBeNull());
    expect(m.newCase).toHaveBeenCalledWith({ item_code: guideSetup.code, scenario_code: null, bundle_code: null });

    m.bundleView.mockResolvedValue({ ...bundleKdyh, members: [bundleKdyh.members[0]] });
    await guide.open({ kind: 'bundle', code: bundleKdyh.code }, { focus: false });
    opencase.startFromGuide();
    await vi.waitFor(() => expect(m.newCase).toHaveBeenCalledTimes(2));
    expect(m.newCase).toHaveBeenLastCalledWith({ item_code: null, scenario_code: null, bundle_code: bundleKdyh.code });
  });
});
