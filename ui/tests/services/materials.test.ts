import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render } from '@testing-library/svelte';

import type { CaseView } from '../../src/ipc';
import MaterialsPanel from '../../src/components/MaterialsPanel.svelte';
import { FILE_DRAG_TYPE } from '../../src/lib/casedraft';
import {
  carriesFile,
  droppedSha,
  fileKindLabel,
  MaterialsService,
  startFileDrag,
  type MaterialsSource,
} from '../../src/lib/services/materials.svelte';
import { caseView, fileView, windowInfoFixture } from '../fixtures';
import { reactive } from './reactive.svelte';

/** The draft case with file 2 in material 0 and file 1 in the tray. */
function withFiles(over: Partial<CaseView> = {}): CaseView {
  const view = caseView(over);
  view.materials[0] = { ...view.materials[0], files: [fileView(2)] };
  return view;
}

function setup() {
  const source = reactive({
    view: withFiles(),
    sortable: true,
    onselectslot: vi.fn<MaterialsSource['onselectslot']>(),
    onmove: vi.fn<MaterialsSource['onmove']>(),
    onpledge: vi.fn<MaterialsSource['onpledge']>(),
  });
  return { source, materials: new MaterialsService(source) };
}

const TRAY_FILE = fileView(1).sha256;
const SLOT0_FILE = fileView(2).sha256;
const UNKNOWN_FILE = 'ab'.repeat(32);

/** A drag's data as the browser keeps it (only what the panel uses). */
class FakeTransfer {
  readonly data = new Map<string, string>();
  effectAllowed = 'none';
  dropEffect = 'none';
  constructor(types: string[] = []) {
    for (const t of types) this.data.set(t, '');
  }
  get types(): string[] {
    return [...this.data.keys()];
  }
  setData(type: string, value: string): void {
    this.data.set(type, value);
  }
  getData(type: string): string {
    return this.data.get(type) ?? '';
  }
}
const transfer = (t: FakeTransfer) => t as unknown as DataTransfer;

describe('where scans land', () => {
  it('the selected slot or the tray, only while this case takes scans', () => {
    const { source, materials } = setup();
    expect([materials.isScanTarget(null), materials.isScanTarget(0), materials.isScanTarget(1)]).toEqual([true, false, false]);
    source.view = { ...source.view, selected_slot: 1 };
    expect([materials.isScanTarget(null), materials.isScanTarget(0), materials.isScanTarget(1)]).toEqual([false, false, true]);
    source.view = { ...source.view, scan_target: false };
    expect([materials.isScanTarget(null), materials.isScanTarget(0), materials.isScanTarget(1)]).toEqual([false, false, false]);
  });

  it('choosing a slot, the tray or a pledge goes to the case screen', () => {
    const { source, materials } = setup();
    materials.selectSlot(1);
    materials.selectSlot(null);
    materials.pledge(1, true);
    expect(source.onselectslot.mock.calls).toEqual([[1], [null]]);
    expect(source.onpledge).toHaveBeenCalledWith(1, true);
  });

  it('an empty list says why: no scenario chosen yet, or nothing to hand in', () => {
    const { source, materials } = setup();
    expect(materials.emptyText).toBe('本事项无需提交材料。');
    source.view = { ...source.view, scenario_code: null };
    expect(materials.emptyText).toBe('选择办理情形后显示申请材料。');
    // A 一件事 has no scenario of its own.
    source.view = { ...source.view, is_bundle: true };
    expect(materials.emptyText).toBe('本事项无需提交材料。');
  });
});

describe('移到…', () => {
  it('offers the tray and every other material', () => {
    const { materials } = setup();
    expect(materials.moveTargets(null)).toEqual([
      { value: '0', label: '1. 经营者身份证明' },
      { value: '1', label: '2. 经营场所使用证明' },
    ]);
    expect(materials.moveTargets(0)).toEqual([
      { value: 'tray', label: '未分类' },
      { value: '1', label: '2. 经营场所使用证明' },
    ]);
  });

  it('a choice moves the file; the placeholder moves nothing', () => {
    const { source, materials } = setup();
    materials.moveChosen(TRAY_FILE, '1');
    materials.moveChosen(SLOT0_FILE, 'tray');
    materials.moveChosen(SLOT0_FILE, '');
    expect(source.onmove.mock.calls).toEqual([
      [TRAY_FILE, 1],
      [SLOT0_FILE, null],
    ]);
  });

  it('knows where each file is', () => {
    const { materials } = setup();
    expect(materials.slotOf(TRAY_FILE)).toBeNull();
    expect(materials.slotOf(SLOT0_FILE)).toBe(0);
    expect(materials.slotOf(UNKNOWN_FILE)).toBeUndefined();
  });
});

describe('dragging a file', () => {
  it('a drag over a slot or the tray marks it while files can be sorted', () => {
    const { source, materials } = setup();
    expect(materials.dragOver(1, true)).toBe(true);
    expect([materials.isDropOver(1), materials.isDropOver(null)]).toEqual([true, false]);
    expect(materials.dragOver(null, true)).toBe(true);
    expect([materials.isDropOver(1), materials.isDropOver(null)]).toEqual([false, true]);
    source.sortable = false;
    expect(materials.dragOver(0, true)).toBe(false);
    expect(materials.isDropOver(0)).toBe(false);
  });

  it('a drag that carries no file is not taken', () => {
    const { materials } = setup();
    expect(materials.dragOver(1, false)).toBe(false);
    expect(materials.isDropOver(1)).toBe(false);
  });

  it('leaving for a child keeps the mark; leaving the slot clears it, and only its own', () => {
    const { materials } = setup();
    materials.dragOver(1, true);
    materials.dragLeave(1, true);
    expect(materials.isDropOver(1)).toBe(true);
    materials.dragLeave(0, false);
    expect(materials.isDropOver(1)).toBe(true);
    materials.dragLeave(1, false);
    expect(materials.dropOver).toBeUndefined();
  });

  it('a drop moves the file where it was dropped and clears the mark', () => {
    const { source, materials } = setup();
    materials.dragOver(1, true);
    expect(materials.drop(1, TRAY_FILE)).toBe(true);
    expect(materials.dropOver).toBeUndefined();
    expect(materials.drop(null, SLOT0_FILE)).toBe(true);
    expect(source.onmove.mock.calls).toEqual([
      [TRAY_FILE, 1],
      [SLOT0_FILE, null],
    ]);
  });

  it('a drop where the file already is is taken but moves nothing', () => {
    const { source, materials } = setup();
    expect(materials.drop(null, TRAY_FILE)).toBe(true);
    expect(materials.drop(0, SLOT0_FILE)).toBe(true);
    expect(source.onmove).not.toHaveBeenCalled();
  });

  it('a drop of something that is not a file, or while files cannot be sorted, is left alone', () => {
    const { source, materials } = setup();
    materials.dragOver(1, true);
    expect(materials.drop(1, 'not a sha')).toBe(false);
    expect(materials.dropOver).toBeUndefined();
    expect(materials.drop(1, '')).toBe(false);
    source.sortable = false;
    expect(materials.drop(1, TRAY_FILE)).toBe(false);
    expect(source.onmove).not.toHaveBeenCalled();
  });

  it('the drag carries the sha256 under our type and as text; a drop reads either', () => {
    const data = new FakeTransfer();
    startFileDrag(transfer(data), fileView(3));
    expect(data.getData(FILE_DRAG_TYPE)).toBe(fileView(3).sha256);
    expect(data.getData('text/plain')).toBe(fileView(3).sha256);
    expect(data.effectAllowed).toBe('move');
    expect(carriesFile(transfer(data))).toBe(true);
    expect(droppedSha(transfer(data))).toBe(fileView(3).sha256);

    const text = new FakeTransfer();
    text.setData('text/plain', SLOT0_FILE);
    expect(carriesFile(transfer(text))).toBe(true);
    expect(droppedSha(transfer(text))).toBe(SLOT0_FILE);

    expect(carriesFile(transfer(new FakeTransfer(['Files'])))).toBe(false);
    expect(carriesFile(null)).toBe(false);
    expect(droppedSha(null)).toBe('');
  });
});

it('a file without a thumbnail is labelled by its kind', () => {
  expect((['pdf', 'png', 'jpeg'] as const).map(fileKindLabel)).toEqual(['PDF', 'PNG', 'JPG']);
});

describe('the panel made from its props', () => {
  function renderPanel(view: CaseView, sortable = true) {
    const props = {
      view,
      info: windowInfoFixture,
      sortable,
      onselectslot: vi.fn(),
      onmove: vi.fn(),
      onpledge: vi.fn(),
      onimport: vi.fn(),
      onattachwaiting: vi.fn(async () => true),
      ondismisswaiting: vi.fn(async () => true),
      onsetasideheld: vi.fn(),
    };
    render(MaterialsPanel, { props });
    return props;
  }

  const slot = (n: number) => document.querySelector<HTMLElement>(`.material-slot[data-slot="${n}"]`)!;
  const tray = () => document.getElementById('tray')!;
  /** A drag's data as fireEvent takes it (it copies these own properties onto the event's DataTransfer). */
  const carrying = (sha = '') => ({
    dataTransfer: { types: ['text/plain'], dropEffect: 'none', getData: (type: string) => (type === 'text/plain' ? sha : '') },
  });

  it('a tray scan dragged onto a material is moved there; the material is marked while the drag is over it', async () => {
    const props = renderPanel(withFiles());
    await fireEvent.dragOver(slot(1), carrying());
    expect(slot(1)).toHaveClass('drop-over');
    expect(tray()).not.toHaveClass('drop-over');
    await fireEvent.drop(slot(1), carrying(TRAY_FILE));
    expect(slot(1)).not.toHaveClass('drop-over');
    expect(props.onmove).toHaveBeenCalledWith(TRAY_FILE, 1);
  });

  it('a material’s file dragged onto the tray goes back to 未分类', async () => {
    const props = renderPanel(withFiles());
    await fireEvent.dragOver(tray(), carrying());
    expect(tray()).toHaveClass('drop-over');
    await fireEvent.drop(tray(), carrying(SLOT0_FILE));
    expect(tray()).not.toHaveClass('drop-over');
    expect(props.onmove).toHaveBeenCalledWith(SLOT0_FILE, null);
  });

  it('a case whose files cannot be sorted takes no drop and offers no 移到…', async () => {
    const props = renderPanel(withFiles({ editable: false, state: 'handed_off' }), false);
    await fireEvent.dragOver(slot(1), carrying());
    expect(slot(1)).not.toHaveClass('drop-over');
    await fireEvent.drop(slot(1), carrying(TRAY_FILE));
    expect(props.onmove).not.toHaveBeenCalled();
    expect(document.querySelector('.move-select')).toBeNull();
    expect(document.querySelector('.file-thumb')?.getAttribute('draggable')).toBe('false');
  });

  it('a click on a material selects it, a click on its 告知承诺 box pledges and does not', async () => {
    const props = renderPanel(withFiles());
    await fireEvent.click(slot(1).querySelector('.slot-name')!);
    expect(props.onselectslot).toHaveBeenCalledWith(1);
    await fireEvent.click(slot(1).querySelector('.pledge-toggle')!);
    expect(props.onpledge).toHaveBeenCalledWith(1, true);
    expect(props.onselectslot).toHaveBeenCalledTimes(1);
  });
});
