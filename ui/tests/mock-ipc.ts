import { vi } from 'vitest';
import type { ApplicantScreenView, DeskStatus } from '../src/ipc';

/**
 * One of the backend's events in a test: `listen` stands in for the ipc module's `on…`
 * function (it registers the window's listener and resolves with the unlisten function, as
 * Tauri's `listen` does); `emit` is the backend sending the event.
 */
function backendEvent<T>() {
  const listeners = new Set<(payload: T) => void>();
  return {
    emit(payload: T): void {
      for (const listener of [...listeners]) listener(payload);
    },
    count(): number {
      return listeners.size;
    },
    listen() {
      return vi.fn(async (cb: (payload: T) => void) => {
        listeners.add(cb);
        return () => {
          listeners.delete(cb);
        };
      });
    },
  };
}

const deskStatus = backendEvent<DeskStatus>();
const caseRevision = backendEvent<number>();
const applicantScreen = backendEvent<ApplicantScreenView>();

/** A `desk-status` event from the backend: every listener the window registered hears it. */
export const emitDeskStatus = deskStatus.emit;
/** How many `desk-status` listeners are registered now (0 once the window is unmounted). */
export const deskStatusListenerCount = deskStatus.count;
/** `onDeskStatus` as the ipc module does it, for test files that list their mocks by hand. */
export const onDeskStatusMock = deskStatus.listen;
/** A `case-revision` event: the window changed in the backend (a scan taken, a result). */
export const emitCaseRevision = caseRevision.emit;
/** How many `case-revision` listeners are registered now. */
export const caseRevisionListenerCount = caseRevision.count;
/** An `applicant-screen` event: the applicant's screen has a new view. */
export const emitApplicantScreen = applicantScreen.emit;
/** How many `applicant-screen` listeners are registered now. */
export const applicantScreenListenerCount = applicantScreen.count;

/** The ipc module's screen-locked listeners, as `onScreenLocked` registered them. */
const screenLockedListeners = new Set<() => void>();

/** A command refused as screen_locked or sign_in_required: the ipc module tells its listeners. */
export function emitScreenLocked(): void {
  for (const listener of [...screenLockedListeners]) listener();
}

function onScreenLockedMock(): (listener: () => void) => () => void {
  return vi.fn((listener: () => void) => {
    screenLockedListeners.add(listener);
    return () => {
      screenLockedListeners.delete(listener);
    };
  });
}

/**
 * The ipc module for a test: every command a mock (never real Tauri), the pure helpers
 * (`errorMessage`, `isAppError`, `errorCode`, `isLockRefusal`) and constants real. The backend's events (`onDeskStatus`,
 * `onCaseRevision`, `onApplicantScreen`) and `onScreenLocked` register their listeners for the
 * `emit…` functions above (a reset keeps that). Use from a test file as
 * `vi.mock('../src/ipc', async (orig) => (await import('./mock-ipc')).mockCommands(await orig()));`
 */
export function mockCommands(actual: Record<string, unknown>): Record<string, unknown> {
  const mocked: Record<string, unknown> = { ...actual };
  for (const [name, value] of Object.entries(actual)) {
    if (typeof value === 'function' && !['errorMessage', 'isAppError', 'errorCode', 'isLockRefusal'].includes(name)) {
      mocked[name] = vi.fn();
    }
  }
  mocked.onDeskStatus = deskStatus.listen();
  mocked.onCaseRevision = caseRevision.listen();
  mocked.onApplicantScreen = applicantScreen.listen();
  mocked.onScreenLocked = onScreenLockedMock();
  // Read by the sign-in and lock screens as they open: nobody's offline sign-in ends soon.
  mocked.offlineSignInsEnding = vi.fn(async () => []);
  return mocked;
}
