// The detail panel: the 办事指南 of an item or the view of a 一件事 (bundle), the answer to the
// newest request only, and the way back (Alt+←) through what was open before.

import { tick } from 'svelte';
import { bundleView, itemGuide, type BundleView, type ItemGuide } from '../../ipc';
import { InjectionToken } from '../context';
import type { ErrorLineState } from './status.svelte';

/** How many views the way back remembers. */
export const HISTORY_LIMIT = 30;

export type View = { kind: 'item'; code: string } | { kind: 'bundle'; code: string };

export interface OpenOptions {
  /** Remember the view it replaces for the way back (default true). */
  push?: boolean;
  /** A user action: the pane shows the top and the keyboard goes to the title (default true). */
  focus?: boolean;
}

function sameView(a: View | null, b: View): boolean {
  return a !== null && a.kind === b.kind && a.code === b.code;
}

export class GuideService {
  view = $state<View | null>(null);
  guide = $state<ItemGuide | null>(null);
  bundle = $state<BundleView | null>(null);
  loading = $state(false);
  history = $state<View[]>([]);

  /** The item whose guide is on screen (the results list marks it). */
  readonly openItemCode = $derived(this.view?.kind === 'item' ? this.view.code : null);
  /** The guide on screen can be taken in as a case (a leaf with scenarios). */
  readonly canStartItem = $derived(this.view?.kind === 'item' && this.guide !== null && this.guide.scenarios.length > 0);
  /** Every item of the bundle on screen is in the local catalog. */
  readonly bundleComplete = $derived(this.bundle !== null && this.bundle.members.every((m) => m.present));

  /**
   * Shows a view the user opened once it is on screen: the detail pane sets it while mounted
   * (it scrolls to the top and focuses the title).
   */
  reveal: ((view: View) => void) | null = null;

  private detailSeq = 0;
  private readonly errors: ErrorLineState;

  constructor(errors: ErrorLineState) {
    this.errors = errors;
  }

  /** Load and show a guide or a bundle; an answer overtaken by a newer request is dropped. */
  async open(next: View, opts: OpenOptions = {}): Promise<void> {
    const { push = true, focus = true } = opts;
    const seq = ++this.detailSeq;
    this.loading = true;
    try {
      let loadedGuide: ItemGuide | null = null;
      let loadedBundle: BundleView | null = null;
      if (next.kind === 'item') {
        loadedGuide = await itemGuide(next.code);
      } else {
        loadedBundle = await bundleView(next.code);
      }
      if (seq !== this.detailSeq) return;
      const current = this.view;
      if (push && current !== null && !sameView(current, next)) {
        this.history = [...this.history, current].slice(-HISTORY_LIMIT);
      }
      this.guide = loadedGuide;
      this.bundle = loadedBundle;
      this.view = next;
      if (focus) {
        await tick();
        this.reveal?.(next);
      }
    } catch (e) {
      if (seq === this.detailSeq) this.errors.show(e);
    } finally {
      if (seq === this.detailSeq) this.loading = false;
    }
  }

  openItem(code: string): void {
    void this.open({ kind: 'item', code });
  }

  openBundle(code: string): void {
    void this.open({ kind: 'bundle', code });
  }

  /** Alt+← or 返回: the view before this one. */
  back(): void {
    const previous = this.history[this.history.length - 1];
    if (!previous) return;
    this.history = this.history.slice(0, -1);
    void this.open(previous, { push: false });
  }

  /** Load the view on screen again (a new catalog version), leaving the focus where it is. */
  reload(): void {
    if (this.view) void this.open(this.view, { push: false, focus: false });
  }
}

export const GUIDE = new InjectionToken<GuideService>('GuideService');
