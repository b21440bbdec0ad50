// The materials panel's own state (申请材料 and 未分类): where a dragged file is over, and what a
// drop, a "移到…" choice, a click on a material or its 告知承诺 box asks of the case screen
// (its callbacks: select the slot scans land in, move a file, pledge). The panel creates one
// service from its props and gives it to its rows, files and tray.
//
// A slot here is a material's index, or null for the tray, as the case screen's callbacks take it.

import type { CaseView, FileKind, FileView } from '../../ipc';
import { FILE_DRAG_TYPE, moveTargets, parseMoveTarget, type MoveTarget } from '../casedraft';
import { InjectionToken } from '../context';

/** What the service reads from the panel's props (getters, so it follows them). */
export interface MaterialsSource {
  readonly view: CaseView;
  /** Files can be sorted and added (draft, or accepted for 容缺 补交). */
  readonly sortable: boolean;
  /** Where new scans land: a slot, or null for the tray. */
  onselectslot(slot: number | null): void;
  onmove(sha256: string, slot: number | null): void;
  onpledge(slot: number, pledged: boolean): void;
}

/** What a file drag carries: its sha256 under our own type, and as plain text. */
const PLAIN_TEXT = 'text/plain';
const SHA256 = /^[0-9a-f]{64}$/i;

/** Puts `file` on a drag that starts from its thumbnail. */
export function startFileDrag(data: DataTransfer | null, file: FileView): void {
  if (!data) return;
  data.setData(FILE_DRAG_TYPE, file.sha256);
  data.setData(PLAIN_TEXT, file.sha256);
  data.effectAllowed = 'move';
}

/** Whether a drag may carry one of our files (its data can be read only on drop). */
export function carriesFile(data: DataTransfer | null | undefined): boolean {
  const types = data?.types;
  return types !== undefined && (Array.from(types).includes(FILE_DRAG_TYPE) || Array.from(types).includes(PLAIN_TEXT));
}

/** The sha256 a dropped drag carries ('' when none). */
export function droppedSha(data: DataTransfer | null | undefined): string {
  return data?.getData(FILE_DRAG_TYPE) || data?.getData(PLAIN_TEXT) || '';
}

/** The short label of a file without a thumbnail, by its kind (jpeg | png | pdf). */
const FILE_KIND_LABELS: Readonly<Record<FileKind, string>> = { pdf: 'PDF', png: 'PNG', jpeg: 'JPG' };

export function fileKindLabel(kind: FileKind): string {
  return FILE_KIND_LABELS[kind];
}

export class MaterialsService {
  private readonly source: MaterialsSource;

  /** The drop target under the pointer while a file is dragged: a slot, null for the tray, undefined for none. */
  dropOver = $state<number | null | undefined>(undefined);

  /** What the list says when there is no material to show. */
  readonly emptyText: string;

  constructor(source: MaterialsSource) {
    this.source = source;
    this.emptyText = $derived(
      source.view.scenario_code === null && !source.view.is_bundle ? '选择办理情形后显示申请材料。' : '本事项无需提交材料。',
    );
  }

  get view(): CaseView {
    return this.source.view;
  }

  get sortable(): boolean {
    return this.source.sortable;
  }

  /** New scans land in `slot` (null: the tray): this case takes scans and that is chosen. */
  isScanTarget(slot: number | null): boolean {
    return this.source.view.scan_target && this.source.view.selected_slot === slot;
  }

  /** A file is being dragged over `slot`. */
  isDropOver(slot: number | null): boolean {
    return this.dropOver === slot;
  }

  /** Make `slot` (null: the tray) where new scans land. */
  selectSlot(slot: number | null): void {
    this.source.onselectslot(slot);
  }

  pledge(slot: number, pledged: boolean): void {
    this.source.onpledge(slot, pledged);
  }

  /** Where a file now in `from` can be moved with the "移到…" choice. */
  moveTargets(from: number | null): MoveTarget[] {
    return moveTargets(this.source.view.materials, from);
  }

  /** The clerk chose `value` in a file's "移到…" list. */
  moveChosen(sha256: string, value: string): void {
    const slot = parseMoveTarget(value);
    if (slot !== undefined) this.source.onmove(sha256, slot);
  }

  /** Where the file is now: its material's slot, null in the tray, undefined when not in this case. */
  slotOf(sha256: string): number | null | undefined {
    const view = this.source.view;
    if (view.tray.some((f) => f.sha256 === sha256)) return null;
    return view.materials.find((m) => m.files.some((f) => f.sha256 === sha256))?.slot ?? undefined;
  }

  /** A drag is over `slot`; true when it may drop there (the caller then allows the drop). */
  dragOver(slot: number | null, carries: boolean): boolean {
    if (!this.source.sortable || !carries) return false;
    this.dropOver = slot;
    return true;
  }

  /** The drag left `slot` (`inside`: only for one of its own children, so it is still over it). */
  dragLeave(slot: number | null, inside: boolean): void {
    if (inside) return;
    if (this.dropOver === slot) this.dropOver = undefined;
  }

  /**
   * A drag carrying `sha256` was dropped on `slot`: the file moves there unless it is there
   * already. True when the drop was ours (the caller then keeps the browser from acting on it).
   */
  drop(slot: number | null, sha256: string): boolean {
    this.dropOver = undefined;
    if (!this.source.sortable || !SHA256.test(sha256)) return false;
    if (this.slotOf(sha256) !== slot) this.source.onmove(sha256, slot);
    return true;
  }
}

export const MATERIALS_SERVICE = new InjectionToken<MaterialsService>('MaterialsService');
