// The desk's status and sync health: the `desk-status` feed, the 30-second safety read, sync now
// (F5), answers that carry a status (enrol, sign-in, lock, rebuild), and the catalog version
// whose domains and bundles are loaded. Also the window's error line, which every service
// writes a command's refusal to.

import {
  deskStatus,
  errorCode,
  errorMessage,
  isLockRefusal,
  onDeskStatus,
  onScreenLocked,
  syncNow,
  type DeskStatus,
  type ErrorCode,
} from '../../ipc';
import { systemClock, type Clock } from '../clock';
import { InjectionToken } from '../context';
import { isGated } from './session.svelte';

/**
 * The backend sends the status whenever it changes (`desk-status`); reading it this often as
 * well is only the safety net, so an idle desk does not cross IPC every second.
 */
export const STATUS_SAFETY_POLL_MS = 30_000;

/** The sentence under the mode bar: what went wrong last, with the refusal's code when it is one. */
export class ErrorLineState {
  message = $state<string | null>(null);
  /** The backend's code for the refusal on the line (`null`: not a refusal). */
  code = $state<ErrorCode | null>(null);

  /** Puts a sentence on the line (or clears it), with the refusal's code when it is one. */
  set(message: string | null, code: ErrorCode | null = null): void {
    this.message = message;
    this.code = message === null ? null : code;
  }

  /** A command's error, as the backend worded it. */
  show(e: unknown): void {
    this.set(errorMessage(e), errorCode(e));
  }

  clear(): void {
    this.set(null);
  }

  /** Refusals because the screen was locked are old news once it is open again. */
  clearLockRefusal(): void {
    if (isLockRefusal(this.code)) this.clear();
  }
}

export const ERROR_LINE = new InjectionToken<ErrorLineState>('ErrorLineState');

/** Loads what depends on the catalog version (domains, bundles, the search and guide on screen). */
export interface CatalogLoader {
  reloadCatalog(): Promise<void> | void;
}

export interface StatusDeps {
  errors: ErrorLineState;
  catalog: CatalogLoader;
  clock?: Clock;
}

export class StatusService {
  status = $state<DeskStatus | null>(null);
  /** Why the status could not be read (the status bar shows it). */
  statusError = $state<string | null>(null);
  syncBusy = $state(false);
  /** The cache cannot be used: the cache problem panel covers the window. */
  readonly blocked = $derived(this.status?.cache_problem != null);

  /** Numbers every read and answer in the order it was asked for. */
  private statusSeq = 0;
  /** The newest number applied: an older answer arriving late is dropped. */
  private statusApplied = 0;
  private statusInFlight = false;
  /** Catalog version whose domains and bundles are loaded; undefined = not loaded yet. */
  private loadedVersion: number | null | undefined = undefined;
  private readonly gateListeners = new Set<() => void>();
  private readonly errors: ErrorLineState;
  private readonly catalog: CatalogLoader;
  private readonly clock: Clock;

  constructor(deps: StatusDeps) {
    this.errors = deps.errors;
    this.catalog = deps.catalog;
    this.clock = deps.clock ?? systemClock;
  }

  /**
   * Follow the backend: listen to `desk-status` first, then read (a change between the two is
   * not missed), read again every 30 s, and at once when a command is refused for the lock.
   * Returns the function that stops all of it.
   */
  start(): () => void {
    let stopFeed: (() => void) | undefined;
    let stopped = false;
    onDeskStatus((s) => {
      this.statusError = null;
      this.apply(s, ++this.statusSeq);
    })
      .then((stop) => (stopped ? stop() : (stopFeed = stop)))
      .catch((e) => (this.statusError = errorMessage(e)));
    void this.poll();
    const timer = this.clock.every(STATUS_SAFETY_POLL_MS, () => void this.poll());
    // Any command refused because the screen is locked: read the status now, the lock screen shows.
    const stopLockWatch = onScreenLocked(() => void this.poll());
    return () => {
      stopped = true;
      stopFeed?.();
      this.clock.clear(timer);
      stopLockWatch?.();
    };
  }

  /** `fn` runs just before a status that closes the window (locked, or sign-in required) replaces an open one. */
  onGate(fn: () => void): () => void {
    this.gateListeners.add(fn);
    return () => this.gateListeners.delete(fn);
  }

  /** A status a command answered with (enrolled, signed in or out, locked, unlocked, rebuilt). */
  accept(s: DeskStatus): void {
    this.apply(s, ++this.statusSeq);
  }

  /** Read the status now (one read at a time). */
  async poll(): Promise<void> {
    if (this.statusInFlight) return;
    this.statusInFlight = true;
    const seq = ++this.statusSeq;
    try {
      this.apply(await deskStatus(), seq);
      this.statusError = null;
    } catch (e) {
      this.statusError = errorMessage(e);
    } finally {
      this.statusInFlight = false;
    }
  }

  /** F5: pull from the hub now. */
  async sync(): Promise<void> {
    if (this.syncBusy) return;
    this.syncBusy = true;
    try {
      this.accept(await syncNow());
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.syncBusy = false;
    }
  }

  private apply(s: DeskStatus, seq: number): void {
    if (seq < this.statusApplied) return; // an older answer arrived late
    this.statusApplied = seq;
    if (isGated(s) && !isGated(this.status)) {
      for (const fn of [...this.gateListeners]) fn();
    }
    this.status = s;
    if (s.cache_problem) {
      this.loadedVersion = undefined;
      return;
    }
    // The catalog commands are refused while locked: a new version is loaded after unlocking.
    if (isGated(s)) return;
    if (this.loadedVersion === undefined || s.catalog_version_id !== this.loadedVersion) {
      this.loadedVersion = s.catalog_version_id;
      void this.catalog.reloadCatalog();
    }
  }
}

export const STATUS = new InjectionToken<StatusService>('StatusService');
