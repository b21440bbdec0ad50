import { vi } from 'vitest';
import type { DeskStatus } from '../src/ipc';

/** The main window's `desk-status` listeners, as `onDeskStatus` registered them. */
const deskStatusListeners = new Set<(status: DeskStatus) => void>();

/** A `desk-status` event from the backend: every listener the window registered hears it. */
export function emitDeskStatus(status: DeskStatus): void {
  for (const listener of [...deskStatusListeners]) listener(status);
}

/** How many `desk-status` listeners are registered now (0 once the window is unmounted). */
export function deskStatusListenerCount(): number {
  return deskStatusListeners.size;
}

/** `onDeskStatus` as the ipc module does it, with `emitDeskStatus` standing in for the backend. */
export function onDeskStatusMock(): (cb: (status: DeskStatus) => void) => Promise<() => void> {
  return vi.fn(async (cb: (status: DeskStatus) => void) => {
    deskStatusListeners.add(cb);
    return () => {
      deskStatusListeners.delete(cb);
    };
  });
}

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
 * (`errorMessage`, `isAppError`) and constants real; `onDeskStatus` and `onScreenLocked` register their listeners for
 * `emitDeskStatus` and `emitScreenLocked` (a reset keeps that). Use from a test file as
 * `vi.mock('../src/ipc', async (orig) => (await import('./mock-ipc')).mockCommands(await orig()));`
 */
export function mockCommands(actual: Record<string, unknown>): Record<string, unknown> {
  const mocked: Record<string, unknown> = { ...actual };
  for (const [name, value] of Object.entries(actual)) {
    if (typeof value === 'function' && !['errorMessage', 'isAppError'].includes(name)) {
      mocked[name] = vi.fn();
    }
  }
  mocked.onDeskStatus = onDeskStatusMock();
  mocked.onScreenLocked = onScreenLockedMock();
  return mocked;
}
