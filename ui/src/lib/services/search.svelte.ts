// The search box and what it lists: the text, the domain filter, the results of the newest
// search only (typing waits 60 ms for the next key; an IME composition waits for its end), the
// selection, and the domains and bundles of the loaded catalog version.

import {
  listBundles,
  listDomains,
  searchItems,
  type BundleRef,
  type DomainView,
  type SearchResponse,
} from '../../ipc';
import { systemClock, type Clock, type TimerId } from '../clock';
import { InjectionToken } from '../context';
import type { GuideService } from './guide.svelte';
import type { ErrorLineState } from './status.svelte';

/** Wait this long after the last keystroke before searching. */
export const SEARCH_DEBOUNCE_MS = 60;
export const SEARCH_LIMIT = 50;

export interface SearchDeps {
  errors: ErrorLineState;
  guide: GuideService;
  clock?: Clock;
}

export class SearchService {
  query = $state('');
  /** The domain filter's code; '' for every domain. */
  domain = $state('');
  domains = $state<DomainView[]>([]);
  bundles = $state<BundleRef[]>([]);
  results = $state<SearchResponse | null>(null);
  failed = $state(false);
  searching = $state(false);
  selected = $state(0);

  /** Nothing typed: the help panel lists the bundles instead of hits. */
  readonly emptyQuery = $derived(this.query.trim() === '');
  /** How many entries the arrows move through: bundles for an empty box, hits otherwise. */
  readonly entryCount = $derived(this.emptyQuery ? this.bundles.length : (this.results?.hits.length ?? 0));
  readonly activeDescendant = $derived(
    this.entryCount === 0
      ? undefined
      : this.emptyQuery
        ? `bundle-option-${this.selected}`
        : `result-option-${this.selected}`,
  );
  readonly domainName = $derived(this.domains.find((d) => d.code === this.domain)?.name ?? '');

  private composing = false;
  private debounceTimer: TimerId | undefined;
  /** Numbers every search: only the newest one's answer is shown. */
  private searchSeq = 0;
  /** Enter was pressed before the results for the current text arrived. */
  private openWhenReady = false;
  private readonly errors: ErrorLineState;
  private readonly guide: GuideService;
  private readonly clock: Clock;

  constructor(deps: SearchDeps) {
    this.errors = deps.errors;
    this.guide = deps.guide;
    this.clock = deps.clock ?? systemClock;
  }

  /** A search is waiting for its keystrokes to settle or for its answer. */
  get pending(): boolean {
    return !this.emptyQuery && (this.searching || this.debounceTimer !== undefined);
  }

  /** The box's text changed. During an IME composition nothing is searched until it ends. */
  input(value: string, isComposing = false): void {
    this.query = value;
    if (this.composing || isComposing) return;
    this.textChanged();
  }

  compositionStart(): void {
    this.composing = true;
  }

  compositionEnd(value: string): void {
    this.composing = false;
    this.query = value;
    this.textChanged();
  }

  /** Another domain in the filter ('' for all): the text is searched again within it. */
  setDomain(code: string): void {
    this.domain = code;
    if (!this.emptyQuery) void this.run();
  }

  /** ↑↓, PageUp/PageDown: move the selection within the entries. */
  move(delta: number): void {
    this.openWhenReady = false;
    if (this.entryCount === 0) return;
    this.selected = Math.max(0, Math.min(this.entryCount - 1, this.selected + delta));
  }

  /** Enter: open the selected entry, or the best hit for the text once its results arrive. */
  enter(): void {
    if (this.pending) {
      // The results on screen are for older text: open the best hit once the new ones arrive.
      this.openWhenReady = true;
      void this.run();
    } else {
      this.openSelected();
    }
  }

  /** A click on an entry. */
  openEntry(index: number): void {
    this.selected = index;
    this.openSelected();
  }

  openSelected(): void {
    if (this.emptyQuery) {
      const b = this.bundles[this.selected];
      if (b) void this.guide.open({ kind: 'bundle', code: b.code });
      return;
    }
    const hit = this.results?.hits[this.selected];
    if (hit) void this.guide.open({ kind: 'item', code: hit.code });
  }

  /** The clerk left the box for the guide: a pending Enter no longer opens anything. */
  forgetEnter(): void {
    this.openWhenReady = false;
  }

  /** Search for the current text now. `keepCode`: keep that hit selected if it is still there. */
  async run(keepCode: string | null = null): Promise<void> {
    this.cancelDebounce();
    const text = this.query.trim();
    if (text === '') {
      this.clear();
      return;
    }
    const seq = ++this.searchSeq;
    this.searching = true;
    try {
      const response = await searchItems({ text, domain: this.domain === '' ? null : this.domain, limit: SEARCH_LIMIT });
      if (seq !== this.searchSeq) return; // a newer search was started: drop this answer
      this.results = response;
      this.failed = false;
      const kept = keepCode === null ? -1 : response.hits.findIndex((h) => h.code === keepCode);
      this.selected = kept >= 0 ? kept : 0;
      if (this.openWhenReady) {
        this.openWhenReady = false;
        this.openSelected();
      }
    } catch (e) {
      if (seq !== this.searchSeq) return;
      this.results = { hits: [], total: 0 };
      this.failed = true;
      this.openWhenReady = false;
      this.errors.show(e);
    } finally {
      if (seq === this.searchSeq) this.searching = false;
    }
  }

  /** A new catalog version: its domains and bundles, the search again, and the view on screen again. */
  async reloadCatalog(): Promise<void> {
    const [d, b] = await Promise.allSettled([listDomains(), listBundles()]);
    if (d.status === 'fulfilled') {
      this.domains = d.value;
      if (this.domain !== '' && !this.domains.some((x) => x.code === this.domain)) this.domain = '';
    } else {
      this.errors.show(d.reason);
    }
    if (b.status === 'fulfilled') {
      this.bundles = b.value;
      if (this.emptyQuery && this.selected >= this.bundles.length) this.selected = 0;
    } else {
      this.errors.show(b.reason);
    }
    if (!this.emptyQuery) {
      const keep = this.results?.hits[this.selected]?.code ?? null;
      void this.run(keep);
    }
    this.guide.reload();
  }

  /** No more timers (the window is going). */
  stop(): void {
    this.cancelDebounce();
  }

  private textChanged(): void {
    if (this.query.trim() === '') {
      this.clear();
    } else {
      this.schedule();
    }
  }

  private cancelDebounce(): void {
    this.clock.clear(this.debounceTimer);
    this.debounceTimer = undefined;
  }

  private clear(): void {
    this.cancelDebounce();
    this.searchSeq++;
    this.results = null;
    this.failed = false;
    this.searching = false;
    this.openWhenReady = false;
    this.selected = 0;
  }

  private schedule(): void {
    this.clock.clear(this.debounceTimer);
    this.debounceTimer = this.clock.after(SEARCH_DEBOUNCE_MS, () => {
      this.debounceTimer = undefined;
      void this.run();
    });
  }
}

export const SEARCH = new InjectionToken<SearchService>('SearchService');
