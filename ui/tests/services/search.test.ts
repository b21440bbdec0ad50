import { beforeEach, describe, expect, it, vi } from 'vitest';

// Never real Tauri: every command of the ipc module is a mock; errorMessage stays real.
vi.mock('../../src/ipc', async (importOriginal) =>
  (await import('../mock-ipc')).mockCommands(await importOriginal<Record<string, unknown>>()),
);

import * as ipc from '../../src/ipc';
import type { SearchResponse } from '../../src/ipc';
import { ManualClock } from '../../src/lib/clock';
import { GuideService } from '../../src/lib/services/guide.svelte';
import { SEARCH_DEBOUNCE_MS, SearchService } from '../../src/lib/services/search.svelte';
import { ErrorLineState } from '../../src/lib/services/status.svelte';
import { bundleKdyh, bundles, domains, guideSetup, searchGtgsh } from '../fixtures';

const m = vi.mocked(ipc);

function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/** Lets the awaited mocks answer. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const clock = new ManualClock();
  const errors = new ErrorLineState();
  const guide = new GuideService(errors);
  const open = vi.spyOn(guide, 'open').mockResolvedValue(undefined);
  const search = new SearchService({ errors, guide, clock });
  return { clock, errors, guide, open, search };
}

const one: SearchResponse = { hits: [searchGtgsh.hits[2]], total: 1 };

beforeEach(() => {
  vi.resetAllMocks();
  m.searchItems.mockResolvedValue(searchGtgsh);
  m.listDomains.mockResolvedValue(domains);
  m.listBundles.mockResolvedValue(bundles);
  m.itemGuide.mockResolvedValue(guideSetup);
  m.bundleView.mockResolvedValue(bundleKdyh);
});

describe('typing', () => {
  it('searches 60 ms after the last key, once', async () => {
    const { clock, search } = setup();
    search.input('g');
    clock.advance(SEARCH_DEBOUNCE_MS - 10);
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS - 1);
    expect(m.searchItems).not.toHaveBeenCalled();
    expect(search.pending).toBe(true);
    clock.advance(1);
    expect(m.searchItems).toHaveBeenCalledTimes(1);
    expect(m.searchItems).toHaveBeenCalledWith({ text: 'gt', domain: null, limit: 50 });
    expect(search.searching).toBe(true);
    await settle();
    expect(search.searching).toBe(false);
    expect(search.results).toEqual(searchGtgsh);
    expect(search.entryCount).toBe(3);
    expect(search.activeDescendant).toBe('result-option-0');
  });

  it('an empty box clears the results and the timer; it lists the bundles instead', async () => {
    const { clock, search } = setup();
    await search.reloadCatalog();
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    search.input('  ');
    expect(search.results).toBeNull();
    expect(search.emptyQuery).toBe(true);
    expect(search.entryCount).toBe(bundles.length);
    expect(search.activeDescendant).toBe('bundle-option-0');
    search.input('x');
    search.input('');
    expect(clock.pending).toBe(0);
  });

  it('nothing is searched during an IME composition; its end searches', () => {
    const { clock, search } = setup();
    search.compositionStart();
    search.input('g');
    search.input('ge');
    clock.advance(1000);
    expect(m.searchItems).not.toHaveBeenCalled();
    expect(search.query).toBe('ge');
    search.compositionEnd('个体');
    expect(search.query).toBe('个体');
    clock.advance(SEARCH_DEBOUNCE_MS);
    expect(m.searchItems).toHaveBeenCalledWith({ text: '个体', domain: null, limit: 50 });
  });

  it('an input event the browser marks as composing is not searched either', () => {
    const { clock, search } = setup();
    search.input('g', true);
    clock.advance(1000);
    expect(m.searchItems).not.toHaveBeenCalled();
  });

  it('an answer overtaken by a newer search is dropped', async () => {
    const { clock, search } = setup();
    const first = deferred<SearchResponse>();
    m.searchItems.mockReturnValueOnce(first.promise).mockResolvedValueOnce(one);
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    search.input('gtbg');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    expect(search.results).toEqual(one);
    first.resolve(searchGtgsh);
    await settle();
    expect(search.results).toEqual(one);
  });

  it('a failed search says so on the error line and lists nothing', async () => {
    const { clock, search, errors } = setup();
    m.searchItems.mockRejectedValue({ code: 'cache', message: '本地缓存读取失败' });
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    expect(search.failed).toBe(true);
    expect(search.results).toEqual({ hits: [], total: 0 });
    expect(errors.message).toBe('本地缓存读取失败');
    expect(search.searching).toBe(false);
  });

  it('the domain filter searches the text again within it', async () => {
    const { search } = setup();
    search.setDomain('market');
    expect(m.searchItems).not.toHaveBeenCalled(); // nothing typed
    search.input('gt');
    search.setDomain('social');
    expect(m.searchItems).toHaveBeenLastCalledWith({ text: 'gt', domain: 'social', limit: 50 });
  });
});

describe('selection and Enter', () => {
  it('the arrows move within the entries', async () => {
    const { clock, search } = setup();
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    search.move(1);
    expect(search.selected).toBe(1);
    search.move(10);
    expect(search.selected).toBe(2);
    search.move(-10);
    expect(search.selected).toBe(0);
  });

  it('Enter opens the selected hit, or the selected bundle for an empty box', async () => {
    const { clock, search, open } = setup();
    await search.reloadCatalog();
    search.move(1);
    search.enter();
    expect(open).toHaveBeenLastCalledWith({ kind: 'bundle', code: 'B-CSDJ' });
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    search.move(2);
    search.enter();
    expect(open).toHaveBeenLastCalledWith({ kind: 'item', code: searchGtgsh.hits[2].code });
    search.openEntry(1);
    expect(open).toHaveBeenLastCalledWith({ kind: 'item', code: searchGtgsh.hits[1].code });
  });

  it('Enter before the results arrived opens the best hit once they do', async () => {
    const { search, open } = setup();
    const answer = deferred<SearchResponse>();
    m.searchItems.mockReturnValueOnce(answer.promise);
    search.input('gt');
    search.enter(); // the debounce is still waiting: search now
    expect(m.searchItems).toHaveBeenCalledTimes(1);
    expect(open).not.toHaveBeenCalled();
    answer.resolve(searchGtgsh);
    await settle();
    expect(open).toHaveBeenCalledWith({ kind: 'item', code: searchGtgsh.hits[0].code });
  });

  it('an arrow key or leaving the box forgets that Enter', async () => {
    const { search, open } = setup();
    const answer = deferred<SearchResponse>();
    m.searchItems.mockReturnValueOnce(answer.promise);
    search.input('gt');
    search.enter();
    search.move(1);
    answer.resolve(searchGtgsh);
    await settle();
    expect(open).not.toHaveBeenCalled();

    const again = deferred<SearchResponse>();
    m.searchItems.mockReturnValueOnce(again.promise);
    search.input('gtg');
    search.enter();
    search.forgetEnter();
    again.resolve(searchGtgsh);
    await settle();
    expect(open).not.toHaveBeenCalled();
  });
});

describe('a new catalog version', () => {
  it('loads domains and bundles, drops a domain that is gone, searches again keeping the hit, reopens the view', async () => {
    const { clock, search, guide } = setup();
    const reload = vi.spyOn(guide, 'reload');
    await search.reloadCatalog();
    expect(search.domains).toEqual(domains);
    expect(search.bundles).toEqual(bundles);
    expect(reload).toHaveBeenCalledTimes(1);

    search.setDomain('social');
    search.input('gt');
    clock.advance(SEARCH_DEBOUNCE_MS);
    await settle();
    search.move(2);
    m.listDomains.mockResolvedValue([domains[0]]);
    m.searchItems.mockResolvedValue({ hits: [searchGtgsh.hits[0], searchGtgsh.hits[2]], total: 2 });
    await search.reloadCatalog();
    expect(search.domain).toBe('');
    expect(search.domainName).toBe('');
    expect(m.searchItems).toHaveBeenLastCalledWith({ text: 'gt', domain: null, limit: 50 });
    await settle();
    expect(search.selected).toBe(1); // the same hit, now second
    expect(reload).toHaveBeenCalledTimes(2);
  });

  it('a list that cannot be read goes to the error line; the other still loads', async () => {
    const { search, errors } = setup();
    m.listDomains.mockRejectedValue({ code: 'cache', message: '领域读取失败' });
    await search.reloadCatalog();
    expect(errors.message).toBe('领域读取失败');
    expect(search.bundles).toEqual(bundles);
  });

  it('stop leaves no timer', () => {
    const { clock, search } = setup();
    search.input('gt');
    expect(clock.pending).toBe(1);
    search.stop();
    expect(clock.pending).toBe(0);
  });
});
